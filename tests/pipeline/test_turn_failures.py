"""Failing dialogue steps in the turn machine: one is apologised for, the second in a row ends the call."""

from __future__ import annotations

from dialogue.actions import Expect, ExpectKind, HangUp, Outcome, OutcomeKind, Say, Transfer
from dialogue.events import CallerSaid, NoInput
from voicebot.pipeline.turn_events import (
    Apologise,
    CancelTimer,
    Effect,
    Finish,
    GiveUp,
    Signal,
    SignalKind,
    StepFailed,
    Stepped,
    Timer,
    TurnEvent,
)
from voicebot.pipeline.turn_state import TurnState, turn_step

LISTENING = TurnState(called=True, listening=True, expect=ExpectKind.FREE)
ENDING = (Say("Désolé."), Say("Au revoir."), HangUp(Outcome(OutcomeKind.GOODBYE)))
"""What the adapter feeds back after `GiveUp` (the dialogue's `cannot_go_on`)."""


def _run(state: TurnState, events: list[TurnEvent]) -> tuple[TurnState, list[list[Effect]]]:
    steps = []
    for event in events:
        state, effects = turn_step(state, event)
        steps.append(effects)
    return state, steps


def test_two_failed_steps_in_a_row_end_the_call_without_a_third_apology() -> None:
    spoken = [Signal(SignalKind.BOT_STARTED), Signal(SignalKind.BOT_STOPPED)]
    state, (first, *_, second) = _run(
        LISTENING, [StepFailed(CallerSaid("oui")), *spoken, StepFailed(CallerSaid("oui"))]
    )
    assert Apologise() in first
    assert second == [CancelTimer(Timer.NO_INPUT), GiveUp()]
    assert not state.listening  # nobody waits for an answer any more
    state, (performed, *_, heard) = _run(
        state,
        [Stepped(ENDING), *spoken, *spoken],
    )
    assert state.terminal == ENDING[-1]
    assert not any(isinstance(e, Apologise) for e in performed)
    assert Finish(ENDING[-1]) in heard  # the last words heard, the call ends
    assert state.ended


def test_a_step_that_returns_resets_the_count() -> None:
    question = (Say("Quel jour ?"), Expect(ExpectKind.DATE))
    state, steps = _run(
        LISTENING,
        [StepFailed(CallerSaid("oui")), Stepped(question), StepFailed(NoInput()), Stepped(question)],
    )
    assert Apologise() in steps[2]  # a failure after a step that worked is a first one again
    assert not any(isinstance(e, GiveUp) for effects in steps for e in effects)
    assert state.failed_steps == 0


def test_after_the_end_a_failure_gives_up_nothing() -> None:
    away = Transfer("+33100000000", Outcome(OutcomeKind.TRANSFERRED))
    state = TurnState(called=True, terminal=away, failed_steps=1)
    assert turn_step(state, StepFailed(CallerSaid("oui"))) == (state, [])
