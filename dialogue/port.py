"""The narrow port through which the dialogue manager reaches the booking core.

The application passes `booking.service.BookingService` (which satisfies this protocol); unit tests pass a
small in-memory fake. Nothing here touches a database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from booking.clinic import Clinic
from booking.records import AppointmentRecord, PatientDetails, PatientRecord, RequestCategory, RequestRecord
from booking.slots import Slot, SlotQuery


class BookingPort(Protocol):
    """What the conversation needs from the booking core."""

    def clinic(self) -> Clinic:
        """The practice's current configuration (practitioners, motifs, hours, closures)."""
        ...

    def find_slots(self, query: SlotQuery, now: datetime) -> list[Slot]:
        """Free slots for `query` (see `booking.slots.find_slots`)."""
        ...

    def book(self, slot: Slot, patient: PatientDetails, now: datetime) -> AppointmentRecord:
        """Book `slot` for `patient` (source "phone"); raises `booking.errors.SlotUnavailable` if taken."""
        ...

    def cancel(self, reference: str, now: datetime) -> AppointmentRecord:
        """Cancel a booked appointment; raises `booking.errors.AppointmentNotFound`."""
        ...

    def reschedule(self, reference: str, slot: Slot, now: datetime) -> AppointmentRecord:
        """Atomically move an appointment to `slot`; returns the new appointment. The old one survives a failure."""
        ...

    def find_patients(
        self, *, phone: str | None = None, last_name: str | None = None, birth_date: date | None = None
    ) -> list[PatientRecord]:
        """Patients matching every criterion given (names compared without case or accents)."""
        ...

    def upcoming(self, patient_id: int, now: datetime) -> list[AppointmentRecord]:
        """A patient's booked appointments from `now` on, earliest first."""
        ...

    def leave_request(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        """Record a request for the practice (no free text); `patient.phone` is the number to call back."""
        ...
