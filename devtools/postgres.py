"""A throwaway PostgreSQL server for tests: real Debian binaries on a loopback port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class PostgresServer:
    datadir: Path
    port: int
    bindir: Path
    run_as: str | None

    def _cmd(self, *args: str) -> list[str]:
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *args]
        return list(args)

    def url(self, database: str) -> str:
        """Over the Unix socket in the server's own folder: no TCP port to race for."""
        return f"postgresql://postgres@/{database}?host={self.datadir.parent}&port={self.port}"

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"
            ),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_postgres(durable: bool = False) -> PostgresServer:
    """Start a private server; tests trade durability for speed, benchmarks keep it."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed; run ./run test, which installs it")
    base = Path(tempfile.mkdtemp(prefix="pgtest-"))
    datadir = base / "data"
    run_as = None
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root; use the postgres account the package made.
        run_as = "postgres"
        pw = pwd.getpwnam(run_as)
        os.chown(base, pw.pw_uid, pw.pw_gid)
    # The socket lives in our own folder, so the usual port number cannot collide.
    server = PostgresServer(datadir=datadir, port=5432, bindir=bindir, run_as=run_as)
    subprocess.run(
        server._cmd(
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {server.port} -k {base} -c listen_addresses='' -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        server._cmd(
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "-l",
            str(base / "log"),
            "start",
        ),
        check=True,
        capture_output=True,
        timeout=90,
    )
    return server
