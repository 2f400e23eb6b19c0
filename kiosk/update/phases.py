"""The updater's phases and every move between them, in one table (after Mender's update
state machine, which lists each `AddTransition(state, event, next)`).

The journal (journal.py) keeps the few fields a kill or a power cut must not lose; the
phase is read from them and from where the `current` link points (`phase_of`), so a kill
between two writes still lands in exactly one named phase. The updater moves only along
TRANSITIONS (`next_phase` refuses anything else), and the kill test checks that every
kill point lands in a phase `phase_of` knows.

    waiting ──switch──▶ switched ──migrated──▶ migrated ──units started──▶ gate
       ▲                   │                                               │  ▲
       │           migration failed                                  healthy  unhealthy
       │                   ▼                                               ▼  │
    committed ◀─stable long enough── stable ──deadline, UI restarted──▶ rolled back
"""

from __future__ import annotations

from enum import StrEnum

from kiosk.update.journal import Phase, UpdateJournal


class UpdatePhase(StrEnum):
    WAITING = "waiting"  # the committed release runs; no update has ended here yet
    SWITCHED = "switched"  # units stopped, state.db snapshotted; not migrated yet
    MIGRATED = "migrated"  # state.db migrated and `current` moved; the gate not started
    GATE = "gate"  # the new release runs; its health checks do not all hold yet
    STABLE = "stable"  # every check holds; it must go on holding for the stable time
    COMMITTED = "committed"  # the last update was committed; its release runs
    ROLLED_BACK = "rolled_back"  # the last update was rolled back; the one before runs


class UpdateEvent(StrEnum):
    SWITCH = "switch"  # an installed release, a free kiosk, inside the window
    MIGRATED = "migrated"
    MIGRATION_FAILED = "migration_failed"
    UNITS_STARTED = "units_started"
    HEALTHY = "healthy"  # every check holds
    UNHEALTHY = "unhealthy"  # a check stopped holding, before the deadline
    STABLE_LONG_ENOUGH = "stable_long_enough"
    DEADLINE_PASSED = "deadline_passed"
    UI_RESTARTED = "ui_restarted"  # during the stable time: a crash
    RESTARTED = "restarted"  # the kiosk booted with the release not committed
    NOTHING_TO_GO_BACK_TO = "nothing_to_go_back_to"  # a first release: keep it


RESTING = (UpdatePhase.WAITING, UpdatePhase.COMMITTED, UpdatePhase.ROLLED_BACK)
SWITCHED_ON = (UpdatePhase.SWITCHED, UpdatePhase.MIGRATED, UpdatePhase.GATE, UpdatePhase.STABLE)

TRANSITIONS: dict[tuple[UpdatePhase, UpdateEvent], UpdatePhase] = {
    **{(rest, UpdateEvent.SWITCH): UpdatePhase.SWITCHED for rest in RESTING},
    (UpdatePhase.SWITCHED, UpdateEvent.MIGRATED): UpdatePhase.MIGRATED,
    (UpdatePhase.SWITCHED, UpdateEvent.MIGRATION_FAILED): UpdatePhase.ROLLED_BACK,
    (UpdatePhase.MIGRATED, UpdateEvent.UNITS_STARTED): UpdatePhase.GATE,
    (UpdatePhase.GATE, UpdateEvent.HEALTHY): UpdatePhase.STABLE,
    (UpdatePhase.GATE, UpdateEvent.DEADLINE_PASSED): UpdatePhase.ROLLED_BACK,
    (UpdatePhase.STABLE, UpdateEvent.UNHEALTHY): UpdatePhase.GATE,
    (UpdatePhase.STABLE, UpdateEvent.DEADLINE_PASSED): UpdatePhase.ROLLED_BACK,
    (UpdatePhase.STABLE, UpdateEvent.UI_RESTARTED): UpdatePhase.ROLLED_BACK,
    (UpdatePhase.STABLE, UpdateEvent.STABLE_LONG_ENOUGH): UpdatePhase.COMMITTED,
    **{(on, UpdateEvent.RESTARTED): UpdatePhase.ROLLED_BACK for on in SWITCHED_ON},
    # A rollback with no release before this one keeps the new one (rather than nothing).
    **{(on, UpdateEvent.NOTHING_TO_GO_BACK_TO): UpdatePhase.COMMITTED for on in SWITCHED_ON},
}


class UnknownPhase(RuntimeError):
    """The journal's fields fit no phase: a bug, never a state to carry on from."""


class NoSuchMove(RuntimeError):
    """A move TRANSITIONS does not have: a bug in the updater."""


def phase_of(journal: UpdateJournal, current: str | None) -> UpdatePhase:
    """The phase the journal and the `current` link (where it points) say the update is in."""
    if journal.phase == Phase.IDLE:
        if journal.trying is not None or journal.gate_started is not None:
            raise UnknownPhase(f"idle, yet trying {journal.trying}: {journal}")
        return {
            None: UpdatePhase.WAITING,
            "committed": UpdatePhase.COMMITTED,
            "rolled_back": UpdatePhase.ROLLED_BACK,
        }[journal.outcome]
    if journal.phase != Phase.SWITCHED or journal.trying is None:
        raise UnknownPhase(f"phase {journal.phase!r} with trying {journal.trying}")
    if journal.gate_started is None:
        return UpdatePhase.MIGRATED if current == journal.trying else UpdatePhase.SWITCHED
    if journal.stable_since is None:
        return UpdatePhase.GATE
    return UpdatePhase.STABLE


def next_phase(now: UpdatePhase, event: UpdateEvent) -> UpdatePhase:
    try:
        return TRANSITIONS[(now, event)]
    except KeyError:
        raise NoSuchMove(f"no move from {now} on {event}") from None
