"""The box's time zone follows its site's through a link the read-only root's
/etc/localtime points at (kiosk/box_timezone.py), read by glibc itself here."""

from __future__ import annotations

import dataclasses
import os
import subprocess

from devtools.central_world import ok
from kiosk import box_timezone
from tests.kiosk.world import enrolled_agent


def zone_abbreviation(link) -> str:
    """What a program started now takes its zone to be, glibc reading the link."""
    env = {**os.environ, "TZ": f":{link}"}
    return subprocess.run(
        ["date", "-d", "2026-01-15 12:00 UTC", "+%Z"], env=env, capture_output=True, text=True
    ).stdout.strip()


def test_the_link_names_the_zone_and_glibc_reads_it(tmp_path):
    assert box_timezone.current(tmp_path) is None
    assert box_timezone.apply(tmp_path, "Europe/Helsinki")
    assert box_timezone.current(tmp_path) == "Europe/Helsinki"
    assert zone_abbreviation(tmp_path / "localtime") == "EET"
    assert not box_timezone.apply(tmp_path, "Europe/Helsinki")  # already so: untouched
    assert box_timezone.apply(tmp_path, "Europe/Stockholm")
    assert zone_abbreviation(tmp_path / "localtime") == "CET"
    # Nothing outside the tz database, and nothing unknown, moves it.
    for wrong in ("../../../etc/passwd", "Mars/Olympus_Mons", "", "/etc/passwd"):
        assert not box_timezone.apply(tmp_path, wrong)
    assert box_timezone.current(tmp_path) == "Europe/Stockholm"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["localtime"]  # no leftovers


def test_the_agent_sets_the_boxs_zone_to_its_sites(central_site, tmp_path):
    central, org = central_site
    site = ok(
        central.request(
            "POST",
            f"/organisations/{org.id}/sites",
            org.tokens["org_admin"],
            json={"name": "Haaparanta", "timezone": "Europe/Stockholm"},
        ),
        201,
    )
    zone_dir = tmp_path / "zone"
    zone_dir.mkdir()
    at_site = dataclasses.replace(org, site_id=site["id"])
    agent, _ = enrolled_agent(central, at_site, tmp_path / "state", zone_dir=zone_dir)
    agent.sync_all()
    assert box_timezone.current(zone_dir) == "Europe/Stockholm"
    assert zone_abbreviation(zone_dir / "localtime") == "CET"
