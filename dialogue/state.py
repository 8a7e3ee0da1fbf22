"""The conversation's state: one frozen dataclass, replaced (never mutated) at every step."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from datetime import date

from booking.records import AppointmentRecord, PatientRecord, RequestCategory
from booking.slots import Slot, TimeWindow
from dialogue.actions import Detail, ExpectKind, Outcome


class Phase(enum.StrEnum):
    """Which question the agent is waiting on."""

    START = "start"
    OPEN = "open"
    MORE = "more"
    PRACTITIONER = "practitioner"
    WHICH_PRACTITIONER = "which_practitioner"
    MOTIF = "motif"
    KNOWN_PATIENT = "known_patient"
    ALT_MOTIF = "alt_motif"
    WHEN = "when"
    DAY_CHOICE = "day_choice"
    """A weekday alone said on that weekday: today, or a week today?"""
    OFFER = "offer"
    BIRTH = "birth"
    CALLER_IS_PATIENT = "caller_is_patient"
    NAME = "name"
    FIRST_NAME = "first_name"
    PHONE_CONFIRM = "phone_confirm"
    PHONE = "phone"
    MOBILE = "mobile"
    """The caller's number gets no texts: a mobile number for the confirmation, or none."""
    CONFIRM = "confirm"
    FIX = "fix"
    FIND_NAME = "find_name"
    FIND_BIRTH = "find_birth"
    FIND_RETRY = "find_retry"
    PICK = "pick"
    CANCEL_CONFIRM = "cancel_confirm"
    REQUEST_CATEGORY = "request_category"
    REQUEST_CONFIRM = "request_confirm"
    REQUEST_FIX = "request_fix"
    TRANSFER_OFFER = "transfer_offer"
    EMERGENCY = "emergency"
    ENDED = "ended"


class Task(enum.StrEnum):
    """What the caller wants done."""

    BOOK = "book"
    CANCEL = "cancel"
    MOVE = "move"
    REQUEST = "request"
    """Leave a request for the practice (renewal, certificate, results, callback)."""


@dataclass(frozen=True)
class When:
    """The caller's wished time, merged across turns ("mardi" then "plutôt vers 10 h")."""

    first_day: date | None = None
    last_day: date | None = None
    time: dt.time | None = None
    windows: tuple[TimeWindow, ...] = ()
    asap: bool = False


@dataclass(frozen=True)
class Wish:
    """What the caller asked for so far; every field may still change."""

    practitioner_ids: tuple[str, ...] = ()
    """One id once settled; several while two close names wait to be told apart."""
    anyone: bool = False
    """"N'importe lequel", "le premier disponible"."""
    specialty: str | None = None
    motif_id: str | None = None
    when: When | None = None
    known_patient: bool | None = None
    """Whether the patient is already followed at the practice (asked only for motifs closed to new ones)."""


@dataclass(frozen=True)
class Patient:
    """Who the appointment is for, as collected (not necessarily the caller)."""

    first_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    record_id: int | None = None
    """The practice's patient id once matched on name and birth date."""


@dataclass(frozen=True)
class Prompt:
    """The question being asked, kept to repeat it and to re-prompt."""

    lines: tuple[str, ...]
    expect: ExpectKind
    example: str = ""
    """Said with the question after a misunderstanding."""
    keypad: str = ""
    """The keypad way to answer, offered after failures or silence."""
    answers: tuple[str, ...] = ()
    """The texts the caller may say here, passed on in `Expect.answers` (empty for open answers)."""
    guess: Detail | None = None
    """The detail asked for, when the recogniser may guess it (`Expect.guess`)."""


@dataclass(frozen=True)
class Echo:
    """A patient detail taken from an unsure hearing and said back with the next question ("Jean Dupont,
    c'est noté. ..."), so that a "non" to that question corrects it.
    """

    what: Detail
    """The name or the birth date."""
    prompt: Prompt
    """The question it was said with (a "non" corrects it only while that question is asked)."""


@dataclass(frozen=True)
class State:
    """Everything the agent knows about the call."""

    phase: Phase = Phase.START
    task: Task | None = None
    caller_id: str | None = None
    caller_patients: tuple[PatientRecord, ...] = ()
    """Patients whose phone is the caller id (never named before the birth date matches)."""
    wish: Wish = field(default_factory=Wish)
    offers: tuple[Slot, ...] = ()
    """Slots read to the caller, at most three, all returned by the booking port."""
    seen: tuple[Slot, ...] = ()
    """Every slot offered so far, to move on with "plus tard"."""
    chosen: Slot | None = None
    patient: Patient = field(default_factory=Patient)
    caller_match_declined: bool = False
    appointments: tuple[AppointmentRecord, ...] = ()
    """The identified patient's upcoming appointments (cancel and move)."""
    target: AppointmentRecord | None = None
    """The appointment being cancelled or moved."""
    request_category: RequestCategory | None = None
    """What a request for the practice is about (task REQUEST)."""
    find_failures: int = 0
    """Name and birth-date checks that found nothing (never reset in a call: no look-up after two)."""
    prompt: Prompt | None = None
    echo: Echo | None = None
    """The unsure name or birth date said back with the current question (see `Echo`)."""
    refused_names: tuple[str, ...] = ()
    """Names said back that the caller said were not theirs ("non, ..."): never guessed again in the call."""
    keypad_mode: bool = False
    """The caller's last answer was keyed in: questions then also read their keypad menu."""
    no_input: int = 0
    """Silences since the caller's last answer that made progress (one count with `misses` and `stalls`)."""
    misses: int = 0
    """Answers not understood since the last answer that made progress."""
    stalls: int = 0
    """Answers understood but making no progress (the same answer again, "répétez") since the last that did."""
    visited: frozenset[int] = frozenset()
    """Every (what the call found out, question asked) pair of the call so far, hashed: coming back to one is
    not progress (the A, B, A rounds of the loop bound)."""
    reuse_refused: bool = False
    """The caller refused any reuse of the call ("je refuse", or the # key), at any question: the call log keeps
    it on the call and on the patient, and leaves both out of any corpus."""
    outcome: Outcome | None = None
    """Set when the call has ended."""
