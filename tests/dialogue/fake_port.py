"""A small in-memory `BookingPort` for dialogue tests: the real slot engine over a list of appointments."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from booking.clinic import Clinic
from booking.errors import AppointmentNotFound, SlotUnavailable
from booking.records import (
    AppointmentRecord,
    PatientDetails,
    PatientRecord,
    RequestCategory,
    RequestRecord,
    RequestStatus,
    Source,
    Status,
)
from booking.slots import Busy, Slot, SlotQuery, find_slots, unavailable_reason


def _key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isalnum())


@dataclass
class FakePort:
    """Satisfies `dialogue.port.BookingPort`; references are 100001, 100002... in booking order."""

    clinic_value: Clinic
    patients: list[PatientRecord] = field(default_factory=list)
    appointments: list[AppointmentRecord] = field(default_factory=list)
    next_reference: int = 100001
    calls: list[str] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    """Requests left for the practice, numbered 1, 2... in order."""

    def clinic(self) -> Clinic:
        return self.clinic_value

    def _busy(self, exclude: str | None = None) -> list[Busy]:
        return [
            Busy(a.practitioner_id, a.start, a.end, a.motif_id)
            for a in self.appointments
            if a.status is Status.BOOKED and a.reference != exclude
        ]

    def find_slots(self, query: SlotQuery, now: datetime) -> list[Slot]:
        self.calls.append("find_slots")
        return find_slots(self.clinic_value, self._busy(), query, now)

    def add_patient(self, details: PatientDetails) -> PatientRecord:
        for record in self.patients:
            same = record.details
            if (_key(same.last_name), _key(same.first_name), same.birth_date) == (
                _key(details.last_name),
                _key(details.first_name),
                details.birth_date,
            ):
                return record
        record = PatientRecord(len(self.patients) + 1, details)
        self.patients.append(record)
        return record

    def _insert(self, slot: Slot, patient: PatientRecord, now: datetime, exclude: str | None) -> AppointmentRecord:
        reason = unavailable_reason(
            self.clinic_value, self._busy(exclude), slot.practitioner_id, slot.motif_id, slot.start, now
        )
        if reason is not None:
            raise SlotUnavailable(reason)
        motif = self.clinic_value.motif(slot.motif_id)
        start = slot.start.astimezone(self.clinic_value.practice.zone)
        record = AppointmentRecord(
            reference=str(self.next_reference),
            status=Status.BOOKED,
            practitioner_id=slot.practitioner_id,
            motif_id=slot.motif_id,
            start=start,
            end=start + timedelta(minutes=motif.duration_minutes),
            patient=patient.details,
            patient_id=patient.id,
            source=Source.PHONE,
            created_at=now,
        )
        self.next_reference += 1
        self.appointments.append(record)
        return record

    def book(self, slot: Slot, patient: PatientDetails, now: datetime) -> AppointmentRecord:
        self.calls.append("book")
        return self._insert(slot, self.add_patient(patient), now, None)

    def _booked(self, reference: str) -> int:
        for index, record in enumerate(self.appointments):
            if record.reference == reference and record.status is Status.BOOKED:
                return index
        raise AppointmentNotFound(reference)

    def cancel(self, reference: str, now: datetime) -> AppointmentRecord:
        self.calls.append("cancel")
        index = self._booked(reference)
        record = replace(self.appointments[index], status=Status.CANCELLED, cancelled_at=now)
        self.appointments[index] = record
        return record

    def reschedule(self, reference: str, slot: Slot, now: datetime) -> AppointmentRecord:
        self.calls.append("reschedule")
        index = self._booked(reference)
        old = self.appointments[index]
        patient = next(p for p in self.patients if p.id == old.patient_id)
        new = self._insert(slot, patient, now, exclude=reference)
        self.appointments[index] = replace(old, status=Status.CANCELLED, cancelled_at=now)
        return new

    def find_patients(
        self, *, phone: str | None = None, last_name: str | None = None, birth_date: date | None = None
    ) -> list[PatientRecord]:
        self.calls.append("find_patients")
        if phone is None and last_name is None and birth_date is None:
            return []
        return [
            p
            for p in self.patients
            if (phone is None or p.details.phone == phone)
            and (last_name is None or _key(p.details.last_name) == _key(last_name))
            and (birth_date is None or p.details.birth_date == birth_date)
        ]

    def upcoming(self, patient_id: int, now: datetime) -> list[AppointmentRecord]:
        self.calls.append("upcoming")
        return sorted(
            (
                a
                for a in self.appointments
                if a.patient_id == patient_id and a.status is Status.BOOKED and a.start.timestamp() >= now.timestamp()
            ),
            key=lambda a: a.start.timestamp(),
        )

    def leave_request(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        self.calls.append("leave_request")
        record = RequestRecord(len(self.requests) + 1, RequestCategory(category), RequestStatus.OPEN, patient, now)
        self.requests.append(record)
        return record

    def booked(self) -> list[AppointmentRecord]:
        """Appointments still booked, earliest first."""
        return sorted((a for a in self.appointments if a.status is Status.BOOKED), key=lambda a: a.start.timestamp())
