#!/usr/bin/env bash
# Writes requirements/{kiosk,central,test}.lock from pyproject.toml: every package pinned
# with the sha256 of each of its files on PyPI (all platforms, so the arm64 bundle builds
# from the same lock). Run after changing a dependency in pyproject.toml; then run
# ./run test and commit the locks. `--upgrade` moves every pin to the newest release;
# without it, pins already in a lock stay where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
command -v "$UV" >/dev/null || { echo "needs uv: python3 -m pip install uv" >&2; exit 2; }
upgrade=()
[ "${1:-}" = "--upgrade" ] && upgrade=(--upgrade)
for set in kiosk central test; do
    extra=()
    [ "$set" != kiosk ] && extra=(--extra "$set")
    "$UV" pip compile pyproject.toml "${extra[@]}" "${upgrade[@]}" --python-version 3.11 \
        --generate-hashes --no-header --quiet --index-url https://pypi.org/simple \
        -o "requirements/$set.lock"
done
