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
