"""The booking service: slots, bookings, cancellations and moves against the database.

Every write re-checks availability inside its transaction; the database itself (exclusion constraint on
PostgreSQL, triggers under `BEGIN IMMEDIATE` on SQLite) refuses overlapping bookings, which surface here as
`SlotUnavailable`.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from booking.clinic import Clinic
from booking.db import migrate, open_engine, reader
from booking.errors import AppointmentNotFound, SlotUnavailable, UnknownEntity
from booking.intervals import day_bounds
from booking.models import AppointmentRow, PatientRow, PracticeRow, UTCDateTime
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
from booking.requests import RequestBook
from booking.slots import ALREADY_BOOKED, Busy, Order, Slot, SlotQuery, find_slots, slot_refusal
from booking.sms import SmsKind, TextChange, TextComposer, queue_in
from booking.store import read_clinic, versions

BUSY_MARGIN = timedelta(hours=12)
"""How far beyond the searched days bookings are read (buffers and long appointments near midnight)."""


def fold_name(name: str) -> str:
    """A name compared without case, accents, hyphens or spaces ("Le Gall-Hélène" ~ "legallhelene")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def new_reference() -> str:
    """A random 6-digit appointment reference (easy to say and to key in)."""
    return f"{secrets.randbelow(900_000) + 100_000}"


class BookingService:
    """Finds slots and books, cancels and moves appointments; satisfies `dialogue.port.BookingPort`."""

    def __init__(
        self, engine: Engine, make_reference: Callable[[], str] = new_reference, texts: TextComposer | None = None
    ) -> None:
        self.engine = engine
        self.texts = texts
        """Writes the texts telling patients of their bookings, moves and cancellations (`None`: no texts)."""
        self._reader = reader(engine)
        self._make_reference = make_reference
        self._clinic: tuple[int, Clinic] | None = None
        self._busy_cache: dict[tuple[object, ...], list[Busy]] = {}
        self._busy_cache_version: tuple[int, int] | None = None
        self._requests = RequestBook(engine)

    @classmethod
    def open(cls, url: str) -> BookingService:
        """Connect to a database URL and bring its schema up to date."""
        engine = open_engine(url)
        migrate(engine)
        return cls(engine)

    # -- configuration -------------------------------------------------------------------------------

    def clinic(self) -> Clinic:
        """The current configuration (reloaded when staff change it)."""
        with Session(self._reader) as session:
            return self._current_clinic(session)

    def _current_clinic(self, session: Session) -> Clinic:
        current = versions(session)
        config = current[0] if current else 0
        if current != self._busy_cache_version:
            self._busy_cache = {}
            self._busy_cache_version = current
        if self._clinic is None or self._clinic[0] != config:
            self._clinic = (config, read_clinic(session))
        return self._clinic[1]

    def forget_cache(self, *, configuration: bool = True) -> None:
        """Drop cached availability, and the configuration too unless `configuration=False`.

        What a booking change by any process does is `configuration=False`; benchmarks use both.
        """
        if configuration:
            self._clinic = None
        self._busy_cache = {}
        self._busy_cache_version = None

    # -- queries ---------------------------------------------------------------------------------------

    def find_slots(self, query: SlotQuery, now: datetime) -> list[Slot]:
        """Free slots for `query` at time `now`."""
        with Session(self._reader) as session:
            clinic = self._current_clinic(session)
            self._check_ids(clinic, query.motif_id, *query.practitioner_ids)
            zone = clinic.practice.zone
            first = query.first_day or now.astimezone(zone).date()
            last = query.last_day or (now + timedelta(days=clinic.practice.horizon_days)).astimezone(zone).date()
            if query.order is Order.EARLIEST and query.limit is not None:
                return self._earliest_in_chunks(session, clinic, query, now, first, last)
            return find_slots(clinic, self._busy_days(session, clinic, first, last, query), query, now)

    def _earliest_in_chunks(
        self, session: Session, clinic: Clinic, query: SlotQuery, now: datetime, first: date, last: date
    ) -> list[Slot]:
        """Earliest-first with a limit ends at the first days with room: read bookings a few days at a time
        (3, then 50 % more each round), so a practice booked solid for weeks costs only the days walked.
        """
        assert query.limit is not None
        found: list[Slot] = []
        span = 3.0
        while first <= last and len(found) < query.limit:
            chunk_last = min(last, first + timedelta(days=int(span) - 1))
            chunk = replace(query, first_day=first, last_day=chunk_last, limit=query.limit - len(found))
            found += find_slots(clinic, self._busy_days(session, clinic, first, chunk_last, query), chunk, now)
            first, span = chunk_last + timedelta(days=1), span * 1.5
        return found

    def _busy_days(self, session: Session, clinic: Clinic, first: date, last: date, query: SlotQuery) -> list[Busy]:
        """Booked time touching these local days, cached until the next booking change (by any process).

        The margin covers motif buffers reaching across midnight; no practice's appointment is longer.
        """
        key = (first, last, query.practitioner_ids)
        cached = self._busy_cache.get(key)
        if cached is None:
            zone = clinic.practice.zone
            start = day_bounds(first, zone)[0] - BUSY_MARGIN
            end = day_bounds(last, zone)[1] + BUSY_MARGIN
            cached = self._busy(session, start, end, query.practitioner_ids)
            if len(self._busy_cache) > 64:
                self._busy_cache.clear()
            self._busy_cache[key] = cached
        return cached

    def _busy(
        self,
        session: Session,
        start: datetime,
        end: datetime,
        practitioner_ids: Sequence[str] = (),
        exclude_id: int | None = None,
    ) -> list[Busy]:
        """Booked time overlapping `[start, end)`.

        The hot path of every slot search, so plain SQL. On SQLite it goes straight to the driver's cursor:
        the columns hold naive UTC text in the fixed format `UTCDateTime` writes, compared as text and parsed
        here in C; PostgreSQL hands back aware date-times itself.
        """
        sql = (
            "SELECT practitioner_id, start_at, end_at, motif_id FROM appointment "
            "WHERE status = 'booked' AND start_at < :end AND end_at > :start"
        )
        params: dict[str, object] = {"start": start, "end": end}
        for index, practitioner_id in enumerate(practitioner_ids):
            params[f"p{index}"] = practitioner_id
        if practitioner_ids:
            sql += " AND practitioner_id IN (" + ", ".join(f":p{i}" for i in range(len(practitioner_ids))) + ")"
        if exclude_id is not None:
            sql += " AND id != :exclude"
            params["exclude"] = exclude_id
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            params["start"], params["end"] = _sqlite_utc(start), _sqlite_utc(end)
            cursor = connection.connection.driver_connection.execute(sql, params)  # type: ignore[union-attr]
            return [Busy(p, _utc_text(s), _utc_text(e), m) for p, s, e, m in cursor.fetchall()]
        statement = text(sql).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))
        return [Busy(p, s, e, m) for p, s, e, m in connection.execute(statement, params).all()]

    def get(self, reference: str) -> AppointmentRecord:
        """The appointment with this reference; `AppointmentNotFound` otherwise."""
        with Session(self._reader) as session:
            return self._record(session, self._row(session, reference))

    def list_appointments(
        self,
        *,
        start_from: datetime | None = None,
        until: datetime | None = None,
        practitioner_id: str | None = None,
        patient_id: int | None = None,
        status: Status | None = None,
    ) -> list[AppointmentRecord]:
        """Appointments matching every filter given, earliest first."""
        statement = select(AppointmentRow).order_by(AppointmentRow.start_at, AppointmentRow.practitioner_id)
        if start_from is not None:
            statement = statement.where(AppointmentRow.end_at > start_from)
        if until is not None:
            statement = statement.where(AppointmentRow.start_at < until)
        if practitioner_id is not None:
            statement = statement.where(AppointmentRow.practitioner_id == practitioner_id)
        if patient_id is not None:
            statement = statement.where(AppointmentRow.patient_id == patient_id)
        if status is not None:
            statement = statement.where(AppointmentRow.status == status.value)
        with Session(self._reader) as session:
            return [self._record(session, row) for row in session.scalars(statement)]

    def upcoming(self, patient_id: int, now: datetime) -> list[AppointmentRecord]:
        """A patient's booked appointments that have not started yet, earliest first."""
        return [
            a
            for a in self.list_appointments(start_from=now, patient_id=patient_id, status=Status.BOOKED)
            if a.start >= now
        ]

    def find_patients(
        self,
        *,
        phone: str | None = None,
        last_name: str | None = None,
        birth_date: date | None = None,
        first_name: str | None = None,
    ) -> list[PatientRecord]:
        """Patients matching every criterion given (names compared without case or accents)."""
        if phone is None and last_name is None and birth_date is None and first_name is None:
            return []
        statement = select(PatientRow).order_by(PatientRow.id)
        if phone is not None:
            statement = statement.where(PatientRow.phone == phone)
        if last_name is not None:
            statement = statement.where(PatientRow.last_name_key == fold_name(last_name))
        if first_name is not None:
            statement = statement.where(PatientRow.first_name_key == fold_name(first_name))
        if birth_date is not None:
            statement = statement.where(PatientRow.birth_date == birth_date)
        with Session(self._reader) as session:
            return [_patient_record(row) for row in session.scalars(statement)]

    # -- writes ----------------------------------------------------------------------------------------

    def book(
        self,
        slot: Slot,
        patient: PatientDetails,
        now: datetime,
        *,
        source: Source = Source.PHONE,
        enforce_notice: bool | None = None,
        notify: bool = True,
    ) -> AppointmentRecord:
        """Book `slot` for `patient`; raise `SlotUnavailable` (taken, closed, off hours) or `UnknownEntity`.

        Notice and horizon apply to phone bookings; staff may book any free time inside opening hours. With
        `notify` (and texts on), the patient's confirmation is queued in the same transaction.
        """
        enforce = source is Source.PHONE if enforce_notice is None else enforce_notice
        with self._writing() as session:
            clinic = self._current_clinic(session)
            self._check_ids(clinic, slot.motif_id, slot.practitioner_id)
            row = self._insert(session, clinic, slot, now, enforce, source, patient_id=None, patient=patient)
            record = self._record(session, row)
            self._text(session, clinic, SmsKind.CONFIRMATION, record, row, now, notify)
            return record

    def cancel(self, reference: str, now: datetime, *, notify: bool = True) -> AppointmentRecord:
        """Cancel a booked appointment; `AppointmentNotFound` if none is booked under this reference.

        With `notify` (and texts on), the patient's text is queued in the same transaction.
        """
        with self._writing() as session:
            row = self._row(session, reference)
            if row.status != Status.BOOKED.value:
                raise AppointmentNotFound(f"appointment {reference} is already cancelled")
            row.status = Status.CANCELLED.value
            row.cancelled_at = now
            _bookings_changed(session)
            record = self._record(session, row)
            self._text(session, self._current_clinic(session), SmsKind.CANCELLATION, record, row, now, notify)
            return record

    def reschedule(
        self,
        reference: str,
        slot: Slot,
        now: datetime,
        *,
        source: Source = Source.PHONE,
        enforce_notice: bool | None = None,
        notify: bool = True,
    ) -> AppointmentRecord:
        """Move an appointment to `slot` in one transaction: the new one is booked, then the old one
        cancelled; on any failure (`SlotUnavailable`...) the original appointment stays as it was. With `notify`
        (and texts on), one text telling of the move is queued in the same transaction.
        """
        enforce = source is Source.PHONE if enforce_notice is None else enforce_notice
        with self._writing() as session:
            clinic = self._current_clinic(session)
            self._check_ids(clinic, slot.motif_id, slot.practitioner_id)
            old = self._row(session, reference)
            if old.status != Status.BOOKED.value:
                raise AppointmentNotFound(f"appointment {reference} is cancelled and cannot be moved")
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET CONSTRAINTS appointment_no_overlap DEFERRED"))
            new = self._insert(session, clinic, slot, now, enforce, source, patient_id=old.patient_id, replaces=old)
            old.status = Status.CANCELLED.value
            old.cancelled_at = now
            session.flush()
            record = self._record(session, new)
            previous = self._record(session, old)
            self._text(session, clinic, SmsKind.MOVE, record, new, now, notify, previous=previous)
            return record

    def _text(
        self,
        session: Session,
        clinic: Clinic,
        kind: SmsKind,
        record: AppointmentRecord,
        row: AppointmentRow,
        now: datetime,
        notify: bool,
        previous: AppointmentRecord | None = None,
    ) -> None:
        """Queue the patient's text of a change in its own transaction (texts on, a mobile, no STOP)."""
        if not notify or self.texts is None or not clinic.sms.enabled:
            return
        change = TextChange(kind, record, clinic.practice, clinic.practitioner(record.practitioner_id), previous)
        body = self.texts.compose(change)
        if body is not None:
            queue_in(session, kind, record.patient.phone, body, now, reference=record.reference, appointment_id=row.id)

    def _insert(
        self,
        session: Session,
        clinic: Clinic,
        slot: Slot,
        now: datetime,
        enforce: bool,
        source: Source,
        patient_id: int | None,
        patient: PatientDetails | None = None,
        replaces: AppointmentRow | None = None,
    ) -> AppointmentRow:
        motif = clinic.motif(slot.motif_id)
        start = slot.start.astimezone(UTC)
        end = start + timedelta(minutes=motif.duration_minutes)
        busy = self._busy(
            session,
            start - timedelta(days=1),
            end + timedelta(days=1),
            [slot.practitioner_id],
            exclude_id=replaces.id if replaces else None,
        )
        refusal = slot_refusal(clinic, busy, slot.practitioner_id, slot.motif_id, start, now, enforce)
        if refusal is not None:
            raise SlotUnavailable(refusal.message, refusal.reason)
        if patient_id is None:
            assert patient is not None
            patient_id = self._patient_id(session, patient, now)
        row = AppointmentRow(
            reference=self._unique_reference(session),
            practitioner_id=slot.practitioner_id,
            motif_id=slot.motif_id,
            patient_id=patient_id,
            start_at=start,
            end_at=end,
            status=Status.BOOKED.value,
            source=source.value,
            created_at=now,
            rescheduled_from_id=replaces.id if replaces else None,
        )
        session.add(row)
        session.flush()
        _bookings_changed(session)
        return row

    def _patient_id(self, session: Session, patient: PatientDetails, now: datetime) -> int:
        existing = session.scalars(
            select(PatientRow)
            .where(
                PatientRow.last_name_key == fold_name(patient.last_name),
                PatientRow.first_name_key == fold_name(patient.first_name),
                PatientRow.birth_date == patient.birth_date,
            )
            .order_by(PatientRow.id)
        ).first()
        if existing is not None:
            existing.phone = patient.phone  # the latest number given is the one to call back
            assert existing.id is not None
            return existing.id
        row = PatientRow(
            first_name=patient.first_name.strip(),
            last_name=patient.last_name.strip(),
            first_name_key=fold_name(patient.first_name),
            last_name_key=fold_name(patient.last_name),
            birth_date=patient.birth_date,
            phone=patient.phone,
            created_at=now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id

    def _unique_reference(self, session: Session) -> str:
        for _ in range(20):
            reference = self._make_reference()
            if session.scalar(select(AppointmentRow.id).where(AppointmentRow.reference == reference)) is None:
                return reference
        raise RuntimeError("could not draw a free appointment reference")

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A write transaction; the database's refusal of an overlap becomes `SlotUnavailable`.

        Writers queue on the practice row (SQLite's `BEGIN IMMEDIATE` does the same for the whole file): a move
        checks its overlap at commit, so two unqueued writers could each wait for the other's row. The
        database's overlap guard stays the last word either way.
        """
        session = Session(self.engine, expire_on_commit=False)
        try:
            with session.begin():
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(select(PracticeRow.id).where(PracticeRow.id == 1).with_for_update())
                yield session
        except IntegrityError as error:
            if _is_overlap(error):
                raise SlotUnavailable(ALREADY_BOOKED.message, ALREADY_BOOKED.reason) from error
            raise
        finally:
            session.close()

    # -- requests left for the practice (booking.requests) ---------------------------------------------

    def leave_request(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        """Record a caller's request (renewal, certificate, results, callback); `patient.phone` is called back."""
        return self._requests.leave(category, patient, now)

    def list_requests(
        self,
        *,
        status: RequestStatus | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
    ) -> list[RequestRecord]:
        """Requests matching every filter given: open ones first, then newest first."""
        return self._requests.find(status=status, created_from=created_from, created_until=created_until)

    def mark_request_done(self, request_id: int, now: datetime, by: str) -> RequestRecord:
        """Mark a request done; `RequestNotFound` or `RequestAlreadyDone` (see `booking.requests`)."""
        return self._requests.mark_done(request_id, now, by)

    # -- helpers ---------------------------------------------------------------------------------------

    @staticmethod
    def _check_ids(clinic: Clinic, motif_id: str, *practitioner_ids: str) -> None:
        known_motifs = {m.id for m in clinic.motifs}
        if motif_id not in known_motifs:
            raise UnknownEntity(f'unknown motif "{motif_id}" (known: {", ".join(sorted(known_motifs))})')
        known = {p.id for p in clinic.practitioners}
        for practitioner_id in practitioner_ids:
            if practitioner_id not in known:
                raise UnknownEntity(f'unknown practitioner "{practitioner_id}" (known: {", ".join(sorted(known))})')

    @staticmethod
    def _row(session: Session, reference: str) -> AppointmentRow:
        row = session.scalars(select(AppointmentRow).where(AppointmentRow.reference == reference.strip())).first()
        if row is None:
            raise AppointmentNotFound(f"no appointment with reference {reference}")
        return row

    def _record(self, session: Session, row: AppointmentRow) -> AppointmentRecord:
        return appointment_record(session, row, self._current_clinic(session).practice.zone)


def appointment_record(session: Session, row: AppointmentRow, zone: ZoneInfo) -> AppointmentRecord:
    """The plain record of an appointment row, its times in `zone`."""
    patient = session.get(PatientRow, row.patient_id)
    assert patient is not None and row.id is not None
    return AppointmentRecord(
        reference=row.reference,
        status=Status(row.status),
        practitioner_id=row.practitioner_id,
        motif_id=row.motif_id,
        start=row.start_at.astimezone(zone),
        end=row.end_at.astimezone(zone),
        patient=_patient_record(patient).details,
        patient_id=row.patient_id,
        source=Source(row.source),
        created_at=row.created_at,
        cancelled_at=row.cancelled_at,
    )


def _bookings_changed(session: Session) -> None:
    """Tell every process's cache that availability changed (committed with the change itself)."""
    session.execute(
        update(PracticeRow).where(PracticeRow.id == 1).values(bookings_version=PracticeRow.bookings_version + 1)
    )
    session.flush()


def _sqlite_utc(value: datetime) -> str:
    """The text SQLAlchemy's SQLite dialect stores for an aware date-time in a `UTCDateTime` column."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _utc_text(value: str) -> datetime:
    return datetime.fromisoformat(value + "+00:00")  # 5x faster than .replace(tzinfo=UTC)


def _is_overlap(error: Exception) -> bool:
    message = str(error)
    return "appointment_overlap" in message or "appointment_no_overlap" in message


def _patient_record(row: PatientRow) -> PatientRecord:
    assert row.id is not None
    return PatientRecord(row.id, PatientDetails(row.first_name, row.last_name, row.birth_date, row.phone))
