"""What a caller turn carries besides its words: barge-in, alternatives, unsureness; and the answers hint.

Sequences of turn events through the pure `turn_step` (no pipecat, no clock), as the adapter feeds them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialogue.actions import Expect, ExpectKind, Say
from dialogue.events import CallerSaid, Event
from voicebot.pipeline.turn_events import (
    Heard,
    Hint,
    QueueStep,
    Signal,
    SignalKind,
    Stepped,
    Timer,
    TimerFired,
    TurnEvent,
)
from voicebot.pipeline.turn_heard import after_interruption, join_alternatives
from voicebot.pipeline.turn_state import TurnState, turn_step

LISTENING = TurnState(called=True, listening=True, expect=ExpectKind.FREE)
READ_BACK = Stepped(
    (
        Say("Mardi 8 décembre à 10 h 30 avec le docteur Martin."),
        Say("C'est bien ça ?"),
        Expect(ExpectKind.YES_NO, ("oui", "non")),
    )
)
"""A read-back in two sentences (two `Speak`s), then a yes/no question."""

BOT_STARTED, BOT_STOPPED = Signal(SignalKind.BOT_STARTED), Signal(SignalKind.BOT_STOPPED)
VOICE, QUIET = Signal(SignalKind.VOICE_STARTED), Signal(SignalKind.VOICE_STOPPED)
TURN, TURN_END, MARKED = (
    Signal(SignalKind.TURN_STARTED),
    Signal(SignalKind.TURN_STOPPED),
    Signal(SignalKind.TURN_MARKED),
)
INTERRUPTED = Signal(SignalKind.INTERRUPTED)


def run(events: list[TurnEvent], state: TurnState = LISTENING) -> tuple[TurnState, list[Event]]:
    """Feed `events` in order; the state after them and the dialogue events queued."""
    queued: list[Event] = []
    for event in events:
        state, effects = turn_step(state, event)
        queued += [effect.event for effect in effects if isinstance(effect, QueueStep)]
    return state, queued


def answer(text: str, voice: int) -> list[TurnEvent]:
    """The caller's words of the `voice`-th voice of the call: the turn (which interrupts the bot), then its
    transcription and marker."""
    return [TURN, INTERRUPTED, TURN_END, Heard(text, 0.9, voice=voice), MARKED]


def said(events: list[TurnEvent]) -> CallerSaid:
    _, queued = run(events)
    turns = [event for event in queued if isinstance(event, CallerSaid)]
    assert len(turns) == 1
    return turns[0]


def test_a_yes_said_over_the_read_back_barged_in() -> None:
    events = [READ_BACK, BOT_STARTED, VOICE, QUIET, *answer("oui", 1), BOT_STOPPED]
    assert said(events) == CallerSaid("oui", 0.9, barged_in=True)


def test_a_yes_said_into_the_pause_between_two_sentences_barged_in() -> None:
    # the first sentence ended (BOT_STOPPED) while the question is still queued
    events = [READ_BACK, BOT_STARTED, BOT_STOPPED, VOICE, QUIET, *answer("oui", 1)]
    assert said(events).barged_in


def test_a_yes_said_before_the_first_sentence_played_barged_in() -> None:
    events = [READ_BACK, VOICE, QUIET, *answer("oui", 1)]
    assert said(events).barged_in


def test_a_yes_after_the_read_back_was_heard_in_full_did_not() -> None:
    events = [READ_BACK, BOT_STARTED, BOT_STOPPED, BOT_STARTED, BOT_STOPPED, VOICE, QUIET, *answer("oui", 1)]
    assert said(events) == CallerSaid("oui", 0.9, barged_in=False)


def test_a_barged_in_voice_whose_words_arrive_after_the_bot_finished_still_barged_in() -> None:
    # "oui" over the end of the question: the bot stops while the recogniser still works
    events = [READ_BACK, BOT_STARTED, BOT_STOPPED, BOT_STARTED, VOICE, BOT_STOPPED, QUIET, *answer("oui", 1)]
    assert said(events).barged_in


def test_a_cough_over_the_question_does_not_make_the_answer_after_it_a_barge_in() -> None:
    # voice 1 (a cough) gives no words; the answer is voice 2, after the question
    events: list[TurnEvent] = [
        READ_BACK,
        BOT_STARTED,
        VOICE,
        QUIET,
        BOT_STOPPED,
        BOT_STARTED,
        BOT_STOPPED,
        VOICE,
        QUIET,
    ]
    assert not said([*events, *answer("oui", 2)]).barged_in


def test_words_of_a_barged_in_voice_count_even_when_the_next_voice_started_first() -> None:
    # voice 1 over the question, voice 2 after it; voice 1's words arrive once voice 2 began
    events: list[TurnEvent] = [READ_BACK, BOT_STARTED, BOT_STOPPED, BOT_STARTED, VOICE, QUIET, BOT_STOPPED, VOICE]
    events += [TURN, QUIET]
    events += [Heard("oui", voice=1), Heard("c'est ça", voice=2), TURN_END, MARKED]
    turn = said(events)
    assert turn.text == "oui c'est ça" and turn.barged_in


def test_barge_in_is_per_turn() -> None:
    state, _ = run([READ_BACK, BOT_STARTED, VOICE, QUIET, *answer("oui", 1), BOT_STOPPED])
    assert state.unheard == () and state.barged_voices == () and not state.barged_in
    state, _ = run([Stepped((Say("Et votre nom ?"), Expect(ExpectKind.NAME))), BOT_STARTED, BOT_STOPPED], state)
    _, queued = run([VOICE, QUIET, *answer("Dupont", 2)], state)
    assert queued == [CallerSaid("Dupont", 0.9)]


def test_a_turn_started_in_the_pause_drops_the_queued_question() -> None:
    # pipecat interrupts: the unsaid question will never end, so the next question is timed on its own
    state, _ = run([READ_BACK, BOT_STARTED, BOT_STOPPED, VOICE, TURN])
    assert state.unheard == (True,)
    state, _ = run([INTERRUPTED], state)
    assert state.unheard == ()


def test_speech_that_cannot_be_interrupted_still_ends() -> None:
    notice = Stepped((Say("Bonjour.", interruptible=False), Say("Notice.", interruptible=False), Say("Question ?")))
    state, _ = run([notice, BOT_STARTED, VOICE, TURN, INTERRUPTED])
    assert state.unheard == (False, False)  # the one playing, and the notice queued behind it
    state, _ = run([BOT_STOPPED, BOT_STARTED, BOT_STOPPED], state)
    assert state.unheard == ()


def test_silence_clears_speech_never_reported() -> None:
    state, queued = run([TimerFired(Timer.NO_INPUT)], replace(LISTENING, unheard=(True,)))
    assert state.unheard == () and len(queued) == 1


@pytest.mark.parametrize(
    ("unheard", "bot_speaking", "left"),
    [
        ((True, False, True), True, (True, False)),
        ((True, False, True), False, (False,)),
        ((), False, ()),
    ],
)
def test_after_interruption(unheard: tuple[bool, ...], bot_speaking: bool, left: tuple[bool, ...]) -> None:
    assert after_interruption(unheard, bot_speaking) == left


def test_alternatives_and_unsureness_reach_the_dialogue() -> None:
    events: list[TurnEvent] = [VOICE, QUIET, TURN, TURN_END]
    events += [Heard("le premier", 0.6, ("le dernier", "le deuxième"), unsure=True, voice=1), MARKED]
    assert said(events) == CallerSaid("le premier", 0.6, ("le dernier", "le deuxième"), unsure=True)


def test_a_turn_of_two_transcriptions_changes_one_part_at_a_time() -> None:
    events: list[TurnEvent] = [VOICE, QUIET, VOICE, QUIET, TURN, TURN_END]
    events += [Heard("je voudrais voir", 0.9, voice=1)]
    events += [Heard("le docteur Martin", 0.5, ("le docteur Martine", "le docteur Marton"), unsure=True, voice=2)]
    turn = said([*events, MARKED])
    assert turn.text == "je voudrais voir le docteur Martin"
    assert turn.alternatives == ("je voudrais voir le docteur Martine", "je voudrais voir le docteur Marton")
    assert turn.unsure and turn.confidence == 0.5


def test_a_sure_part_does_not_make_an_unsure_turn_sure() -> None:
    events: list[TurnEvent] = [VOICE, QUIET, VOICE, QUIET, TURN, TURN_END]
    events += [Heard("Dupont", unsure=True, voice=1), Heard("Jean", voice=2), MARKED]
    assert said(events).unsure


@pytest.mark.parametrize(
    ("parts", "alternatives", "joined"),
    [
        (("oui",), (("houi", "oui", "non"),), ("houi", "non")),  # the text itself is not an alternative
        (("a", "b"), (("a1", "a2"), ("b1",)), ("a1 b", "a b1", "a2 b")),  # best of each part first
        (("a", "b"), ((), ("b1", "b2")), ("a b1", "a b2")),
        (("a",), ((),), ()),
    ],
)
def test_join_alternatives(
    parts: tuple[str, ...], alternatives: tuple[tuple[str, ...], ...], joined: tuple[str, ...]
) -> None:
    assert join_alternatives(parts, alternatives) == joined


def test_the_expected_answers_are_published() -> None:
    _, effects = turn_step(LISTENING, READ_BACK)
    assert Hint(ExpectKind.YES_NO, ("oui", "non")) in effects
