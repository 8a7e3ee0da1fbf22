"""What the dialogue manager asks the voice layer (or the text simulator) to do: small immutable actions.

Every call ends with exactly one terminal action, `HangUp` or `Transfer`, carrying the call's `Outcome`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExpectKind(enum.StrEnum):
    """What the next caller turn should be, so the voice layer can tune turn-taking and recognition."""

    YES_NO = "yes_no"
    DIGITS = "digits"
    NAME = "name"
    DATE = "date"
    FREE = "free"
    SPELLING = "spelling"
    """A name spelled letter by letter ("G, I, R, A, R, D, I, N"): the letters come with pauses between them."""


class OutcomeKind(enum.StrEnum):
    """How a call ended."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    MOVED = "moved"
    REQUESTED = "requested"
    """A request for the practice was recorded (the practice calls back)."""
    TRANSFERRED = "transferred"
    EMERGENCY = "emergency"
    GOODBYE = "goodbye"
    """The caller (or the agent, after an answer) ended the call with nothing booked or changed."""
    NO_INPUT = "no_input"
    """The caller stayed silent through every re-prompt."""
    HUNG_UP = "hung_up"
    """The caller hung up before the end; nothing half-done was kept."""


class Detail(enum.StrEnum):
    """A patient detail that the agent says back when unsure, and that the recogniser may guess."""

    NAME = "name"
    """The patient's name: the recogniser may take a common name that sounds like what was heard ("Dom
    fournié": "Tom Fournier")."""
    FIRST_NAME = "first_name"
    """The patient's first name, asked alone when only the surname came ("Cloi": "Chloé")."""
    BIRTH = "birth"
    """The patient's birth date."""


@dataclass(frozen=True)
class Outcome:
    """The result of a call."""

    kind: OutcomeKind
    reference: str | None = None
    """The appointment booked, cancelled, or the new one after a move."""
    identity_failures: int = 0
    """Name and birth-date checks that found nothing to cancel or move in this call (at most two)."""


@dataclass(frozen=True)
class Say:
    """Speak one sentence or a few short ones."""

    text: str
    interruptible: bool = True
    """Whether the caller may barge in (the data notice may not be interrupted)."""


@dataclass(frozen=True)
class Expect:
    """The agent now waits for the caller; a hint on what kind of answer comes next."""

    kind: ExpectKind
    answers: tuple[str, ...] = ()
    """The texts the caller may say here, for the recogniser to score against the audio (roster names
    "docteur Martin", motif labels, the offered slots' ordinals and times "le premier", "mardi à 10h30",
    "oui", "non"); empty when the answers are open (names, dates, numbers, free speech)."""
    guess: Detail | None = None
    """The detail asked for, when the recogniser may guess it near what it heard (`Detail.NAME`)."""
    corrects: Detail | None = None
    """A detail said back with this question ("Chloé Petit, c'est noté. Quelle est la date de naissance ?"):
    the caller may correct it instead of answering ("non, Chloé Petit")."""
    refused: tuple[str, ...] = ()
    """Names the recogniser must not guess: refused by the caller, or the one just said back (a correction is
    not it)."""


@dataclass(frozen=True)
class Transfer:
    """Hand the call to a person; ends the agent's part of the call."""

    target: str
    """An E.164 number or SIP URI (the practice's `staff_phone`)."""
    outcome: Outcome


@dataclass(frozen=True)
class HangUp:
    """End the call (after the last `Say` has been spoken)."""

    outcome: Outcome


Action = Say | Expect | Transfer | HangUp
"""Any action `dialogue.machine.step` returns."""
