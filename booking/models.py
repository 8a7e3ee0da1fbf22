"""Database tables (SQLModel). Date-times are stored as aware UTC; wall-clock configuration as text.

The schema itself is created by the Alembic migrations in `booking/migrations`, which also add what
SQLModel cannot express: PostgreSQL's exclusion constraint and SQLite's overlap triggers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """An aware date-time stored in UTC (SQLite keeps naive UTC text; PostgreSQL a `timestamptz`)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware in, UTC out (naive UTC for SQLite); a naive value is a bug and refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive date-time given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Always an aware UTC date-time."""
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PracticeRow(SQLModel, table=True):
    """The one practice this database serves (id 1)."""

    __tablename__ = "practice"
    id: int = Field(default=1, primary_key=True)
    name: str
    timezone: str
    locale: str
    country: str
    subdivision: str | None = None
    phone: str
    address: str
    staff_phone: str | None = None
    min_notice_minutes: int
    horizon_days: int
    slot_step_minutes: int | None = None
    transcript_days: int = 30
    """Days a call's pseudonymised transcript is kept (`[privacy]` of the clinic file)."""
    call_log_days: int = 90
    """Days a call stays in the call log."""
    patient_data_years: int = 3
    """Years after their last appointment that a patient's identity is kept (3 at most)."""
    sms_enabled: bool = False
    """Whether patients get texts (`[sms]` of the clinic file)."""
    sms_reminder_hours: int | None = None
    """Hours before an appointment that its reminder goes out; `None`: no reminders."""
    config_version: int = 1
    """Bumped by every configuration change, so running bots reload it."""
    bookings_version: int = 0
    """Bumped by every booking, cancellation or move, so cached availability is refreshed."""


class MotifRow(SQLModel, table=True):
    """An appointment type; `active` is false once removed from the configuration."""

    __tablename__ = "motif"
    id: str = Field(primary_key=True, max_length=64)
    label: str
    duration_minutes: int
    new_patients: bool = True
    buffer_minutes: int = 0
    keywords: str = ""
    """Newline-separated."""
    position: int = 0
    active: bool = True


class PractitionerRow(SQLModel, table=True):
    """Someone patients book with; `active` is false once removed from the configuration."""

    __tablename__ = "practitioner"
    id: str = Field(primary_key=True, max_length=64)
    title: str = ""
    first_name: str
    last_name: str
    specialty: str
    position: int = 0
    active: bool = True


class PractitionerMotifRow(SQLModel, table=True):
    """Which motifs a practitioner offers."""

    __tablename__ = "practitioner_motif"
    practitioner_id: str = Field(foreign_key="practitioner.id", primary_key=True, max_length=64)
    motif_id: str = Field(foreign_key="motif.id", primary_key=True, max_length=64)
    position: int = 0


class OpeningHoursRow(SQLModel, table=True):
    """One weekly wall-clock interval of a practitioner."""

    __tablename__ = "opening_hours"
    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: str = Field(foreign_key="practitioner.id", index=True, max_length=64)
    weekday: int
    """0 = Monday."""
    start: str = Field(max_length=5)
    """"HH:MM", local wall clock."""
    end: str = Field(max_length=5)


class ClosureRow(SQLModel, table=True):
    """A closure of one practitioner (or the whole practice when `practitioner_id` is null)."""

    __tablename__ = "closure"
    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: str | None = Field(default=None, foreign_key="practitioner.id", max_length=64)
    start_local: str = Field(max_length=19)
    """ISO local date-time, inclusive."""
    end_local: str = Field(max_length=19)
    """ISO local date-time, exclusive."""
    all_day: bool = True
    label: str = ""


class PatientRow(SQLModel, table=True):
    """A patient; the `*_key` columns hold case- and accent-folded names for lookups."""

    __tablename__ = "patient"
    __table_args__ = (Index("ix_patient_identity", "last_name_key", "birth_date"),)
    id: int | None = Field(default=None, primary_key=True)
    first_name: str
    last_name: str
    first_name_key: str
    last_name_key: str
    birth_date: date
    phone: str = Field(index=True, max_length=20)
    """E.164."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    reuse_refused: bool = False
    """The patient refused any reuse of their calls (kept through purges and erasure)."""
    anonymised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the purge or an erasure removed their identity (names and phone emptied, birth date replaced)."""


class AppointmentRow(SQLModel, table=True):
    """An appointment. Booked rows of one practitioner never overlap: the database enforces it."""

    __tablename__ = "appointment"
    __table_args__ = (
        UniqueConstraint("reference", name="uq_appointment_reference"),
        Index("ix_appointment_practitioner_start", "practitioner_id", "start_at"),
        Index("ix_appointment_status_start", "status", "start_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=12)
    practitioner_id: str = Field(foreign_key="practitioner.id", max_length=64)
    motif_id: str = Field(foreign_key="motif.id", max_length=64)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="booked", max_length=16)
    """`booked` or `cancelled`."""
    source: str = Field(default="phone", max_length=16)
    """`phone` or `staff`."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rescheduled_from_id: int | None = Field(default=None, foreign_key="appointment.id")
    """The appointment this one replaced, when it was made by a move."""


metadata = SQLModel.metadata


class StaffAccountRow(SQLModel, table=True):
    """A login of the staff console; the password is kept only as an argon2 hash."""

    __tablename__ = "staff_account"
    __table_args__ = (UniqueConstraint("username", name="uq_staff_account_username"),)
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    """Lower-case login name."""
    role: str = Field(max_length=16)
    """`admin` (may change the configuration) or `secretary` (manages appointments)."""
    password_hash: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    active: bool = True
    """An inactive account cannot log in."""


class AuditEntryRow(SQLModel, table=True):
    """One change made by staff (or the command line): who, what, when."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    username: str = Field(max_length=64)
    action: str = Field(max_length=64)
    """E.g. `appointment.cancel`, `config.hours`."""
    details: str = ""


class RequestRow(SQLModel, table=True):
    """A message left for the practice (a renewal, a certificate, results, a callback); no free text."""

    __tablename__ = "request"
    __table_args__ = (Index("ix_request_status_created", "status", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=16)
    """A `booking.records.RequestCategory` value."""
    status: str = Field(default="open", max_length=8)
    """`open` or `done`."""
    first_name: str
    last_name: str
    birth_date: date
    callback_phone: str = Field(max_length=20)
    """E.164."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: str | None = Field(default=None, max_length=64)


class CallLogRow(SQLModel, table=True):
    """A finished call: what it did, and its pseudonymised transcript (never audio)."""

    __tablename__ = "call_log"
    __table_args__ = (
        UniqueConstraint("key", name="uq_call_log_key"),
        Index("ix_call_log_started", "started_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128)
    """The line's id of the call (CallSid, SIP Call-ID, a random id for chat)."""
    channel: str = Field(max_length=8)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)
    caller_phone: str | None = Field(default=None, max_length=20)
    booked: str = ""
    """Space-separated references."""
    moved: str = ""
    cancelled: str = ""
    identity_failures: int = 0
    caller_turns: int = 0
    latency_replies: int | None = None
    latency_p50_ms: int | None = None
    latency_p95_ms: int | None = None
    latency_max_ms: int | None = None
    refused: bool = False
    transcript: str | None = None
    """JSON list of {"speaker", "text"}, pseudonymised; null once past `transcript_days`."""


class CallPatientRow(SQLModel, table=True):
    """Which patients a call identified, booked for or changed."""

    __tablename__ = "call_patient"
    call_id: int = Field(foreign_key="call_log.id", primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", primary_key=True, index=True)


class SmsMessageRow(SQLModel, table=True):
    """A text message to a patient, written in the transaction of the change it reports (the outbox)."""

    __tablename__ = "sms_message"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_sms_message_idempotency_key"),
        UniqueConstraint("dedup_key", name="uq_sms_message_dedup_key"),
        Index("ix_sms_message_status_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    """`confirmation`, `move`, `cancellation`, `reminder` or `reply`."""
    to_phone: str = Field(max_length=20)
    """E.164."""
    body: str
    reference: str | None = Field(default=None, max_length=12, index=True)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id")
    status: str = Field(default="queued", max_length=8)
    """`queued`, `sending` (claimed by a sender), `sent` or `failed`."""
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    idempotency_key: str = Field(max_length=32)
    """Sent to Twilio with every try: a retry after a lost answer never makes a second message."""
    twilio_sid: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dedup_key: str | None = Field(default=None, max_length=64)
    """Makes a message once only ("reminder:<appointment id>")."""


class SmsOptOutRow(SQLModel, table=True):
    """A number that answered STOP: it gets no more texts."""

    __tablename__ = "sms_opt_out"
    phone: str = Field(primary_key=True, max_length=20)
    at: datetime = Field(sa_type=UTCDateTime)


class RevokedSessionRow(SQLModel, table=True):
    """A staff-console session ended by logging out: every server refuses its cookie until it would have expired."""

    __tablename__ = "revoked_session"
    __table_args__ = (Index("ix_revoked_session_expires", "expires_at"),)
    key: str = Field(primary_key=True, max_length=64)
    """A keyed digest of the session id (never the id itself)."""
    expires_at: datetime = Field(sa_type=UTCDateTime)


class LoginFailureRow(SQLModel, table=True):
    """A wrong password at the staff console, counted against an account name or a client address."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"), Index("ix_login_failure_at", "at"))
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    """A keyed digest of the name or the address (neither is stored in clear)."""
    at: datetime = Field(sa_type=UTCDateTime)


class StreamClaimRow(SQLModel, table=True):
    """A Twilio call whose media stream started: its token opens no second stream, on any server."""

    __tablename__ = "stream_claim"
    __table_args__ = (Index("ix_stream_claim_expires", "expires_at"),)
    key: str = Field(primary_key=True, max_length=64)
    """A digest of the call's id."""
    expires_at: datetime = Field(sa_type=UTCDateTime)
