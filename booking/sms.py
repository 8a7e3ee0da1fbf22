"""Texts to patients: the clinic file's `[sms]` settings, what a booking change tells the composer, and the
queueing of its message in the booking change's own transaction (`queue_in`), so that none is sent for a change
that rolled back and none is lost once it committed. The sending is `booking.sms_outbox` and `voicebot`'s sender.

SMS are off until the clinic file has an `[sms]` section: texts need the practice's Twilio number. Only mobiles
get them (`booking.phones.is_mobile`), never a number that answered STOP, and never health data: the composer
gets the appointment, the practice and the practitioner, and writes no motif, specialty or reason.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from booking.clinic_entry import Entry
from booking.models import SmsMessageRow, SmsOptOutRow
from booking.phones import is_mobile
from booking.records import AppointmentRecord

MAX_REMINDER_HOURS = 168
"""The earliest a reminder may go out: a week before."""


class SmsKind(enum.StrEnum):
    """What a text is about."""

    CONFIRMATION = "confirmation"
    MOVE = "move"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    REPLY = "reply"
    """An answer to a patient's own text (ANNULER, STOP...)."""


@dataclass(frozen=True)
class SmsSettings:
    """The `[sms]` section: off when the clinic file has none."""

    enabled: bool = False
    reminder_hours: int | None = None
    """Hours before an appointment that its reminder goes out; `None`: no reminders."""


@dataclass(frozen=True)
class TextChange:
    """A change to the appointment book that the patient is told of by text."""

    kind: SmsKind
    appointment: AppointmentRecord
    """The appointment booked, the new one of a move, the one cancelled, or the one reminded of."""
    practice: Any
    """`booking.clinic.Practice` (typed loosely: `booking.clinic` imports this module)."""
    practitioner: Any
    """`booking.clinic.Practitioner`."""
    previous: AppointmentRecord | None = None
    """The old appointment of a move."""


class TextComposer(Protocol):
    """Writes a text's body (in `voicebot`: the practice's language, dates as people say them)."""

    def compose(self, change: TextChange) -> str | None:
        """The body of the text telling of `change`; `None`: no text."""


def parse_sms(table: Any, problems: list[str]) -> SmsSettings:
    """The `[sms]` table (absent: texts off); problems are appended in the clinic file's style."""
    if table is None:
        return SmsSettings()
    entry = Entry(table, "[sms]", problems)
    before = len(problems)
    enabled = entry.get("enabled", bool, True, "true or false")
    hours = entry.number("reminder_hours", None, minimum=1)
    entry.finish()
    if isinstance(hours, int) and hours > MAX_REMINDER_HOURS:
        problems.append(f"[sms] reminder_hours = {hours}: at most {MAX_REMINDER_HOURS} (a week before)")
    if len(problems) > before:
        return SmsSettings()
    return SmsSettings(bool(enabled), hours)


def sms_to_dict(settings: SmsSettings) -> dict[str, Any] | None:
    """The `[sms]` table of a clinic file; `None` when texts are off (the section is left out)."""
    if not settings.enabled and settings.reminder_hours is None:
        return None
    table: dict[str, Any] = {"enabled": settings.enabled}
    if settings.reminder_hours is not None:
        table["reminder_hours"] = settings.reminder_hours
    return table


def may_text(session: Session, phone: str) -> bool:
    """Whether `phone` may get a text: a mobile that never answered STOP."""
    return bool(phone) and is_mobile(phone) and session.get(SmsOptOutRow, phone) is None


def queue_in(
    session: Session,
    kind: SmsKind,
    to_phone: str,
    body: str,
    now: datetime,
    *,
    reference: str | None = None,
    appointment_id: int | None = None,
    dedup_key: str | None = None,
) -> SmsMessageRow | None:
    """Add a queued text to `session`'s transaction; `None` (nothing added) when the number may not be texted."""
    if not may_text(session, to_phone):
        return None
    row = SmsMessageRow(
        kind=kind.value,
        to_phone=to_phone,
        body=body,
        reference=reference,
        appointment_id=appointment_id,
        status="queued",
        next_attempt_at=now,
        idempotency_key=uuid.uuid4().hex,
        created_at=now,
        dedup_key=dedup_key,
    )
    session.add(row)
    session.flush()
    return row
