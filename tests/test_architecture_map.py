"""docs/architecture.md is the map of the code: every module of the product is on it, in
its own part's section, and every module it names exists. A new module without a line
there fails here, and so does a line left behind by a module that moved."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("contract", "central", "kiosk", "hardware", "provisioning")


def sections() -> dict[str, str]:
    """Each part's section of the map: the `## …` heading that names its folder."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    found = {}
    for block in re.split(r"^## ", doc, flags=re.M)[1:]:
        heading = block.splitlines()[0]
        for part in PARTS:
            if f"(`{part}/`)" in heading:
                found[part] = block
    return found


def modules(part: str) -> list[str]:
    top = ROOT / part
    return sorted(
        str(p.relative_to(top))
        for p in top.rglob("*.py")
        if p.name != "__init__.py" and "migrations" not in p.parts and "__pycache__" not in p.parts
    )


def names(section: str) -> set[str]:
    """Every module path a section names in backticks (`fleet/sites.py`, `ptv/*.py`), less
    references into another part (`central/db/types.py` in the contract's section)."""
    found = set(re.findall(r"`([\w/.]+\.py|[\w/]+/\*\.py)`", section))
    return {n for n in found if not n.startswith(tuple(f"{part}/" for part in PARTS))}


def test_every_part_has_a_section():
    assert set(sections()) == set(PARTS)


def test_every_module_is_on_the_map():
    missing = []
    for part, section in sections().items():
        named = names(section)
        for module in modules(part):
            if not any(module == n or fnmatch.fnmatch(module, n) for n in named):
                missing.append(f"{part}/{module}")
    assert missing == [], "add a line for each to docs/architecture.md"


def test_every_module_the_map_names_exists():
    stale = []
    for part, section in sections().items():
        here = modules(part)
        for name in names(section):
            # A bare file name in a row about a folder ("`ptv/*.py` … `texts.py`") counts
            # when some module of the part has that name.
            if not any(
                m == name or fnmatch.fnmatch(m, name) or m.endswith(f"/{name}") for m in here
            ):
                stale.append(f"{part}/{name}")
    assert stale == [], "docs/architecture.md names modules that are not there"
