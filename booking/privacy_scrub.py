"""Removing one patient's identity from a database: their row, the requests left in their name, the calls they
made, and the audit lines that name them. Runs inside the caller's transaction (`booking.privacy`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers
from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from booking.models import (
    AppointmentRow,
    AuditEntryRow,
    CallLogRow,
    CallPatientRow,
    PatientRow,
    RequestRow,
    SmsMessageRow,
)
from booking.service import fold_name

ANONYMOUS_BIRTH_DATE = date(1900, 1, 1)
"""The birth date an anonymised patient or request is left with (the column cannot be empty)."""

NAME, BIRTH_DATE, PHONE = "⟨NAME⟩", "⟨BIRTH_DATE⟩", "⟨PHONE⟩"
"""The placeholders that replace a removed name, birth date or phone number in free text."""


@dataclass(frozen=True)
class Identity:
    """What identifies a patient: what anonymising removes."""

    first_name: str
    last_name: str
    birth_date: date
    phone: str

    @classmethod
    def of(cls, row: PatientRow) -> Identity:
        """A patient row's identity."""
        return cls(row.first_name, row.last_name, row.birth_date, row.phone)


@dataclass
class Scrubbed:
    """What removing identities changed."""

    transcripts: int = 0
    """Transcripts emptied (calls of the patients)."""
    requests: int = 0
    """Request rows anonymised."""
    texts: int = 0
    """Text messages deleted (to their numbers, or about their appointments)."""


def anonymise_patients(session: Session, rows: Sequence[PatientRow], now: datetime) -> Scrubbed:
    """Remove these patients' identities everywhere: their rows (`reuse_refused` kept), the caller number and
    transcript of their calls, the requests in their name or with their number, the text messages about their
    appointments or to their numbers (a STOP stays: it is honoured for the number), and the audit trail.
    """
    identities = [Identity.of(row) for row in rows]
    ids = [row.id for row in rows if row.id is not None]
    for row in rows:
        row.first_name = row.last_name = row.first_name_key = row.last_name_key = row.phone = ""
        row.birth_date = ANONYMOUS_BIRTH_DATE
        row.anonymised_at = row.anonymised_at or now
    session.flush()
    done = Scrubbed()
    if not rows:
        return done
    phones = _unshared_phones(session, identities)
    their_calls = select(col(CallPatientRow.call_id)).where(col(CallPatientRow.patient_id).in_(ids))
    done.transcripts = _empty_transcripts(session, col(CallLogRow.id).in_(their_calls))
    session.execute(update(CallLogRow).where(col(CallLogRow.id).in_(their_calls)).values(caller_phone=None))
    if phones:
        session.execute(update(CallLogRow).where(col(CallLogRow.caller_phone).in_(phones)).values(caller_phone=None))
    done.requests = anonymise_requests(session, _their_requests(session, identities, phones))
    their_appointments = select(col(AppointmentRow.id)).where(col(AppointmentRow.patient_id).in_(ids))
    texts = delete(SmsMessageRow).where(
        or_(col(SmsMessageRow.appointment_id).in_(their_appointments), col(SmsMessageRow.to_phone).in_(phones or [""]))
    )
    done.texts = int(session.execute(texts).rowcount)  # type: ignore[attr-defined]
    scrub_audit(session, identities)
    return done


def anonymise_requests(session: Session, rows: Iterable[RequestRow]) -> int:
    """Empty the identity of these requests (their category and dates stay); returns how many changed."""
    count = 0
    for row in rows:
        if row.first_name or row.last_name or row.callback_phone or row.birth_date != ANONYMOUS_BIRTH_DATE:
            row.first_name = row.last_name = row.callback_phone = ""
            row.birth_date = ANONYMOUS_BIRTH_DATE
            count += 1
    session.flush()
    return count


def scrub_audit(session: Session, identities: Sequence[Identity]) -> int:
    """Replace these identities' names, birth dates and phones in the audit trail; returns the lines changed."""
    patterns = _patterns(identities)
    if not patterns:
        return 0
    count = 0
    for row in session.scalars(select(AuditEntryRow).where(col(AuditEntryRow.details) != "")):
        cleaned = scrub_text(row.details, patterns)
        if cleaned != row.details:
            row.details = cleaned
            count += 1
    session.flush()
    return count


def scrub_text(text: str, patterns: Sequence[tuple[re.Pattern[str], str]]) -> str:
    """`text` with every pattern replaced by its placeholder."""
    for pattern, placeholder in patterns:
        text = pattern.sub(placeholder, text)
    return text


def identity_patterns(identities: Sequence[Identity]) -> list[tuple[re.Pattern[str], str]]:
    """The patterns that find these identities in free text, each with its placeholder."""
    return _patterns(identities)


def _patterns(identities: Sequence[Identity]) -> list[tuple[re.Pattern[str], str]]:
    names: set[str] = set()
    dates: set[str] = set()
    phones: set[str] = set()
    for who in identities:
        for name in (who.first_name, who.last_name):
            name = name.strip()
            if name:
                names.add(re.escape(name))
                names.update(re.escape(part) for part in re.split(r"[\s'-]+", name) if len(part) >= 3)
        if who.birth_date != ANONYMOUS_BIRTH_DATE:
            d = who.birth_date
            dates.update({d.isoformat(), f"{d:%d/%m/%Y}", f"{d.day}/{d.month}/{d.year}", f"{d:%d.%m.%Y}"})
        if who.phone:
            phones.add(_phone_pattern(who.phone))
    patterns = []
    if dates:
        patterns.append((re.compile("|".join(re.escape(d) for d in sorted(dates))), BIRTH_DATE))
    if phones:
        patterns.append((re.compile(r"(?<![\d+])(?:" + "|".join(sorted(phones)) + r")(?!\d)"), PHONE))
    if names:
        longest = sorted(names, key=len, reverse=True)  # "Marie-Claire" before "Marie"
        patterns.append((re.compile(r"(?<!\w)(?:" + "|".join(longest) + r")(?!\w)", re.IGNORECASE), NAME))
    return patterns


def _phone_pattern(phone: str) -> str:
    """The number in E.164 and in its national form, digits optionally separated ("06 12 34 56 78")."""
    digits = re.sub(r"\D", "", phone)
    try:
        number = phonenumbers.parse(phone, None)
        national = phonenumbers.national_significant_number(number)
        country = str(number.country_code)
    except phonenumbers.NumberParseException:
        return _spaced(digits)
    spaced = _spaced(national)
    return rf"(?:\+|00)\s?{country}[\s.-]?(?:\(0\))?[\s.-]?{spaced}|0[\s.-]?{spaced}|{_spaced(digits)}"


def _spaced(digits: str) -> str:
    return r"[\s.-]?".join(digits)


def _unshared_phones(session: Session, identities: Sequence[Identity]) -> list[str]:
    """The numbers of these identities that no patient still known holds (a family may share one)."""
    numbers = {who.phone for who in identities if who.phone}
    if not numbers:
        return []
    shared = set(session.scalars(select(col(PatientRow.phone)).where(col(PatientRow.phone).in_(numbers))))
    return sorted(numbers - shared)


def _empty_transcripts(session: Session, condition: object) -> int:
    statement = update(CallLogRow).where(condition, col(CallLogRow.transcript).is_not(None))  # type: ignore[arg-type]
    return int(session.execute(statement.values(transcript=None)).rowcount)  # type: ignore[attr-defined]


def _their_requests(session: Session, identities: Sequence[Identity], phones: Sequence[str]) -> list[RequestRow]:
    """Requests left in these identities' names (names folded, same birth date) or with their numbers."""
    wanted = {(fold_name(w.first_name), fold_name(w.last_name), w.birth_date) for w in identities}
    birth_dates = {w.birth_date for w in identities}
    statement = select(RequestRow).where(
        or_(col(RequestRow.birth_date).in_(birth_dates), col(RequestRow.callback_phone).in_(list(phones) or [""]))
    )
    return [
        row
        for row in session.scalars(statement)
        if row.callback_phone in phones
        or (fold_name(row.first_name), fold_name(row.last_name), row.birth_date) in wanted
    ]
