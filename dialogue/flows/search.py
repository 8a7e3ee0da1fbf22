"""Finding the slots to offer: the wish as a `SlotQuery`, then the nearest alternatives when nothing fits.

Every slot offered comes from `BookingPort.find_slots`: nothing here invents a time.

Slots are compared and sorted on real time (`slot_order`), never on their wall-clock `start`: Python compares
two date-times sharing one `tzinfo` by wall clock and ignores `fold`, so on the night the clocks go back
02:20 (summer time) and 02:20 (winter time) would be "equal" and "plus tard" would skip an hour.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from booking.slots import Order, Slot, SlotQuery, TimeWindow, holiday_dates
from dialogue.context import Context
from dialogue.state import State, When, Wish
from dialogue.understand.when import parse_when

MAX_OFFERS = 3


class Reason(enum.StrEnum):
    """Why nothing was free on the wished day."""

    HOLIDAY = "holiday"
    PRACTICE_CLOSED = "practice_closed"
    AWAY = "away"
    DAY_OFF = "day_off"
    FULL = "full"
    TOO_FAR = "too_far"
    PAST = "past"
    PERIOD = "period"
    """Nothing free in a wished period of several days, or at the wished hours."""


@dataclass(frozen=True)
class Found:
    """The slots to offer and whether they answer the wish or are alternatives."""

    slots: tuple[Slot, ...]
    exact: bool
    reason: Reason | None = None


def slot_order(slot: Slot) -> tuple[datetime, datetime, str, str]:
    """A sort key on real time (UTC instants), then practitioner and motif; equal only for the same slot."""
    return slot.start.astimezone(UTC), slot.end.astimezone(UTC), slot.practitioner_id, slot.motif_id


def _query(wish: Wish, **changes: object) -> SlotQuery:
    ids = wish.practitioner_ids if len(wish.practitioner_ids) == 1 or wish.anyone else ()
    when = wish.when or When()
    query = SlotQuery(
        motif_id=wish.motif_id or "",
        practitioner_ids=ids,
        specialty=None if ids else wish.specialty,
        first_day=when.first_day,
        last_day=when.last_day,
        windows=when.windows,
        limit=MAX_OFFERS,
    )
    return replace(query, **changes)  # type: ignore[arg-type]


def _around(moment: time, minutes: int) -> TimeWindow:
    base = datetime.combine(date(2000, 1, 1), moment)
    return TimeWindow((base - timedelta(minutes=minutes)).time(), (base + timedelta(minutes=minutes + 1)).time())


def _nearest_on_first_day(slots: list[Slot], moment: time) -> list[Slot]:
    if not slots:
        return []
    day = slots[0].start.date()
    same_day = [s for s in slots if s.start.date() == day]
    target = datetime.combine(day, moment, tzinfo=slots[0].start.tzinfo).astimezone(UTC)
    same_day.sort(key=lambda s: (abs(s.start.astimezone(UTC) - target), slot_order(s)))
    return sorted(same_day[:MAX_OFFERS], key=slot_order)


def _exact(wish: Wish, ctx: Context) -> list[Slot]:
    port, now = ctx.port, ctx.now
    when = wish.when or When()
    if when.time is not None and when.first_day is not None:
        wished = datetime.combine(when.first_day, when.time)
        last = when.last_day or when.first_day
        found = port.find_slots(_query(wish, last_day=last, order=Order.NEAREST, wished=wished), now)
        return sorted(found, key=slot_order)
    if when.time is not None:
        windows = (*when.windows, _around(when.time, 60)) if not when.windows else when.windows
        found = port.find_slots(_query(wish, windows=windows, limit=12), now)
        return _nearest_on_first_day(found, when.time)
    return port.find_slots(_query(wish), now)


def find_offers(wish: Wish, ctx: Context) -> Found:
    """Up to three slots answering the wish, else the nearest alternatives.

    Alternatives are the same practitioner on the nearest other days, and another practitioner of the same
    specialty on the wished day.
    """
    exact = _exact(wish, ctx)
    if exact:
        return Found(tuple(exact[:MAX_OFFERS]), exact=True)
    when = wish.when or When()
    reason = closed_reason(wish, ctx)
    day = when.first_day or ctx.today
    wished = datetime.combine(day, when.time or (when.windows[0].earliest if when.windows else None) or time(9))
    port, now = ctx.port, ctx.now
    nearest = _query(wish, first_day=None, last_day=None, order=Order.NEAREST, wished=wished)
    same = port.find_slots(nearest, now) or port.find_slots(replace(nearest, windows=()), now)
    others: list[Slot] = []
    if len(wish.practitioner_ids) == 1 and when.first_day is not None:
        me = ctx.clinic.practitioner(wish.practitioner_ids[0])
        colleagues = tuple(
            p.id
            for p in ctx.clinic.practitioners
            if p.id != me.id and p.specialty == me.specialty and (wish.motif_id or "") in p.motifs
        )
        if colleagues:
            others = port.find_slots(_query(wish, practitioner_ids=colleagues, limit=1), now)
    chosen = sorted(same[: MAX_OFFERS - 1] + others[:1] if others else same[:MAX_OFFERS], key=slot_order)
    return Found(tuple(chosen), exact=False, reason=reason)


def closed_reason(wish: Wish, ctx: Context) -> Reason:
    """Why a wished day has nothing free: holiday, closure, leave, day off, full; PERIOD for a range."""
    when = wish.when or When()
    clinic = ctx.clinic
    practice = clinic.practice
    day = when.first_day
    horizon = (ctx.now + timedelta(days=practice.horizon_days)).astimezone(practice.zone).date()
    if day is not None and day > horizon:
        return Reason.TOO_FAR
    if day is not None and day < ctx.today:
        return Reason.PAST
    if day is None or (when.last_day is not None and when.last_day != day):
        return Reason.PERIOD
    if day in holiday_dates(practice.country, practice.subdivision, day.year):
        return Reason.HOLIDAY
    start, end = datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())
    for closure in clinic.closures:
        if closure.start <= start and end <= closure.end:
            if closure.practitioner is None:
                return Reason.PRACTICE_CLOSED
            if wish.practitioner_ids == (closure.practitioner,):
                return Reason.AWAY
    if len(wish.practitioner_ids) == 1 and day.weekday() not in clinic.practitioner(wish.practitioner_ids[0]).hours:
        return Reason.DAY_OFF
    return Reason.PERIOD if when.time is not None or when.windows else Reason.FULL


def later_offers(wish: Wish, seen: tuple[Slot, ...], ctx: Context, other_day: bool) -> tuple[Slot, ...]:
    """The next slots after the last one offered (from the next day on with `other_day`)."""
    offered = {slot_order(s) for s in seen}
    last = max(offered, default=None)
    first_day = ctx.today if last is None else last[0].astimezone(ctx.clinic.practice.zone).date()
    first_day += timedelta(days=1 if other_day and last is not None else 0)
    query = _query(wish, first_day=first_day, last_day=None, limit=MAX_OFFERS + len(seen) + 12)
    for attempt in (query, replace(query, windows=())):
        found = [
            s
            for s in sorted(ctx.port.find_slots(attempt, ctx.now), key=slot_order)
            if slot_order(s) not in offered and (last is None or slot_order(s) > last)
        ]
        if found:
            return tuple(found[:MAX_OFFERS])
    return ()


def earlier_offers(wish: Wish, seen: tuple[Slot, ...], ctx: Context) -> tuple[Slot, ...]:
    """The slots just before the first one offered."""
    if not seen:
        return ()
    offered = {slot_order(s) for s in seen}
    first = min(offered)
    query = _query(wish, first_day=None, last_day=first[0].astimezone(ctx.clinic.practice.zone).date(), limit=None)
    for attempt in (query, replace(query, windows=())):
        found = [
            s
            for s in sorted(ctx.port.find_slots(attempt, ctx.now), key=slot_order)
            if slot_order(s) < first and slot_order(s) not in offered
        ]
        if found:
            return tuple(found[-MAX_OFFERS:])
    return ()


def asked_time(state: State, text: str, ctx: Context) -> datetime | None:
    """The local date-time the caller asks for at the offer question when no offered slot starts then.

    A time alone ("11 h 15") is on the offered slots' day (the wished day when they span several).
    """
    when = parse_when(text, ctx.local_now, ctx.locale)
    if when is None or when.time is None or (when.last_day is not None and when.last_day != when.first_day):
        return None
    zone = ctx.clinic.practice.zone
    starts = [s.start.astimezone(zone).replace(tzinfo=None) for s in sorted(state.offers, key=slot_order)]
    days = {start.date() for start in starts}
    wished_day = state.wish.when.first_day if state.wish.when is not None else None
    day = when.first_day or (days.pop() if len(days) == 1 else wished_day)
    if day is None and starts:
        day = starts[0].date()
    if day is None:
        return None
    moment = datetime.combine(day, when.time)
    return None if moment in starts else moment


def nearest_free(wish: Wish, wished: datetime, ctx: Context) -> tuple[Slot, ...]:
    """Up to three free slots nearest to `wished` (local wall-clock time), on any day, in time order."""
    query = _query(wish, first_day=None, last_day=None, windows=(), order=Order.NEAREST, wished=wished)
    return tuple(sorted(ctx.port.find_slots(query, ctx.now), key=slot_order))
