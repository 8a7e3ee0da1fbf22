"""What happens on the line, as the dialogue manager sees it: small immutable events fed to `step`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallStarted:
    """The call was answered; the first event of every call."""

    caller_id: str | None = None
    """The caller's number in E.164 ("+33612345678"), or `None` when withheld."""


@dataclass(frozen=True)
class CallerSaid:
    """The caller finished a spoken turn (a final transcription)."""

    text: str
    """What the recogniser heard."""
    confidence: float | None = None
    """Recogniser confidence from 0 to 1, when it gives one; low values are re-asked."""
    alternatives: tuple[str, ...] = ()
    """The recogniser's other hypotheses for the same audio, best first. When the question being asked cannot
    use `text`, the first of them that it can use is taken (the intents are read on `text` alone)."""
    barged_in: bool = False
    """The caller began speaking before the bot's question was heard in full (a read-back's "oui" said into
    it does not confirm)."""
    unsure: bool = False
    """The recogniser was not sure of `text` (low margin between its best hypotheses, and no expected answer
    clearly won): names and birth dates taken from it are echoed in the next question, so a "non" corrects them."""


@dataclass(frozen=True)
class KeypadPressed:
    """The caller keyed in digits (DTMF), collected into one turn by the voice layer."""

    digits: str
    """The keys pressed, in order: "0"-"9", "*" and "#"."""


@dataclass(frozen=True)
class NoInput:
    """The caller said nothing before the voice layer's no-input timeout."""


@dataclass(frozen=True)
class CallerHungUp:
    """The caller hung up (or the line dropped); nothing half-done is kept."""


Event = CallStarted | CallerSaid | KeypadPressed | NoInput | CallerHungUp
"""Any event `dialogue.machine.step` accepts."""
