"""The outbox of texts to patients: what senders claim, send and mark, and what staff list.

A message is `queued` (due at `next_attempt_at`), `sending` once a sender claimed it, then `sent` or `failed`; a
retry puts it back to `queued`, later. A sender that died leaves its messages `sending`: past the lease they are
claimed again, with the same idempotency key, so Twilio answers the message it already made instead of a second
one. Several senders share one outbox: on PostgreSQL `claim` skips the rows another holds (`FOR UPDATE SKIP
LOCKED`); on SQLite a claim is one write transaction (`BEGIN IMMEDIATE`), so two never take the same row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select
from sqlmodel import Session, col

from booking.errors import BookingError
from booking.models import AppointmentRow, PractitionerRow, SmsMessageRow, SmsOptOutRow
from booking.records import Status
from booking.sms import SmsKind, TextChange, TextComposer, queue_in

MESSAGE_STATUSES = ("queued", "sending", "sent", "failed")


class SmsNotFound(BookingError):
    """No message has this number."""


@dataclass(frozen=True)
class OutgoingSms:
    """A message a sender has claimed: send it, then mark it."""

    id: int
    to_phone: str
    body: str
    idempotency_key: str
    attempts: int
    """Tries so far, this one included."""


@dataclass(frozen=True)
class SmsRecord:
    """A message as the outbox holds it, with aware UTC date-times."""

    id: int
    kind: str
    to_phone: str
    body: str
    reference: str | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    twilio_sid: str | None

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of `voicebot sms list --json`."""
        return {
            "id": self.id,
            "kind": self.kind,
            "to": self.to_phone,
            "body": self.body,
            "reference": self.reference,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "twilio_sid": self.twilio_sid,
        }


class Outbox:
    """Reads and writes the texts waiting for, or done by, the senders."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def queue(
        self,
        kind: str,
        to_phone: str,
        body: str,
        now: datetime,
        *,
        reference: str | None = None,
        appointment_id: int | None = None,
        dedup_key: str | None = None,
    ) -> SmsRecord | None:
        """Queue one text; `None` when the number may not be texted (a landline, or it answered STOP)."""
        with self._writing() as session:
            row = queue_in(
                session,
                SmsKind(kind),
                to_phone,
                body,
                now,
                reference=reference,
                appointment_id=appointment_id,
                dedup_key=dedup_key,
            )
            return _record(row) if row is not None else None

    def record_reply(self, to_phone: str, body: str, now: datetime, *, reference: str | None = None) -> SmsRecord:
        """Keep the answer the bot gave to a patient's text, so that the exchange shows with the others.

        The answer went back in the webhook's own response, so the row is `sent` at once and no sender ever claims
        it; `reference`, when the answer concerns one appointment, ties it to that appointment. The patient's own
        text is not kept (it may hold health data).
        """
        with self._writing() as session:
            appointment_id = None
            if reference is not None:
                found = select(col(AppointmentRow.id)).where(col(AppointmentRow.reference) == reference)
                appointment_id = session.scalar(found)
            row = SmsMessageRow(
                kind=SmsKind.REPLY.value,
                to_phone=to_phone[:20],
                body=body,
                reference=reference if appointment_id is not None else None,
                appointment_id=appointment_id,
                status="sent",
                attempts=1,
                next_attempt_at=now,
                idempotency_key=uuid.uuid4().hex,
                created_at=now,
                sent_at=now,
            )
            session.add(row)
            session.flush()
            return _record(row)

    def claim(self, now: datetime, *, limit: int = 10, lease_seconds: float = 60) -> list[OutgoingSms]:
        """Take up to `limit` messages due now (and those a dead sender left past their lease) for sending."""
        stale = now - timedelta(seconds=lease_seconds)
        statement = (
            select(SmsMessageRow)
            .where(
                or_(
                    (col(SmsMessageRow.status) == "queued") & (col(SmsMessageRow.next_attempt_at) <= now),
                    (col(SmsMessageRow.status) == "sending") & (col(SmsMessageRow.claimed_at) < stale),
                )
            )
            .order_by(col(SmsMessageRow.next_attempt_at), col(SmsMessageRow.id))
            .limit(limit)
        )
        with self._writing() as session:
            if session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True)
            claimed = []
            for row in session.scalars(statement):
                row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
                assert row.id is not None
                claimed.append(OutgoingSms(row.id, row.to_phone, row.body, row.idempotency_key, row.attempts))
            return claimed

    def mark_sent(self, message_id: int, twilio_sid: str | None, now: datetime) -> None:
        """Twilio took the message."""
        with self._writing() as session:
            row = _row(session, message_id)
            row.status, row.twilio_sid, row.sent_at, row.last_error = "sent", twilio_sid, now, None

    def retry_later(self, message_id: int, error: str, at: datetime) -> None:
        """The try failed for a passing reason (timeout, 5xx, 429): queued again, due at `at`."""
        with self._writing() as session:
            row = _row(session, message_id)
            if row.status != "sent":
                row.status, row.next_attempt_at, row.last_error, row.claimed_at = "queued", at, error, None

    def mark_failed(self, message_id: int, error: str, now: datetime) -> None:
        """Twilio refused it for good (or the tries ran out): kept with the error, never sent."""
        with self._writing() as session:
            row = _row(session, message_id)
            if row.status != "sent":
                row.status, row.last_error, row.claimed_at = "failed", error, None

    def find(self, *, reference: str | None = None, to_phone: str | None = None) -> list[SmsRecord]:
        """Messages matching every filter given, newest first."""
        statement = select(SmsMessageRow).order_by(col(SmsMessageRow.created_at).desc(), col(SmsMessageRow.id).desc())
        if reference is not None:
            statement = statement.where(col(SmsMessageRow.reference) == reference)
        if to_phone is not None:
            statement = statement.where(col(SmsMessageRow.to_phone) == to_phone)
        with Session(self.engine) as session:
            return [_record(row) for row in session.scalars(statement)]

    def opt_out(self, phone: str, now: datetime) -> None:
        """The number answered STOP: no text is queued for it any more (those waiting are dropped)."""
        with self._writing() as session:
            if session.get(SmsOptOutRow, phone) is None:
                session.add(SmsOptOutRow(phone=phone, at=now))
            waiting = select(SmsMessageRow).where(
                col(SmsMessageRow.to_phone) == phone, col(SmsMessageRow.status) == "queued"
            )
            for row in session.scalars(waiting):
                row.status, row.last_error = "failed", "the number answered STOP"

    def is_opted_out(self, phone: str) -> bool:
        """Whether the number answered STOP."""
        with Session(self.engine) as session:
            return session.get(SmsOptOutRow, phone) is not None

    def queue_reminders(self, now: datetime, hours: int, texts: TextComposer, reader: object = None) -> int:
        """Queue the reminder of every booked appointment starting within `hours` of `now` (once each: its
        `dedup_key`); returns how many were queued. `reader` is unused (kept for callers that pass one).
        """
        from booking.service import appointment_record
        from booking.store import read_clinic

        due = (
            select(AppointmentRow)
            .where(
                col(AppointmentRow.status) == Status.BOOKED.value,
                col(AppointmentRow.start_at) > now,
                col(AppointmentRow.start_at) <= now + timedelta(hours=hours),
            )
            .order_by(col(AppointmentRow.start_at))
        )
        queued = 0
        with self._writing() as session:
            clinic = read_clinic(session)
            for row in session.scalars(due):
                key = f"reminder:{row.id}"
                if session.scalar(select(col(SmsMessageRow.id)).where(col(SmsMessageRow.dedup_key) == key)) is not None:
                    continue
                record = appointment_record(session, row, clinic.practice.zone)
                practitioner = session.get(PractitionerRow, row.practitioner_id)
                change = TextChange(SmsKind.REMINDER, record, clinic.practice, _practitioner(clinic, practitioner))
                body = texts.compose(change)
                if body is None:
                    continue
                sms = queue_in(
                    session,
                    SmsKind.REMINDER,
                    record.patient.phone,
                    body,
                    now,
                    reference=record.reference,
                    appointment_id=row.id,
                    dedup_key=key,
                )
                queued += sms is not None
        return queued

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        session = Session(self.engine, expire_on_commit=False)
        try:
            with session.begin():
                yield session
        finally:
            session.close()


def _practitioner(clinic: object, row: PractitionerRow | None) -> object:
    """The clinic's practitioner of `row` (one removed from the file still has its row: built from it)."""
    from booking.clinic import Practitioner

    assert row is not None
    for practitioner in getattr(clinic, "practitioners", ()):
        if practitioner.id == row.id:
            return practitioner
    return Practitioner(row.id, row.title, row.first_name, row.last_name, row.specialty, ())


def _row(session: Session, message_id: int) -> SmsMessageRow:
    row = session.get(SmsMessageRow, message_id)
    if row is None:
        raise SmsNotFound(f"there is no text message number {message_id}")
    return row


def _record(row: SmsMessageRow) -> SmsRecord:
    assert row.id is not None
    return SmsRecord(
        row.id,
        row.kind,
        row.to_phone,
        row.body,
        row.reference,
        row.status,
        row.attempts,
        row.last_error,
        row.created_at,
        row.sent_at,
        row.twilio_sid,
    )
