"""The slot engine: which appointments can be offered.

A pure function of the clinic, the bookings already made and the current time (passed in; never read here).
Every computation runs on UTC instants: Python compares and adds date-times that share a `ZoneInfo` by wall
clock, which is wrong on the night the clocks go back or forward.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays

from booking.clinic import Clinic, Motif, Practitioner
from booking.errors import Refusal
from booking.intervals import Interval, cut_slots, day_bounds, merge, opening_intervals, subtract, to_utc


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable appointment time."""

    start: datetime
    """Aware, in the practice's time zone."""
    end: datetime
    practitioner_id: str
    motif_id: str


class Busy(NamedTuple):
    """Time a practitioner is already taken (a booked appointment).

    A named tuple rather than a dataclass: searches build thousands of them, and tuples are made 5x faster.
    """

    practitioner_id: str
    start: datetime
    """Aware."""
    end: datetime
    motif_id: str | None = None
    """Lets the engine keep the motif's buffer free after it."""


@dataclass(frozen=True)
class TimeWindow:
    """A local time-of-day constraint on a slot's start: `earliest <= start < latest`."""

    earliest: time | None = None
    latest: time | None = None

    def admits(self, local_start: time) -> bool:
        """Whether a slot starting at this wall-clock time fits the window."""
        if self.earliest is not None and local_start < self.earliest:
            return False
        return self.latest is None or local_start < self.latest


MORNING = TimeWindow(None, time(12, 0))
AFTERNOON = TimeWindow(time(13, 0), None)
"""After lunch: callers asking for "l'après-midi" don't mean midi (12:00-13:00 is only offered on request)."""
EVENING = TimeWindow(time(17, 0), None)


class Order(enum.Enum):
    """How results are sorted."""

    EARLIEST = "earliest"
    NEAREST = "nearest"
    """Closest to `SlotQuery.wished` first (ties: the earlier one)."""


@dataclass(frozen=True)
class SlotQuery:
    """What a caller or staff member is looking for."""

    motif_id: str
    practitioner_ids: tuple[str, ...] = ()
    """Restrict to these practitioners; empty = anyone offering the motif."""
    specialty: str | None = None
    """Restrict to practitioners of this specialty (case-insensitive)."""
    first_day: date | None = None
    """First local day searched; default today."""
    last_day: date | None = None
    """Last local day searched (inclusive); default the end of the horizon."""
    windows: tuple[TimeWindow, ...] = ()
    """Any of these time-of-day windows; empty = the whole day."""
    order: Order = Order.EARLIEST
    wished: datetime | None = None
    """Aware or local naive date-time for `Order.NEAREST`."""
    limit: int | None = None


def find_slots(clinic: Clinic, busy: Iterable[Busy], query: SlotQuery, now: datetime) -> list[Slot]:
    """Free slots answering `query`, sorted by `query.order`; at most `query.limit` of them."""
    if query.limit is not None and query.limit <= 0:
        return []
    search = _Search(clinic, busy, query, now)
    if query.order is Order.NEAREST and query.wished is not None:
        return search.nearest(query.wished, query.limit)
    return search.earliest(query.limit)


@dataclass(frozen=True)
class SlotRefusal:
    """Why a time cannot be booked."""

    reason: Refusal
    message: str
    """The same in an English sentence, with its numbers ("too soon: appointments need 120 minutes' notice")."""


ALREADY_BOOKED = SlotRefusal(Refusal.TAKEN, "that time is already booked")
"""The refusal of a time another booking overlaps (the engine's, or the database's at commit)."""


def slot_refusal(
    clinic: Clinic,
    busy: Iterable[Busy],
    practitioner_id: str,
    motif_id: str,
    start: datetime,
    now: datetime,
    enforce_notice: bool = True,
) -> SlotRefusal | None:
    """Why `start` cannot be booked, or `None` when it can.

    Unlike `find_slots`, a start off the slot grid is accepted (staff may book any free time).
    """
    practice = clinic.practice
    zone = practice.zone
    practitioner = clinic.practitioner(practitioner_id)
    motif = clinic.motif(motif_id)
    if motif.id not in practitioner.motifs:
        return SlotRefusal(Refusal.NOT_OFFERED, f"{practitioner.display_name} does not offer {motif.label}")
    start = start.astimezone(UTC)
    now = now.astimezone(UTC)
    end = start + timedelta(minutes=motif.duration_minutes)
    day = start.astimezone(zone).date()
    search = _Search(clinic, [], SlotQuery(motif_id), now)
    opening = opening_intervals(practitioner.hours, zone, day - timedelta(days=1), day + timedelta(days=1))
    if not any(s <= start and end <= e for s, e in opening):
        return SlotRefusal(Refusal.OFF_HOURS, "outside the practitioner's opening hours")
    if not any(s <= start and end <= e for s, e in subtract(opening, search.closed(practitioner.id, day))):
        return SlotRefusal(Refusal.CLOSED, "the practice or the practitioner is closed then")
    if enforce_notice:
        if start < now + timedelta(minutes=practice.min_notice_minutes):
            notice = practice.min_notice_minutes
            return SlotRefusal(Refusal.TOO_SOON, f"too soon: appointments need {notice} minutes' notice")
        if start > now + timedelta(days=practice.horizon_days):
            horizon = practice.horizon_days
            return SlotRefusal(Refusal.TOO_FAR, f"too far ahead: appointments are open {horizon} days ahead")
    buffers = {m.id: timedelta(minutes=m.buffer_minutes) for m in clinic.motifs}
    kept_until = end + timedelta(minutes=motif.buffer_minutes)  # as `find_slots`: buffers stay free
    taken = [
        (b.start, b.end.astimezone(UTC) + buffers.get(b.motif_id or "", timedelta(0)))
        for b in busy
        if b.practitioner_id == practitioner_id
    ]
    if any(s < kept_until and start < e for s, e in taken):
        return ALREADY_BOOKED
    return None


def unavailable_reason(
    clinic: Clinic,
    busy: Iterable[Busy],
    practitioner_id: str,
    motif_id: str,
    start: datetime,
    now: datetime,
    enforce_notice: bool = True,
) -> str | None:
    """Why `start` cannot be booked, in an English sentence (`slot_refusal`'s message), or `None` when it can."""
    refusal = slot_refusal(clinic, busy, practitioner_id, motif_id, start, now, enforce_notice)
    return refusal.message if refusal is not None else None


@lru_cache(maxsize=64)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of a country (and region) for one year."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


class _Search:
    """One slot search: the query's fixed inputs, computed once, walked day by day."""

    def __init__(self, clinic: Clinic, busy: Iterable[Busy], query: SlotQuery, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(UTC)
        self.clinic = clinic
        self.query = query
        practice = clinic.practice
        self.zone: ZoneInfo = practice.zone
        self.motif: Motif = clinic.motif(query.motif_id) if query.motif_id else Motif("", "", 5)
        self.duration = timedelta(minutes=self.motif.duration_minutes)
        self.step = timedelta(minutes=practice.slot_step_minutes or self.motif.duration_minutes)
        self.not_before = now + timedelta(minutes=practice.min_notice_minutes)
        self.not_after = now + timedelta(days=practice.horizon_days)
        today = now.astimezone(self.zone).date()
        first = max(query.first_day or today, self.not_before.astimezone(self.zone).date())
        horizon_day = self.not_after.astimezone(self.zone).date()
        last = min(query.last_day or horizon_day, horizon_day)
        self.first_day, self.last_day = first, last
        self.practitioners = [p for p in clinic.practitioners if self._wanted(p)]
        buffers = {m.id: timedelta(minutes=m.buffer_minutes) for m in clinic.motifs}
        lead = timedelta(minutes=self.motif.buffer_minutes)
        self.busy: dict[str, list[Interval]] = {}
        zero = timedelta(0)
        for item in busy:  # the hot loop of a search: thousands of bookings, so no needless arithmetic
            start, end = item.start.astimezone(UTC), item.end.astimezone(UTC)
            after = buffers.get(item.motif_id or "", zero)
            self.busy.setdefault(item.practitioner_id, []).append(
                (start - lead if lead else start, end + after if after else end)
            )
        for intervals in self.busy.values():
            intervals.sort()
        self.longest_busy = max((e - s for intervals in self.busy.values() for s, e in intervals), default=timedelta(0))

    def _wanted(self, practitioner: Practitioner) -> bool:
        query = self.query
        if query.motif_id and query.motif_id not in practitioner.motifs:
            return False
        if query.practitioner_ids and practitioner.id not in query.practitioner_ids:
            return False
        return query.specialty is None or practitioner.specialty.casefold() == query.specialty.casefold()

    def closed(self, practitioner_id: str, day: date) -> list[Interval]:
        """Closures and public holidays touching a local day, as UTC intervals."""
        practice = self.clinic.practice
        blocked: list[Interval] = []
        if day in holiday_dates(practice.country, practice.subdivision, day.year):
            blocked.append(day_bounds(day, self.zone))
        for closure in self.clinic.closures:
            if closure.practitioner not in (None, practitioner_id):
                continue
            if closure.start.date() <= day + timedelta(days=1) and closure.end.date() >= day - timedelta(days=1):
                blocked.append((to_utc(closure.start, self.zone), to_utc(closure.end, self.zone)))
        return merge(blocked)

    def _taken(self, practitioner_id: str, window: Interval) -> list[Interval]:
        intervals = self.busy.get(practitioner_id, [])
        lo = bisect.bisect_left(intervals, (window[0] - self.longest_busy,))
        hi = bisect.bisect_left(intervals, (window[1],))
        return [i for i in intervals[lo:hi] if i[1] > window[0]]

    def day(self, day: date) -> list[Slot]:
        """Every matching slot on one local day, earliest first."""
        if not self.first_day <= day <= self.last_day:
            return []
        found: list[Slot] = []
        for practitioner in self.practitioners:
            opening = opening_intervals(practitioner.hours, self.zone, day, day)
            if not opening:
                continue
            free = subtract(opening, self.closed(practitioner.id, day))
            if not free:
                continue
            free = subtract(free, self._taken(practitioner.id, (opening[0][0], opening[-1][1])))
            for start, end in cut_slots(free, self.duration, self.step, self.not_before, self.not_after):
                local_start = start.astimezone(self.zone)
                if self.query.windows and not any(w.admits(local_start.time()) for w in self.query.windows):
                    continue
                found.append(Slot(local_start, end.astimezone(self.zone), practitioner.id, self.motif.id))
        found.sort(key=_real_order)
        return found

    def _days(self) -> Iterator[date]:
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def earliest(self, limit: int | None) -> list[Slot]:
        result: list[Slot] = []
        for day in self._days():
            result.extend(self.day(day))
            if limit is not None and len(result) >= limit:
                return result[:limit]
        return result

    def nearest(self, wished: datetime, limit: int | None) -> list[Slot]:
        target = (wished if wished.tzinfo else wished.replace(tzinfo=self.zone)).astimezone(UTC)
        center = target.astimezone(self.zone).date()
        center = min(max(center, self.first_day), self.last_day)
        candidates: list[tuple[timedelta, Slot]] = []
        radius = 0
        while True:
            before, after = center - timedelta(days=radius), center + timedelta(days=radius)
            days = [center] if radius == 0 else [before, after]
            if all(d < self.first_day or d > self.last_day for d in days):
                break
            for day in days:
                candidates.extend((abs(s.start - target), s) for s in self.day(day))
            candidates.sort(key=lambda c: (c[0], *_real_order(c[1])))
            if limit is not None and len(candidates) >= limit:
                # A slot on a day not searched yet lies beyond the searched days' edges (in real time: days
                # around a DST switch last 23 or 25 hours).
                edges = []
                if before - timedelta(days=1) >= self.first_day:
                    edges.append(target - day_bounds(before, self.zone)[0])
                if after + timedelta(days=1) <= self.last_day:
                    edges.append(day_bounds(after, self.zone)[1] - target)
                if not edges or candidates[limit - 1][0] < min(edges):
                    break
            radius += 1
        chosen = [slot for _, slot in candidates]
        return chosen[:limit] if limit is not None else chosen


def _real_order(slot: Slot) -> tuple[datetime, datetime, str, str]:
    """Sort key of slots in real time (`Slot`'s own order compares wall clocks within one zone)."""
    return slot.start.astimezone(UTC), slot.end.astimezone(UTC), slot.practitioner_id, slot.motif_id


def slots_as_busy(slots: Sequence[Slot]) -> list[Busy]:
    """Treat slots as taken time (handy in tests and for holding offers)."""
    return [Busy(s.practitioner_id, s.start, s.end, s.motif_id) for s in slots]
