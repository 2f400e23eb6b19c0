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

    @property
    def socket_dir(self) -> Path:
        return self.datadir.parent

    def halt(self, mode: str = "fast") -> None:
        """Stop the server and keep its files (`fast`: as an operator stops a primary)."""
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "stop"),
            capture_output=True,
            timeout=60,
        )

    def promote(self) -> None:
        """A standby becomes a primary (pg_ctl promote, waiting until it takes writes)."""
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "promote"),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        self.halt("immediate")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def failover_url(database: str, servers: list[PostgresServer]) -> str:
    """One URL naming every server, of which libpq takes the one that takes writes
    (`target_session_attrs=read-write`): what a central is given beside a standby."""
    hosts = "&".join(f"host={s.socket_dir}:{s.port}" for s in servers)
    return f"postgresql://postgres@/{database}?{hosts}&target_session_attrs=read-write"


def start_standby(primary: PostgresServer, durable: bool = False) -> PostgresServer:
    """A streaming-replication standby of `primary` (pg_basebackup -R), hot: it answers
    reads, refuses writes, and follows the primary until promoted."""
    base = Path(tempfile.mkdtemp(prefix="pgstandby-"))
    datadir = base / "data"
    if primary.run_as:
        pw = pwd.getpwnam(primary.run_as)
        os.chown(base, pw.pw_uid, pw.pw_gid)
    standby = PostgresServer(datadir=datadir, port=primary.port, bindir=primary.bindir,
                             run_as=primary.run_as)  # fmt: skip
    subprocess.run(
        standby._cmd(
            str(primary.bindir / "pg_basebackup"),
            "-D",
            str(datadir),
            "-h",
            str(primary.socket_dir),
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
        ),  # fmt: skip
        check=True,
        capture_output=True,
        timeout=120,
    )
    _start(standby, durable)
    return standby


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
    _start(server, durable)
    return server


def _start(server: PostgresServer, durable: bool) -> None:
    base = server.socket_dir
    options = f"-p {server.port} -k {base} -c listen_addresses='' -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        server._cmd(
            str(server.bindir / "pg_ctl"),
            "-D",
            str(server.datadir),
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
