"""Interval algebra over aware date-times.

Opening hours become ranges, busy time is subtracted, what remains is cut into slots.
Pure functions: no clock, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.clinic import TimeRange

Interval = tuple[datetime, datetime]
"""A half-open range `[start, end)` of aware date-times."""


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """Interpret a naive wall-clock date-time in `zone` and return it in UTC.

    Ambiguous times (the repeated hour in autumn) take the first occurrence; non-existent ones (the skipped
    hour in spring) are read with the offset in force before the change, i.e. one hour later on the clock.
    """
    return local.replace(tzinfo=zone).astimezone(UTC)


def day_bounds(day: date, zone: ZoneInfo) -> Interval:
    """The UTC range covering one local calendar day (23 or 25 hours long on DST days)."""
    return to_utc(datetime.combine(day, time()), zone), to_utc(datetime.combine(day + timedelta(days=1), time()), zone)


def opening_intervals(
    hours: Mapping[int, Sequence[TimeRange]], zone: ZoneInfo, first: date, last: date
) -> list[Interval]:
    """Weekly wall-clock hours expanded into UTC intervals for each day from `first` to `last` inclusive."""
    result: list[Interval] = []
    day = first
    while day <= last:
        for time_range in hours.get(day.weekday(), ()):
            start = to_utc(datetime.combine(day, time_range.start), zone)
            end = to_utc(datetime.combine(day, time_range.end), zone)
            if start < end:
                result.append((start, end))
        day += timedelta(days=1)
    result.sort()
    return result


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(free: Sequence[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` minus every `busy` interval; the result is sorted and never overlaps `busy`."""
    blocked = merge(busy)
    result: list[Interval] = []
    index = 0
    for start, end in sorted(free):
        while index < len(blocked) and blocked[index][1] <= start:
            index += 1
        cursor = start
        scan = index
        while scan < len(blocked) and blocked[scan][0] < end:
            block_start, block_end = blocked[scan]
            if block_start > cursor:
                result.append((cursor, block_start))
            cursor = max(cursor, block_end)
            scan += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def cut_slots(
    free: Sequence[Interval],
    duration: timedelta,
    step: timedelta,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> list[Interval]:
    """Cut free intervals into slots of `duration`, starting every `step` from each interval's start.

    Slots starting before `not_before` or after `not_after` are dropped; the grid stays anchored to the
    interval's start, so the first slot after `not_before` is on the same grid.
    """
    if duration <= timedelta(0) or step <= timedelta(0):
        raise ValueError("duration and step must be positive")
    slots: list[Interval] = []
    for start, end in sorted(free):
        first = start
        if not_before is not None and not_before > start:
            steps = -((start - not_before) // step)  # ceiling division
            first = start + steps * step
        slot_start = first
        while slot_start + duration <= end:
            if not_after is not None and slot_start > not_after:
                break
            slots.append((slot_start, slot_start + duration))
            slot_start += step
    return slots
