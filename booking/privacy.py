"""Privacy by design: the retention purge, finding a patient, erasing one, and the exports (`privacy_export`).

The purge applies the clinic file's `[privacy]` limits (`Retention`): transcripts past `transcript_days` are
emptied, calls and text messages (sent or given up) past `call_log_days` deleted, and every patient whose last
appointment ended more than `patient_data_years` ago is anonymised everywhere (appointments stay, as anonymous
counts). One purge runs at a time: on PostgreSQL a second one finds the advisory lock taken and skips; on SQLite
it waits for the first one's `BEGIN IMMEDIATE` transaction and then finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, delete, func, or_, select, text, update
from sqlmodel import Session, col

from booking.models import (
    AppointmentRow,
    AuditEntryRow,
    CallLogRow,
    CallPatientRow,
    PatientRow,
    PracticeRow,
    RequestRow,
    SmsMessageRow,
)
from booking.privacy_export import PatientNotFound, export_corpus, export_patient, read_retention
from booking.privacy_retention import MAX_PATIENT_DATA_YEARS, Retention
from booking.privacy_scrub import ANONYMOUS_BIRTH_DATE, Identity, anonymise_patients, anonymise_requests, scrub_audit
from booking.records import Status
from booking.service import fold_name

__all__ = [
    "ANONYMOUS_BIRTH_DATE",
    "MAX_PATIENT_DATA_YEARS",
    "PURGE_LOCK",
    "EraseReport",
    "PatientNotFound",
    "PurgeReport",
    "Retention",
    "erase_patient",
    "export_corpus",
    "export_patient",
    "find_patient",
    "purge",
    "read_retention",
    "years_before",
]

PURGE_LOCK = 0x766F_6963_6562_6F74
"""The PostgreSQL advisory lock key ("voicebot") one purge holds for its transaction."""


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, for a dry run, would remove)."""

    transcripts_deleted: int = 0
    calls_deleted: int = 0
    patients_anonymised: int = 0
    requests_anonymised: int = 0
    texts_deleted: int = 0
    """Text messages sent or given up more than `call_log_days` ago, and those of the patients anonymised."""
    skipped: bool = False
    """Another purge held the lock: this one did nothing."""
    dry_run: bool = False

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of `voicebot privacy purge --json`."""
        return asdict(self)

    def details(self) -> str:
        """The counts, as the audit line says them (no name, no number)."""
        return (
            f"{self.transcripts_deleted} transcript(s) deleted, {self.calls_deleted} call(s) deleted, "
            f"{self.patients_anonymised} patient(s) anonymised, {self.requests_anonymised} request(s) anonymised, "
            f"{self.texts_deleted} text(s) deleted"
        )


@dataclass(frozen=True)
class EraseReport:
    """What erasing a patient did."""

    patient_id: int
    appointments_cancelled: int
    """Future appointments cancelled (the time is free again)."""
    transcripts_deleted: int
    requests_anonymised: int
    texts_deleted: int

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of `voicebot privacy erase --json`."""
        return asdict(self)


def years_before(moment: datetime, years: int) -> datetime:
    """The same moment `years` calendar years earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def purge(engine: Engine, now: datetime, *, dry_run: bool = False, by: str = "purge") -> PurgeReport:
    """Apply the retention limits as of `now`, in one transaction, then write one audit line with the counts.

    A dry run counts what would change and changes nothing (no audit line). Running it again finds nothing to do.
    On PostgreSQL, when another purge holds the lock, returns at once with `skipped=True`.
    """
    with _transaction(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PURGE_LOCK}):
                session.rollback()
                return PurgeReport(skipped=True, dry_run=dry_run)
        report = _purge(session, now, dry_run)
        if dry_run:
            session.rollback()
        else:
            session.add(AuditEntryRow(at=now, username=by, action="privacy.purge", details=report.details()))
            session.commit()
        return report


def _purge(session: Session, now: datetime, dry_run: bool) -> PurgeReport:
    retention = read_retention(session)
    transcripts = _empty_transcripts(session, now - timedelta(days=retention.transcript_days))
    old_calls = select(col(CallLogRow.id)).where(
        col(CallLogRow.started_at) < now - timedelta(days=retention.call_log_days)
    )
    session.execute(delete(CallPatientRow).where(col(CallPatientRow.call_id).in_(old_calls)))
    calls = _count(session.execute(delete(CallLogRow).where(col(CallLogRow.id).in_(old_calls))))
    cutoff = years_before(now, retention.patient_data_years)
    patients = _expired_patients(session, cutoff)
    scrubbed = anonymise_patients(session, patients, now)
    old_requests = list(
        session.scalars(
            select(RequestRow).where(
                col(RequestRow.created_at) < cutoff,
                or_(
                    col(RequestRow.first_name) != "",
                    col(RequestRow.last_name) != "",
                    col(RequestRow.callback_phone) != "",
                ),
            )
        )
    )
    scrub_audit(session, [Identity(r.first_name, r.last_name, r.birth_date, r.callback_phone) for r in old_requests])
    requests = scrubbed.requests + anonymise_requests(session, old_requests)
    old_texts = delete(SmsMessageRow).where(
        col(SmsMessageRow.status).in_(["sent", "failed"]),
        col(SmsMessageRow.created_at) < now - timedelta(days=retention.call_log_days),
    )
    texts = scrubbed.texts + _count(session.execute(old_texts))
    return PurgeReport(transcripts + scrubbed.transcripts, calls, len(patients), requests, texts, dry_run=dry_run)


def _expired_patients(session: Session, cutoff: datetime) -> list[PatientRow]:
    """Patients still identified whose last appointment ended before `cutoff`, or created before it without any."""
    last_end = (
        select(col(AppointmentRow.patient_id))
        .group_by(col(AppointmentRow.patient_id))
        .having(func.max(AppointmentRow.end_at) < cutoff)
    )
    with_appointments = select(col(AppointmentRow.patient_id))
    statement = (
        select(PatientRow)
        .where(
            col(PatientRow.anonymised_at).is_(None),
            or_(
                col(PatientRow.id).in_(last_end),
                (col(PatientRow.created_at) < cutoff) & col(PatientRow.id).not_in(with_appointments),
            ),
        )
        .order_by(col(PatientRow.id))
    )
    return list(session.scalars(statement))


def _empty_transcripts(session: Session, before: datetime) -> int:
    statement = update(CallLogRow).where(col(CallLogRow.started_at) < before, col(CallLogRow.transcript).is_not(None))
    return _count(session.execute(statement.values(transcript=None)))


def find_patient(engine: Engine, first_name: str, last_name: str, birth_date: date) -> int:
    """The id of the patient with this name and birth date (names compared without case or accents).

    Raises:
        PatientNotFound: no patient still identified matches.
    """
    statement = (
        select(col(PatientRow.id))
        .where(
            col(PatientRow.first_name_key) == fold_name(first_name),
            col(PatientRow.last_name_key) == fold_name(last_name),
            col(PatientRow.birth_date) == birth_date,
            col(PatientRow.anonymised_at).is_(None),
        )
        .order_by(col(PatientRow.id))
    )
    with Session(engine) as session:
        found: int | None = session.scalar(statement) if fold_name(first_name) and fold_name(last_name) else None
    if found is None:
        raise PatientNotFound(
            f"no patient named {first_name.strip()} {last_name.strip()}, born on {birth_date:%d/%m/%Y}: "
            "check the spelling and the birth date"
        )
    return found


def erase_patient(engine: Engine, patient_id: int, now: datetime, *, by: str) -> EraseReport:
    """Erase a patient at their request: cancel their future appointments, anonymise them everywhere, delete
    their calls' transcripts; their refusal of reuse stays. Audited with the patient's number only.

    Raises:
        PatientNotFound: no patient has this number.
    """
    with _transaction(engine) as session:
        if session.get_bind().dialect.name == "postgresql":  # queue with bookings, as the booking service does
            session.execute(select(col(PracticeRow.id)).where(col(PracticeRow.id) == 1).with_for_update())
        row = session.get(PatientRow, patient_id)
        if row is None:
            raise PatientNotFound(f"there is no patient number {patient_id}")
        future = list(
            session.scalars(
                select(AppointmentRow).where(
                    col(AppointmentRow.patient_id) == patient_id,
                    col(AppointmentRow.status) == Status.BOOKED.value,
                    col(AppointmentRow.start_at) > now,
                )
            )
        )
        for appointment in future:
            appointment.status = Status.CANCELLED.value
            appointment.cancelled_at = now
        if future:
            session.execute(
                update(PracticeRow)
                .where(col(PracticeRow.id) == 1)
                .values(bookings_version=PracticeRow.bookings_version + 1)
            )
        scrubbed = anonymise_patients(session, [row], now)
        report = EraseReport(patient_id, len(future), scrubbed.transcripts, scrubbed.requests, scrubbed.texts)
        details = (
            f"patient {patient_id}: {report.appointments_cancelled} appointment(s) cancelled, "
            f"{report.transcripts_deleted} transcript(s) deleted, {report.requests_anonymised} request(s) "
            f"anonymised, {report.texts_deleted} text(s) deleted"
        )
        session.add(AuditEntryRow(at=now, username=by, action="privacy.erase", details=details))
        session.commit()
        return report


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    """A session in a write transaction (`BEGIN IMMEDIATE` on SQLite): commit or roll back explicitly."""
    session = Session(engine, expire_on_commit=False)
    try:
        session.begin()
        yield session
    finally:
        if session.in_transaction():
            session.rollback()
        session.close()


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
