"""The state partition's space reserve (kiosk/disk_reserve.py) on this machine's file
system; a really full partition is tested on the booted image (tests/images/test_boot.py)."""

from __future__ import annotations

from kiosk import disk_reserve
from kiosk.store import StateStore


def test_the_reserve_is_set_aside_once_and_given_back_when_the_disk_is_full(tmp_path):
    reserve = tmp_path / disk_reserve.RESERVE_NAME
    assert disk_reserve.set_aside_if_room(tmp_path, 0) is False and not reserve.exists()
    assert disk_reserve.set_aside_if_room(tmp_path, 2) is True
    assert reserve.stat().st_blocks * 512 >= 2 * disk_reserve.MIB  # really allocated
    assert reserve.stat().st_mode & 0o777 == 0o600
    assert disk_reserve.set_aside_if_room(tmp_path, 2) is False  # one is enough

    assert disk_reserve.give_back_if_full(tmp_path) is False  # plenty of room here
    # "Full" as seen from a threshold above this disk's free space.
    assert disk_reserve.give_back_if_full(tmp_path, below_mb=10**12) is True
    assert not reserve.exists()
    assert disk_reserve.give_back_if_full(tmp_path, below_mb=10**12) is False


def test_opening_state_db_gives_the_reserve_back_on_a_full_partition(tmp_path, monkeypatch):
    disk_reserve.set_aside_if_room(tmp_path, 1)
    StateStore(tmp_path / "state.db")
    assert (tmp_path / disk_reserve.RESERVE_NAME).exists()  # room enough: kept
    monkeypatch.setattr(disk_reserve, "GIVE_BACK_BELOW_MB", 10**12)  # as on a full disk
    store = StateStore(tmp_path / "state.db")
    assert not (tmp_path / disk_reserve.RESERVE_NAME).exists()
    store.set_state("probe", {"ok": True})
    assert store.get_state("probe") == {"ok": True}
