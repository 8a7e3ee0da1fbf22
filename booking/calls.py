"""The call log: every finished call (Twilio, SIP, the text simulator), what it did, and its pseudonymised
transcript. Never audio. The purge (`booking.privacy`) empties transcripts and deletes rows past their days.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from booking.db import reader
from booking.errors import BookingError
from booking.intervals import day_bounds
from booking.models import CallLogRow, CallPatientRow, PatientRow
from booking.records import CHART_GROUPS, CallChannel, CallEntry, LoggedCall, ReplyLatency, TranscriptLine


class CallNotFound(BookingError):
    """No call in the log has this number (it may have been deleted by the retention purge)."""


@dataclass(frozen=True)
class DayCounts:
    """One day of the console's 30-day chart (a local day of the practice)."""

    day: date
    calls: int
    """Every call of the day."""
    booked: int
    """Calls that booked or moved an appointment (`CHART_GROUPS["booked"]`)."""
    transferred: int
    """Calls handed to the staff, emergencies included."""
    abandoned: int
    """Calls the caller left, that went silent, or that the server closed."""


class CallLog:
    """Reads and writes the call log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = reader(engine)

    def record(self, entry: CallEntry) -> LoggedCall:
        """Store a finished call; recording the same `entry.key` again returns the call stored first.

        The call is linked to the patients of `entry.patient_ids` that exist; when the caller refused any reuse,
        those patients are marked `reuse_refused` too.
        """
        existing = self._by_key(entry.key)
        if existing is not None:
            return existing
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                row = _row(entry)
                session.add(row)
                session.flush()
                assert row.id is not None
                known = _existing_patients(session, entry.patient_ids)
                for patient_id in known:
                    session.add(CallPatientRow(call_id=row.id, patient_id=patient_id))
                if entry.refused and known:
                    session.execute(update(PatientRow).where(col(PatientRow.id).in_(known)).values(reuse_refused=True))
                call_id = row.id
        except IntegrityError:
            stored = self._by_key(entry.key)  # another process recorded the same call meanwhile
            if stored is None:
                raise
            return stored
        return self.get(call_id)

    def find(
        self,
        *,
        started_from: datetime | None = None,
        started_until: datetime | None = None,
        outcome: str | None = None,
        limit: int | None = None,
    ) -> list[LoggedCall]:
        """Calls matching every filter given (`started_until` exclusive), newest first."""
        statement = select(CallLogRow).order_by(col(CallLogRow.started_at).desc(), col(CallLogRow.id).desc())
        if started_from is not None:
            statement = statement.where(col(CallLogRow.started_at) >= started_from)
        if started_until is not None:
            statement = statement.where(col(CallLogRow.started_at) < started_until)
        if outcome is not None:
            statement = statement.where(col(CallLogRow.outcome) == outcome)
        if limit is not None:
            statement = statement.limit(limit)
        with Session(self._reader) as session:
            return _calls(session, list(session.scalars(statement)))

    def get(self, call_id: int) -> LoggedCall:
        """The call with this number; `CallNotFound` otherwise."""
        with Session(self._reader) as session:
            row = session.get(CallLogRow, call_id)
            if row is None:
                raise CallNotFound(f"there is no call number {call_id} in the call log")
            return _calls(session, [row])[0]

    def for_patient(self, patient_id: int) -> list[LoggedCall]:
        """The calls linked to a patient, newest first."""
        statement = (
            select(CallLogRow)
            .join(CallPatientRow, col(CallPatientRow.call_id) == col(CallLogRow.id))
            .where(col(CallPatientRow.patient_id) == patient_id)
            .order_by(col(CallLogRow.started_at).desc(), col(CallLogRow.id).desc())
        )
        with Session(self._reader) as session:
            return _calls(session, list(session.scalars(statement)))

    def daily_counts(self, first_day: date, last_day: date, zone: ZoneInfo) -> list[DayCounts]:
        """Calls per local day from `first_day` to `last_day` inclusive, every day present (zeros included)."""
        start, end = day_bounds(first_day, zone)[0], day_bounds(last_day, zone)[1]
        statement = select(col(CallLogRow.started_at), col(CallLogRow.outcome)).where(
            col(CallLogRow.started_at) >= start, col(CallLogRow.started_at) < end
        )
        counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        group_of = {outcome: group for group, outcomes in CHART_GROUPS.items() for outcome in outcomes}
        with Session(self._reader) as session:
            for started_at, outcome in session.execute(statement):
                day = counts[started_at.astimezone(zone).date()]
                day["calls"] += 1
                if outcome in group_of:
                    day[group_of[outcome]] += 1
        days = []
        current = first_day
        while current <= last_day:
            c = counts.get(current, {})
            days.append(
                DayCounts(
                    current, c.get("calls", 0), c.get("booked", 0), c.get("transferred", 0), c.get("abandoned", 0)
                )
            )
            current += timedelta(days=1)
        return days

    def _by_key(self, key: str) -> LoggedCall | None:
        with Session(self._reader) as session:
            row = session.scalars(select(CallLogRow).where(col(CallLogRow.key) == key)).first()
            return None if row is None else _calls(session, [row])[0]


def transcript_json(lines: Iterable[TranscriptLine]) -> str:
    """The stored form of a transcript: a JSON list of {"speaker", "text"}."""
    return json.dumps([{"speaker": line.speaker, "text": line.text} for line in lines], ensure_ascii=False)


def read_transcript(stored: str | None) -> tuple[TranscriptLine, ...] | None:
    """A stored transcript back as lines; `None` once purged."""
    if stored is None:
        return None
    return tuple(TranscriptLine(str(item["speaker"]), str(item["text"])) for item in json.loads(stored))


def _row(entry: CallEntry) -> CallLogRow:
    latency = entry.latency
    return CallLogRow(
        key=entry.key,
        channel=CallChannel(entry.channel).value,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        outcome=entry.outcome,
        caller_phone=entry.caller_phone,
        booked=" ".join(entry.booked),
        moved=" ".join(entry.moved),
        cancelled=" ".join(entry.cancelled),
        identity_failures=entry.identity_failures,
        caller_turns=entry.caller_turns,
        latency_replies=latency.replies if latency else None,
        latency_p50_ms=latency.p50_ms if latency else None,
        latency_p95_ms=latency.p95_ms if latency else None,
        latency_max_ms=latency.max_ms if latency else None,
        refused=entry.refused,
        transcript=transcript_json(entry.transcript),
    )


def _existing_patients(session: Session, patient_ids: Sequence[int]) -> list[int]:
    if not patient_ids:
        return []
    found = session.scalars(select(col(PatientRow.id)).where(col(PatientRow.id).in_(set(patient_ids))))
    return sorted(i for i in found if i is not None)


def _calls(session: Session, rows: list[CallLogRow]) -> list[LoggedCall]:
    """Rows as `LoggedCall`s, with their patient links read in one query."""
    links: dict[int, list[int]] = defaultdict(list)
    ids = [row.id for row in rows if row.id is not None]
    if ids:
        statement = (
            select(CallPatientRow).where(col(CallPatientRow.call_id).in_(ids)).order_by(col(CallPatientRow.patient_id))
        )
        for link in session.scalars(statement):
            links[link.call_id].append(link.patient_id)
    return [_call(row, tuple(links[row.id or 0])) for row in rows]


def _call(row: CallLogRow, patient_ids: tuple[int, ...]) -> LoggedCall:
    assert row.id is not None
    transcript = read_transcript(row.transcript)
    latency = None
    if row.latency_replies is not None:
        latency = ReplyLatency(
            row.latency_replies, row.latency_p50_ms or 0, row.latency_p95_ms or 0, row.latency_max_ms or 0
        )
    entry = CallEntry(
        key=row.key,
        channel=CallChannel(row.channel),
        started_at=row.started_at,
        ended_at=row.ended_at,
        outcome=row.outcome,
        caller_phone=row.caller_phone,
        booked=tuple(row.booked.split()),
        moved=tuple(row.moved.split()),
        cancelled=tuple(row.cancelled.split()),
        identity_failures=row.identity_failures,
        caller_turns=row.caller_turns,
        latency=latency,
        refused=row.refused,
        patient_ids=patient_ids,
        transcript=transcript or (),
    )
    return LoggedCall(row.id, entry, transcript)
