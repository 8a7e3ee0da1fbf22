"""What the practice holds on one patient (the right of access), and the corpus of pseudonymised transcripts
that may be used to tune recognition and understanding (refused calls and patients left out).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select
from sqlmodel import Session, col

from booking.calls import CallLog, read_transcript
from booking.db import reader
from booking.errors import BookingError
from booking.models import (
    AppointmentRow,
    CallLogRow,
    CallPatientRow,
    PatientRow,
    PracticeRow,
    RequestRow,
    SmsMessageRow,
)
from booking.privacy_retention import Retention
from booking.privacy_scrub import Identity, identity_patterns, scrub_text
from booking.records import PatientDetails, RequestCategory, RequestRecord, RequestStatus
from booking.service import fold_name
from booking.staff import StaffStore

REFERENCE = "⟨REFERENCE⟩"


class PatientNotFound(BookingError):
    """No patient (still identified) has this name and birth date, or this number."""


def read_retention(session: Session) -> Retention:
    """The stored `[privacy]` limits (the defaults before any clinic file was applied)."""
    row = session.get(PracticeRow, 1)
    if row is None:
        return Retention()
    return Retention(row.transcript_days, row.call_log_days, row.patient_data_years)


def export_patient(
    engine: Engine, patient_id: int, *, by: str = "cli", now: datetime | None = None
) -> dict[str, object]:
    """Everything held on a patient, JSON-ready: identity, preferences, appointments, calls with their
    transcripts, requests, text messages. Audited (`privacy.export`, the patient's number only); `now` defaults
    to the clock.

    Raises:
        PatientNotFound: no patient has this number.
    """
    with Session(reader(engine)) as session:
        row = session.get(PatientRow, patient_id)
        if row is None:
            raise PatientNotFound(f"there is no patient number {patient_id}")
        practice = session.get(PracticeRow, 1)
        zone = ZoneInfo(practice.timezone) if practice else UTC
        appointments = [
            {
                "reference": a.reference,
                "status": a.status,
                "practitioner_id": a.practitioner_id,
                "motif_id": a.motif_id,
                "start": a.start_at.astimezone(zone).isoformat(),
                "end": a.end_at.astimezone(zone).isoformat(),
                "source": a.source,
                "created_at": a.created_at.isoformat(),
                "cancelled_at": a.cancelled_at.isoformat() if a.cancelled_at else None,
            }
            for a in session.scalars(
                select(AppointmentRow)
                .where(col(AppointmentRow.patient_id) == patient_id)
                .order_by(col(AppointmentRow.start_at))
            )
        ]
        requests = [] if row.anonymised_at else [_request(r).as_json() for r in _requests_of(session, row)]
        identity: dict[str, object] = {
            "id": patient_id,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "birth_date": None if row.anonymised_at else row.birth_date.isoformat(),
            "phone": row.phone,
            "created_at": row.created_at.isoformat(),
            "anonymised_at": row.anonymised_at.isoformat() if row.anonymised_at else None,
        }
        preferences = {"reuse_refused": row.reuse_refused}
        texts = [_text(m, zone) for m in _texts_of(session, row)]
    calls = [call.as_json(with_transcript=True) for call in CallLog(engine).for_patient(patient_id)]
    StaffStore(engine).record(by, "privacy.export", f"patient {patient_id}", now or datetime.now(UTC))
    return {
        "patient": identity,
        "preferences": preferences,
        "appointments": appointments,
        "calls": calls,
        "requests": requests,
        "texts": texts,
    }


def export_corpus(engine: Engine, now: datetime) -> list[dict[str, object]]:
    """The pseudonymised transcripts that may be reused, oldest first: no refused call, no call of a patient who
    refused, nothing past `transcript_days`; no caller number nor reference. As a last guard, the names, birth
    dates and phones of the call's patients and its references are replaced again should any be left.
    """
    with Session(reader(engine)) as session:
        retention = read_retention(session)
        refusing = (
            select(col(CallPatientRow.call_id))
            .join(PatientRow, col(PatientRow.id) == col(CallPatientRow.patient_id))
            .where(col(PatientRow.reuse_refused))
        )
        statement = (
            select(CallLogRow)
            .where(
                col(CallLogRow.transcript).is_not(None),
                col(CallLogRow.started_at) >= now - timedelta(days=retention.transcript_days),
                col(CallLogRow.started_at) <= now,
                ~col(CallLogRow.refused),
                col(CallLogRow.id).not_in(refusing),
            )
            .order_by(col(CallLogRow.started_at), col(CallLogRow.id))
        )
        corpus: list[dict[str, object]] = []
        for call in session.scalars(statement):
            patients = session.scalars(
                select(PatientRow)
                .join(CallPatientRow, col(CallPatientRow.patient_id) == col(PatientRow.id))
                .where(col(CallPatientRow.call_id) == call.id)
            )
            patterns = identity_patterns([Identity.of(p) for p in patients])
            references = [r for r in f"{call.booked} {call.moved} {call.cancelled}".split() if r]
            if references:
                alternatives = "|".join(re.escape(r) for r in references)
                patterns.append((re.compile(rf"(?<!\d)(?:{alternatives})(?!\d)"), REFERENCE))
            lines = read_transcript(call.transcript) or ()
            corpus.append(
                {
                    "id": call.id,
                    "channel": call.channel,
                    "started_at": call.started_at.isoformat(),
                    "outcome": call.outcome,
                    "transcript": [{"speaker": t.speaker, "text": scrub_text(t.text, patterns)} for t in lines],
                }
            )
        return corpus


def _requests_of(session: Session, patient: PatientRow) -> list[RequestRow]:
    """Requests left in the patient's name (folded, same birth date) or with their number to call back."""
    rows = session.scalars(
        select(RequestRow)
        .where((col(RequestRow.birth_date) == patient.birth_date) | (col(RequestRow.callback_phone) == patient.phone))
        .order_by(col(RequestRow.created_at))
    )
    keys = (patient.first_name_key, patient.last_name_key, patient.birth_date)
    return [
        r
        for r in rows
        if (fold_name(r.first_name), fold_name(r.last_name), r.birth_date) == keys
        or (patient.phone and r.callback_phone == patient.phone)
    ]


def _request(row: RequestRow) -> RequestRecord:
    assert row.id is not None
    return RequestRecord(
        id=row.id,
        category=RequestCategory(row.category),
        status=RequestStatus(row.status),
        patient=PatientDetails(row.first_name, row.last_name, row.birth_date, row.callback_phone),
        created_at=row.created_at,
        done_at=row.done_at,
        done_by=row.done_by,
    )


def _texts_of(session: Session, patient: PatientRow) -> list[SmsMessageRow]:
    """The text messages about the patient's appointments or to their number, oldest first."""
    theirs = select(col(AppointmentRow.id)).where(col(AppointmentRow.patient_id) == patient.id)
    to_them = col(SmsMessageRow.to_phone) == (patient.phone or None)
    condition = or_(col(SmsMessageRow.appointment_id).in_(theirs), to_them)
    return list(session.scalars(select(SmsMessageRow).where(condition).order_by(col(SmsMessageRow.created_at))))


def _text(row: SmsMessageRow, zone: tzinfo) -> dict[str, object]:
    return {
        "kind": row.kind,
        "to": row.to_phone,
        "body": row.body,
        "reference": row.reference,
        "status": row.status,
        "created_at": row.created_at.astimezone(zone).isoformat(),
        "sent_at": row.sent_at.astimezone(zone).isoformat() if row.sent_at else None,
    }
