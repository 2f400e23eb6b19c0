"""What any JSON value that crosses the contract must be, so it can always be stored and read back.

A value that Python's parser accepts can still break a later read: a lone
surrogate (`"\\ud800"`) cannot be encoded as UTF-8, `1e400` parses to
infinity (which PostgreSQL's json refuses and JSON cannot write), and nesting
hundreds deep overflows recursive serialisers. Central checks every body on
the way in, and every usage event on its own; the kiosk checks events before
it queues them.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 32
MAX_STRING = 100_000


class InvalidValue(ValueError):
    """The value cannot be stored as sent; the message says where and why."""


def _check_text(text: str, where: str) -> None:
    if len(text) > MAX_STRING:
        raise InvalidValue(f"{where}: text longer than {MAX_STRING} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidValue(f"{where}: text with a lone surrogate (\\ud800-\\udfff)") from exc


def check_value(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise InvalidValue unless `value` can be stored and read back everywhere.

    Iterative, so a hostile nesting depth cannot exhaust the stack here.
    """
    stack: list[tuple[Any, int, str]] = [(value, 0, "$")]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise InvalidValue(f"{where}: numbers must be finite")
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise InvalidValue(f"{where}: nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(str(key), where)
                    stack.append((child, depth + 1, f"{where}.{printable(str(key), 40)}"))
            else:
                stack.extend((child, depth + 1, f"{where}[{n}]") for n, child in enumerate(item))


def printable(text: str, limit: int = 64) -> str:
    """`text` cut to `limit` and safe to echo back in a UTF-8 answer."""
    return text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")
