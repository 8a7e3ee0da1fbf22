"""The call log on real SQLite and PostgreSQL: recording (idempotent, refusals), finding, and the daily chart."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session

from booking.calls import CallLog, CallNotFound, DayCounts
from booking.errors import BookingError
from booking.models import PatientRow
from booking.records import CALL_OUTCOMES, CallChannel, TranscriptLine
from tests.booking.privacy_helpers import TRANSCRIPT, book_at, call
from tests.booking.service_helpers import patient, sample_service
from tests.conftest import NOW, PARIS


def test_a_call_is_recorded_and_read_back_whole(db_url: str) -> None:
    service = sample_service(db_url)
    patient_id, reference = book_at(service, patient(1), "2026-12-01T09:10")
    log = CallLog(service.engine)
    entry = call("CA1", NOW - timedelta(minutes=5), patient_ids=(patient_id,), booked=(reference,))
    logged = log.record(entry)
    assert logged.entry == entry and logged.transcript == TRANSCRIPT
    assert log.get(logged.id) == logged
    shown = logged.as_json(with_transcript=True)
    assert shown["channel"] == "twilio" and shown["outcome"] == "booked" and shown["booked"] == [reference]
    assert shown["latency"] == {"replies": 6, "p50_ms": 700, "p95_ms": 1200, "max_ms": 1500}
    assert shown["transcript"][3] == {"speaker": "caller", "text": "⟨NAME⟩ ⟨NAME⟩ né le ⟨BIRTH_DATE⟩"}
    chat = log.record(call("chat-1", NOW, channel=CallChannel.CHAT, caller_phone=None, outcome="goodbye"))
    assert chat.entry.latency is None and chat.entry.caller_phone is None and chat.entry.channel is CallChannel.CHAT
    service.engine.dispose()


def test_recording_the_same_call_twice_stores_it_once(db_url: str) -> None:
    service = sample_service(db_url)
    log = CallLog(service.engine)
    first = log.record(call("CA-same", NOW))
    again = log.record(call("CA-same", NOW + timedelta(seconds=1), outcome="hung_up"))
    assert again == first
    assert len(log.find()) == 1
    service.engine.dispose()


def test_a_refusal_marks_the_call_and_its_patients(db_url: str) -> None:
    service = sample_service(db_url)
    refusing, _ = book_at(service, patient(1), "2026-12-01T09:10")
    other, _ = book_at(service, patient(2), "2026-12-01T09:30")
    log = CallLog(service.engine)
    logged = log.record(call("CA-no", NOW, refused=True, patient_ids=(refusing, 999_999)))
    log.record(call("CA-yes", NOW, patient_ids=(other,)))
    assert logged.entry.refused and logged.entry.patient_ids == (refusing,)  # unknown ids are not linked
    with Session(service.engine) as session:
        assert session.get(PatientRow, refusing).reuse_refused  # type: ignore[union-attr]
        assert not session.get(PatientRow, other).reuse_refused  # type: ignore[union-attr]
    assert [c.entry.key for c in log.for_patient(refusing)] == ["CA-no"]
    assert log.for_patient(12345) == []
    service.engine.dispose()


def test_find_filters_newest_first(db_url: str) -> None:
    service = sample_service(db_url)
    log = CallLog(service.engine)
    for day, outcome in enumerate(["booked", "transferred", "hung_up", "booked"]):
        log.record(call(f"CA{day}", NOW - timedelta(days=day), outcome=outcome))
    assert [c.entry.key for c in log.find()] == ["CA0", "CA1", "CA2", "CA3"]
    assert [c.entry.key for c in log.find(outcome="booked")] == ["CA0", "CA3"]
    window = log.find(started_from=NOW - timedelta(days=2), started_until=NOW)
    assert [c.entry.key for c in window] == ["CA1", "CA2"]
    assert [c.entry.key for c in log.find(limit=2)] == ["CA0", "CA1"]
    service.engine.dispose()


def test_get_an_unknown_call(db_url: str) -> None:
    service = sample_service(db_url)
    with pytest.raises(CallNotFound, match="there is no call number 42") as caught:
        CallLog(service.engine).get(42)
    assert isinstance(caught.value, BookingError)
    service.engine.dispose()


def test_daily_counts_every_day_in_the_practice_zone(db_url: str) -> None:
    service = sample_service(db_url)
    log = CallLog(service.engine)
    evening = datetime(2026, 11, 26, 23, 30, tzinfo=PARIS)  # 22:30 UTC: still the 26th in Paris
    outcomes = ["booked", "moved", "transferred", "emergency", "hung_up", "no_input", "closed", "goodbye"]
    for index, outcome in enumerate(outcomes):
        log.record(call(f"CA{index}", evening - timedelta(minutes=index), outcome=outcome))
    log.record(call("late", datetime(2026, 11, 27, 0, 10, tzinfo=PARIS), outcome="requested"))
    log.record(call("outside", datetime(2026, 11, 29, 0, 0, tzinfo=PARIS)))
    days = log.daily_counts(date(2026, 11, 25), date(2026, 11, 28), PARIS)
    assert days == [
        DayCounts(date(2026, 11, 25), 0, 0, 0, 0),
        DayCounts(date(2026, 11, 26), 8, 2, 2, 3),
        DayCounts(date(2026, 11, 27), 1, 0, 0, 0),
        DayCounts(date(2026, 11, 28), 0, 0, 0, 0),
    ]
    assert len(log.daily_counts(NOW.date() - timedelta(days=29), NOW.date(), PARIS)) == 30
    service.engine.dispose()


def test_daily_counts_across_the_clock_change(db_url: str) -> None:
    service = sample_service(db_url)
    log = CallLog(service.engine)
    log.record(call("a", datetime(2026, 10, 25, 0, 30, tzinfo=PARIS)))  # the 25-hour day
    log.record(call("b", datetime(2026, 10, 25, 23, 59, tzinfo=PARIS)))
    days = log.daily_counts(date(2026, 10, 24), date(2026, 10, 26), PARIS)
    assert [d.calls for d in days] == [0, 2, 0]
    service.engine.dispose()


def test_every_outcome_is_stored() -> None:
    assert len(CALL_OUTCOMES) == len(set(CALL_OUTCOMES))
    assert all(len(o) <= 16 for o in CALL_OUTCOMES)  # the column's width


def test_a_transcript_keeps_its_characters(db_url: str) -> None:
    service = sample_service(db_url)
    lines = (TranscriptLine("caller", "dtmf:1 « je refuse » — ça va ? 🙂"),)
    logged = CallLog(service.engine).record(call("CA-u", NOW, transcript=lines))
    assert CallLog(service.engine).get(logged.id).transcript == lines
    service.engine.dispose()
