"""`central` command line: serve the API and bootstrap users (API.md "Bootstrap")."""

from __future__ import annotations

import argparse
import getpass
import json
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from central.access.policy import ROLES
from central.access.security import hash_password
from central.db.engine import DEFAULT_DATABASE_URL, make_engine, make_session_factory, session_scope
from central.db.migrate import upgrade
from central.db.models import AccessToken, Kiosk, Organisation, User
from central.updates import cli as release_cli
from contract.roles import Role


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="central", description="Palvelupiste central server")
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE_URL,
        help="SQLAlchemy URL: sqlite:///path/central.db (default) or postgresql://user@host/db",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="create or migrate the schema, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, help="worker processes (uvicorn); default CENTRAL_WORKERS or 1"
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--fd",
        type=int,
        help="serve on this already bound socket (systemd socket activation, test harnesses)",
    )

    migrate = sub.add_parser("migrate", help="create or migrate the schema and exit")
    migrate.set_defaults()

    user = sub.add_parser("user", help="manage people and systems")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument(
        "--org", dest="org_id", help="organisation id (all roles but national_admin)"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    for name, text in (
        ("disable", "disable a user: their tokens stop working, their history stays"),
        ("enable", "let a disabled user log in again"),
        ("unlock", "clear the login locks of a user (after too many wrong passwords)"),
        ("logout", "end every session of a user now; they can log in again"),
        ("password", "set a user's password (read from standard input); ends their sessions"),
    ):
        one = user_sub.add_parser(name, help=text)
        one.add_argument("--email", required=True)
    user_sub.add_parser("list", help="list users as JSON lines")

    kiosk = sub.add_parser("kiosk", help="manage kiosks")
    kiosk_sub = kiosk.add_subparsers(dest="kiosk_command", required=True)
    for name, text in (
        ("retire", "retire a kiosk: token revoked, hardware id released, history kept"),
        (
            "revoke-token",
            "lock a kiosk out now (stolen, disk copied); enrolling it again lets it in",
        ),
    ):
        one = kiosk_sub.add_parser(name, help=text)
        one.add_argument("--id", dest="kiosk_id", required=True)

    retention = sub.add_parser("retention", help="apply the retention limits now")
    retention.add_argument("action", choices=["apply"])

    imp = sub.add_parser(
        "import-catalogue",
        help="import a PTV JSON file, or a directory of v11 documents (docs/ptv.md)",
    )
    imp.add_argument("file", type=Path)

    ptv = sub.add_parser("ptv", help="the PTV Open API")
    ptv_sub = ptv.add_subparsers(dest="ptv_command", required=True)
    sync = ptv_sub.add_parser("sync", help="fetch an organisation's services from PTV now")
    sync.add_argument("--api", required=True, help="e.g. https://api.palvelutietovaranto.suomi.fi")
    sync.add_argument("--organization", required=True, help="the PTV organisation id")
    sync.add_argument("--full", action="store_true", help="join every service, not only changed")
    sync.add_argument("--api-key", default=None, help="for versions that need one (v12)")
    sync.add_argument("--api-version", default="v11")
    sync.add_argument(
        "--retry-pause",
        type=float,
        default=1.0,
        help="seconds before the first retry of a failed request, doubled each try (default 1)",
    )
    keys = sub.add_parser(
        "eid-keys",
        help="write central's private keys for an FTN broker (a JWKS file, mode 0600)",
    )
    keys.add_argument("file", type=Path)
    release_cli.add_parser(sub)
    return parser


def _fail(message: str) -> int:
    print(f"central: {message}", file=sys.stderr)
    return 2


class UserError(ValueError):
    """A mistake in what the operator asked for; the message says what to fix."""


def create_user(database: str, email: str, role: str, org_id: str | None, password: str) -> dict:
    """Create a person or system account (used by the CLI and the demo)."""
    if role not in ROLES:
        raise UserError(f"unknown role {role}; use one of {', '.join(ROLES)}")
    if role == Role.NATIONAL_ADMIN and org_id:
        raise UserError("a national_admin belongs to no organisation; leave out --org")
    if role != Role.NATIONAL_ADMIN and not org_id:
        raise UserError(f"a {role} needs --org ORG_ID")
    if len(password) < 10:
        raise UserError("the password must be at least 10 characters")
    from central.api.auth import normalise_email

    with database_session(database) as db:
        if org_id and db.get(Organisation, org_id) is None:
            raise UserError(f"no organisation {org_id}")
        email = normalise_email(email)
        if db.scalar(select(User.id).where(User.email == email)):
            raise UserError(f"a user {email} exists already")
        user = User(email=email, password_hash=hash_password(password), role=role, org_id=org_id)
        db.add(user)
        db.flush()
        return {"id": user.id, "email": email, "role": role, "org_id": org_id}


@contextmanager
def database_session(database: str) -> Iterator[Session]:
    """One unit of work on a migrated database, for a command that runs once and exits."""
    engine = make_engine(database)
    try:
        upgrade(engine)
        with session_scope(make_session_factory(engine)) as db:
            yield db
    finally:
        engine.dispose()


def manage_user(database: str, command: str, email: str, password: str | None = None) -> str:
    """disable / enable / unlock / password for one user; returns what was done."""
    from central.access import login_throttle
    from central.api.auth import normalise_email
    from central.api.users import set_disabled

    email = normalise_email(email)
    with database_session(database) as db:
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            raise UserError(f"no user {email}")
        if command in ("disable", "enable"):
            set_disabled(db, user, command == "disable")
            return f"{email} {command}d"
        if command == "logout":
            db.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
            return f"{email}: every session ended"
        if command == "unlock":
            return f"{email}: {login_throttle.clear(db, email, None)} lock(s) cleared"
        if password is None or len(password) < 10:
            raise UserError("the password must be at least 10 characters")
        user.password_hash = hash_password(password)
        db.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
        return f"{email}: password set; their sessions ended"


def _manage_user(args: argparse.Namespace) -> int:
    if args.user_command == "create":
        return _create_user(args)
    if args.user_command == "list":
        with database_session(args.database) as db:
            for user in db.scalars(select(User).order_by(User.email)):
                row: dict[str, Any] = {"id": user.id, "email": user.email, "role": user.role}
                row |= {"org_id": user.org_id, "disabled": user.disabled_at is not None}
                print(json.dumps(row))
        return 0
    password = None
    if args.user_command == "password":
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        print(manage_user(args.database, args.user_command, args.email, password))
    except UserError as exc:
        return _fail(str(exc))
    return 0


def _manage_kiosk(args: argparse.Namespace) -> int:
    from central.api.fleet import retire, revoke_device_token

    with database_session(args.database) as db:
        kiosk = db.get(Kiosk, args.kiosk_id)
        if kiosk is None:
            return _fail(f"no kiosk {args.kiosk_id}")
        if args.kiosk_command == "retire":
            retire(db, kiosk)
            print(f"kiosk {kiosk.id} retired")
        else:
            revoke_device_token(kiosk)
            print(f"kiosk {kiosk.id}: device token revoked; enrol it again to let it back")
        return 0


def _apply_retention(args: argparse.Namespace) -> int:
    from central.settings import Settings
    from central.usage import retention

    with database_session(args.database) as db:
        print(json.dumps(retention.apply(db, Settings(database_url=args.database))))
    return 0


def _create_user(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
    try:
        created = create_user(args.database, args.email, args.role, args.org_id, password)
    except UserError as exc:
        return _fail(str(exc))
    print(json.dumps(created))
    return 0


def _import_catalogue(args: argparse.Namespace) -> int:
    from central.api.catalogue import import_documents
    from central.ptv import InvalidService, read, read_directory

    try:
        if args.file.is_dir():
            documents = read_directory(args.file)
        else:
            documents = read(json.loads(args.file.read_text(encoding="utf-8")))
    except (OSError, ValueError, InvalidService) as exc:
        return _fail(f"cannot read {args.file}: {exc}")
    with database_session(args.database) as db:
        result = import_documents(db, documents)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _ptv_sync(args: argparse.Namespace) -> int:
    from central.ptv.client import PtvClient, PtvError
    from central.ptv.sync import sync_organisation

    try:
        client = PtvClient(
            args.api,
            version=args.api_version,
            api_key=args.api_key,
            backoff_s=args.retry_pause,
        )
        with database_session(args.database) as db:
            result = sync_organisation(db, client, args.organization, full=args.full)
    except PtvError as exc:
        return _fail(f"PTV could not be read, nothing changed: {exc}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from central.settings import Settings

    engine = make_engine(args.database)
    upgrade(engine)
    engine.dispose()
    os.environ["CENTRAL_DATABASE"] = args.database
    workers = args.workers or Settings().workers
    if args.fd is None:
        uvicorn.run(
            "central.asgi:app",
            host=args.host,
            port=args.port,
            workers=workers,
            log_level=args.log_level,
            proxy_headers=True,
        )
        return 0
    # uvicorn's own --fd takes every socket for a Unix one, so TCP connections would get no
    # TCP_NODELAY and Nagle's delay (measured: heartbeat throughput 0.5-0.7x). Wrapping the
    # fd here lets Python read its real family; then the same supervisor as uvicorn.run.
    from uvicorn.supervisors import Multiprocess

    sock = socket.socket(fileno=args.fd)
    config = uvicorn.Config(
        "central.asgi:app", workers=workers, log_level=args.log_level, proxy_headers=True
    )
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
    return 0


def _eid_keys(path: Path) -> int:
    """New keys never overwrite old ones: the broker knows the old ones' public half."""
    from central.identity.eid.oidc import new_keys

    if path.exists():
        return _fail(f"{path} exists; move it away first (the broker trusts its keys)")
    path.touch(mode=0o600)
    path.write_text(json.dumps(new_keys(), indent=2))
    print(f"wrote {path}: set CENTRAL_FTN_KEYS={path}; the broker reads the public")
    print("keys from https://<central>/eid/oidc/jwks")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "migrate":
            upgrade(make_engine(args.database))
            print("schema is up to date")
            return 0
        if args.command == "import-catalogue":
            return _import_catalogue(args)
        if args.command == "ptv":
            return _ptv_sync(args)
        if args.command == "kiosk":
            return _manage_kiosk(args)
        if args.command == "retention":
            return _apply_retention(args)
        if args.command == "release":
            return release_cli.run(args)
        if args.command == "eid-keys":
            return _eid_keys(args.file)
        return _manage_user(args)
    except OperationalError as exc:
        return _fail(f"cannot use the database {args.database}: {exc.orig}")


if __name__ == "__main__":
    sys.exit(main())
