"""Builders for the call-log and privacy tests: calls, old bookings, and a dump of the whole database."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from booking.records import (
    CallChannel,
    CallEntry,
    PatientDetails,
    ReplyLatency,
    Source,
    TranscriptLine,
)
from booking.service import BookingService
from booking.slots import Slot
from tests.conftest import PARIS
from tests.pg import find_bindir

TRANSCRIPT = (
    TranscriptLine("bot", "Cabinet médical du Parc, bonjour. Vous pouvez refuser : dites « je refuse »."),
    TranscriptLine("caller", "je voudrais un rendez-vous avec le docteur Martin"),
    TranscriptLine("bot", "Votre nom et prénom, s'il vous plaît ?"),
    TranscriptLine("caller", "⟨NAME⟩ ⟨NAME⟩ né le ⟨BIRTH_DATE⟩"),
    TranscriptLine("bot", "C'est noté, votre référence est ⟨REFERENCE⟩."),
)
"""A transcript as the lines store it: already pseudonymised."""


def call(
    key: str,
    started_at: datetime,
    *,
    outcome: str = "booked",
    channel: CallChannel = CallChannel.TWILIO,
    caller_phone: str | None = "+33700000000",
    patient_ids: tuple[int, ...] = (),
    refused: bool = False,
    booked: tuple[str, ...] = (),
    transcript: tuple[TranscriptLine, ...] = TRANSCRIPT,
) -> CallEntry:
    """A finished two-minute call."""
    return CallEntry(
        key=key,
        channel=channel,
        started_at=started_at,
        ended_at=started_at + timedelta(minutes=2),
        outcome=outcome,
        caller_phone=caller_phone,
        booked=booked,
        identity_failures=1,
        caller_turns=6,
        latency=None if channel is CallChannel.CHAT else ReplyLatency(6, 700, 1200, 1500),
        refused=refused,
        patient_ids=patient_ids,
        transcript=transcript,
    )


def book_at(service: BookingService, who: PatientDetails, local: str, minutes: int = 20) -> tuple[int, str]:
    """Book Dr Martin's consultation at a local time (past ones too, as staff); `(patient id, reference)`."""
    start = datetime.fromisoformat(local).replace(tzinfo=PARIS)
    slot = Slot(start, start + timedelta(minutes=minutes), "martin", "consultation")
    record = service.book(slot, who, start - timedelta(days=2), source=Source.STAFF)
    return record.patient_id, record.reference


def dump(engine: Engine) -> str:
    """Every row of the whole database as text: SQLite's `iterdump`, PostgreSQL's `pg_dump`."""
    url = make_url(engine.url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        with sqlite3.connect(url.database) as connection:
            return "\n".join(connection.iterdump())
    result = subprocess.run(
        [
            str(find_bindir() / "pg_dump"),
            "--data-only",
            f"--host={url.host}",
            f"--port={url.port}",
            f"--username={url.username}",
            str(url.database),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    return "\n".join(line for line in lines if not line.startswith(("\\restrict", "\\unrestrict")))  # random keys


def forms_of(who: PatientDetails) -> list[str]:
    """What must not be left of a patient: names, birth date (ISO, French, as stored), phone (E.164, national)."""
    d: date = who.birth_date
    national = "0" + who.phone.removeprefix("+33")
    return [who.first_name, who.last_name, d.isoformat(), f"{d:%d/%m/%Y}", who.phone, national, who.phone[3:]]
