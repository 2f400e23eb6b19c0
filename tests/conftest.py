"""Shared fixtures: real databases (SQLite files, a PostgreSQL server) and a running central."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.postgres import PostgresServer, postgres_bindir, start_postgres

# Fixtures every test folder may ask for: `mail` (a real SMTP server on loopback).
pytest_plugins = ["tests.support.mailbox"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if postgres_bindir() is None and not os.environ.get("CI"):
        pytest.skip("PostgreSQL is not installed here; `./run test` installs it")
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, empty database of each kind for every test module that asks."""
    if request.param == "sqlite":
        return migrated_sqlite(tmp_path_factory.mktemp("central") / "central.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


_TEMPLATE: list[Path] = []


def migrated_sqlite(path: Path) -> str:
    """An SQLite database with the whole schema, copied from one this process migrated
    once (central migrates it again on start: a no-op). Migrating each test module's
    database from nothing was a tenth of the fast tier."""
    if not _TEMPLATE:
        from central.db.engine import make_engine
        from central.db.migrate import upgrade

        template = Path(tempfile.mkdtemp(prefix="central-template-")) / "central.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        _TEMPLATE.append(template)
    shutil.copyfile(_TEMPLATE[0], path)
    path.chmod(0o600)
    return f"sqlite:///{path}"


@pytest.fixture
def pcscd():
    """A real pcscd with vsmartcard's virtual reader, one test at a time across workers."""
    from devtools.vpcd_card import pcscd_for_this_test

    with pcscd_for_this_test() as daemon:
        yield daemon


# The fast tier (`./run test -m "not slow"`, under 40 s on 2 cores) leaves out what needs
# a window, a built image, a browser, Janus, real device daemons or release builds: each
# such module says `pytestmark = pytest.mark.slow` itself. Every test on PostgreSQL is slow
# here, since its SQLite twin runs in the fast tier.
#
# `./run test -m "not slow"` passes `--dist loadscope`: a module's tests stay on one
# worker, as they share the module's central and its world, which two workers would
# each build (a tenth of the fast tier's time). The whole run keeps `--dist load`: its
# slow modules are long. (`loadgroup` could mix both, but xdist 3.8 cannot name the
# groups on pytest 9's nodes.)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.id:
            item.add_marker(pytest.mark.slow)
