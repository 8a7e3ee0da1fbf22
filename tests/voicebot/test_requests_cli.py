"""`voicebot requests list` and `voicebot requests done`, run as a real program on a real database."""

from __future__ import annotations

import json
from datetime import date, datetime

from booking.records import PatientDetails, RequestCategory
from booking.service import BookingService
from booking.staff import StaffStore
from tests.conftest import PARIS
from tests.voicebot.test_cli import applied, voicebot

__all__ = ["applied"]  # the fixture, shared with test_cli


def leave(url: str) -> tuple[int, int]:
    service = BookingService.open(url)
    jean = PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678")
    marie = PatientDetails("Marie", "Curie", date(1967, 11, 7), "+33699887766")
    first = service.leave_request(RequestCategory.RENEWAL, jean, datetime(2026, 11, 27, 9, 0, tzinfo=PARIS))
    second = service.leave_request(RequestCategory.CALLBACK, marie, datetime(2026, 11, 28, 9, 30, tzinfo=PARIS))
    service.engine.dispose()
    return first.id, second.id


def test_list_then_mark_done(applied: str) -> None:
    first, second = leave(applied)
    listed = voicebot("requests", "list", db=applied)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"#{second}") and "call back" in lines[0] and "Marie Curie" in lines[0]
    assert "to do" in lines[1] and "prescription renewal" in lines[1] and "Fri 2026-11-27 09:00" in lines[1]
    assert "+33612345678" in lines[1] and "born 1985-07-14" in lines[1]
    done = voicebot("requests", "done", str(first), db=applied)
    assert done.returncode == 0 and done.stdout.startswith("Done: ") and "done by cli" in done.stdout
    again = voicebot("requests", "done", str(first), db=applied)
    assert again.returncode == 1 and "already marked done by cli" in again.stderr and "Traceback" not in again.stderr
    missing = voicebot("requests", "done", "99", db=applied)
    assert missing.returncode == 1 and "there is no request number 99" in missing.stderr
    open_only = json.loads(voicebot("requests", "list", "--json", "--status", "open", db=applied).stdout)
    assert [r["id"] for r in open_only] == [second]
    finished = json.loads(voicebot("requests", "list", "--json", "--status", "done", db=applied).stdout)
    assert finished == [
        {
            "id": first,
            "category": "renewal",
            "status": "done",
            "created_at": "2026-11-27T08:00:00+00:00",
            "done_at": "2026-11-28T09:00:00+00:00",
            "done_by": "cli",
            "patient": {"first_name": "Jean", "last_name": "Dupont", "birth_date": "1985-07-14"},
            "callback_phone": "+33612345678",
        }
    ]
    service = BookingService.open(applied)
    assert [(e.username, e.action) for e in StaffStore(service.engine).recent()][0] == ("cli", "request.done")
    service.engine.dispose()


def test_nothing_to_do(applied: str) -> None:
    result = voicebot("requests", "list", "--status", "open", db=applied)
    assert result.returncode == 0 and result.stdout.strip() == "No request still to do."
