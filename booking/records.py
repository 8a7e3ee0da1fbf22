"""Plain values the booking service returns: no database types leak out of `booking.service`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class Status(enum.StrEnum):
    """Lifecycle of an appointment."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class Source(enum.StrEnum):
    """Who made the appointment."""

    PHONE = "phone"
    STAFF = "staff"


@dataclass(frozen=True)
class PatientDetails:
    """Who the appointment is for (not necessarily the caller: a parent books for a child)."""

    first_name: str
    last_name: str
    birth_date: date
    phone: str
    """E.164, e.g. "+33612345678"."""


@dataclass(frozen=True)
class PatientRecord:
    """A patient known to the practice."""

    id: int
    details: PatientDetails


@dataclass(frozen=True)
class AppointmentRecord:
    """An appointment as stored, with aware date-times in the practice's time zone."""

    reference: str
    """Short code the caller can repeat (6 digits)."""
    status: Status
    practitioner_id: str
    motif_id: str
    start: datetime
    end: datetime
    patient: PatientDetails
    patient_id: int
    source: Source
    created_at: datetime
    cancelled_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of `voicebot appointments list --json`."""
        return {
            "reference": self.reference,
            "status": self.status.value,
            "practitioner_id": self.practitioner_id,
            "motif_id": self.motif_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "source": self.source.value,
            "patient": {
                "first_name": self.patient.first_name,
                "last_name": self.patient.last_name,
                "birth_date": self.patient.birth_date.isoformat(),
                "phone": self.patient.phone,
            },
        }


class RequestCategory(enum.StrEnum):
    """What a caller's message for the practice is about: a fixed list, never free text (no health data)."""

    RENEWAL = "renewal"
    """A prescription renewal without an appointment."""
    CERTIFICATE = "certificate"
    """A medical certificate or sick note."""
    RESULTS = "results"
    """Test results."""
    CALLBACK = "callback"
    """Simply to be called back."""


class RequestStatus(enum.StrEnum):
    """Whether the practice has dealt with a request yet."""

    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True)
class RequestRecord:
    """A message left for the practice, with aware UTC date-times."""

    id: int
    category: RequestCategory
    status: RequestStatus
    patient: PatientDetails
    """Who the request is about; `phone` is the number to call back."""
    created_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None
    """The staff login (or "cli") that marked it done."""

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of `voicebot requests list --json`."""
        return {
            "id": self.id,
            "category": self.category.value,
            "status": self.status.value,
            "created_at": self.created_at.isoformat(),
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "done_by": self.done_by,
            "patient": {
                "first_name": self.patient.first_name,
                "last_name": self.patient.last_name,
                "birth_date": self.patient.birth_date.isoformat(),
            },
            "callback_phone": self.patient.phone,
        }


class CallChannel(enum.StrEnum):
    """The line a call came in on."""

    TWILIO = "twilio"
    SIP = "sip"
    CHAT = "chat"
    """The text simulator (`voicebot chat`)."""


CALL_OUTCOMES = (
    "booked",
    "moved",
    "cancelled",
    "requested",
    "transferred",
    "emergency",
    "goodbye",
    "no_input",
    "hung_up",
    "closed",
    "transfer_failed",
)
"""The values of `CallEntry.outcome`: the dialogue's outcome kinds (`dialogue.actions.OutcomeKind`), and `closed`
(the server closed the call while draining), and `transfer_failed` (the line refused the dialogue's transfer: the
call was hung up). A call the caller left before the end is `hung_up`."""

CHART_GROUPS: dict[str, tuple[str, ...]] = {
    "booked": ("booked", "moved"),
    "transferred": ("transferred", "emergency"),
    "abandoned": ("hung_up", "no_input", "closed", "transfer_failed"),
}
"""How the console's 30-day chart groups outcomes (every call counts in `calls`)."""


@dataclass(frozen=True)
class ReplyLatency:
    """How long the caller waited for the bot's replies on a voice line (end of their speech → the bot's audio)."""

    replies: int
    p50_ms: int
    p95_ms: int
    max_ms: int


@dataclass(frozen=True)
class TranscriptLine:
    """One utterance of a call, already pseudonymised (names, birth dates, phones, references replaced)."""

    speaker: str
    """`bot` or `caller`."""
    text: str


@dataclass(frozen=True)
class CallEntry:
    """A finished call, as its line hands it to the call log."""

    key: str
    """The line's id of the call: Twilio's CallSid, the SIP Call-ID, a random id for `chat`."""
    channel: CallChannel
    started_at: datetime
    ended_at: datetime
    outcome: str
    """One of `CALL_OUTCOMES`."""
    caller_phone: str | None = None
    """The caller's number (E.164) when the line gave one."""
    booked: tuple[str, ...] = ()
    """References of the appointments booked in the call."""
    moved: tuple[str, ...] = ()
    """References of the new appointments made by a move."""
    cancelled: tuple[str, ...] = ()
    """References of the appointments cancelled (the old ones of a move are not listed here)."""
    identity_failures: int = 0
    caller_turns: int = 0
    latency: ReplyLatency | None = None
    """`None` on the text simulator."""
    refused: bool = False
    """The caller refused any reuse of the call ("je refuse")."""
    patient_ids: tuple[int, ...] = ()
    """The patients the call identified, booked for or changed."""
    transcript: tuple[TranscriptLine, ...] = ()


@dataclass(frozen=True)
class LoggedCall:
    """A call in the call log; `transcript` is `None` once the retention purge removed it."""

    id: int
    entry: CallEntry
    transcript: tuple[TranscriptLine, ...] | None

    def as_json(self, *, with_transcript: bool = False) -> dict[str, object]:
        """The stable JSON shape of `voicebot calls list --json` (and of `calls show --json`, with the transcript)."""
        e = self.entry
        out: dict[str, object] = {
            "id": self.id,
            "key": e.key,
            "channel": e.channel.value,
            "started_at": e.started_at.isoformat(),
            "ended_at": e.ended_at.isoformat(),
            "duration_s": round((e.ended_at - e.started_at).total_seconds(), 1),
            "outcome": e.outcome,
            "caller_phone": e.caller_phone,
            "booked": list(e.booked),
            "moved": list(e.moved),
            "cancelled": list(e.cancelled),
            "identity_failures": e.identity_failures,
            "caller_turns": e.caller_turns,
            "latency": None
            if e.latency is None
            else {
                "replies": e.latency.replies,
                "p50_ms": e.latency.p50_ms,
                "p95_ms": e.latency.p95_ms,
                "max_ms": e.latency.max_ms,
            },
            "refused": e.refused,
            "transcript_kept": self.transcript is not None,
        }
        if with_transcript:
            out["transcript"] = (
                None if self.transcript is None else [{"speaker": t.speaker, "text": t.text} for t in self.transcript]
            )
        return out
