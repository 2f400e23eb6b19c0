"""`central eid-keys`: central's keys for an FTN broker, private to central, never
overwritten; the broker sees only their public half."""

from __future__ import annotations

import json
import stat

from central.cli import main
from central.identity.eid.oidc import FtnOidc, OidcSettings


def test_eid_keys_are_written_once_and_only_their_public_half_is_published(tmp_path, capsys):
    path = tmp_path / "ftn-keys.json"
    assert main(["eid-keys", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = json.loads(path.read_text())["keys"]
    assert sorted(k["use"] for k in keys) == ["enc", "sig"] and all("d" in k for k in keys)
    before = path.read_text()
    assert main(["eid-keys", str(path)]) == 2
    assert "exists" in capsys.readouterr().err and path.read_text() == before
    published = FtnOidc(
        OidcSettings("https://ftn.example", "c", str(path), "https://c")
    ).public_keys()
    assert len(published["keys"]) == 2
    assert not any(field in k for k in published["keys"] for field in ("d", "p", "q"))
