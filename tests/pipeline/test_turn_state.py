"""Turn-taking on its own: one row per transition of `turn_step`, no pipecat, no clock, no event loop."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from dialogue.actions import Expect, ExpectKind, HangUp, Outcome, OutcomeKind, Say, Transfer
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, KeypadPressed, NoInput
from voicebot.pipeline.turn_events import (
    Apologise,
    ArmTimer,
    CallBegan,
    CancelTimer,
    Effect,
    Finish,
    Forward,
    Heard,
    Hint,
    KeyPressed,
    QueueMarker,
    QueueStep,
    RunStep,
    Signal,
    SignalKind,
    Speak,
    StepDue,
    StepFailed,
    Stepped,
    Timer,
    TimerFired,
    TurnEvent,
)
from voicebot.pipeline.turn_state import Timings, TurnState, turn_end_wait, turn_step

T = Timings(no_input=7.0, orphan=0.4, key_pause=2.5, goodbye=30.0)
BYE = HangUp(Outcome(OutcomeKind.GOODBYE))
AWAY = Transfer("+33100000000", Outcome(OutcomeKind.TRANSFERRED))
SAID = CallerSaid("bonjour")


def S(**fields: object) -> TurnState:
    return replace(TurnState(timings=T), **fields)  # type: ignore[arg-type]


LISTENING = S(called=True, listening=True, expect=ExpectKind.FREE)
NO_INPUT = CancelTimer(Timer.NO_INPUT)
KEYS = CancelTimer(Timer.KEYS)
ALL_TIMERS = [CancelTimer(Timer.NO_INPUT), CancelTimer(Timer.KEYS), CancelTimer(Timer.GOODBYE)]
SILENCE = ArmTimer(Timer.NO_INPUT, 7.0)
ORPHAN = ArmTimer(Timer.NO_INPUT, 0.4)


def sig(kind: SignalKind) -> Signal:
    return Signal(kind)


ROWS: list[tuple[str, TurnState, TurnEvent, TurnState, list[Effect]]] = [
    # the call
    ("answered", S(), CallBegan("+33612345678"), S(called=True), [Forward(), QueueStep(CallStarted("+33612345678"))]),
    # transcriptions
    ("words are kept", LISTENING, Heard(" bonjour "), replace(LISTENING, heard=("bonjour",)), [NO_INPUT]),
    ("blank words are not", LISTENING, Heard("  "), LISTENING, [NO_INPUT]),
    (
        "confidence is kept",
        LISTENING,
        Heard("oui", 0.8),
        replace(LISTENING, heard=("oui",), confidences=(0.8,)),
        [NO_INPUT],
    ),
    (
        "a late transcription answers the ended turn, least confidence",
        replace(LISTENING, heard=("je voudrais",), confidences=(0.9,), awaiting_text=True),
        Heard("un rendez-vous", 0.5),
        LISTENING,
        [NO_INPUT, QueueStep(CallerSaid("je voudrais un rendez-vous", 0.5))],
    ),
    (
        "an empty late transcription still answers",
        replace(LISTENING, awaiting_text=True),
        Heard(""),
        LISTENING,
        [NO_INPUT, QueueStep(CallerSaid("", None))],
    ),
    # the VAD
    (
        "a voice stops the silence",
        LISTENING,
        sig(SignalKind.VOICE_STARTED),
        replace(LISTENING, voice=True, voices=1),
        [
            NO_INPUT,
            Forward(),
        ],
    ),
    (
        "silence after a voice",
        replace(LISTENING, voice=True),
        sig(SignalKind.VOICE_STOPPED),
        LISTENING,
        [
            SILENCE,
            Forward(),
        ],
    ),
    (
        "words outside a turn are answered sooner",
        replace(LISTENING, voice=True, heard=("oui",)),
        sig(SignalKind.VOICE_STOPPED),
        replace(LISTENING, heard=("oui",)),
        [ORPHAN, Forward()],
    ),
    ("no silence timer while not listening", S(voice=True), sig(SignalKind.VOICE_STOPPED), S(), [Forward()]),
    (
        "no silence timer inside a turn",
        replace(LISTENING, voice=True, user_turn=True),
        sig(SignalKind.VOICE_STOPPED),
        replace(LISTENING, user_turn=True),
        [Forward()],
    ),
    # the caller's turn
    (
        "turn starts",
        replace(LISTENING, awaiting_text=True),
        sig(SignalKind.TURN_STARTED),
        replace(LISTENING, user_turn=True),
        [NO_INPUT, Forward()],
    ),
    (
        "turn stops: a marker behind the words",
        replace(LISTENING, user_turn=True),
        sig(SignalKind.TURN_STOPPED),
        LISTENING,
        [
            Forward(),
            QueueMarker(),
        ],
    ),
    (
        "marker reached with words",
        replace(LISTENING, heard=("bonjour",)),
        sig(SignalKind.TURN_MARKED),
        LISTENING,
        [QueueStep(SAID)],
    ),
    (
        "marker reached before the words",
        LISTENING,
        sig(SignalKind.TURN_MARKED),
        replace(LISTENING, awaiting_text=True),
        [SILENCE],
    ),
    # keys
    ("a menu key at once", LISTENING, KeyPressed("1"), LISTENING, [NO_INPUT, KEYS, QueueStep(KeypadPressed("1"))]),
    (
        "digits are gathered",
        replace(LISTENING, expect=ExpectKind.DIGITS),
        KeyPressed("0"),
        replace(LISTENING, expect=ExpectKind.DIGITS, keys="0"),
        [NO_INPUT, KEYS, ArmTimer(Timer.KEYS, 2.5)],
    ),
    (
        "# ends the digits",
        replace(LISTENING, expect=ExpectKind.DATE, keys="0505"),
        KeyPressed("#"),
        replace(LISTENING, expect=ExpectKind.DATE),
        [NO_INPUT, KEYS, QueueStep(KeypadPressed("0505"))],
    ),
    (
        "# alone: the refusal key",
        LISTENING,
        KeyPressed("#"),
        LISTENING,
        [NO_INPUT, KEYS, QueueStep(KeypadPressed("#"))],
    ),
    (
        "# alone, even for a date",
        replace(LISTENING, expect=ExpectKind.DATE),
        KeyPressed("#"),
        replace(LISTENING, expect=ExpectKind.DATE),
        [NO_INPUT, KEYS, QueueStep(KeypadPressed("#"))],
    ),
    (
        "* alone at once, even for a date",
        replace(LISTENING, expect=ExpectKind.DATE),
        KeyPressed("*"),
        replace(LISTENING, expect=ExpectKind.DATE),
        [NO_INPUT, KEYS, QueueStep(KeypadPressed("*"))],
    ),
    (
        "a pause ends the digits",
        replace(LISTENING, keys="12"),
        TimerFired(Timer.KEYS),
        LISTENING,
        [QueueStep(KeypadPressed("12"))],
    ),
    # silence
    (
        "silence answers words outside a turn",
        replace(LISTENING, heard=("bonjour",)),
        TimerFired(Timer.NO_INPUT),
        LISTENING,
        [QueueStep(SAID)],
    ),
    ("silence", replace(LISTENING, awaiting_text=True), TimerFired(Timer.NO_INPUT), LISTENING, [QueueStep(NoInput())]),
    # the bot
    (
        "bot speaks",
        LISTENING,
        sig(SignalKind.BOT_STARTED),
        replace(LISTENING, bot_speaking=True),
        [NO_INPUT, Forward()],
    ),
    (
        "bot speaks the goodbye",
        S(terminal=BYE, bot_speaking=False),
        sig(SignalKind.BOT_STARTED),
        S(terminal=BYE, bot_speaking=True, goodbye_started=True),
        [NO_INPUT, Forward()],
    ),
    (
        "bot stopped: the silence counts",
        replace(LISTENING, bot_speaking=True),
        sig(SignalKind.BOT_STOPPED),
        LISTENING,
        [
            SILENCE,
            Forward(),
        ],
    ),
    (
        "goodbye heard: finish",
        S(terminal=BYE, bot_speaking=True, goodbye_started=True),
        sig(SignalKind.BOT_STOPPED),
        S(terminal=BYE, goodbye_started=True, ended=True),
        [CancelTimer(Timer.GOODBYE), Finish(BYE), Forward()],
    ),
    (
        "the first of the last words ended: the transfer waits for the rest",
        S(terminal=AWAY, bot_speaking=True, goodbye_started=True, unheard=(True, True)),
        sig(SignalKind.BOT_STOPPED),
        S(terminal=AWAY, goodbye_started=True, unheard=(True,)),
        [Forward()],
    ),
    (
        "an earlier sentence ended, not the goodbye",
        S(terminal=BYE, bot_speaking=True),
        sig(SignalKind.BOT_STOPPED),
        S(terminal=BYE),
        [Forward()],
    ),
    (
        "goodbye never heard: finish late",
        S(terminal=AWAY),
        TimerFired(Timer.GOODBYE),
        S(terminal=AWAY, ended=True),
        [
            CancelTimer(Timer.GOODBYE),
            Finish(AWAY, late=True),
        ],
    ),
    # the line
    (
        "caller hung up",
        LISTENING,
        sig(SignalKind.LINE_CLOSED),
        replace(LISTENING, ended=True),
        [
            *ALL_TIMERS,
            QueueStep(CallerHungUp()),
            Forward(),
        ],
    ),
    ("line gone before the call", S(), sig(SignalKind.LINE_CLOSED), S(ended=True), [*ALL_TIMERS, Forward()]),
    (
        "line gone after the goodbye",
        S(called=True, terminal=BYE, ended=True),
        sig(SignalKind.LINE_CLOSED),
        S(called=True, terminal=BYE, ended=True),
        [*ALL_TIMERS, Forward()],
    ),
    (
        "line gone twice",
        S(called=True, ended=True),
        sig(SignalKind.LINE_CLOSED),
        S(called=True, ended=True),
        [*ALL_TIMERS, Forward()],
    ),
    # dialogue steps
    ("a step's turn", LISTENING, StepDue(SAID), replace(LISTENING, listening=False), [RunStep(SAID)]),
    ("no step after the end", S(terminal=BYE), StepDue(SAID), S(terminal=BYE), []),
    (
        "say, then wait",
        S(called=True),
        Stepped((Say("Bonjour."), Say("Notice.", interruptible=False), Expect(ExpectKind.FREE))),
        replace(LISTENING, unheard=(True, False)),
        [Speak("Bonjour."), Speak("Notice.", False), Hint(ExpectKind.FREE)],
    ),
    (
        "wait with nothing to hear: silence now",
        S(called=True),
        Stepped((Expect(ExpectKind.FREE),)),
        LISTENING,
        [
            Hint(ExpectKind.FREE),
            SILENCE,
        ],
    ),
    (
        "wait while the bot still speaks",
        S(called=True, bot_speaking=True),
        Stepped((Expect(ExpectKind.YES_NO),)),
        S(called=True, bot_speaking=True, listening=True, expect=ExpectKind.YES_NO),
        [Hint(ExpectKind.YES_NO)],
    ),
    (
        "goodbye to be heard, never cut",
        LISTENING,
        Stepped((Say("Au revoir."), BYE)),
        replace(LISTENING, listening=False, terminal=BYE, unheard=(False,)),
        [
            Speak("Au revoir.", False),
            NO_INPUT,
            ArmTimer(Timer.GOODBYE, 30.0),
        ],
    ),
    (
        "nothing left to hear: finish now",
        S(called=True),
        Stepped((BYE,)),
        S(called=True, terminal=BYE, ended=True),
        [NO_INPUT, CancelTimer(Timer.GOODBYE), Finish(BYE)],
    ),
    (
        "transfer while the bot speaks: its end is the goodbye",
        S(called=True, bot_speaking=True),
        Stepped((AWAY,)),
        S(called=True, bot_speaking=True, terminal=AWAY, goodbye_started=True),
        [NO_INPUT, ArmTimer(Timer.GOODBYE, 30.0)],
    ),
    (
        "hung up: no finish, no deadline",
        S(called=True, bot_speaking=True, ended=True),
        Stepped((HangUp(Outcome(OutcomeKind.HUNG_UP)),)),
        S(
            called=True,
            bot_speaking=True,
            ended=True,
            terminal=HangUp(Outcome(OutcomeKind.HUNG_UP)),
            goodbye_started=True,
        ),
        [NO_INPUT],
    ),
    # a failing step
    (
        "failed step: apologise, listen again",
        S(called=True, expect=ExpectKind.FREE),
        StepFailed(SAID),
        replace(LISTENING, unheard=(True,), failed_steps=1),
        [
            Apologise(),
            SILENCE,
        ],
    ),
    (
        "failed step while the bot speaks: silence counts from its end",
        S(called=True, bot_speaking=True),
        StepFailed(NoInput()),
        S(called=True, bot_speaking=True, listening=True, unheard=(True,), failed_steps=1),
        [Apologise()],
    ),
    (
        "failed hang-up: nobody to tell",
        S(called=True, ended=True),
        StepFailed(CallerHungUp()),
        S(called=True, ended=True),
        [],
    ),
    ("failed step after the end", S(terminal=BYE), StepFailed(SAID), S(terminal=BYE), []),
]


@pytest.mark.parametrize(
    ("state", "event", "after", "effects"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_transition(state: TurnState, event: TurnEvent, after: TurnState, effects: list[Effect]) -> None:
    assert turn_step(state, event) == (after, effects)


def test_one_spoken_turn_end_to_end() -> None:
    """The turn end overtakes the transcription; the marker queued behind it finds the words."""
    state = LISTENING
    effects: list[Effect] = []
    for event in [
        sig(SignalKind.VOICE_STARTED),
        sig(SignalKind.TURN_STARTED),
        sig(SignalKind.VOICE_STOPPED),
        sig(SignalKind.TURN_STOPPED),
        Heard("je voudrais un rendez-vous"),
        sig(SignalKind.TURN_MARKED),
    ]:
        state, effects = turn_step(state, event)
    assert effects == [QueueStep(CallerSaid("je voudrais un rendez-vous"))]
    assert state == replace(LISTENING, voices=1)


def test_inputs_are_not_changed() -> None:
    state = replace(LISTENING, heard=("a",))
    turn_step(state, Heard("b"))
    assert state.heard == ("a",)


@pytest.mark.parametrize(
    ("text", "expect", "paused", "patience", "wait"),
    [
        ("oui", ExpectKind.YES_NO, 0.0, 0.4, 0.0),  # finished: at once
        ("je voudrais voir le", ExpectKind.FREE, 0.2, 0.7, 0.5),  # unfinished: the rest of the patience
        ("je voudrais voir le", ExpectKind.FREE, 0.9, 0.7, 0.0),  # the patience is spent
    ],
)
def test_turn_end_wait(text: str, expect: ExpectKind, paused: float, patience: float, wait: float) -> None:
    assert turn_end_wait(text, expect, "fr", paused=paused, patience=patience) == pytest.approx(wait)


def test_no_pipecat_in_the_turn_machine() -> None:
    root = Path(__file__).resolve().parents[2] / "voicebot" / "pipeline"
    for name in ("turn_state.py", "turn_events.py", "turn_heard.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not [m for m in imported if m.split(".")[0] in {"pipecat", "loguru", "asyncio"}], name
