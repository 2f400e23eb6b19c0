"""A phased deployment over 20 kiosks: each a real agent (its own process, under its
own units) against a real central, and a real updater run as the kiosk's timer would.
The canary commits and the 10 % phase opens; an injected failure there pauses the
deployment and holds back the other 17; a resume lets them go; two more failures pause
it again. Failures are injected the way they happen in the field: those kiosks trust a
different release key (an image built for another repository)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from devtools.kiosk_world import (
    FACTORY,
    Kiosk,
    build_release,
    credentials,
    enrolled_kiosk,
    make_repository,
    wait_until,
)
from kiosk.update.journal import UpdateJournal
from kiosk.update.releases import ReleaseShelf

pytestmark = pytest.mark.slow

GOOD = "0.2.0"
KIOSKS = 20


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[tuple[list[Kiosk], object, object, Path]]:
    work = tmp_path_factory.mktemp("fleet")
    factory, good = build_release(work, FACTORY), build_release(work, GOOD)
    repo = make_repository(work / "updates")
    repo.publish(good)
    stranger = make_repository(work / "another-repository")
    central = start_central(
        f"sqlite:///{work / 'central.db'}", update_repository=str(repo.repo.folder)
    )
    org = make_org(central, add_user(central, "national_admin", None), with_kiosk=False)
    # The factory release is installed once and shared, as /opt/palvelupiste in an image.
    shared = ReleaseShelf(work / "factory")
    shared.install(factory, FACTORY)
    kiosks = []
    for n in range(KIOSKS):
        state_dir = work / f"kiosk-{n:02d}"
        shelf = ReleaseShelf(state_dir / "releases")
        shelf.adopt(FACTORY, shared.path(FACTORY))
        shelf.point("current", FACTORY)
        shelf.point("committed", FACTORY)
        UpdateJournal(committed=FACTORY).save(state_dir / "update" / "journal.json")
        kiosk = enrolled_kiosk(central, org.tokens["technician"], org.site_id, state_dir, repo.root)
        kiosk.start_units()
        kiosks.append(kiosk)
    try:
        yield kiosks, central, org, stranger.root
    finally:
        for kiosk in kiosks:
            kiosk.stop()
        central.stop()


def wished(kiosk: Kiosk) -> bool:
    store = kiosk.store()
    try:
        return (store.get_state("update.desired") or {}).get("version") == GOOD
    finally:
        store.close()


def test_a_deployment_advances_by_phase_and_pauses_on_failures(fleet):
    kiosks, central, org, stranger_root = fleet
    admin = org.tokens["org_admin"]
    by_id = {credentials(k.state_dir)["kiosk_id"]: k for k in kiosks}
    # Every kiosk has beaten once, so the canary is one that answers.
    wait_until(
        lambda: all(k["last_seen"] for k in ok(central.request("GET", "/kiosks", admin))["items"]),
        60,
        "not every kiosk beat",
    )
    made = ok(
        central.request(
            "POST", "/deployments", admin, json={"release": GOOD, "site_id": org.site_id}
        ),
        201,
    )
    assert made["phase_sizes"] == [2, 3, 20]
    phase_of = {k["kiosk_id"]: k["phase"] for k in made["kiosks"]}
    tenth = [i for i, p in phase_of.items() if p == "10 %"]
    rest = [i for i, p in phase_of.items() if p == "all"]
    injected = set(tenth) | set(rest[:2])  # these trust another repository's root

    def view() -> dict:
        return ok(central.request("GET", f"/deployments/{made['id']}", admin))

    def timers() -> None:
        """One updater pass on each kiosk central has named the release to."""
        for ident, kiosk in by_id.items():
            if kiosk.journal().committed == GOOD or not wished(kiosk):
                continue
            if ident in injected:
                kiosk.trusted_root = stranger_root
            kiosk.update("--no-ui-gate", gate_timeout=30, gate_stable=1)

    # Canary: both commit, and central opens the 10 % phase by itself.
    wait_until(lambda: sum(wished(k) for k in kiosks) == 2, 30, "the canary never heard")
    timers()
    wait_until(lambda: view()["phase"] == "10 %", 30, "the 10 % phase did not open")
    # Its kiosk fails (1 of 3 released, over 5 %): paused, the other 17 are held back.
    wait_until(lambda: wished(by_id[tenth[0]]), 30, "the 10 % kiosk never heard")
    timers()
    paused = wait_until(lambda: (v := view())["status"] == "paused" and v, 30, "not paused")
    assert paused["paused_reason"] == "1 of 3 kiosks failed, more than 5%"
    failed = next(k for k in paused["kiosks"] if k["kiosk_id"] == tenth[0])
    assert failed["state"] == "failed" and "bad_signature" in failed["detail"]
    assert not any(wished(by_id[i]) for i in rest)
    # A person resumes: the failure is acknowledged and the last phase opens.
    ok(central.request("POST", f"/deployments/{made['id']}/resume", admin))
    assert view()["phase"] == "all"
    wait_until(lambda: all(wished(by_id[i]) for i in rest), 30, "the rest never heard")
    timers()
    # Each kiosk's failure reaches central with its next heartbeat: wait for all three
    # (seen in CI: paused with 17 committed while the third failure was still on its way).
    final = wait_until(
        lambda: (
            (v := view())["status"] == "paused"
            and v["counts"] == {"committed": 17, "failed": 3}
            and v
        ),
        60,
        "the last phase did not end paused with 17 committed and 3 failed",
    )
    assert final["counts"] == {"committed": 17, "failed": 3}
    assert final["paused_reason"] == "2 of 20 kiosks failed, more than 5%"
    # The kiosks say the same as central: 17 run the release, 3 the old one.
    running = sorted(k.journal().committed for k in kiosks)
    assert running == [FACTORY] * 3 + [GOOD] * 17
    listed = ok(central.request("GET", "/kiosks", admin))["items"]
    assert sum(1 for k in listed if k["software_version"] == GOOD) == 17
