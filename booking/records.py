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
