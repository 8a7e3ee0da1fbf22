"""Access, erasure and the reuse corpus, on real SQLite and PostgreSQL: a patient's export holds everything on
them, an erasure leaves nothing of them (their refusal stays), the corpus leaves out whatever may not be reused.
"""

from __future__ import annotations

import json
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from booking.calls import CallLog
from booking.errors import BookingError
from booking.models import AuditEntryRow, PatientRow, PracticeRow
from booking.privacy import PatientNotFound, erase_patient, export_corpus, export_patient, find_patient, purge
from booking.records import PatientDetails, RequestCategory, Status, TranscriptLine
from booking.requests import RequestBook
from booking.slots import SlotQuery
from booking.staff import StaffStore
from tests.booking.privacy_helpers import book_at, call, dump, forms_of
from tests.booking.service_helpers import sample_service
from tests.conftest import NOW

ALICE = PatientDetails("Aliénor", "Kerguelen", date(1979, 4, 30), "+33612121212")
BRUNO = PatientDetails("Barnabé", "Lesueur", date(1990, 10, 11), "+33623232323")
CLARA = PatientDetails("Capucine", "Morvandiau", date(2001, 2, 3), "+33634343434")


def audit_lines(engine: object, action: str) -> list[AuditEntryRow]:
    with Session(engine) as session:  # type: ignore[call-overload]
        return list(session.scalars(select(AuditEntryRow).where(col(AuditEntryRow.action) == action)))


def test_find_patient_by_name_and_birth_date(db_url: str) -> None:
    service = sample_service(db_url)
    alice, _ = book_at(service, ALICE, "2026-12-01T09:10")
    assert find_patient(service.engine, "aliénor", "KERGUELEN", ALICE.birth_date) == alice
    assert find_patient(service.engine, " Alienor ", "Kerguélen", ALICE.birth_date) == alice
    with pytest.raises(PatientNotFound, match="no patient named Aliénor Kerguelen, born on 01/05/1979") as caught:
        find_patient(service.engine, "Aliénor", "Kerguelen", date(1979, 5, 1))
    assert isinstance(caught.value, BookingError)
    with pytest.raises(PatientNotFound):
        find_patient(service.engine, "", "", ALICE.birth_date)
    erase_patient(service.engine, alice, NOW, by="cli")
    with pytest.raises(PatientNotFound):  # once erased, nobody answers to that name
        find_patient(service.engine, "Aliénor", "Kerguelen", ALICE.birth_date)
    service.engine.dispose()


def test_the_export_holds_everything_on_the_patient(db_url: str) -> None:
    service = sample_service(db_url)
    alice, past = book_at(service, ALICE, "2026-10-06T09:10")
    _, future = book_at(service, ALICE, "2026-12-01T09:10")
    bruno, _ = book_at(service, BRUNO, "2026-12-01T09:30")
    RequestBook(service.engine).leave(RequestCategory.RENEWAL, ALICE, NOW - timedelta(days=2))
    RequestBook(service.engine).leave(RequestCategory.CALLBACK, BRUNO, NOW - timedelta(days=2))
    log = CallLog(service.engine)
    log.record(call("CA-alice", NOW - timedelta(days=3), patient_ids=(alice,), refused=True, booked=(future,)))
    log.record(call("CA-bruno", NOW - timedelta(days=3), patient_ids=(bruno,)))
    exported = export_patient(service.engine, alice, by="secretaire", now=NOW)
    json.dumps(exported)  # JSON-ready
    assert exported["patient"] == {
        "id": alice,
        "first_name": "Aliénor",
        "last_name": "Kerguelen",
        "birth_date": "1979-04-30",
        "phone": "+33612121212",
        "created_at": exported["patient"]["created_at"],  # type: ignore[index]
        "anonymised_at": None,
    }
    assert exported["preferences"] == {"reuse_refused": True}
    assert [a["reference"] for a in exported["appointments"]] == [past, future]  # type: ignore[attr-defined]
    assert exported["appointments"][0]["start"] == "2026-10-06T09:10:00+02:00"  # type: ignore[index]
    calls = exported["calls"]
    assert [c["key"] for c in calls] == ["CA-alice"]  # type: ignore[attr-defined]
    assert calls[0]["transcript"][0]["speaker"] == "bot"  # type: ignore[index]
    assert [r["category"] for r in exported["requests"]] == ["renewal"]  # type: ignore[attr-defined]
    assert "Barnabé" not in json.dumps(exported, ensure_ascii=False)
    [line] = audit_lines(service.engine, "privacy.export")
    assert (line.username, line.details, line.at) == ("secretaire", f"patient {alice}", NOW)
    with pytest.raises(PatientNotFound, match="there is no patient number 999"):
        export_patient(service.engine, 999, now=NOW)
    service.engine.dispose()


def test_erasure_cancels_the_future_and_leaves_nothing_of_the_patient(db_url: str) -> None:
    service = sample_service(db_url)
    alice, past = book_at(service, ALICE, "2026-10-06T09:10")
    _, future = book_at(service, ALICE, "2026-12-01T09:10")
    bruno, _ = book_at(service, BRUNO, "2026-12-01T09:30")
    RequestBook(service.engine).leave(RequestCategory.RENEWAL, ALICE, NOW - timedelta(days=2))
    log = CallLog(service.engine)
    alice_call = log.record(call("CA-a", NOW - timedelta(days=1), patient_ids=(alice,), caller_phone=ALICE.phone))
    bruno_call = log.record(call("CA-b", NOW - timedelta(days=1), patient_ids=(bruno,), caller_phone=BRUNO.phone))
    StaffStore(service.engine).record(
        "secretaire", "appointment.book", f"{future} martin 2026-12-01 09:10 {ALICE.first_name} {ALICE.last_name}", NOW
    )
    with Session(service.engine) as session:
        version = session.get(PracticeRow, 1).bookings_version  # type: ignore[union-attr]
    report = erase_patient(service.engine, alice, NOW, by="admin")
    assert report.as_json() == {
        "patient_id": alice,
        "appointments_cancelled": 1,
        "transcripts_deleted": 1,
        "requests_anonymised": 1,
        "texts_deleted": 0,
    }
    assert service.get(future).status is Status.CANCELLED and service.get(past).status is Status.BOOKED
    with Session(service.engine) as session:
        assert session.get(PracticeRow, 1).bookings_version == version + 1  # type: ignore[union-attr]
    service.forget_cache()
    query = SlotQuery("consultation", ("martin",), first_day=date(2026, 12, 1), last_day=date(2026, 12, 1))
    assert any(s.start == service.get(future).start for s in service.find_slots(query, NOW))  # free again
    everything = dump(service.engine)
    for form in forms_of(ALICE):
        assert form not in everything, form
    for form in (BRUNO.first_name, BRUNO.last_name, BRUNO.birth_date.isoformat(), BRUNO.phone):
        assert form in everything, form
    assert log.get(alice_call.id).transcript is None and log.get(alice_call.id).entry.caller_phone is None
    assert log.get(bruno_call.id).transcript is not None
    [line] = audit_lines(service.engine, "privacy.erase")
    assert line.username == "admin" and line.details.startswith(f"patient {alice}: 1 appointment(s) cancelled")
    again = erase_patient(service.engine, alice, NOW + timedelta(hours=1), by="admin")
    assert (again.appointments_cancelled, again.transcripts_deleted, again.requests_anonymised) == (0, 0, 0)
    with Session(service.engine) as session:
        assert session.get(PatientRow, alice).anonymised_at == NOW  # type: ignore[union-attr]
    with pytest.raises(PatientNotFound):
        erase_patient(service.engine, 999, NOW, by="admin")
    service.engine.dispose()


def test_a_refusal_survives_an_erase_and_a_purge(db_url: str) -> None:
    service = sample_service(db_url)
    alice, _ = book_at(service, ALICE, "2022-03-01T09:10")  # long past: the purge anonymises her
    bruno, _ = book_at(service, BRUNO, "2026-12-01T09:30")
    log = CallLog(service.engine)
    log.record(call("CA-a", NOW - timedelta(days=200), patient_ids=(alice,), refused=True))
    log.record(call("CA-b", NOW - timedelta(days=2), patient_ids=(bruno,), refused=True))
    assert purge(service.engine, NOW).patients_anonymised == 1
    erase_patient(service.engine, bruno, NOW, by="cli")
    assert purge(service.engine, NOW + timedelta(days=1)).patients_anonymised == 0
    with Session(service.engine) as session:
        for patient_id in (alice, bruno):
            row = session.get(PatientRow, patient_id)
            assert row is not None and row.reuse_refused and row.anonymised_at is not None
    service.engine.dispose()


def test_the_corpus_leaves_out_what_may_not_be_reused(db_url: str) -> None:
    service = sample_service(db_url)
    alice, ref_a = book_at(service, ALICE, "2026-12-01T09:10")
    bruno, ref_b = book_at(service, BRUNO, "2026-12-01T09:30")
    clara, ref_c = book_at(service, CLARA, "2026-12-01T09:50")
    log = CallLog(service.engine)
    usable = log.record(
        call("ok", NOW - timedelta(days=2), patient_ids=(alice,), booked=(ref_a,), caller_phone=ALICE.phone)
    )
    log.record(call("refused", NOW - timedelta(days=2), patient_ids=(bruno,), refused=True, booked=(ref_b,)))
    log.record(call("of-bruno", NOW - timedelta(days=1), patient_ids=(bruno,), caller_phone=BRUNO.phone))
    log.record(call("too-old", NOW - timedelta(days=31), patient_ids=(clara,), caller_phone=CLARA.phone))
    leaked = (
        TranscriptLine("caller", f"{CLARA.first_name} {CLARA.last_name}, née le {CLARA.birth_date:%d/%m/%Y}"),
        TranscriptLine("caller", f"mon numéro c'est le 06 34 34 34 34, la référence {ref_c}"),
    )
    guarded = log.record(
        call("leak", NOW - timedelta(hours=3), patient_ids=(clara,), booked=(ref_c,), transcript=leaked)
    )
    log.record(call("chat", NOW - timedelta(hours=1), caller_phone=None, booked=(), outcome="goodbye"))
    corpus = export_corpus(service.engine, NOW)
    assert [item["id"] for item in corpus][:2] == [usable.id, guarded.id]
    assert [item.keys() for item in corpus][0] == {"id", "channel", "started_at", "outcome", "transcript"}
    assert len(corpus) == 3
    assert corpus[1]["transcript"] == [
        {"speaker": "caller", "text": "⟨NAME⟩ ⟨NAME⟩, née le ⟨BIRTH_DATE⟩"},
        {"speaker": "caller", "text": "mon numéro c'est le ⟨PHONE⟩, la référence ⟨REFERENCE⟩"},
    ]
    text = json.dumps(corpus, ensure_ascii=False)
    for who in (ALICE, BRUNO, CLARA):
        for form in forms_of(who):
            assert form not in text, form
    for reference in (ref_a, ref_b, ref_c):
        assert reference not in text
    assert "caller_phone" not in text and "+33" not in text
    assert export_corpus(service.engine, NOW + timedelta(days=40)) == []  # past 30 days nothing is usable
    service.engine.dispose()


def test_the_corpus_follows_the_practice_limit(db_url: str) -> None:
    service = sample_service(db_url)
    log = CallLog(service.engine)
    log.record(call("a", NOW - timedelta(days=5)))
    log.record(call("b", NOW - timedelta(days=12)))
    with Session(service.engine) as session, session.begin():
        row = session.get(PracticeRow, 1)
        assert row is not None
        row.transcript_days = 7
    assert [item["outcome"] for item in export_corpus(service.engine, NOW)] == ["booked"]
    assert export_corpus(service.engine, NOW)[0]["started_at"] == (NOW - timedelta(days=5)).astimezone(UTC).isoformat()
    service.engine.dispose()
