"""Turn-taking on the line as an explicit state machine: `turn_step(state, event) -> (state, effects)`.

The dialogue adapter (`voicebot.pipeline.dialogue_processor`) translates pipecat frames into the small events of
`voicebot.pipeline.turn_events`, calls `turn_step` and performs the effects it returns; nothing here imports
pipecat or reads a clock. Caller turns: transcriptions are buffered and the end of the turn only queues a marker
behind them (`QueueMarker`): the buffered text becomes one `CallerSaid` when the marker is reached, or when a
late transcription arrives after it. Keys become one `KeypadPressed` (a menu key at once; digits and dates
gathered until `#` or a pause). Silence after the bot finished speaking becomes `NoInput` (the timer waits while
a voice is heard), and the end of the line becomes `CallerHungUp`. Dialogue steps run one at a time: `QueueStep`
waits its turn, `StepDue` drops it once the call has ended, `RunStep` runs it; its actions come back as
`Stepped`, a failure as `StepFailed` (the caller hears an apology and is listened to again; the second failure
in a row ends the call instead: `GiveUp`). `HangUp` and `Transfer` wait until the last words were heard (or a
deadline), then `Finish`.

Barge-in: each `Speak` is one pipecat `TTSSpeakFrame`, whose end the output transport reports as one
`BOT_STOPPED`, so the speech still to end is counted (`unheard`). A voice that starts while the bot speaks, or
in a pause between two `Speak`s of one step, barged in; the words of that voice (the STT service numbers its
segments as the VAD started them, `Heard.voice`) make the turn's `CallerSaid.barged_in`. A voice without words
(a cough) barges in on nothing. An interruption (the caller's turn started) drops the interruptible speech
still queued; a `NoInput` (seconds without the bot starting again) clears what was never reported. A turn of several
transcriptions gets their joined alternatives and is unsure when one was (`voicebot.pipeline.turn_heard`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dialogue.actions import Action, Expect, ExpectKind, HangUp, Say, Transfer
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, KeypadPressed, NoInput
from dialogue.understand.turn_end import sounds_finished
from voicebot.pipeline.turn_events import (
    Apologise,
    ArmTimer,
    CallBegan,
    CancelTimer,
    Effect,
    Finish,
    Forward,
    GiveUp,
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
from voicebot.pipeline.turn_heard import after_interruption, join_alternatives, voices_after

COLLECTED_KEYS = frozenset({ExpectKind.DIGITS, ExpectKind.DATE})
"""Expectations answered with several keys (a birth date, a phone number, a day): keys are gathered until `#` or
a pause; any other expectation is answered by one key at once (a menu choice, 0 for a person)."""
MAX_FAILED_STEPS = 2
"""Dialogue steps failing in a row before the call ends (`GiveUp`) instead of the question being asked again: a
database that stays down, or a step that fails on every answer, must not keep the caller in a loop of apologies."""


@dataclass(frozen=True)
class Timings:
    """The seconds turn-taking waits."""

    no_input: float = 7.0
    """Silence after the bot stopped speaking before `NoInput`."""
    orphan: float = 0.4
    """Silence before words heard outside any turn (too few to barge in) are answered."""
    key_pause: float = 2.5
    """Pause after a key that ends a multi-key answer (digits, dates) without `#`."""
    goodbye: float = 30.0
    """Longest wait for the goodbye to be heard before ending anyway."""


@dataclass(frozen=True)
class TurnState:
    """Who speaks, what was heard and not yet answered, and how the call stands."""

    timings: Timings = field(default_factory=Timings)
    expect: ExpectKind | None = None
    """The kind of the next caller turn (`None` before the first `Expect`)."""
    heard: tuple[str, ...] = ()
    """Transcriptions of the caller's turn not yet given to the dialogue."""
    confidences: tuple[float, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = ()
    """The other hypotheses of each of `heard`, parallel to it (or empty while none had any)."""
    unsure: bool = False
    """The recogniser was unsure of one of `heard`."""
    barged_in: bool = False
    """Words of `heard` came from a voice that began before the bot had finished speaking."""
    voices: int = 0
    """Voices (VAD segments) heard in the call so far: the last one's number."""
    barged_voices: tuple[int, ...] = ()
    """The numbers of the voices that began while the bot had speech to end, whose words have not come yet."""
    unheard: tuple[bool, ...] = ()
    """The `interruptible` flag of each `Speak` whose end the bot has not reported yet, oldest first."""
    keys: str = ""
    """Keys of a multi-key answer gathered so far."""
    awaiting_text: bool = False
    """The turn ended before its transcription: the next one is the answer."""
    user_turn: bool = False
    voice: bool = False
    """The VAD hears a voice: no re-prompt over the caller."""
    bot_speaking: bool = False
    listening: bool = False
    """The dialogue waits for the caller (an `Expect` since the last step began)."""
    called: bool = False
    """The call was answered (`CallStarted` queued)."""
    failed_steps: int = 0
    """Dialogue steps that failed since the last one that returned (see `MAX_FAILED_STEPS`)."""
    terminal: HangUp | Transfer | None = None
    """The action that ended the dialogue."""
    goodbye_started: bool = False
    """The bot began speaking after the terminal action: its end means the goodbye was heard."""
    ended: bool = False
    """The call is finished or the line is gone: no `Finish` any more."""


Result = tuple[TurnState, list[Effect]]


def turn_step(state: TurnState, event: TurnEvent) -> Result:
    """Advance turn-taking by one event.

    Args:
        state: The state after the previous event (`TurnState(timings=...)` for a new call).
        event: What just happened.

    Returns:
        The new state and the effects to perform, in order. `StepDue`, `Stepped` and `StepFailed` never
        return `QueueStep` (the adapter performs them while holding its one-step-at-a-time lock).
    """
    s, t = state, state.timings
    match event:
        case CallBegan(caller_id):
            return replace(s, called=True), [Forward(), QueueStep(CallStarted(caller_id))]
        case Heard():
            s = _hear(s, event)
            s, effects = _flush_turn(s) if s.awaiting_text else (s, [])
            return s, [CancelTimer(Timer.NO_INPUT), *effects]
        case KeyPressed(key):
            cancel: list[Effect] = [CancelTimer(Timer.NO_INPUT), CancelTimer(Timer.KEYS)]
            if key == "#" and not s.keys:  # "#" alone is the refusal of reuse (`dialogue.machine.REFUSE_KEY`)
                return s, [*cancel, QueueStep(KeypadPressed("#"))]
            s = replace(s, keys=s.keys + key if key != "#" else s.keys)
            if key == "#" or s.expect not in COLLECTED_KEYS or s.keys == "*":
                s, effects = _flush_keys(s)
                return s, cancel + effects
            return s, [*cancel, ArmTimer(Timer.KEYS, t.key_pause)]
        case Signal(kind):
            return _signal(s, kind)
        case TimerFired(Timer.NO_INPUT):
            if s.heard:
                return _flush_turn(s)
            return replace(s, awaiting_text=False, unheard=()), [QueueStep(NoInput())]  # the bot said all it could
        case TimerFired(Timer.KEYS):
            return _flush_keys(s)
        case TimerFired(Timer.GOODBYE):
            return _finish(s, late=True)
        case StepDue(due):
            if s.terminal is not None:
                return s, []
            return replace(s, listening=False), [RunStep(due)]
        case Stepped(actions):
            return _perform(replace(s, failed_steps=0), actions)
        case StepFailed(failed):
            if s.terminal is not None or s.ended or isinstance(failed, CallerHungUp):
                return s, []
            s = replace(s, failed_steps=s.failed_steps + 1)
            if s.failed_steps >= MAX_FAILED_STEPS:  # no more apologies: the dialogue's ending comes as `Stepped`
                return replace(s, listening=False), [CancelTimer(Timer.NO_INPUT), GiveUp()]
            s = replace(s, listening=True, unheard=(*s.unheard, True))  # the same question stands: listen again
            return s, [Apologise(), *([] if s.bot_speaking else _arm(s))]
    raise TypeError(f"not a turn event: {event!r}")  # pragma: no cover - the match is exhaustive


def _signal(s: TurnState, kind: SignalKind) -> Result:
    no_input = CancelTimer(Timer.NO_INPUT)
    match kind:
        case SignalKind.VOICE_STARTED:  # someone speaks: no re-prompt over them, whatever recognition makes of it
            voice, busy = s.voices + 1, s.bot_speaking or bool(s.unheard)
            barged = (*s.barged_voices, voice) if busy else s.barged_voices
            return replace(s, voice=True, voices=voice, barged_voices=barged), [no_input, Forward()]
        case SignalKind.VOICE_STOPPED:  # a transcription, if any, cancels the timer
            s = replace(s, voice=False)
            return s, [*_arm(s), Forward()]
        case SignalKind.TURN_STARTED:
            return replace(s, user_turn=True, awaiting_text=False), [no_input, Forward()]
        case SignalKind.TURN_STOPPED:
            return replace(s, user_turn=False), [Forward(), QueueMarker()]
        case SignalKind.TURN_MARKED:
            if s.heard:
                return _flush_turn(s)
            s = replace(s, awaiting_text=True)
            return s, _arm(s)
        case SignalKind.BOT_STARTED:
            return replace(s, bot_speaking=True, goodbye_started=s.goodbye_started or s.terminal is not None), [
                no_input,
                Forward(),
            ]
        case SignalKind.BOT_STOPPED:
            s = replace(s, bot_speaking=False, unheard=s.unheard[1:])
            said_all = s.terminal is not None and s.goodbye_started and not s.unheard  # a transfer cuts the line
            s, effects = _finish(s) if said_all else (s, _arm(s))
            return s, [*effects, Forward()]
        case SignalKind.INTERRUPTED:
            return replace(s, unheard=after_interruption(s.unheard, s.bot_speaking)), [Forward()]
        case SignalKind.LINE_CLOSED:  # no `Finish` while the pipeline is already ending
            hang_up = s.terminal is None and s.called and not s.ended
            stop: list[Effect] = [CancelTimer(timer) for timer in Timer]
            return replace(s, ended=True), [*stop, *([QueueStep(CallerHungUp())] if hang_up else []), Forward()]


def _arm(s: TurnState) -> list[Effect]:
    """Start the silence timer; words heard outside any turn (too few to barge in) are answered sooner."""
    if not s.listening or s.terminal is not None or s.user_turn or s.voice:
        return []
    return [ArmTimer(Timer.NO_INPUT, s.timings.orphan if s.heard else s.timings.no_input)]


def _hear(s: TurnState, heard: Heard) -> TurnState:
    """Keep the words of one transcription; they barged in when their voice did."""
    voice = s.voices if heard.voice is None else heard.voice
    barged = voice in s.barged_voices
    s = replace(s, barged_voices=voices_after(s.barged_voices, voice))
    text = heard.text.strip()
    if not text:
        return s
    alternatives = s.alternatives
    if alternatives or heard.alternatives:
        alternatives = (*alternatives, *((),) * (len(s.heard) - len(alternatives)), heard.alternatives)
    return replace(
        s,
        heard=(*s.heard, text),
        confidences=(*s.confidences, *(() if heard.confidence is None else (heard.confidence,))),
        alternatives=alternatives,
        unsure=s.unsure or heard.unsure,
        barged_in=s.barged_in or barged,
    )


def _flush_turn(s: TurnState) -> Result:
    said = CallerSaid(
        " ".join(s.heard),
        min(s.confidences) if s.confidences else None,
        join_alternatives(s.heard, s.alternatives),
        barged_in=s.barged_in,
        unsure=s.unsure,
    )
    s = replace(s, heard=(), confidences=(), alternatives=(), unsure=False, barged_in=False, awaiting_text=False)
    return s, [QueueStep(said)]


def _flush_keys(s: TurnState) -> Result:
    keys, s = s.keys, replace(s, keys="")
    return (s, [QueueStep(KeypadPressed(keys))]) if keys else (s, _arm(s))


def _finish(s: TurnState, *, late: bool = False) -> Result:
    if s.ended or s.terminal is None:
        return s, []
    return replace(s, ended=True), [CancelTimer(Timer.GOODBYE), Finish(s.terminal, late)]


def _perform(s: TurnState, actions: tuple[Action, ...]) -> Result:
    effects: list[Effect] = []
    spoke = False
    # The last words of a call (the booking's reference, the goodbye) are never cut: nothing said over them
    # changes anything any more, and a "merci" over the reference would lose it.
    last_words = any(isinstance(action, HangUp | Transfer) for action in actions)
    for action in actions:
        if isinstance(action, Say):
            interruptible = action.interruptible and not last_words
            effects.append(Speak(action.text, interruptible))
            s, spoke = replace(s, unheard=(*s.unheard, interruptible)), True
        elif isinstance(action, Expect):
            s = replace(s, expect=action.kind, listening=True)
            effects.append(Hint(action.kind, action.answers, action.guess, action.corrects, action.refused))
            if not spoke and not s.bot_speaking:
                effects += _arm(s)  # nothing to hear first: the silence starts now
        else:
            s = replace(s, terminal=action, listening=False, goodbye_started=s.bot_speaking)
            effects.append(CancelTimer(Timer.NO_INPUT))
            if not spoke and not s.bot_speaking:
                s, finish = _finish(s)
                effects += finish
            elif not s.ended:
                effects.append(ArmTimer(Timer.GOODBYE, s.timings.goodbye))
    return s, effects


def turn_end_wait(text: str, expect: ExpectKind | None, locale: str, *, paused: float, patience: float) -> float:
    """Seconds the caller's turn still waits once the VAD stop and the transcript are in; 0 = it ends now.

    Words that sound finished (`dialogue.understand.turn_end.sounds_finished`) end the turn at once; otherwise it
    ends when the pause since the VAD stop (`paused`) reaches the expectation's `patience`.
    """
    return 0.0 if sounds_finished(text, expect, locale) else max(0.0, patience - paused)
