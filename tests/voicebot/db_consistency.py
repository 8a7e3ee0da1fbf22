"""What the fuzz tests check after a run: the database is whole and no booking was lost or double-booked.

`seed` gives a fresh sample practice something to lose (two appointments, a request, a call); `assert_consistent`
checks SQLite's own integrity, the foreign keys, that every appointment still has its patient, that the seeded
appointments are all still there, and that no two booked appointments of one practitioner overlap.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, text

from booking.calls import CallLog
from booking.records import (
    CallChannel,
    CallEntry,
    PatientDetails,
    RequestCategory,
    Source,
    Status,
    TranscriptLine,
)
from booking.service import BookingService
from booking.slots import SlotQuery

LUCIE = PatientDetails("Lucie", "Ferrand", date(1985, 7, 14), "+33612345678")
MARIE = PatientDetails("Marie", "Curie", date(1967, 11, 7), "+33699887766")


def seed(service: BookingService, now: datetime) -> list[str]:
    """Book Lucie with Dr Martin and Marie with Dr Bernard in the coming days, leave a request for Lucie and log a
    call; returns the two appointments' references.
    """
    references = []
    for patient, practitioner in ((LUCIE, "martin"), (MARIE, "bernard")):
        query = SlotQuery("consultation", (practitioner,), first_day=now.date(), last_day=now.date() + timedelta(14))
        slot = service.find_slots(query, now)[0]
        references.append(service.book(slot, patient, now, source=Source.PHONE, notify=False).reference)
    service.leave_request(RequestCategory.RENEWAL, LUCIE, now)
    CallLog(service.engine).record(
        CallEntry(
            "CA-seed",
            CallChannel.TWILIO,
            now - timedelta(minutes=5),
            now - timedelta(minutes=2),
            "booked",
            caller_phone=LUCIE.phone,
            booked=(references[0],),
            transcript=(TranscriptLine("caller", "Je m'appelle ⟨NAME⟩."),),
        )
    )
    return references


def assert_consistent(engine: Engine, kept_references: list[str]) -> None:
    """Fail with what is wrong when the database is damaged, an appointment lost its patient or vanished, or one
    practitioner has two booked appointments at once.
    """
    with engine.connect() as connection:

        def rows(sql: str) -> list[tuple[object, ...]]:
            return [tuple(row) for row in connection.execute(text(sql))]

        if engine.dialect.name == "sqlite":
            assert rows("PRAGMA integrity_check") == [("ok",)]
            assert rows("PRAGMA foreign_key_check") == []
        orphans = rows(
            "SELECT a.reference FROM appointment a LEFT JOIN patient p ON p.id = a.patient_id WHERE p.id IS NULL"
        )
        assert orphans == [], f"appointments without their patient: {orphans}"
        present = {str(row[0]) for row in rows("SELECT reference FROM appointment")}
        lost = [reference for reference in kept_references if reference not in present]
        assert lost == [], f"appointments lost: {lost}"
    booked = sorted(
        BookingService(engine).list_appointments(status=Status.BOOKED), key=lambda r: (r.practitioner_id, r.start)
    )
    for earlier, later in zip(booked, booked[1:], strict=False):
        if earlier.practitioner_id == later.practitioner_id:
            assert later.start >= earlier.end, f"double booking: {earlier.reference} and {later.reference}"
