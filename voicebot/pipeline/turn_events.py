"""What turn-taking on the line hears and does: the events and effects of `voicebot.pipeline.turn_state`.

Events are derived from pipecat frames by the dialogue adapter (or come from its timers and its dialogue steps);
effects are what the adapter performs. Nothing here imports pipecat.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dialogue.actions import Action, Detail, ExpectKind, HangUp, Transfer
from dialogue.events import Event


class Timer(enum.Enum):
    """The adapter's timers; each runs at most once at a time."""

    NO_INPUT = "no-input"
    KEYS = "keypad-pause"
    GOODBYE = "goodbye-deadline"


# Events, derived from frames (or from a timer, or from the adapter running a step).
@dataclass(frozen=True)
class CallBegan:
    """The pipeline started: the call was answered."""

    caller_id: str | None = None


@dataclass(frozen=True)
class Heard:
    """A transcription arrived (one VAD segment's)."""

    text: str
    confidence: float | None = None
    alternatives: tuple[str, ...] = ()
    """The recogniser's other hypotheses for the same audio, best first."""
    unsure: bool = False
    """The recogniser was not sure of `text` (`voicebot.speech.stt.Transcript.unsure`)."""
    voice: int | None = None
    """Which voice the words are from: the count of `VOICE_STARTED` up to its own (1 for the first), as the STT
    service numbers its segments; `None` = the latest voice."""


@dataclass(frozen=True)
class KeyPressed:
    """One keypad key ("0"-"9", "*", "#")."""

    key: str


class SignalKind(enum.Enum):
    """The content-free frames turn-taking follows."""

    VOICE_STARTED = "vad-started"
    """The VAD hears a voice (before any word is recognised)."""
    VOICE_STOPPED = "vad-stopped"
    TURN_STARTED = "user-started"
    """The caller's turn began (enough words to barge in)."""
    TURN_STOPPED = "user-stopped"
    TURN_MARKED = "turn-marker"
    """Our end-of-turn marker, queued behind the transcriptions of the turn, was reached."""
    BOT_STARTED = "bot-started"
    BOT_STOPPED = "bot-stopped"
    """The bot's audio ended: the end of one `Speak` (pipecat's `TTSStoppedFrame`), of an interrupted one, or
    (rarely) 3 s without audio inside one."""
    INTERRUPTED = "interruption"
    """pipecat interrupts the bot (the caller's turn began): its interruptible speech still queued is dropped."""
    LINE_CLOSED = "line-closed"
    """The pipeline is ending (caller hung up, socket gone)."""


@dataclass(frozen=True)
class Signal:
    """A frame with no content of its own: see `SignalKind`."""

    kind: SignalKind


@dataclass(frozen=True)
class TimerFired:
    """A timer armed by `ArmTimer` ran out."""

    timer: Timer


@dataclass(frozen=True)
class StepDue:
    """A queued dialogue step reached its turn."""

    event: Event


@dataclass(frozen=True)
class Stepped:
    """The dialogue step returned these actions."""

    actions: tuple[Action, ...]


@dataclass(frozen=True)
class StepFailed:
    """The dialogue step raised on `event`."""

    event: Event


TurnEvent = CallBegan | Heard | KeyPressed | Signal | TimerFired | StepDue | Stepped | StepFailed
"""Any event `turn_step` accepts."""


# Effects, performed by the adapter in order.
@dataclass(frozen=True)
class Forward:
    """Pass the frame being handled on, in its direction."""


@dataclass(frozen=True)
class QueueMarker:
    """Queue the end-of-turn marker behind the transcriptions still on their way."""


@dataclass(frozen=True)
class ArmTimer:
    """(Re)start `timer`."""

    timer: Timer
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    """Stop `timer` if it runs."""

    timer: Timer


@dataclass(frozen=True)
class QueueStep:
    """Step the dialogue with `event` once the steps before it are done (then feed back `StepDue`)."""

    event: Event


@dataclass(frozen=True)
class RunStep:
    """Step the dialogue with `event` now; feed back `Stepped` or `StepFailed`."""

    event: Event


@dataclass(frozen=True)
class Speak:
    """Say this (a `TTSSpeakFrame`)."""

    text: str
    interruptible: bool = True


@dataclass(frozen=True)
class Hint:
    """Publish what the dialogue expects next, for recognition and the turn-end decision."""

    expect: ExpectKind
    answers: tuple[str, ...] = ()
    """The texts the caller may say (`Expect.answers`), for the recogniser to score."""
    guess: Detail | None = None
    """The detail asked for, when the recogniser may guess it near what it heard (`Expect.guess`)."""
    corrects: Detail | None = None
    """A detail said back with the question, which the caller may correct (`Expect.corrects`)."""
    refused: tuple[str, ...] = ()
    """Names the recogniser must not guess (`Expect.refused`)."""


@dataclass(frozen=True)
class Apologise:
    """Tell the caller something went wrong and ask them to repeat (the wording is the locale's)."""


@dataclass(frozen=True)
class GiveUp:
    """Dialogue steps keep failing (`turn_state.MAX_FAILED_STEPS` in a row): end the call as the dialogue ends
    one it cannot serve (`dialogue.machine.cannot_go_on`: an apology, then the staff or when to call back),
    feeding its actions back as `Stepped`.
    """


@dataclass(frozen=True)
class Finish:
    """The last words were heard (or `late`: the deadline passed): transfer if asked, then end the call."""

    action: HangUp | Transfer
    late: bool = False


Effect = (
    Forward | QueueMarker | ArmTimer | CancelTimer | QueueStep | RunStep | Speak | Hint | Apologise | GiveUp | Finish
)
"""Any effect `turn_step` returns."""
