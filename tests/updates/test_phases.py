"""kiosk/update/phases.py: the journal's fields name exactly one phase, and the updater
can only move along the table."""

from __future__ import annotations

import pytest

from kiosk.update.journal import Phase, UpdateJournal
from kiosk.update.phases import (
    TRANSITIONS,
    NoSuchMove,
    UnknownPhase,
    UpdateEvent,
    UpdatePhase,
    next_phase,
    phase_of,
)


def test_each_journal_reads_as_one_phase():
    switched = UpdateJournal(committed="1", phase=Phase.SWITCHED, trying="2", previous="1")
    assert phase_of(UpdateJournal(committed="1"), "1") is UpdatePhase.WAITING
    assert phase_of(switched, "1") is UpdatePhase.SWITCHED
    assert phase_of(switched, "2") is UpdatePhase.MIGRATED  # current moved, gate not begun
    switched.gate_started = 10.0
    assert phase_of(switched, "2") is UpdatePhase.GATE
    switched.stable_since = 20.0
    assert phase_of(switched, "2") is UpdatePhase.STABLE
    done = UpdateJournal(committed="2", outcome="committed")
    assert phase_of(done, "2") is UpdatePhase.COMMITTED
    assert phase_of(UpdateJournal(committed="1", outcome="rolled_back"), "1") is (
        UpdatePhase.ROLLED_BACK
    )
    with pytest.raises(UnknownPhase):
        phase_of(UpdateJournal(committed="1", trying="2"), "1")  # idle, yet trying
    with pytest.raises(UnknownPhase):
        phase_of(UpdateJournal(committed="1", phase=Phase.SWITCHED), "1")  # trying nothing


def test_only_the_tables_moves_are_allowed():
    assert next_phase(UpdatePhase.GATE, UpdateEvent.HEALTHY) is UpdatePhase.STABLE
    with pytest.raises(NoSuchMove):
        next_phase(UpdatePhase.GATE, UpdateEvent.STABLE_LONG_ENOUGH)  # never without stable
    with pytest.raises(NoSuchMove):
        next_phase(UpdatePhase.WAITING, UpdateEvent.HEALTHY)


def test_every_phase_is_reached_and_every_update_can_end():
    reached = {after for after in TRANSITIONS.values()} | {UpdatePhase.WAITING}
    assert reached == set(UpdatePhase)
    # From every phase an update passes through, some way leads to a resting phase.
    resting = {UpdatePhase.COMMITTED, UpdatePhase.ROLLED_BACK, UpdatePhase.WAITING}
    for phase in set(UpdatePhase) - resting:
        seen, todo = set(), [phase]
        while todo:
            here = todo.pop()
            seen.add(here)
            todo += [a for (b, _), a in TRANSITIONS.items() if b == here and a not in seen]
        assert seen & resting, phase
