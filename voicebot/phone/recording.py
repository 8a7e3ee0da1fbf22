"""`RecordingPort`: the booking port of one call, which notes what the call did for the call log.

It passes every request on to the booking service unchanged and keeps the references booked, moved (the new
ones) and cancelled, and the patients the call touched: those it booked for, moved or cancelled, and those an
identity check found (last name and birth date). A lookup by the calling number alone identifies no one (a
family may share a phone), so it links no patient.

It also says what the dialogue can understand of a database that cannot be reached: SQLAlchemy's errors of a
lost or refused connection, of a pool with no connection to spare, and SQLite's "database is locked" past its
busy timeout become `booking.errors.BookingUnavailable` (which `dialogue.machine.step` answers at any step).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from booking.clinic import Clinic
from booking.errors import BookingUnavailable
from booking.records import AppointmentRecord, PatientDetails, PatientRecord, RequestCategory, RequestRecord
from booking.slots import Slot, SlotQuery
from dialogue.port import BookingPort


@contextmanager
def reachable() -> Iterator[None]:
    """Turn the database's "cannot be reached" errors into `BookingUnavailable`; any other error passes."""
    try:
        yield
    except (OperationalError, InterfaceError, PoolTimeout) as error:
        raise BookingUnavailable() from error
    except DBAPIError as error:  # another class, raised as the connection was lost
        if error.connection_invalidated:
            raise BookingUnavailable() from error
        raise


class RecordingPort:
    """A `BookingPort` that notes what went through it (`booked`, `moved`, `cancelled`, `patient_ids`).

    Args:
        port: The booking service the call talks to.
    """

    def __init__(self, port: BookingPort) -> None:
        self.port = port
        self.booked: list[str] = []
        """References booked, in order."""
        self.moved: list[str] = []
        """References of the new appointments made by moves."""
        self.cancelled: list[str] = []
        """References cancelled (not the old ones of a move)."""
        self.patient_ids: list[int] = []
        """The patients the call identified or changed, first seen first."""

    @property
    def changes(self) -> tuple[str, ...]:
        """What the call changed in the appointment book, as call-log outcomes in order ("booked", "moved"...)."""
        return (
            *("booked" for _ in self.booked),
            *("moved" for _ in self.moved),
            *("cancelled" for _ in self.cancelled),
        )

    def clinic(self) -> Clinic:
        """The practice's configuration."""
        with reachable():
            return self.port.clinic()

    def find_slots(self, query: SlotQuery, now: datetime) -> list[Slot]:
        """Free slots for `query`."""
        with reachable():
            return self.port.find_slots(query, now)

    def book(self, slot: Slot, patient: PatientDetails, now: datetime) -> AppointmentRecord:
        """Book, and note the reference and the patient."""
        with reachable():
            record = self.port.book(slot, patient, now)
        self.booked.append(record.reference)
        self._touch(record.patient_id)
        return record

    def cancel(self, reference: str, now: datetime) -> AppointmentRecord:
        """Cancel, and note the reference and the patient."""
        with reachable():
            record = self.port.cancel(reference, now)
        self.cancelled.append(record.reference)
        self._touch(record.patient_id)
        return record

    def reschedule(self, reference: str, slot: Slot, now: datetime) -> AppointmentRecord:
        """Move, and note the new reference and the patient."""
        with reachable():
            record = self.port.reschedule(reference, slot, now)
        self.moved.append(record.reference)
        self._touch(record.patient_id)
        return record

    def find_patients(
        self, *, phone: str | None = None, last_name: str | None = None, birth_date: date | None = None
    ) -> list[PatientRecord]:
        """Patients matching every criterion; those found by last name and birth date are noted."""
        with reachable():
            found = self.port.find_patients(phone=phone, last_name=last_name, birth_date=birth_date)
        if last_name is not None and birth_date is not None:
            for record in found:
                self._touch(record.id)
        return found

    def upcoming(self, patient_id: int, now: datetime) -> list[AppointmentRecord]:
        """A patient's booked appointments from `now` on; the patient is noted."""
        self._touch(patient_id)
        with reachable():
            return self.port.upcoming(patient_id, now)

    def leave_request(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        """Record a request for the practice."""
        with reachable():
            return self.port.leave_request(category, patient, now)

    def _touch(self, patient_id: int) -> None:
        if patient_id not in self.patient_ids:
            self.patient_ids.append(patient_id)
