"""A call's world: Janus and coturn in a network namespace, central beside it, the
officials' desk in headless Chromium (Debian's, driven by Playwright).

Media stays on the namespace's veth pair (devtools/test_network.py): nothing a
test call sends touches the machine's real network.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devtools.browser import CHROMIUM, CHROMIUM_FLAGS
from devtools.builders import service_ids
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import Org, add_user, agree, login, make_org, ok, user_id
from devtools.link_relay import LinkRelayProcess, start_link_relay
from devtools.media_servers import MediaServers, start_media_servers
from devtools.test_network import TestNetwork, create_test_network
from devtools.waiting import wait_for
from tests.support.kiosk_side import desk_sees, kiosk_sees
from tests.support.media_files import desk_y4m, silence_wav


@dataclass
class CallWorld:
    net: TestNetwork
    media: MediaServers
    central: RunningCentral
    org: Org
    service: str
    official_email: str
    official_id: str
    official_token: str
    folder: Path
    central_settings: dict[str, Any]
    # The poor link in front of coturn (tests/calls/test_poor_links.py), if there is one.
    link: LinkRelayProcess | None = None
    # The pool's other media servers (tests/calls/test_media_pool.py), if there are any.
    more_media: list[MediaServers] = field(default_factory=list)

    def restart_central(self) -> None:
        """Stops central and starts it again on the same address and database."""
        port = int(self.central.base.rsplit(":", 1)[1])
        self.central.stop()
        self.central = start_central(
            self.central_settings["database_url"],
            host=self.net.outside,
            port=port,
            **{k: v for k, v in self.central_settings.items() if k != "database_url"},
        )


@pytest.fixture(scope="session")
def display():
    """Xvfb for the call's Kivy UI (tests/calls/test_call_ui.py)."""
    from devtools.virtual_display import kivy_display

    with kivy_display() as number:
        yield number


@pytest.fixture(scope="module")
def call_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallWorld]:
    with built_call_world(tmp_path_factory.mktemp("call")) as world:
        yield world


@contextlib.contextmanager
def built_call_world(
    folder: Path, poor_link: bool = False, pool: int = 1, **central_settings: Any
) -> Iterator[CallWorld]:
    """Janus, coturn, central, an organisation with a kiosk and an official. With
    `poor_link`, every participant reaches coturn only through the link relay, and
    UDP around it is dropped: what the relay does to the kiosk's link, media feels.
    `central_settings`: more of central's settings (the ID card's trust anchors). `pool`:
    that many Janus and coturn pairs, as central's pool of media servers."""
    if shutil.which("janus") is None or shutil.which("turnserver") is None:
        pytest.skip("janus and coturn are not installed; ./run test installs them")
    net = create_test_network()
    media = start_media_servers(folder / "media", ip=net.inside, prefix=net.prefix)
    more = [
        start_media_servers(folder / f"media{n}", ip=net.inside, prefix=net.prefix)
        for n in range(2, pool + 1)
    ]
    settings = media.central_settings()
    if more:
        entries = [m.pool_entry(f"janus{n}") for n, m in enumerate([media, *more], start=1)]
        settings["janus_servers"] = json.dumps(entries)
    settings["desk_gone_after_s"] = 6
    settings.update(central_settings)
    link = None
    if poor_link:
        link = start_link_relay(net, media.turn_port, folder / "link")
        settings["turn_urls"] = link.turn_url
    central = start_central(f"sqlite:///{folder}/central.db", host=net.outside, **settings)
    settings["database_url"] = f"sqlite:///{folder}/central.db"
    world: CallWorld | None = None
    try:
        national = add_user(central, "national_admin", None)
        from devtools.builders import sample_catalogue

        ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
        org = make_org(central, national)
        service = service_ids()[0]
        ok(
            central.request(
                "PUT", f"/sites/{org.site_id}/catalogue", national, json={"service_ids": [service]}
            )
        )
        token = org.tokens["official"]
        official = user_id(central, token)
        ok(
            central.request(
                "PUT",
                f"/officials/{official}",
                org.tokens["org_admin"],
                json={"services": [service], "languages": ["fi", "sv", "en"]},
            )
        )
        from central.db.engine import session_scope
        from central.db.models import User

        with session_scope(central.app.state.sessions) as db:
            email = db.get(User, official).email
        world = CallWorld(
            net, media, central, org, service, email, official, token, folder, settings, link, more
        )
        yield world
    finally:
        (world.central if world else central).stop()
        if link is not None:
            link.stop()
        media.stop()
        for other in more:
            other.stop()
        net.remove()


@pytest.fixture(scope="module")
def interpreter(call_world):
    """An interpreter of Arabic, in an interpretation service's organisation (their email)."""
    from central.db.engine import session_scope
    from central.db.models import User

    central = call_world.central
    national = add_user(central, "national_admin", None)
    agency = make_org(central, national, with_kiosk=False, interpretation_service=True)
    agree(central, national, call_world.org.id, agency.id, "interpretation")
    token = add_user(central, "interpreter", agency.id)
    me = user_id(central, token)
    ok(
        central.request(
            "PUT",
            f"/officials/{me}",
            agency.tokens["org_admin"],
            json={"services": [], "languages": ["ar"]},
        )
    )
    with session_scope(central.app.state.sessions) as db:
        return db.get(User, me).email


@pytest.fixture(scope="module")
def expert(call_world):
    """An official of another authority ("TE-palvelut") who serves another service:
    (their email, that service's id, their organisation's id)."""
    from central.db.engine import session_scope
    from central.db.models import User

    central = call_world.central
    national = add_user(central, "national_admin", None)
    authority = make_org(central, national, with_kiosk=False, name="TE-palvelut")
    # Experts come from organisations the official's own has an agreement with.
    agree(central, national, call_world.org.id, authority.id)
    service = next(s for s in service_ids() if s != call_world.service)
    token = add_user(central, "official", authority.id)
    me = user_id(central, token)
    ok(
        central.request(
            "PUT",
            f"/officials/{me}",
            authority.tokens["org_admin"],
            json={"services": [service], "languages": ["fi"]},
        )
    )
    with session_scope(central.app.state.sessions) as db:
        return db.get(User, me).email, service, authority.id


def launch_desk_browser(browser_type: Any, world: Any, camera: str = "official-camera") -> Any:
    """Chromium with a fake camera showing a QR code `camera` (a second one for another
    desk comes from the same Playwright: `chromium.browser_type`)."""
    y4m = desk_y4m(world.folder / f"{camera}.y4m", camera)
    wav = silence_wav(world.folder / "desk.wav")
    return browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_FLAGS,
            f"--use-file-for-fake-video-capture={y4m}",
            f"--use-file-for-fake-audio-capture={wav}",
            # The desk is served over plain http on the test network; a camera is only
            # offered to secure origins, which production's https:// is.
            f"--unsafely-treat-insecure-origin-as-secure={world.central.base}",
            *net_log_flags(),
        ],
    )


def net_log_flags() -> list[str]:
    """Chromium's own log of every request, when PALVELUPISTE_DESK_NETLOG names a file
    (for finding why a desk request failed: the page only ever says "Failed to fetch")."""
    path = os.environ.get("PALVELUPISTE_DESK_NETLOG")
    return [f"--log-net-log={path}", "--net-log-capture-mode=Default"] if path else []


@contextlib.contextmanager
def desk_browser(world: Any) -> Iterator[Any]:
    """The official's Chromium, showing the QR code "official-camera"."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed; ./run test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_desk_browser(playwright.chromium, world)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def chromium(call_world: CallWorld) -> Iterator[Any]:
    with desk_browser(call_world) as browser:
        yield browser


@pytest.fixture
def kiosk(call_world: CallWorld, tmp_path: Path) -> Iterator[Any]:
    """The kiosk's call stack (camera driver reading a QR video + CallSession)."""
    from tests.support.kiosk_side import Kiosk
    from tests.support.media_files import kiosk_video

    running = Kiosk(call_world, kiosk_video(tmp_path / "kiosk.avi"))
    yield running
    running.close()


def open_desk(browser: Any, world: Any, query: str = "lang=en", email: str = "") -> Any:
    """A desk page, logged in as the world's official (or the person with `email`)."""
    page = browser.new_page()
    page.goto(f"{world.central.base}/desk/?{query}")
    page.fill("input[name=email]", email or world.official_email)
    from devtools.central_world import PASSWORD

    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#desk:not([hidden])")
    return page


__all__ = ["CallWorld", "login", "open_desk"]


@pytest.fixture
def pages():
    """Desk pages a test opened: all closed at its end, even when it fails (an open desk
    keeps its official "connected" to the next test's call)."""
    opened = []
    yield opened
    for page in opened:
        if not page.is_closed():
            page.close()


def connected_call(world, browser, kiosk, pages, query="lang=en"):
    page = open_desk(browser, world, query)
    pages.append(page)
    page.click("#set-available")
    kiosk.session.start(world.service, "fi")
    page.wait_for_selector("#queue li button", timeout=10000)
    page.click("#queue li button")
    assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 30), kiosk.view
    assert wait_for(lambda: desk_sees(page, "kiosk-camera"), 30)
    return page


def end(page, kiosk):
    if page.query_selector("#end") and not page.is_hidden("#call"):
        page.click("#end")
    assert wait_for(lambda: kiosk.view.status == "ended", 10)
    page.close()
