"""Kivy's data directory with only the widget rules the kiosk uses.

Kivy parses its whole `style.kv` (74 rules, 1,340 lines, for file choosers,
settings panels, colour pickers...) when `kivy.lang` is first imported: about
0.12 s of a 0.5 s cold start. The kiosk uses a handful of Kivy's widgets, so
`KIVY_DATA_DIR` points at a copy of Kivy's data directory (symlinks) whose
`style.kv` keeps only the rules for those. It is made once per Kivy install
and rebuilt when Kivy's own style.kv changes. `KIVY_RULES` must name every
Kivy widget class the screens use; tests/kiosk/ui checks it against a UI with
every screen loaded.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

# Kivy classes with a rule in style.kv that the kiosk's widgets are or derive from.
KIVY_RULES = frozenset(
    {"Label", "Image", "RelativeLayout", "StencilView", "ScrollView", "ScreenManager", "ModalView"}
)
_RULE_START = re.compile(r"(?m)^(?=<)")


def kivy_package_dir() -> Path:
    """Kivy's package directory, found without importing Kivy (which reads its config)."""
    spec = importlib.util.find_spec("kivy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("Kivy is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def rule_classes(header: str) -> set[str]:
    """Class names a rule applies to: `<-Button,-ToggleButton>:` gives Button and ToggleButton."""
    names = header.strip().split(">", 1)[0].lstrip("<")
    return {name.strip().lstrip("-").split("@", 1)[0] for name in names.split(",") if name.strip()}


def rules(style: str) -> tuple[str, list[str]]:
    """A kv file's text before its first rule, and its rules (each from its `<...>` line)."""
    blocks = _RULE_START.split(style)
    return blocks[0], blocks[1:]


def ruled_classes(style: str) -> set[str]:
    """Every class that some rule of `style` applies to."""
    return set().union(*(rule_classes(rule.splitlines()[0]) for rule in rules(style)[1]))


def trimmed_style(full: str, keep: frozenset[str] = KIVY_RULES) -> str:
    """The rules of `full` whose classes are in `keep`, after all of its `#:` directives
    (a directive applies to the whole file wherever it stands)."""
    header, all_rules = rules(full)
    directives = [
        line + "\n"
        for rule in all_rules
        for line in rule.splitlines()
        if line.startswith("#:") and line + "\n" not in header
    ]
    kept = [rule for rule in all_rules if rule_classes(rule.splitlines()[0]) & keep]
    return header + "".join(directives) + "\n" + "".join(kept)


def prepare(home: Path) -> Path | None:
    """The trimmed data directory under `home` (made or refreshed), or None to use Kivy's own.

    None when it cannot be written (a read-only home): start-up is slower, nothing else.
    """
    source = kivy_package_dir() / "data"
    style = source / "style.kv"
    target = home / "data"
    stamp_file = target / ".source"
    status = style.stat()
    stamp = f"{style}:{status.st_size}:{status.st_mtime_ns}"
    try:
        if stamp_file.exists() and stamp_file.read_text(encoding="utf-8") == stamp:
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for entry in source.iterdir():
            if entry.name != "style.kv":
                (target / entry.name).symlink_to(entry)
        (target / "style.kv").write_text(
            trimmed_style(style.read_text(encoding="utf-8")), encoding="utf-8"
        )
        stamp_file.write_text(stamp, encoding="utf-8")  # last: a half-made directory is redone
    except OSError as exc:
        log.warning("using Kivy's full style rules (cannot write %s: %s)", target, exc)
        return None
    return target
