"""Pure helpers of the appointment-book pages: the week grid's layout, form parsing, friendly reasons."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import holidays

from booking.clinic import Clinic
from booking.errors import Refusal
from booking.phones import to_e164
from booking.records import AppointmentRecord
from booking.slots import Slot

REASON_KEYS: dict[Refusal, str] = {
    Refusal.TAKEN: "taken",
    Refusal.OFF_HOURS: "off_hours",
    Refusal.CLOSED: "closed",
    Refusal.TOO_SOON: "too_soon",
    Refusal.TOO_FAR: "too_far",
    Refusal.NOT_OFFERED: "not_offered",
}
"""The i18n key (under `book.reason.`) of each refusal of the booking service."""


def reason_key(reason: Refusal | None) -> str:
    """The i18n key (under `book.reason.`) for a `SlotUnavailable.reason`; `other` when it gave none."""
    return REASON_KEYS.get(reason, "other") if reason is not None else "other"


EARLIEST_DAY = date(1900, 1, 1)
"""The first day a console form may name (as on the command line, `voicebot.commands.base`)."""
LATEST_DAY = date(2999, 12, 31)
"""The last: every time computed from it (the day after, the week's end, an appointment's end) is still a date."""


def parse_day(text: str | None) -> date | None:
    """A date typed as 2026-12-01 or 01/12/2026; `None` if it is neither, or outside `EARLIEST_DAY`..`LATEST_DAY`."""
    text = (text or "").strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            day = datetime.strptime(text, form).date()
        except ValueError:
            continue
        return day if EARLIEST_DAY <= day <= LATEST_DAY else None
    return None


def parse_clock(text: str | None) -> time | None:
    """A time typed as 09:30, 9h30 or 9h; `None` otherwise."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[:hH]\s*(\d{2})?\s*", text or "")
    if not match or int(match[1]) > 23 or int(match[2] or 0) > 59:
        return None
    return time(int(match[1]), int(match[2] or 0))


def patient_query(text: str, country: str) -> dict[str, Any]:
    """Turn one search box into `find_patients` criteria: a phone, a birth date, or a name."""
    text = text.strip()
    if not text:
        return {}
    day = parse_day(text)
    if day is not None:
        return {"birth_date": day}
    if re.fullmatch(r"[+\d\s.\-()/]{6,}", text):
        phone = to_e164(text, country)
        return {"phone": phone} if phone else {}
    words = text.split()
    if len(words) == 1:
        return {"last_name": words[0]}
    return {"first_name": words[0], "last_name": " ".join(words[1:])}


@dataclass(frozen=True)
class Block:
    """Something drawn in a day column, positioned in percent of the column's height."""

    kind: str
    """`open`, `closed`, `free` or `appointment`."""
    top: float
    height: float
    start: datetime
    end: datetime
    label: str = ""
    appointment: AppointmentRecord | None = None


@dataclass(frozen=True)
class DayColumn:
    """One day of the week grid."""

    day: date
    blocks: tuple[Block, ...]
    note: str = ""
    """A public holiday's name."""


@dataclass(frozen=True)
class WeekGrid:
    """A practitioner's week: hours down the side, one column per day."""

    hours: tuple[int, ...]
    """Whole hours labelled on the side."""
    days: tuple[DayColumn, ...]


def week_grid(
    clinic: Clinic,
    practitioner_id: str,
    monday: date,
    appointments: Sequence[AppointmentRecord],
    free: Iterable[Slot] = (),
) -> WeekGrid:
    """Lay out opening hours, closures, holidays, free slots and appointments of one practitioner's week."""
    practitioner = clinic.practitioner(practitioner_id)
    zone = clinic.practice.zone
    bounds = [
        (r.start.hour, math.ceil(r.end.hour + r.end.minute / 60)) for rs in practitioner.hours.values() for r in rs
    ]
    bounds += [(a.start.hour, math.ceil(a.end.hour + a.end.minute / 60)) for a in appointments]
    first = min([8, *(b[0] for b in bounds)])
    last = max([19, *(min(b[1], 24) for b in bounds)])
    shown = [
        d for d in range(7) if d < 5 or practitioner.hours.get(d) or any(a.start.weekday() == d for a in appointments)
    ]
    calendar = holidays.country_holidays(clinic.practice.country, subdiv=clinic.practice.subdivision, years=monday.year)
    columns = []
    for weekday in shown:
        day = monday + timedelta(days=weekday)
        origin = datetime.combine(day, time(first))

        def place(
            kind: str,
            start: datetime,
            end: datetime,
            label: str = "",
            record: AppointmentRecord | None = None,
            _origin: datetime = origin,
        ) -> Block | None:
            top = max(0.0, (start - _origin).total_seconds() / 60)
            bottom = min((last - first) * 60.0, (end - _origin).total_seconds() / 60)
            if bottom <= top:
                return None
            scale = 100 / ((last - first) * 60)
            return Block(kind, round(top * scale, 3), round((bottom - top) * scale, 3), start, end, label, record)

        blocks: list[Block | None] = [
            place("open", datetime.combine(day, r.start), datetime.combine(day, r.end))
            for r in practitioner.hours.get(weekday, ())
        ]
        for closure in clinic.closures:
            if closure.practitioner in (None, practitioner_id):
                blocks.append(place("closed", max(closure.start, origin), closure.end, closure.label))
        blocks += [
            place("free", s.start.astimezone(zone).replace(tzinfo=None), s.end.astimezone(zone).replace(tzinfo=None))
            for s in free
            if s.start.astimezone(zone).date() == day
        ]
        blocks += [
            place(
                "appointment",
                a.start.replace(tzinfo=None),
                a.end.replace(tzinfo=None),
                f"{a.patient.last_name} {a.patient.first_name[:1]}." if a.patient.last_name else "—",
                a,
            )
            for a in appointments
            if a.start.date() == day
        ]
        note = str(calendar.get(day) or "")
        columns.append(DayColumn(day, tuple(b for b in blocks if b is not None), note))
    return WeekGrid(tuple(range(first, last)), tuple(columns))
