"""The bootstrap CLI from API.md, run as a real process, and the migrations."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from central.db.engine import make_engine
from central.db.migrate import upgrade
from central.db.models import Base
from devtools.launcher import launch
from tests.support.central_cli import run_cli


def serve(cwd: Path, database: str | None = None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return launch(0, database, cwd=cwd, env=env)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)


@pytest.mark.slow  # central's own processes, a second or more each
def test_serve_with_no_flags_uses_sqlite_in_the_working_directory(tmp_path):
    proc, base = serve(tmp_path)
    try:
        spec = requests.get(f"{base}/api/v1/openapi.json", timeout=5).json()
        assert "/api/v1/kiosk/heartbeat" in spec["paths"]
        assert (tmp_path / "central.db").exists()
        r = requests.get(f"{base}/api/v1/no-such-thing", timeout=5)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    finally:
        stop(proc)


@pytest.mark.slow  # central's own processes, a second or more each
def test_user_create_with_password_stdin_then_login(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    done = run_cli(
        "--database",
        url,
        "user",
        "create",
        "--email",
        "Admin@Example.fi",
        "--role",
        "national_admin",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["email"] == "admin@example.fi"
    proc, base = serve(tmp_path, url)
    try:
        r = requests.post(
            f"{base}/api/v1/auth/login",
            timeout=10,
            json={"email": "admin@example.fi", "password": "a-long-password"},
        )
        assert r.status_code == 200 and r.json()["role"] == "national_admin"
    finally:
        stop(proc)


@pytest.mark.slow  # central's own processes, a second or more each
def test_user_create_mistakes_are_clear(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    no_org = run_cli(
        "--database",
        url,
        "user",
        "create",
        "--email",
        "x@example.fi",
        "--role",
        "org_admin",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    assert no_org.returncode == 2 and "needs --org" in no_org.stderr
    short = run_cli(
        "--database",
        url,
        "user",
        "create",
        "--email",
        "x@example.fi",
        "--role",
        "national_admin",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 2 and "at least 10" in short.stderr
    unknown_org = run_cli(
        "--database",
        url,
        "user",
        "create",
        "--email",
        "x@example.fi",
        "--role",
        "technician",
        "--org",
        "nope",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    assert unknown_org.returncode == 2 and "no organisation" in unknown_org.stderr
    bad_db = run_cli("--database", "postgresql://nobody@127.0.0.1:1/none", "migrate")
    assert bad_db.returncode == 2 and "cannot use the database" in bad_db.stderr
    assert "Traceback" not in bad_db.stderr


@pytest.mark.slow  # central's own processes, a second or more each
def test_import_catalogue_command(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    sample = Path(__file__).parents[2] / "data" / "ptv"  # v11 documents, as PTV serves them
    done = run_cli("--database", url, "import-catalogue", str(sample))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == 40
    again = run_cli("--database", url, "import-catalogue", str(sample))
    assert json.loads(again.stdout)["unchanged"] == 40
    bad = tmp_path / "bad.json"
    bad.write_text('{"services": "not a list"}')
    refused = run_cli("--database", url, "import-catalogue", str(bad))
    assert refused.returncode == 2 and "services must be a list" in refused.stderr


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_match_the_models_and_rerun_cleanly(kind, tmp_path, request):
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/m.db"
    else:
        url = request.getfixturevalue("postgres").create_database()
    engine = make_engine(url)
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"
