"""Property tests of the slot engine: random clinics, bookings, closures and clocks, around DST switches.

Each property is checked against the inputs directly (wall-clock hours, UTC instants, the `holidays`
calendar), not against the engine's own helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.clinic import Clinic, Closure, TimeRange
from booking.slots import AFTERNOON, EVENING, MORNING, Busy, Order, Slot, SlotQuery, TimeWindow, find_slots
from tests.booking.clinic_factory import PARIS, make_clinic, motif, practitioner

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Range boundaries avoid 02:00-03:00, the hour Paris skips in March and repeats in October: a boundary there
# has no single wall-clock meaning (`to_utc` documents its choice; test_intervals checks it). Ranges may
# still span that hour, so 23- and 25-hour days are exercised.
BOUNDARIES = [m for m in range(0, 24 * 60, 15) if not 120 <= m < 180]
NIGHT = [0, 60, 105, 180, 195, 240, 300, 1380, 1410, 1425, 1435]
"""Boundaries that put opening hours around midnight and the switch hour, where DST mistakes show."""

NOW_ANCHORS = [
    datetime(2027, 3, 26, 12, tzinfo=UTC),  # two days before spring forward
    datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # spring-forward night
    datetime(2027, 10, 29, 12, tzinfo=UTC),  # two days before fall back
    datetime(2027, 10, 31, 0, 30, tzinfo=UTC),  # in the repeated hour
    datetime(2026, 12, 22, 9, tzinfo=UTC),  # Christmas and New Year
    datetime(2027, 1, 11, 6, tzinfo=UTC),  # an ordinary January week
]

SWITCHES = [datetime(2027, 3, 28, 1, tzinfo=UTC), datetime(2027, 10, 31, 1, tzinfo=UTC)]
"""The instants Paris changes offset (02:00 -> 03:00 and 03:00 -> 02:00 on the wall clock)."""

WINDOWS = [MORNING, AFTERNOON, EVENING, TimeWindow(time(9), time(10, 30)), TimeWindow(time(0), time(2))]


def hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def day_ranges(points: list[int]) -> tuple[TimeRange, ...]:
    points = sorted(points)
    return tuple(TimeRange(hm(a), hm(b)) for a, b in zip(points[::2], points[1::2], strict=True))


# Strategies are built once: building them inside `scenarios` costs more than running the engine.
_BOUNDARY = st.sampled_from(NIGHT) | st.sampled_from(BOUNDARIES)
DAY_HOURS = st.one_of(
    st.just(()), *(st.lists(_BOUNDARY, min_size=2 * n, max_size=2 * n, unique=True).map(day_ranges) for n in (1, 2))
)
WEEK_HOURS = st.tuples(*[DAY_HOURS] * 7).map(lambda week: {day: r for day, r in enumerate(week) if r})


@dataclass(frozen=True)
class Scenario:
    clinic: Clinic
    busy: list[Busy]
    now: datetime
    query: SlotQuery

    @property
    def motif_minutes(self) -> int:
        return self.clinic.motif(self.query.motif_id).duration_minutes


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    motifs = [
        motif(f"m{i}", draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60])), buffer=draw(st.sampled_from([0, 5, 10])))
        for i in range(draw(st.integers(1, 3)))
    ]
    motif_ids = [m.id for m in motifs]
    practitioners = []
    for i in range(draw(st.integers(1, 3))):
        offered = draw(st.lists(st.sampled_from(motif_ids), min_size=1, unique=True))
        base = practitioner(f"p{i}", motifs=offered, hours={}, specialty=draw(st.sampled_from(["gp", "pédiatre"])))
        practitioners.append(replace(base, hours=draw(WEEK_HOURS)))
    ids = [p.id for p in practitioners]

    offset = st.integers(-180, 180) | st.integers(-2 * 1440, 2 * 1440)
    now = draw(st.sampled_from(NOW_ANCHORS)) + timedelta(minutes=draw(offset))
    if draw(st.booleans()):
        now = now.astimezone(PARIS)  # callers may pass local time
    horizon = draw(st.integers(1, 10))
    local_today = now.astimezone(PARIS).replace(tzinfo=None)

    closures = []
    for _ in range(draw(st.integers(0, 3))):
        who = draw(st.sampled_from([None, *ids]))
        if draw(st.booleans()):  # whole days
            first = local_today.date() + timedelta(days=draw(st.integers(-1, horizon)))
            start = datetime.combine(first, time())
            end = start + timedelta(days=draw(st.integers(1, 3)))
            closures.append(Closure(start, end, who, all_day=True))
        else:
            start = datetime.combine(local_today.date(), time()) + timedelta(
                minutes=15 * draw(st.integers(0, 4 * 24 * (horizon + 1)))
            )
            end = start + timedelta(minutes=15 * draw(st.integers(1, 40)))
            closures.append(Closure(start, end, who, all_day=False))

    busy = []
    for _ in range(draw(st.integers(0, 12))):
        around = draw(st.sampled_from([now.astimezone(UTC), *SWITCHES]))  # near now, or on a switch night
        start = around + timedelta(minutes=5 * draw(st.integers(-100, 288 * horizon)))
        end = start + timedelta(minutes=draw(st.sampled_from([5, 10, 20, 30, 45, 90, 240])))
        zone = draw(st.sampled_from([UTC, PARIS]))
        busy.append(
            Busy(
                draw(st.sampled_from(ids)),
                start.astimezone(zone),
                end.astimezone(zone),
                draw(st.sampled_from([None, *motif_ids])),
            )
        )

    clinic = make_clinic(
        practitioners=practitioners,
        motifs=motifs,
        closures=closures,
        min_notice_minutes=draw(st.sampled_from([0, 30, 120, 24 * 60])),
        horizon_days=horizon,
        slot_step_minutes=draw(st.sampled_from([None, 5, 15, 30])),
    )
    day_offsets = st.none() | st.integers(-1, horizon + 1).map(lambda n: local_today.date() + timedelta(days=n))
    query = SlotQuery(
        motif_id=draw(st.sampled_from(motif_ids)),
        practitioner_ids=tuple(draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))),
        specialty=draw(st.sampled_from([None, "GP", "pédiatre"])),
        first_day=draw(day_offsets),
        last_day=draw(day_offsets),
        windows=tuple(draw(st.lists(st.sampled_from(WINDOWS), unique=True, max_size=2))),
    )
    return Scenario(clinic, busy, now, query)


def instant(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def local_instant(naive: datetime) -> datetime:
    """A naive Paris wall-clock time as an instant (first occurrence; the skipped hour read at winter offset)."""
    return naive.replace(tzinfo=PARIS).astimezone(UTC)


@cache
def french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def in_opening_hours(clinic: Clinic, slot: Slot) -> bool:
    """Every instant of the slot lies, on the wall clock, within one of that weekday's ranges."""
    start = instant(slot.start).astimezone(PARIS)
    last = (instant(slot.end) - timedelta(microseconds=1)).astimezone(PARIS)
    if start.date() != last.date():
        return False
    ranges = clinic.practitioner(slot.practitioner_id).hours.get(start.weekday(), ())
    return any(r.start <= start.time() and last.time() < r.end for r in ranges)


def all_slots(scenario: Scenario, **changes: Any) -> list[Slot]:
    return find_slots(scenario.clinic, scenario.busy, replace(scenario.query, **changes), scenario.now)


@SETTINGS
@given(scenarios())
def test_slots_respect_hours_bookings_closures_holidays_notice_and_horizon(scenario: Scenario) -> None:
    clinic, query = scenario.clinic, scenario.query
    practice = clinic.practice
    now = instant(scenario.now)
    duration = timedelta(minutes=scenario.motif_minutes)
    buffers = {m.id: timedelta(minutes=m.buffer_minutes) for m in clinic.motifs}
    own_buffer = buffers[query.motif_id]
    slots = all_slots(scenario)
    for slot in slots:
        start, end = instant(slot.start), instant(slot.end)
        local = slot.start.astimezone(PARIS)
        who = clinic.practitioner(slot.practitioner_id)
        assert slot.motif_id == query.motif_id and query.motif_id in who.motifs
        assert not query.practitioner_ids or who.id in query.practitioner_ids
        assert query.specialty is None or who.specialty.casefold() == query.specialty.casefold()
        assert slot.start.utcoffset() == local.utcoffset()  # given in the practice's zone
        assert end - start == duration  # real minutes, even across a switch
        assert in_opening_hours(clinic, slot), slot
        for booked in scenario.busy:
            if booked.practitioner_id == who.id:
                kept = (instant(booked.start), instant(booked.end) + buffers.get(booked.motif_id or "", timedelta(0)))
                assert not overlaps((start, end + own_buffer), kept), (slot, booked)
        for closure in clinic.closures:
            if closure.practitioner in (None, who.id):
                assert not overlaps((start, end), (local_instant(closure.start), local_instant(closure.end)))
        assert local.date() not in french_holidays(local.year), slot
        assert start >= now + timedelta(minutes=practice.min_notice_minutes)
        assert start <= now + timedelta(days=practice.horizon_days)
        assert query.first_day is None or local.date() >= query.first_day
        assert query.last_day is None or local.date() <= query.last_day
        assert not query.windows or any(
            (w.earliest is None or w.earliest <= local.time()) and (w.latest is None or local.time() < w.latest)
            for w in query.windows
        )


@SETTINGS
@given(scenarios(), st.integers(0, 12))
def test_earliest_order_is_sorted_and_a_limit_gives_its_prefix(scenario: Scenario, limit: int) -> None:
    everything = all_slots(scenario)
    keys = [(instant(s.start), s.practitioner_id) for s in everything]
    assert keys == sorted(keys)  # in real time, whatever the wall clock says on the night of a switch
    assert len(set(keys)) == len(keys)
    limited = all_slots(scenario, limit=limit)
    assert [(instant(s.start), s.practitioner_id) for s in limited] == keys[:limit]


@SETTINGS
@given(scenarios(), st.integers(-2 * 1440, 12 * 1440), st.booleans(), st.none() | st.integers(0, 8))
def test_nearest_order_sorts_by_distance_to_the_wished_time(
    scenario: Scenario, offset: int, naive: bool, limit: int | None
) -> None:
    wished = instant(scenario.now) + timedelta(minutes=offset)
    target = wished
    if naive:  # a local wall-clock wish
        wished = wished.astimezone(PARIS).replace(tzinfo=None)
        target = local_instant(wished)
    everything = all_slots(scenario)
    expected = sorted(everything, key=lambda s: (abs(instant(s.start) - target), instant(s.start), s.practitioner_id))
    nearest = all_slots(scenario, order=Order.NEAREST, wished=wished, limit=limit)
    key = [(instant(s.start), s.practitioner_id) for s in nearest]
    assert key == [(instant(s.start), s.practitioner_id) for s in expected[:limit]]


@SETTINGS
@given(scenarios())
def test_booking_an_offered_slot_removes_it_and_nothing_else_overlapping(scenario: Scenario) -> None:
    slots = all_slots(scenario)
    if not slots:
        return
    chosen = slots[len(slots) // 2]
    booked = Busy(chosen.practitioner_id, chosen.start, chosen.end, chosen.motif_id)
    after = find_slots(scenario.clinic, [*scenario.busy, booked], scenario.query, scenario.now)
    own_buffer = timedelta(minutes=scenario.clinic.motif(chosen.motif_id).buffer_minutes)
    taken = (instant(chosen.start), instant(chosen.end) + own_buffer)
    for slot in after:
        if slot.practitioner_id == chosen.practitioner_id:
            assert not overlaps((instant(slot.start), instant(slot.end) + own_buffer), taken)
    others = [(instant(s.start), s.practitioner_id) for s in slots if s.practitioner_id != chosen.practitioner_id]
    assert [
        (instant(s.start), s.practitioner_id) for s in after if s.practitioner_id != chosen.practitioner_id
    ] == others
