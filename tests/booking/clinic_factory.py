"""Small builders of `Clinic` values for tests: sensible defaults, override only what a test is about.

Defaults describe a French practice in Europe/Paris (country FR) with one general practitioner,
Dr Martin, open Monday to Friday 08:30-12:00 and 14:00-18:30, offering a 20-minute consultation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.clinic import WEEKDAYS, Clinic, Closure, Motif, Practice, Practitioner, TimeRange, parse_time_range
from booking.slots import Busy

PARIS = ZoneInfo("Europe/Paris")

WEEKDAY_HOURS: dict[str, tuple[str, ...]] = {
    day: ("08:30-12:00", "14:00-18:30") for day in ("mon", "tue", "wed", "thu", "fri")
}
"""Default opening hours: weekdays, morning and afternoon."""


def ranges(*texts: str) -> tuple[TimeRange, ...]:
    """`TimeRange`s from "HH:MM-HH:MM" texts (fails loudly on a typo in a test)."""
    parsed = []
    for text in texts:
        time_range = parse_time_range(text)
        assert time_range is not None, f"bad range in test: {text!r}"
        parsed.append(time_range)
    return tuple(sorted(parsed))


def week(hours: Mapping[str, Sequence[str]] | None = None, **days: Sequence[str]) -> dict[int, tuple[TimeRange, ...]]:
    """Weekly hours keyed by weekday index, from `{"mon": ["08:30-12:00"], ...}` and/or keyword days."""
    merged = {**(hours or {}), **days}
    return {WEEKDAYS.index(day): ranges(*texts) for day, texts in merged.items()}


def motif(
    motif_id: str = "consultation",
    duration: int = 20,
    *,
    label: str | None = None,
    buffer: int = 0,
    new_patients: bool = True,
    keywords: Iterable[str] = (),
) -> Motif:
    """An appointment type; the label defaults to the id."""
    return Motif(motif_id, label or motif_id, duration, new_patients, buffer, tuple(keywords))


def practitioner(
    practitioner_id: str = "martin",
    *,
    motifs: Iterable[str] = ("consultation",),
    hours: Mapping[str, Sequence[str]] | None = None,
    specialty: str = "médecin généraliste",
    title: str = "Dr",
    first_name: str = "Sophie",
    last_name: str | None = None,
) -> Practitioner:
    """A practitioner; `hours` uses weekday keys ("mon".."sun") and defaults to `WEEKDAY_HOURS`."""
    return Practitioner(
        id=practitioner_id,
        title=title,
        first_name=first_name,
        last_name=last_name or practitioner_id.capitalize(),
        specialty=specialty,
        motifs=tuple(motifs),
        hours=week(WEEKDAY_HOURS if hours is None else hours),
    )


def closure(start: date | datetime, end: date | datetime, practitioner: str | None = None, label: str = "") -> Closure:
    """A closure as the clinic file states it: dates are whole days, inclusive; date-times are local."""

    def moment(value: date | datetime) -> datetime:
        return value if isinstance(value, datetime) else datetime.combine(value, time())

    whole_days = not isinstance(start, datetime) and not isinstance(end, datetime)
    stop = moment(end) + (timedelta(days=1) if not isinstance(end, datetime) else timedelta(0))
    return Closure(moment(start), stop, practitioner, label, all_day=whole_days)


def make_clinic(
    *,
    practitioners: Sequence[Practitioner] | None = None,
    motifs: Sequence[Motif] | None = None,
    closures: Sequence[Closure] = (),
    timezone: str = "Europe/Paris",
    country: str = "FR",
    subdivision: str | None = None,
    locale: str = "fr",
    min_notice_minutes: int = 120,
    horizon_days: int = 60,
    slot_step_minutes: int | None = None,
) -> Clinic:
    """A whole clinic; by default one practitioner (`practitioner()`) and one motif (`motif()`)."""
    practice = Practice(
        name="Cabinet de test",
        timezone=timezone,
        locale=locale,
        country=country,
        phone="+33 1 00 00 00 00",
        address="1 rue du Test, 75011 Paris",
        min_notice_minutes=min_notice_minutes,
        horizon_days=horizon_days,
        subdivision=subdivision,
        slot_step_minutes=slot_step_minutes,
    )
    return Clinic(
        practice,
        tuple(motifs if motifs is not None else (motif(),)),
        tuple(practitioners if practitioners is not None else (practitioner(),)),
        tuple(closures),
    )


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    """An aware Europe/Paris wall-clock date-time."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC date-time."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def booked(practitioner_id: str, start: datetime, minutes: int, motif_id: str | None = None) -> Busy:
    """An existing appointment of `minutes` real minutes."""
    begin = start.astimezone(UTC)
    return Busy(practitioner_id, begin, begin + timedelta(minutes=minutes), motif_id)
