"""Asking central from the UI (off the main loop) for what cannot wait for the agent's
next sync: one way to turn "no token", "no answer" and central's refusals into the kind
of error a screen turns into a sentence (kiosk/appointments.py, kiosk/payments.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from kiosk.agent.client import CentralClient, CentralRejected, CentralUnavailable

log = logging.getLogger("kiosk.central_line")
E = TypeVar("E", bound=Exception)


def ask(
    client: Callable[[], CentralClient | None],
    method: str,
    path: str,
    timeout: tuple[float, float],
    kinds: dict[str, str],
    error: Callable[[str, str], E],
    **kw: Any,
) -> Any:
    """Central's JSON answer; `error(kind, detail)` raised otherwise: "offline" when
    not enrolled or central does not answer, `kinds[code]` for central's refusal (else
    "refused")."""
    found = client()
    if found is None:
        raise error("offline", "not enrolled")
    try:
        return found.json(method, path, timeout=timeout, **kw)
    except CentralUnavailable as exc:
        log.info("%s %s: central did not answer: %s", method, path, exc)
        raise error("offline", str(exc)) from exc
    except CentralRejected as exc:
        raise error(kinds.get(exc.code, "refused"), exc.code) from exc
