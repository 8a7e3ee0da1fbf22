"""Unit tests of the interval algebra: wall clock to UTC, opening hours, merge, subtract, cut."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from booking.intervals import cut_slots, day_bounds, merge, opening_intervals, subtract, to_utc
from tests.booking.clinic_factory import PARIS, utc, week

MIN = timedelta(minutes=1)


def span(start: str, end: str, day: date = date(2027, 1, 11)) -> tuple[datetime, datetime]:
    """A UTC interval on one day from "HH:MM" texts."""

    def at(text: str) -> datetime:
        hour, minute = (int(part) for part in text.split(":"))
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)

    return at(start), at(end)


def starts(slots: list[tuple[datetime, datetime]]) -> list[str]:
    return [f"{start:%H:%M}" for start, _ in slots]


# --- to_utc ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2027, 1, 11, 8, 30), utc(2027, 1, 11, 7, 30)),  # winter, +01:00
        (datetime(2027, 6, 14, 8, 30), utc(2027, 6, 14, 6, 30)),  # summer, +02:00
        (datetime(2027, 3, 27, 8, 30), utc(2027, 3, 27, 7, 30)),  # the day before spring forward
        (datetime(2027, 3, 28, 8, 30), utc(2027, 3, 28, 6, 30)),  # spring-forward day, after the switch
        (datetime(2027, 10, 30, 8, 30), utc(2027, 10, 30, 6, 30)),  # the day before fall back
        (datetime(2027, 10, 31, 8, 30), utc(2027, 10, 31, 7, 30)),  # fall-back day, after the switch
        (datetime(2027, 3, 28, 1, 59), utc(2027, 3, 28, 0, 59)),  # last minute before the gap
        (datetime(2027, 3, 28, 3, 0), utc(2027, 3, 28, 1, 0)),  # first minute after the gap
    ],
)
def test_to_utc_uses_the_offset_in_force_that_day(local: datetime, expected: datetime) -> None:
    assert to_utc(local, PARIS) == expected
    assert to_utc(local, PARIS).utcoffset() == timedelta(0)


def test_to_utc_skipped_hour_reads_with_the_offset_before_the_switch() -> None:
    # 02:30 does not exist on 2027-03-28; read at +01:00 it is 01:30Z, i.e. 03:30 on the clock.
    converted = to_utc(datetime(2027, 3, 28, 2, 30), PARIS)
    assert converted == utc(2027, 3, 28, 1, 30)
    assert converted.astimezone(PARIS).strftime("%H:%M%z") == "03:30+0200"


def test_to_utc_repeated_hour_takes_the_first_occurrence() -> None:
    # 02:30 happens twice on 2027-10-31: first at +02:00 (00:30Z), then at +01:00 (01:30Z).
    assert to_utc(datetime(2027, 10, 31, 2, 30), PARIS) == utc(2027, 10, 31, 0, 30)


# --- day_bounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "hours", "start"),
    [
        (date(2027, 1, 11), 24, utc(2027, 1, 10, 23)),
        (date(2027, 3, 28), 23, utc(2027, 3, 27, 23)),
        (date(2027, 3, 29), 24, utc(2027, 3, 28, 22)),
        (date(2027, 10, 31), 25, utc(2027, 10, 30, 22)),
        (date(2027, 11, 1), 24, utc(2027, 10, 31, 23)),
    ],
)
def test_day_bounds_cover_the_local_day(day: date, hours: int, start: datetime) -> None:
    first, last = day_bounds(day, PARIS)
    assert first == start
    assert last - first == timedelta(hours=hours)
    assert first.astimezone(PARIS).date() == day
    assert (last - MIN).astimezone(PARIS).date() == day
    assert last.astimezone(PARIS).date() == day + timedelta(days=1)


# --- opening_intervals ----------------------------------------------------------------------------


def test_opening_hours_follow_the_wall_clock_across_the_spring_switch() -> None:
    every_day = week({day: ["08:30-12:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    intervals = opening_intervals(every_day, PARIS, date(2027, 3, 25), date(2027, 3, 30))
    assert [start for start, _ in intervals] == [
        utc(2027, 3, 25, 7, 30),
        utc(2027, 3, 26, 7, 30),
        utc(2027, 3, 27, 7, 30),
        utc(2027, 3, 28, 6, 30),  # summer time from the switch day on
        utc(2027, 3, 29, 6, 30),
        utc(2027, 3, 30, 6, 30),
    ]
    assert all(end - start == timedelta(hours=3, minutes=30) for start, end in intervals)
    assert {start.astimezone(PARIS).strftime("%H:%M") for start, _ in intervals} == {"08:30"}


def test_opening_hours_follow_the_wall_clock_across_the_autumn_switch() -> None:
    weekend = week(sat=["08:30-12:00"], sun=["08:30-12:00"], mon=["08:30-12:00"])
    intervals = opening_intervals(weekend, PARIS, date(2027, 10, 30), date(2027, 11, 1))
    assert intervals == [
        (utc(2027, 10, 30, 6, 30), utc(2027, 10, 30, 10)),
        (utc(2027, 10, 31, 7, 30), utc(2027, 10, 31, 11)),
        (utc(2027, 11, 1, 7, 30), utc(2027, 11, 1, 11)),
    ]


def test_opening_hours_spanning_the_switch_hour_last_one_hour_less_or_more() -> None:
    # Open 01:00-05:00 on the clock: 3 real hours when the clock skips 02:00-03:00, 5 when it repeats it.
    night = week(sun=["01:00-05:00"])
    (spring,) = opening_intervals(night, PARIS, date(2027, 3, 28), date(2027, 3, 28))
    (autumn,) = opening_intervals(night, PARIS, date(2027, 10, 31), date(2027, 10, 31))
    assert spring[1] - spring[0] == timedelta(hours=3)
    assert autumn[1] - autumn[0] == timedelta(hours=5)


def test_opening_intervals_skip_days_off_and_keep_several_ranges_sorted() -> None:
    hours = week(mon=["14:00-18:30", "08:30-12:00"], wed=["09:00-10:00"])
    intervals = opening_intervals(hours, PARIS, date(2027, 1, 11), date(2027, 1, 17))  # Mon..Sun
    assert intervals == [
        (utc(2027, 1, 11, 7, 30), utc(2027, 1, 11, 11)),
        (utc(2027, 1, 11, 13), utc(2027, 1, 11, 17, 30)),
        (utc(2027, 1, 13, 8), utc(2027, 1, 13, 9)),
    ]


def test_opening_intervals_of_an_empty_period_or_week() -> None:
    hours = week(mon=["08:30-12:00"])
    assert opening_intervals(hours, PARIS, date(2027, 1, 12), date(2027, 1, 11)) == []
    assert opening_intervals({}, PARIS, date(2027, 1, 11), date(2027, 1, 31)) == []
    assert opening_intervals(hours, PARIS, date(2027, 1, 12), date(2027, 1, 17)) == []  # Tue..Sun


# --- merge ----------------------------------------------------------------------------------------


def test_merge_joins_overlapping_and_touching_intervals_and_sorts() -> None:
    assert merge(
        [
            span("10:00", "11:00"),
            span("08:00", "09:00"),
            span("08:30", "09:30"),
            span("09:30", "09:45"),
            span("12:00", "13:00"),
        ]
    ) == [
        span("08:00", "09:45"),
        span("10:00", "11:00"),
        span("12:00", "13:00"),
    ]


def test_merge_drops_empty_intervals_and_absorbs_contained_ones() -> None:
    assert merge([span("08:00", "12:00"), span("09:00", "10:00"), span("13:00", "13:00")]) == [span("08:00", "12:00")]
    assert merge([]) == []


def test_merge_compares_instants_not_wall_clocks() -> None:
    # The same instant written in two zones is one point in time.
    paris_nine = datetime(2027, 1, 11, 9, 0, tzinfo=PARIS)  # 08:00Z
    assert merge([(paris_nine, paris_nine + timedelta(hours=1)), span("07:00", "08:00")]) == [
        (utc(2027, 1, 11, 7), paris_nine + timedelta(hours=1))
    ]


# --- subtract -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("busy", "expected"),
    [
        ([], [("08:00", "12:00")]),
        ([("10:00", "10:30")], [("08:00", "10:00"), ("10:30", "12:00")]),  # a hole in the middle
        ([("07:00", "08:30")], [("08:30", "12:00")]),  # overlaps the start
        ([("11:30", "13:00")], [("08:00", "11:30")]),  # overlaps the end
        ([("07:00", "08:00"), ("12:00", "13:00")], [("08:00", "12:00")]),  # only touches: no cut
        ([("07:00", "13:00")], []),  # covers everything
        ([("08:00", "12:00")], []),  # exactly the same
        ([("09:00", "09:00")], [("08:00", "12:00")]),  # empty busy interval
        ([("09:00", "10:00"), ("09:30", "10:30")], [("08:00", "09:00"), ("10:30", "12:00")]),  # overlapping busy
        ([("11:00", "11:15"), ("09:00", "09:15")], [("08:00", "09:00"), ("09:15", "11:00"), ("11:15", "12:00")]),
        ([("09:00", "09:15"), ("09:15", "09:30")], [("08:00", "09:00"), ("09:30", "12:00")]),  # adjacent busy
        ([("05:00", "06:00"), ("13:00", "14:00")], [("08:00", "12:00")]),  # far away
    ],
)
def test_subtract_one_free_interval(busy: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    result = subtract([span("08:00", "12:00")], [span(*b) for b in busy])
    assert result == [span(*e) for e in expected]


def test_subtract_a_busy_interval_spanning_several_free_ones() -> None:
    free = [span("14:00", "18:00"), span("08:00", "12:00")]  # unsorted on purpose
    busy = [span("11:00", "15:00"), span("16:00", "16:30")]
    assert subtract(free, busy) == [
        span("08:00", "11:00"),
        span("15:00", "16:00"),
        span("16:30", "18:00"),
    ]


def test_subtract_from_nothing_is_nothing() -> None:
    assert subtract([], [span("08:00", "09:00")]) == []


def test_subtract_works_on_instants_whatever_the_zone() -> None:
    busy_paris = (datetime(2027, 1, 11, 10, 0, tzinfo=PARIS), datetime(2027, 1, 11, 10, 30, tzinfo=PARIS))
    result = subtract([span("08:00", "12:00")], [busy_paris])  # 09:00Z-09:30Z
    assert result == [span("08:00", "09:00"), (busy_paris[1], utc(2027, 1, 11, 12))]


# --- cut_slots ------------------------------------------------------------------------------------


def test_cut_slots_fills_the_interval_from_its_start() -> None:
    slots = cut_slots([span("08:30", "12:00")], timedelta(minutes=20), timedelta(minutes=20))
    assert starts(slots) == [
        "08:30",
        "08:50",
        "09:10",
        "09:30",
        "09:50",
        "10:10",
        "10:30",
        "10:50",
        "11:10",
        "11:30",
    ]  # 11:50 would end at 12:10
    assert all(end - start == timedelta(minutes=20) for start, end in slots)


def test_cut_slots_with_a_step_shorter_than_the_duration_overlap() -> None:
    slots = cut_slots([span("08:30", "10:00")], timedelta(minutes=20), timedelta(minutes=15))
    assert starts(slots) == ["08:30", "08:45", "09:00", "09:15", "09:30"]  # 09:45 would end at 10:05


def test_cut_slots_anchor_each_interval_separately() -> None:
    slots = cut_slots([span("08:00", "09:00"), span("09:10", "10:00")], timedelta(minutes=20), timedelta(minutes=20))
    assert starts(slots) == ["08:00", "08:20", "08:40", "09:10", "09:30"]


def test_cut_slots_too_short_an_interval_gives_nothing() -> None:
    assert cut_slots([span("08:00", "08:19")], timedelta(minutes=20), timedelta(minutes=20)) == []
    assert starts(cut_slots([span("08:00", "08:20")], timedelta(minutes=20), timedelta(minutes=5))) == ["08:00"]


@pytest.mark.parametrize(
    ("not_before", "first"),
    [
        ("07:00", "08:30"),  # before the interval: no effect
        ("08:30", "08:30"),
        ("08:31", "08:50"),  # rounded up onto the grid, not to 08:31
        ("09:05", "09:10"),
        ("09:10", "09:10"),  # exactly on the grid
        ("09:11", "09:30"),
    ],
)
def test_cut_slots_not_before_rounds_up_onto_the_grid(not_before: str, first: str) -> None:
    limit = span(not_before, not_before)[0]
    slots = cut_slots([span("08:30", "12:00")], timedelta(minutes=20), timedelta(minutes=20), not_before=limit)
    assert starts(slots)[0] == first
    assert all(start >= limit for start, _ in slots)
    assert all((start - span("08:30", "08:30")[0]) % timedelta(minutes=20) == timedelta(0) for start, _ in slots)


def test_cut_slots_not_before_past_the_last_slot_gives_nothing() -> None:
    limit = span("11:31", "11:31")[0]
    assert cut_slots([span("08:30", "12:00")], timedelta(minutes=20), timedelta(minutes=20), limit) == []


def test_cut_slots_not_after_keeps_a_slot_starting_exactly_then() -> None:
    slots = cut_slots(
        [span("08:30", "12:00"), span("14:00", "15:00")],
        timedelta(minutes=20),
        timedelta(minutes=20),
        not_after=span("09:10", "09:10")[0],
    )
    assert starts(slots) == ["08:30", "08:50", "09:10"]


def test_cut_slots_over_the_autumn_night_counts_real_minutes() -> None:
    # 00:00Z-03:00Z on 2027-10-31 is 02:00 (+02:00) to 04:00 (+01:00) in Paris: 3 real hours, 3 one-hour slots.
    slots = cut_slots([(utc(2027, 10, 31, 0), utc(2027, 10, 31, 3))], timedelta(hours=1), timedelta(hours=1))
    assert [start.astimezone(PARIS).strftime("%H:%M%z") for start, _ in slots] == [
        "02:00+0200",
        "02:00+0100",
        "03:00+0100",
    ]


@pytest.mark.parametrize(("duration", "step"), [(0, 20), (20, 0), (-5, 20), (20, -5)])
def test_cut_slots_rejects_non_positive_duration_or_step(duration: int, step: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        cut_slots([span("08:00", "12:00")], timedelta(minutes=duration), timedelta(minutes=step))
