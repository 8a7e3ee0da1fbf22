"""The retention purge on real SQLite and PostgreSQL with a frozen clock: past each limit, a dump of the whole
database holds nothing of the expired patients; dry runs change nothing; purges are idempotent and, across
processes, one at a time; refusals survive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlmodel import Session, col

from booking.calls import CallLog
from booking.models import AppointmentRow, AuditEntryRow, PatientRow, RequestRow
from booking.privacy import ANONYMOUS_BIRTH_DATE, PURGE_LOCK, PurgeReport, purge, years_before
from booking.records import PatientDetails, RequestCategory
from booking.requests import RequestBook
from booking.service import BookingService, fold_name
from booking.staff import StaffStore
from tests.booking.privacy_helpers import book_at, call, dump, forms_of
from tests.booking.service_helpers import sample_service
from tests.conftest import NOW, ROOT

EXPIRED = PatientDetails("Zéphyrine", "Quillebeuf", date(1950, 3, 4), "+33611223344")
"""Last seen in March 2023: more than 3 years before `NOW`."""
DORMANT = PatientDetails("Philomène", "Tirecuir", date(1961, 9, 8), "+33677889900")
"""Recorded in 2022 without any appointment."""
RECENT = PatientDetails("Anatole", "Brindejonc", date(1987, 6, 5), "+33655443322")
"""Seen in 2025 and booked next week: kept."""
STRANGER = PatientDetails("Ghislain", "Vermorel", date(1972, 1, 2), "+33644556677")
"""Only left a request, in 2022."""


@dataclass(frozen=True)
class World:
    service: BookingService
    expired: int
    dormant: int
    recent: int
    calls: dict[str, int]


def world(url: str) -> World:
    """A practice with three patients, requests, audit lines naming them, and calls of every age."""
    service = sample_service(url)
    expired, _ = book_at(service, EXPIRED, "2023-03-07T09:10")
    recent, _ = book_at(service, RECENT, "2025-06-03T09:10")
    book_at(service, RECENT, "2026-12-01T09:10")
    with Session(service.engine) as session, session.begin():
        row = PatientRow(
            first_name=DORMANT.first_name,
            last_name=DORMANT.last_name,
            first_name_key=fold_name(DORMANT.first_name),
            last_name_key=fold_name(DORMANT.last_name),
            birth_date=DORMANT.birth_date,
            phone=DORMANT.phone,
            created_at=datetime(2022, 5, 2, 9, 0, tzinfo=NOW.tzinfo),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        dormant = row.id
    requests = RequestBook(service.engine)
    requests.leave(RequestCategory.RENEWAL, EXPIRED, datetime(2023, 3, 1, 9, 0, tzinfo=NOW.tzinfo))
    requests.leave(RequestCategory.CALLBACK, EXPIRED, NOW - timedelta(days=60))
    requests.leave(RequestCategory.CERTIFICATE, STRANGER, datetime(2022, 4, 4, 9, 0, tzinfo=NOW.tzinfo))
    requests.leave(RequestCategory.RESULTS, RECENT, NOW - timedelta(days=1))
    audit = StaffStore(service.engine)
    for who in (EXPIRED, DORMANT, STRANGER, RECENT):
        audit.record("cli", "request.done", f"1 renewal {who.first_name} {who.last_name} {who.phone}", NOW)
    audit.record(
        "secretaire",
        "appointment.book",
        f"123456 martin 2023-03-07 09:10 {EXPIRED.first_name} "
        f"{EXPIRED.last_name.upper()}, né(e) le {EXPIRED.birth_date:%d/%m/%Y}, 06 11 22 33 44",
        NOW,
    )
    log = CallLog(service.engine)
    calls = {
        "recent": (NOW - timedelta(days=10), (recent,), RECENT.phone, False),
        "mid": (NOW - timedelta(days=45), (recent,), RECENT.phone, False),
        "old": (NOW - timedelta(days=120), (recent,), RECENT.phone, False),
        "expired": (NOW - timedelta(days=5), (expired,), EXPIRED.phone, True),
        "unlinked": (NOW - timedelta(days=3), (), EXPIRED.phone, False),
    }
    ids = {
        name: log.record(call(name, at, patient_ids=who, caller_phone=phone, refused=refused)).id
        for name, (at, who, phone, refused) in calls.items()
    }
    return World(service, expired, dormant, recent, ids)


EXPECTED = PurgeReport(transcripts_deleted=3, calls_deleted=1, patients_anonymised=2, requests_anonymised=3)


def test_past_each_limit_nothing_of_the_expired_is_left(db_url: str) -> None:
    w = world(db_url)
    before = dump(w.service.engine)
    for who in (EXPIRED, DORMANT, STRANGER, RECENT):
        assert all(form in before for form in forms_of(who)[:2] + [who.birth_date.isoformat(), who.phone])
    assert purge(w.service.engine, NOW) == EXPECTED
    after = dump(w.service.engine)
    for who in (EXPIRED, DORMANT, STRANGER):
        for form in forms_of(who):
            assert form not in after, form
    for form in (RECENT.first_name, RECENT.last_name, RECENT.birth_date.isoformat(), RECENT.phone):
        assert form in after
    log = CallLog(w.service.engine)
    assert log.get(w.calls["recent"]).transcript is not None
    assert log.get(w.calls["mid"]).transcript is None  # past 30 days: gone, the call stays
    assert {c.id for c in log.find()} == set(w.calls.values()) - {w.calls["old"]}  # past 90 days: deleted
    expired_call = log.get(w.calls["expired"])
    assert expired_call.transcript is None and expired_call.entry.caller_phone is None
    assert log.get(w.calls["unlinked"]).entry.caller_phone is None
    assert log.get(w.calls["recent"]).entry.caller_phone == RECENT.phone
    with Session(w.service.engine) as session:
        for patient_id in (w.expired, w.dormant):
            row = session.get(PatientRow, patient_id)
            assert row is not None and row.anonymised_at == NOW
            assert (row.first_name, row.last_name, row.phone, row.birth_date) == ("", "", "", ANONYMOUS_BIRTH_DATE)
        expired = session.get(PatientRow, w.expired)
        assert expired is not None and expired.reuse_refused  # the refusal survives
        kept = session.scalars(select(AppointmentRow).where(col(AppointmentRow.patient_id) == w.expired)).all()
        assert [a.status for a in kept] == ["booked"]  # the appointment stays, as an anonymous count
        assert len(session.scalars(select(RequestRow)).all()) == 4
        purged = session.scalars(select(AuditEntryRow).where(col(AuditEntryRow.action) == "privacy.purge")).one()
        assert purged.username == "purge" and purged.details == EXPECTED.details()
        book_line = session.scalars(select(AuditEntryRow).where(col(AuditEntryRow.action) == "appointment.book")).one()
        assert book_line.details == "123456 martin 2023-03-07 09:10 ⟨NAME⟩ ⟨NAME⟩, né(e) le ⟨BIRTH_DATE⟩, ⟨PHONE⟩"
    w.service.engine.dispose()


def test_a_dry_run_counts_and_changes_nothing(db_url: str) -> None:
    w = world(db_url)
    before = dump(w.service.engine)
    report = purge(w.service.engine, NOW, dry_run=True)
    assert report.dry_run and report.as_json() == {**EXPECTED.as_json(), "dry_run": True}
    assert dump(w.service.engine) == before
    w.service.engine.dispose()


def test_a_second_purge_finds_nothing_to_do(db_url: str) -> None:
    w = world(db_url)
    assert purge(w.service.engine, NOW) == EXPECTED
    once = dump(w.service.engine)
    assert purge(w.service.engine, NOW + timedelta(minutes=1), by="cli") == PurgeReport()
    twice = dump(w.service.engine)
    assert twice.count("privacy.purge") == once.count("privacy.purge") + 1
    w.service.engine.dispose()


def test_before_the_limits_nothing_is_purged(db_url: str) -> None:
    w = world(db_url)
    early = datetime(2025, 3, 1, 12, 0, tzinfo=NOW.tzinfo)  # 3 years after the oldest record; calls are later
    assert purge(w.service.engine, early, dry_run=True) == PurgeReport(dry_run=True)
    later = datetime(2025, 12, 1, 12, 0, tzinfo=NOW.tzinfo)  # the dormant record and the 2022 request are due
    assert purge(w.service.engine, later, dry_run=True) == PurgeReport(
        patients_anonymised=1, requests_anonymised=1, dry_run=True
    )
    w.service.engine.dispose()


def test_the_limits_come_from_the_clinic_file(db_url: str) -> None:
    w = world(db_url)
    with Session(w.service.engine) as session, session.begin():
        session.execute(text("UPDATE practice SET transcript_days = 4, call_log_days = 200, patient_data_years = 1"))
    report = purge(w.service.engine, NOW, dry_run=True)
    # transcripts older than 4 days: all five but "unlinked"; no call past 200 days; RECENT's last visit is next week
    assert (report.transcripts_deleted, report.calls_deleted, report.patients_anonymised) == (4, 0, 2)
    w.service.engine.dispose()


def test_years_are_calendar_years() -> None:
    assert years_before(NOW, 3) == NOW.replace(year=2023)
    leap = datetime(2028, 2, 29, 10, 0, tzinfo=NOW.tzinfo)
    assert years_before(leap, 3) == datetime(2025, 2, 28, 10, 0, tzinfo=NOW.tzinfo)


def _purge_process(url: str, now: datetime = NOW) -> subprocess.Popen[str]:
    code = (
        "import json, sys; from datetime import datetime; from booking.db import open_engine; "
        "from booking.privacy import purge; "
        f"print(json.dumps(purge(open_engine({url!r}), datetime.fromisoformat({now.isoformat()!r})).as_json()))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def _result(process: subprocess.Popen[str]) -> dict[str, object]:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0
    return dict(json.loads(out))


def test_two_purges_at_once_do_the_work_once(db_url: str) -> None:
    w = world(db_url)
    results = [_result(p) for p in [_purge_process(db_url), _purge_process(db_url)]]
    for key in ("transcripts_deleted", "calls_deleted", "patients_anonymised", "requests_anonymised"):
        assert sum(int(r[key]) for r in results) == EXPECTED.as_json()[key], results  # type: ignore[call-overload]
    assert any(r == EXPECTED.as_json() for r in results), results
    with Session(w.service.engine) as session:
        lines = session.scalars(select(AuditEntryRow).where(col(AuditEntryRow.action) == "privacy.purge")).all()
        assert len(lines) == 2 - sum(bool(r["skipped"]) for r in results)
    w.service.engine.dispose()


def test_a_purge_waits_or_skips_while_another_holds_the_lock(db_url: str) -> None:
    """Deterministic: this test holds what a running purge holds, then lets go."""
    w = world(db_url)
    with w.service.engine.connect() as holder:
        sqlite = holder.dialect.name == "sqlite"
        transaction = holder.begin()  # BEGIN IMMEDIATE on SQLite: the database's write lock
        if not sqlite:
            assert holder.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PURGE_LOCK})
        process = _purge_process(db_url)
        if sqlite:
            time.sleep(2)
            assert process.poll() is None  # waiting for the lock
            transaction.commit()
            assert _result(process) == EXPECTED.as_json()
        else:
            assert _result(process) == {**PurgeReport().as_json(), "skipped": True}
            transaction.commit()
    assert purge(w.service.engine, NOW, dry_run=True).patients_anonymised == (0 if sqlite else 2)
    w.service.engine.dispose()
