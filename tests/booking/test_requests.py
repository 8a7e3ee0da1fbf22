"""Requests left for the practice, on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from booking.records import RequestCategory, RequestRecord, RequestStatus
from booking.requests import RequestAlreadyDone, RequestNotFound
from tests.booking.service_helpers import patient, sample_service
from tests.conftest import NOW


def test_leave_list_and_mark_done(db_url: str) -> None:
    service = sample_service(db_url)
    first = service.leave_request(RequestCategory.RENEWAL, patient(1), NOW)
    second = service.leave_request(RequestCategory.CALLBACK, patient(2), NOW + timedelta(minutes=5))
    assert first.status is RequestStatus.OPEN and first.category is RequestCategory.RENEWAL
    assert first.patient == patient(1) and first.created_at == NOW.astimezone(UTC)
    assert [r.id for r in service.list_requests()] == [second.id, first.id]  # newest first
    done = service.mark_request_done(second.id, NOW + timedelta(hours=1), "sam")
    assert done.status is RequestStatus.DONE and done.done_by == "sam"
    assert done.done_at == (NOW + timedelta(hours=1)).astimezone(UTC)
    assert [r.id for r in service.list_requests()] == [first.id, second.id]  # open ones first
    assert [r.id for r in service.list_requests(status=RequestStatus.OPEN)] == [first.id]
    assert [r.id for r in service.list_requests(status=RequestStatus.DONE)] == [second.id]
    later = service.list_requests(created_from=NOW + timedelta(minutes=1))
    assert [r.id for r in later] == [second.id]
    assert service.list_requests(created_until=NOW + timedelta(minutes=1))[0].id == first.id
    service.engine.dispose()


def test_marking_done_twice_or_an_unknown_request_is_refused(db_url: str) -> None:
    service = sample_service(db_url)
    record = service.leave_request(RequestCategory.RESULTS, patient(), NOW)
    service.mark_request_done(record.id, NOW, "sam")
    with pytest.raises(RequestAlreadyDone, match="already marked done by sam"):
        service.mark_request_done(record.id, NOW, "alice")
    with pytest.raises(RequestNotFound, match="no request number 999"):
        service.mark_request_done(999, NOW, "alice")
    service.engine.dispose()


def test_json_shape() -> None:
    record = RequestRecord(7, RequestCategory.CERTIFICATE, RequestStatus.OPEN, patient(), NOW.astimezone(UTC))
    assert record.as_json() == {
        "id": 7,
        "category": "certificate",
        "status": "open",
        "created_at": NOW.astimezone(UTC).isoformat(),
        "done_at": None,
        "done_by": None,
        "patient": {"first_name": "Jean0", "last_name": "Dupont", "birth_date": "1980-01-01"},
        "callback_phone": "+33600000000",
    }
