"""Texts to patients: the clinic file's `[sms]` settings, what a booking change tells the composer, and the
queueing of its message in the booking change's own transaction (`queue_in`), so that none is sent for a change
that rolled back and none is lost once it committed. The sending is `booking.sms_outbox` and `voicebot`'s sender.

SMS are off until the clinic file has an `[sms]` section: texts need the practice's Twilio number. Only mobiles
get them (`booking.phones.is_mobile`), never a number that answered STOP, and never health data: the composer
gets the appointment, the practice and the practitioner, and writes no motif, specialty or reason.
"""

from __future__ import annotations

import enum
import unicodedata
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
MAX_SEGMENTS = 2
"""Every text the product writes fits in this many SMS segments."""

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM 03.38 default alphabet (one septet each). Its only c cedilla is the capital Ç: a lowercase ç is counted
as outside it (some networks map it to Ç, others send the whole text as UCS-2; counting it out is the safe side)."""
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
"""The extension table: two septets each (an escape, then the character)."""
SEGMENT_SIZES = {"GSM-7": (160, 153), "UCS-2": (70, 67)}
"""Per encoding: the units of a text sent alone, and those of each part of a concatenated text (the rest of each
part holds the header that joins them)."""


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


def sms_encoding(body: str) -> str:
    """How Twilio sends `body`: "GSM-7" when every character is in the GSM alphabet, else "UCS-2"."""
    return "GSM-7" if all(c in GSM_BASIC or c in GSM_EXTENSION for c in body) else "UCS-2"


GSM_PUNCTUATION = str.maketrans(
    {
        "\u2019": "'",  # ’
        "\u2018": "'",  # ‘
        "\u02bc": "'",  # ʼ
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2011": "-",  # non-breaking hyphen
        "\u00a0": " ",  # non-breaking space
        "\u202f": " ",  # narrow non-breaking space (before « : » in French typography)
        "\u2009": " ",  # thin space
        "\u2026": "...",  # …
    }
)
"""Typographic punctuation outside the GSM alphabet, and its plain look-alike inside it."""
_LIGATURES = {"œ": "oe", "Œ": "OE"}


def gsm_punctuation(text: str) -> str:
    """`text` with typographic quotes, dashes and spaces made plain, so that one curly apostrophe in a practice's
    name does not send the whole text as UCS-2 (70 characters a segment instead of 160); letters are kept as
    they are ("août" stays UCS-2).
    """
    return text.translate(GSM_PUNCTUATION)


def gsm_letters(text: str) -> str:
    """`text` with each letter outside the GSM alphabet written without its accent when that brings it inside
    ("ê" -> "e", "ô" -> "o", "ç" -> "c", "œ" -> "oe"); the accents GSM has ("é", "è", "à", "ù") are kept, and
    what has no plain form (an emoji) stays.
    """
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENSION:
            out.append(char)
            continue
        plain = _LIGATURES.get(char) or "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(plain if plain and all(c in GSM_BASIC for c in plain) else char)
    return "".join(out)


def _units(char: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # UTF-16: a character beyond the BMP (an emoji) is a surrogate pair


def segments(body: str) -> int:
    """How many SMS segments `body` takes (at least 1): GSM-7 160 septets alone or 153 a part (extension characters
    such as € count 2), UCS-2 70 characters alone or 67 a part (an emoji counts 2); a character is never split
    between two parts.
    """
    encoding = sms_encoding(body)
    single, part = SEGMENT_SIZES[encoding]
    costs = [_units(c, encoding) for c in body]
    if sum(costs) <= single:
        return 1
    count, used = 1, 0
    for cost in costs:
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return count


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
