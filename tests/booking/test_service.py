"""The booking service on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from booking.errors import AppointmentNotFound, SlotUnavailable, UnknownEntity
from booking.records import PatientDetails, Source, Status
from booking.slots import SlotQuery
from tests.booking.service_helpers import patient, sample_service, slot
from tests.conftest import NOW, PARIS


def test_book_then_slot_is_no_longer_offered(db_url: str) -> None:
    service = sample_service(db_url)
    query = SlotQuery(
        "consultation", practitioner_ids=("martin",), first_day=date(2026, 12, 1), last_day=date(2026, 12, 1)
    )
    first = service.find_slots(query, NOW)[0]
    assert first.start == datetime(2026, 12, 1, 8, 30, tzinfo=PARIS)
    record = service.book(first, patient(), NOW)
    assert record.status is Status.BOOKED and record.source is Source.PHONE
    assert len(record.reference) == 6 and record.reference.isdigit()
    assert record.start == first.start and record.end - record.start == timedelta(minutes=20)
    assert first.start not in [s.start for s in service.find_slots(query, NOW)]
    assert service.get(record.reference) == record


def test_double_booking_is_refused(db_url: str) -> None:
    service = sample_service(db_url)
    service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    with pytest.raises(SlotUnavailable, match="already booked"):
        service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(2), NOW)
    with pytest.raises(SlotUnavailable, match="already booked"):  # overlaps by ten minutes
        service.book(slot("martin", "consultation", "2026-12-01T09:20", 20), patient(2), NOW)
    other = service.book(slot("bernard", "consultation", "2026-12-01T09:20", 20), patient(2), NOW)
    assert other.practitioner_id == "bernard"


@pytest.mark.parametrize(
    ("practitioner", "motif", "start", "message"),
    [
        ("martin", "consultation", "2026-12-01T12:00", "outside the practitioner's opening hours"),
        ("martin", "consultation", "2026-12-01T11:50", "outside the practitioner's opening hours"),
        ("martin", "consultation", "2026-12-24T09:00", "closed"),
        ("bernard", "consultation", "2026-12-25T09:00", "closed"),  # Christmas
        ("martin", "consultation", "2026-11-28T11:00", "outside"),  # today, but Dr Martin never works Saturdays
        ("bernard", "consultation", "2026-11-28T11:00", "too soon"),  # Saturday 11:00, notice 120 min
        ("bertrand", "consultation", "2026-12-01T09:00", "does not offer"),
        ("martin", "consultation", "2027-03-01T09:00", "too far ahead"),
    ],
)
def test_refusals_say_why(sqlite_url: str, practitioner: str, motif: str, start: str, message: str) -> None:
    service = sample_service(sqlite_url)
    with pytest.raises(SlotUnavailable, match=message):
        service.book(slot(practitioner, motif, start, 20), patient(), NOW)
    assert service.list_appointments() == []


def test_unknown_ids(sqlite_url: str) -> None:
    service = sample_service(sqlite_url)
    with pytest.raises(UnknownEntity, match='unknown practitioner "house"'):
        service.book(slot("house", "consultation", "2026-12-01T09:00", 20), patient(), NOW)
    with pytest.raises(UnknownEntity, match='unknown motif "massage"'):
        service.find_slots(SlotQuery("massage"), NOW)
    with pytest.raises(AppointmentNotFound):
        service.cancel("999999", NOW)


def test_staff_may_book_inside_notice_but_not_outside_hours(sqlite_url: str) -> None:
    service = sample_service(sqlite_url)
    record = service.book(slot("bernard", "consultation", "2026-11-28T10:30", 20), patient(), NOW, source=Source.STAFF)
    assert record.source is Source.STAFF
    with pytest.raises(SlotUnavailable, match="outside"):
        service.book(slot("bernard", "consultation", "2026-11-28T12:20", 20), patient(), NOW, source=Source.STAFF)


def test_cancel_frees_the_slot(db_url: str) -> None:
    service = sample_service(db_url)
    wanted = slot("martin", "vaccination", "2026-12-02T10:00", 10)
    record = service.book(wanted, patient(), NOW)
    cancelled = service.cancel(record.reference, NOW)
    assert cancelled.status is Status.CANCELLED and cancelled.cancelled_at == NOW
    with pytest.raises(AppointmentNotFound, match="already cancelled"):
        service.cancel(record.reference, NOW)
    again = service.book(wanted, patient(3), NOW)
    assert again.reference != record.reference


def test_reschedule_moves_and_keeps_patient(db_url: str) -> None:
    service = sample_service(db_url)
    original = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(), NOW)
    # overlapping its own old time is fine: the old one is released in the same transaction
    moved = service.reschedule(original.reference, slot("martin", "consultation", "2026-12-01T09:20", 20), NOW)
    assert moved.reference != original.reference
    assert moved.start == datetime(2026, 12, 1, 9, 20, tzinfo=PARIS)
    assert moved.patient == original.patient
    assert service.get(original.reference).status is Status.CANCELLED
    booked = service.list_appointments(status=Status.BOOKED)
    assert [a.reference for a in booked] == [moved.reference]


def test_failed_reschedule_keeps_original(db_url: str) -> None:
    service = sample_service(db_url)
    original = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    blocker = service.book(slot("martin", "consultation", "2026-12-01T10:10", 20), patient(2), NOW)
    with pytest.raises(SlotUnavailable):
        service.reschedule(original.reference, slot("martin", "consultation", "2026-12-01T10:00", 20), NOW)
    assert service.get(original.reference).status is Status.BOOKED
    assert service.get(blocker.reference).status is Status.BOOKED
    assert len(service.list_appointments()) == 2


def test_patients_found_by_phone_or_name_and_birth_date(db_url: str) -> None:
    service = sample_service(db_url)
    details = PatientDetails("Hélène", "Le Gall-Dubois", date(1990, 5, 17), "+33612121212")
    record = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), details, NOW)
    by_phone = service.find_patients(phone="+33612121212")
    assert [p.details for p in by_phone] == [details]
    by_name = service.find_patients(last_name="le gall dubois", birth_date=date(1990, 5, 17))
    assert [p.id for p in by_name] == [record.patient_id]
    assert service.find_patients(last_name="Le Gall-Dubois", birth_date=date(1990, 5, 18)) == []
    assert service.find_patients() == []
    assert [a.reference for a in service.upcoming(record.patient_id, NOW)] == [record.reference]
    assert service.upcoming(record.patient_id, datetime(2026, 12, 2, tzinfo=PARIS)) == []
    # the same person booking again is the same patient, with the latest phone number
    again = service.book(
        slot("martin", "consultation", "2026-12-03T09:10", 20),
        PatientDetails("helene", "LE GALL-DUBOIS", date(1990, 5, 17), "+33699999999"),
        NOW,
    )
    assert again.patient_id == record.patient_id
    assert service.find_patients(phone="+33699999999")[0].id == record.patient_id


def test_database_refuses_overlaps_written_behind_the_service(db_url: str) -> None:
    """The guarantee is the database's, not only the code's: raw SQL cannot double-book either."""
    service = sample_service(db_url)
    record = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(), NOW)
    start = record.start + timedelta(minutes=5)
    with service.engine.connect() as connection, pytest.raises(Exception, match="overlap"):
        connection.execute(
            text(
                "INSERT INTO appointment (reference, practitioner_id, motif_id, patient_id, start_at, end_at, "
                "status, source, created_at) VALUES ('000001', 'martin', 'consultation', :p, :s, :e, 'booked', "
                "'staff', :s)"
            ),
            {
                "p": record.patient_id,
                "s": _db_time(db_url, start),
                "e": _db_time(db_url, start + timedelta(minutes=20)),
            },
        )
        connection.commit()
    assert len(service.list_appointments()) == 1


def _db_time(url: str, value: datetime) -> object:
    from datetime import UTC

    utc = value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(sep=" ") if url.startswith("sqlite") else utc
