"""`central release …`: the release repository from the command line.

    central release build --version V --out DIR [--source .] [--no-dependencies] [--base B.tar]
    central release keys --dir KEYS             make root-1..3, targets, snapshot, timestamp
    central release init --repo R --keys KEYS [--threshold 2]
    central release add BUNDLE --repo R --keys KEYS
    central release refresh-timestamp --repo R --keys KEYS
    central release rotate ROLE NEW.pem [NEW.pem …] --repo R --keys KEYS [--threshold N]

`init` needs the root keys (bring them from offline storage for that moment only) and
`add` the targets key; `refresh-timestamp` needs only the timestamp key, which is what
central keeps. Keys are read from KEYS/<role>.pem (root-1.pem, root-2.pem, …).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from securesystemslib.signer import Signer

from central.updates import bundle, keys
from central.updates.repository import ReleaseRepository, sbom_name

ONLINE = ("snapshot", "timestamp")


def add_parser(sub: argparse._SubParsersAction) -> None:
    release = sub.add_parser("release", help="signed releases (TUF) for kiosks")
    actions = release.add_subparsers(dest="release_action", required=True)
    build = actions.add_parser("build", help="build a release bundle for kiosks")
    build.add_argument("--version", required=True)
    build.add_argument("--out", type=Path, required=True)
    build.add_argument("--source", type=Path, default=Path("."))
    build.add_argument(
        "--no-dependencies",
        action="store_true",
        help="leave the locked dependency wheels out (kiosks with a shared dependency layer)",
    )
    build.add_argument("--extra-wheel", type=Path, action="append", default=[])
    build.add_argument(
        "--base",
        type=Path,
        help="the full bundle of the release kiosks run now: build a delta from it too",
    )
    make = actions.add_parser("keys", help="generate the repository's signing keys")
    make.add_argument("--dir", type=Path, required=True)
    make.add_argument("--root-keys", type=int, default=3)
    init = actions.add_parser("init", help="create the repository (needs the root keys)")
    init.add_argument("--threshold", type=int, default=2)
    add = actions.add_parser("add", help="sign and publish a release bundle (targets key)")
    add.add_argument("bundle", type=Path)
    refresh = actions.add_parser("refresh-timestamp", help="sign a new timestamp")
    rotate = actions.add_parser("rotate", help="give a role new keys (needs the root keys)")
    rotate.add_argument("role", choices=["root", "targets", "snapshot", "timestamp"])
    rotate.add_argument("new", type=Path, nargs="+", help="the new key files")
    rotate.add_argument("--threshold", type=int)
    for one in (init, add, refresh, rotate):
        one.add_argument("--repo", type=Path, required=True)
        one.add_argument("--keys", type=Path, required=True)


def run(args: argparse.Namespace) -> int:
    if args.release_action == "build":
        return _build(args)
    if args.release_action == "keys":
        for n in range(1, args.root_keys + 1):
            keys.generate(args.dir / f"root-{n}.pem")
        for role in ("targets", *ONLINE):
            keys.generate(args.dir / f"{role}.pem")
        print(f"keys written to {args.dir}; move the root keys offline now")
        return 0
    repo = ReleaseRepository(args.repo)
    folder = args.keys
    if args.release_action == "init":
        roots: list[Signer] = [keys.load(p) for p in sorted(folder.glob("root-*.pem"))]
        targets, snapshot, timestamp = (
            keys.load(folder / f"{r}.pem") for r in ("targets", *ONLINE)
        )
        repo.create(roots, args.threshold, targets, snapshot, timestamp)
        print(
            f"repository created in {args.repo} with {len(roots)} root keys, "
            f"threshold {args.threshold}"
        )
        return 0
    if args.release_action == "rotate":
        return _rotate(repo, args)
    snapshot, timestamp = (keys.load(folder / f"{role}.pem") for role in ONLINE)
    if args.release_action == "add":
        target = repo.add_release(
            args.bundle, keys.load(folder / "targets.pem"), snapshot, timestamp
        )
        print(
            f"published {args.bundle.name}: {target.length} bytes, sha256 {target.hashes['sha256']}"
        )
        if (args.repo / "targets" / sbom_name(args.bundle.name)).exists():
            print(f"and its SBOM beside it: {sbom_name(args.bundle.name)}")
        return 0
    version = repo.refresh_timestamp(timestamp)
    print(f"timestamp version {version}, valid until {repo.timestamp_expires():%Y-%m-%d %H:%M} UTC")
    return 0


def _rotate(repo: ReleaseRepository, args: argparse.Namespace) -> int:
    """New keys for a role in a new root version, then that role's metadata signed again
    with its new key. KEYS holds the current root keys and the other roles' keys."""
    folder = args.keys
    roots: list[Signer] = [keys.load(p) for p in sorted(folder.glob("root-*.pem"))]
    new: list[Signer] = [keys.load(p) for p in args.new]
    version = repo.rotate(args.role, roots, new, args.threshold)
    current = {role: folder / f"{role}.pem" for role in ("targets", *ONLINE)}
    signer = {
        role: (new[0] if role == args.role else keys.load(path)) for role, path in current.items()
    }
    if args.role == "targets":
        repo.resign_targets(signer["targets"], signer["snapshot"], signer["timestamp"])
    elif args.role == "snapshot":
        repo.publish(signer["snapshot"], signer["timestamp"])
    elif args.role == "timestamp":
        repo.refresh_timestamp(signer["timestamp"])
    print(
        f"root version {version}: {args.role} now has {len(new)} key(s); "
        f"replace {args.role}.pem with the new key where it is used"
    )
    return 0


def _build(args: argparse.Namespace) -> int:
    print(f"building release {args.version} from {args.source.resolve()} (this takes minutes)")

    try:
        built = bundle.build(
            args.source.resolve(),
            args.version,
            args.out,
            with_dependencies=not args.no_dependencies,
            extra_wheels=tuple(args.extra_wheel),
        )
        made_delta = bundle.delta(built.path, args.base, args.out) if args.base else None
    except bundle.BundleError as exc:
        print(f"release build failed: {exc}")
        return 1
    print(f"{built.path}: {built.size / 1e6:.1f} MB, {built.wheels} wheels")
    if made_delta:
        print(f"{made_delta.path}: {made_delta.size / 1e6:.1f} MB, for kiosks on the base release")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m central.updates.cli build …`: the release commands without central's
    server packages, on the box of the kiosk's CPU a bundle is built on (images/build.sh
    --arch arm64 runs it in an emulated arm64 build root)."""
    parser = argparse.ArgumentParser(prog="python -m central.updates.cli")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["release", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
