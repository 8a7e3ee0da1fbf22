"""Named cases of the slot engine: DST days, holidays, closures, notice, horizon, buffers, filters, order."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from booking.clinic import Clinic, load_clinic
from booking.slots import (
    AFTERNOON,
    EVENING,
    MORNING,
    Busy,
    Order,
    Slot,
    SlotQuery,
    TimeWindow,
    find_slots,
    slots_as_busy,
    unavailable_reason,
)
from tests.booking.clinic_factory import PARIS, booked, closure, make_clinic, motif, paris, practitioner, utc

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "clinic.toml"
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def clock(slots: list[Slot]) -> list[str]:
    """Slot starts as local wall clock with offset, e.g. "2027-03-28 08:30+02:00"."""
    return [s.start.isoformat(sep=" ", timespec="minutes") for s in slots]


def on(slots: list[Slot], day: date) -> list[Slot]:
    return [s for s in slots if s.start.astimezone(PARIS).date() == day]


def real_minutes(slot: Slot) -> float:
    return (slot.end.astimezone(UTC) - slot.start.astimezone(UTC)).total_seconds() / 60


@pytest.fixture(scope="module")
def sample() -> Clinic:
    return load_clinic(SAMPLE)


# --- DST switches ---------------------------------------------------------------------------------


def every_day_clinic(hours: list[str], duration: int = 30, country: str = "FR", notice: int = 0) -> Clinic:
    return make_clinic(
        practitioners=[practitioner(hours={day: hours for day in EVERY_DAY})],
        motifs=[motif(duration=duration)],
        country=country,
        min_notice_minutes=notice,
    )


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # Spring forward on Sunday 2027-03-28: the same wall clock, one hour less of offset from UTC.
        (
            date(2027, 3, 27),
            date(2027, 3, 29),
            ["2027-03-27 08:30+01:00", "2027-03-28 08:30+02:00", "2027-03-29 08:30+02:00"],
        ),
        # Fall back on Sunday 2027-10-31.
        (
            date(2027, 10, 30),
            date(2027, 11, 1),
            ["2027-10-30 08:30+02:00", "2027-10-31 08:30+01:00", "2027-11-01 08:30+01:00"],
        ),
    ],
)
def test_dst_switch_keeps_wall_clock_times(first: date, last: date, expected: list[str]) -> None:
    # "US" has no holiday on these days; in France 2027-03-29 (Easter Monday) and 2027-11-01 are holidays.
    clinic = every_day_clinic(["08:30-10:00"], country="US")
    now = utc(first.year, first.month, 1)
    slots = find_slots(clinic, [], SlotQuery("consultation", first_day=first, last_day=last), now)
    assert clock(slots)[::3] == expected
    assert [f"{s.start:%H:%M}" for s in slots] == ["08:30", "09:00", "09:30"] * 3
    assert all(real_minutes(s) == 30 for s in slots)


def test_spring_switch_in_france_sunday_open_easter_monday_closed() -> None:
    clinic = every_day_clinic(["08:30-10:00"])
    slots = find_slots(
        clinic, [], SlotQuery("consultation", first_day=date(2027, 3, 28), last_day=date(2027, 3, 30)), utc(2027, 3, 1)
    )
    assert sorted({s.start.date() for s in slots}) == [date(2027, 3, 28), date(2027, 3, 30)]
    assert clock(on(slots, date(2027, 3, 28)))[0] == "2027-03-28 08:30+02:00"
    assert on(slots, date(2027, 3, 28))[0].start.astimezone(UTC) == utc(2027, 3, 28, 6, 30)


def test_autumn_switch_in_france_sunday_open_all_saints_closed() -> None:
    clinic = every_day_clinic(["08:30-10:00"])
    slots = find_slots(
        clinic,
        [],
        SlotQuery("consultation", first_day=date(2027, 10, 31), last_day=date(2027, 11, 2)),
        utc(2027, 10, 1),
    )
    assert sorted({s.start.date() for s in slots}) == [date(2027, 10, 31), date(2027, 11, 2)]
    assert on(slots, date(2027, 10, 31))[0].start.astimezone(UTC) == utc(2027, 10, 31, 7, 30)


def test_night_opening_across_the_spring_switch_has_one_hour_less() -> None:
    clinic = every_day_clinic(["01:00-05:00"], duration=60)
    slots = find_slots(
        clinic, [], SlotQuery("consultation", first_day=date(2027, 3, 28), last_day=date(2027, 3, 28)), utc(2027, 3, 1)
    )
    assert clock(slots) == ["2027-03-28 01:00+01:00", "2027-03-28 03:00+02:00", "2027-03-28 04:00+02:00"]
    assert all(real_minutes(s) == 60 for s in slots)


def test_night_opening_across_the_autumn_switch_offers_the_repeated_hour_twice_in_order() -> None:
    clinic = every_day_clinic(["01:00-05:00"], duration=60)
    slots = find_slots(
        clinic,
        [],
        SlotQuery("consultation", first_day=date(2027, 10, 31), last_day=date(2027, 10, 31)),
        utc(2027, 10, 1),
    )
    assert clock(slots) == [
        "2027-10-31 01:00+02:00",
        "2027-10-31 02:00+02:00",
        "2027-10-31 02:00+01:00",
        "2027-10-31 03:00+01:00",
        "2027-10-31 04:00+01:00",
    ]
    assert all(real_minutes(s) == 60 for s in slots)


def test_repeated_hour_slots_are_sorted_in_real_time() -> None:
    # 02:15 (+01:00, second pass) is 45 minutes after 02:30 (+02:00, first pass).
    clinic = every_day_clinic(["01:00-05:00"], duration=15)
    slots = find_slots(
        clinic,
        [],
        SlotQuery("consultation", first_day=date(2027, 10, 31), last_day=date(2027, 10, 31)),
        utc(2027, 10, 1),
    )
    instants = [s.start.astimezone(UTC) for s in slots]
    assert instants == sorted(instants)
    assert len(slots) == 5 * 4  # five real hours


def test_appointments_given_in_local_time_during_the_repeated_hour_are_respected() -> None:
    clinic = every_day_clinic(["01:00-05:00"], duration=30)
    query = SlotQuery("consultation", first_day=date(2027, 10, 31), last_day=date(2027, 10, 31))
    now = utc(2027, 10, 1)
    offered = find_slots(clinic, [], query, now)
    # Book the first-pass 02:30 (+02:00) and the second-pass 02:00 (+01:00), as local slots.
    taken = [s for s in offered if s.start.astimezone(UTC) in (utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 1))]
    assert clock(taken) == ["2027-10-31 02:30+02:00", "2027-10-31 02:00+01:00"]
    remaining = find_slots(clinic, slots_as_busy(taken), query, now)
    # Compare instants: within one zone Python's == ignores `fold`, so 02:00+02:00 == 02:00+01:00.
    taken_instants = {s.start.astimezone(UTC) for s in taken}
    assert [s.start.astimezone(UTC) for s in remaining] == [
        s.start.astimezone(UTC) for s in offered if s.start.astimezone(UTC) not in taken_instants
    ]
    assert len(remaining) == len(offered) - 2


def test_notice_counts_real_minutes_when_now_is_local_on_the_spring_night() -> None:
    clinic = every_day_clinic(["00:00-08:00"], duration=30, notice=120)
    now = paris(2027, 3, 28, 1, 30)  # 00:30Z; two real hours later is 02:30Z = 04:30 (+02:00)
    slots = find_slots(clinic, [], SlotQuery("consultation", last_day=date(2027, 3, 28)), now)
    assert clock(slots)[0] == "2027-03-28 04:30+02:00"
    assert slots[0].start.astimezone(UTC) - now.astimezone(UTC) == timedelta(minutes=120)


def test_nearest_counts_the_short_spring_day() -> None:
    # Wished Saturday 23:30 (+01:00). Friday 23:30 is 24 real hours away; Monday 00:00 (+02:00) only 23.5,
    # because Sunday has 23 hours.
    clinic = make_clinic(
        practitioners=[practitioner(hours={"fri": ["23:30-23:45"], "mon": ["00:00-00:15"]})],
        motifs=[motif(duration=15)],
        country="US",
        min_notice_minutes=0,
    )
    query = SlotQuery("consultation", order=Order.NEAREST, wished=paris(2027, 3, 27, 23, 30), limit=1)
    (slot,) = find_slots(clinic, [], query, utc(2027, 3, 20))
    assert clock([slot]) == ["2027-03-29 00:00+02:00"]


# --- public holidays ------------------------------------------------------------------------------


def test_christmas_day_has_no_slots_the_days_around_it_do() -> None:
    clinic = make_clinic()
    slots = find_slots(
        clinic,
        [],
        SlotQuery("consultation", first_day=date(2026, 12, 24), last_day=date(2026, 12, 28)),
        utc(2026, 12, 1),
    )
    days = sorted({s.start.date() for s in slots})
    assert days == [date(2026, 12, 24), date(2026, 12, 28)]  # 25 Fri holiday, 26-27 weekend


def test_easter_monday_2027_has_no_slots() -> None:
    clinic = make_clinic()
    query = SlotQuery("consultation", first_day=date(2027, 3, 29), last_day=date(2027, 3, 29))
    assert find_slots(clinic, [], query, utc(2027, 3, 1)) == []
    tuesday = SlotQuery("consultation", first_day=date(2027, 3, 30), last_day=date(2027, 3, 30))
    assert len(find_slots(clinic, [], tuesday, utc(2027, 3, 1))) == 10 + 13  # 08:30-11:30, 14:00-18:00


def test_regional_holiday_of_a_subdivision() -> None:
    # Good Friday is a public holiday in Moselle ("57") but not in the rest of France.
    query = SlotQuery("consultation", first_day=date(2027, 3, 26), last_day=date(2027, 3, 26))
    assert find_slots(make_clinic(), [], query, utc(2027, 3, 1)) != []
    assert find_slots(make_clinic(subdivision="57"), [], query, utc(2027, 3, 1)) == []


# --- closures -------------------------------------------------------------------------------------


def test_whole_practice_closure_of_an_afternoon(sample: Clinic) -> None:
    # The sample file closes the practice on 2027-02-19 (a Friday) from 14:00 to 18:30.
    slots = find_slots(
        sample, [], SlotQuery("consultation", first_day=date(2027, 2, 19), last_day=date(2027, 2, 19)), utc(2027, 2, 1)
    )
    assert {s.practitioner_id for s in slots} == {"martin", "bernard"}
    closed = (paris(2027, 2, 19, 14), paris(2027, 2, 19, 18, 30))
    assert not [s for s in slots if s.start < closed[1] and closed[0] < s.end]
    martin = [s for s in slots if s.practitioner_id == "martin"]
    assert clock(martin)[-1] == "2027-02-19 11:30+01:00"  # her afternoon (14:00-17:00) is all closed
    bernard = [f"{s.start:%H:%M}" for s in slots if s.practitioner_id == "bernard"]
    assert bernard[-2:] == ["12:00", "18:30"]  # he works until 19:00: the grid restarts when the closure ends


def test_partial_closure_cuts_the_middle_of_a_morning() -> None:
    clinic = make_clinic(closures=[closure(datetime(2027, 1, 11, 9, 30), datetime(2027, 1, 11, 10, 45))])
    slots = find_slots(
        clinic,
        [],
        SlotQuery("consultation", first_day=date(2027, 1, 11), last_day=date(2027, 1, 11), windows=(MORNING,)),
        utc(2027, 1, 1),
    )
    # Before: 08:30, 08:50, 09:10 (ends 09:30). After 10:45 the grid restarts: 10:45, 11:05, 11:25.
    assert [f"{s.start:%H:%M}" for s in slots] == ["08:30", "08:50", "09:10", "10:45", "11:05", "11:25"]


def test_whole_day_closure_of_the_practice() -> None:
    clinic = make_clinic(
        practitioners=[practitioner("martin"), practitioner("bernard")],
        closures=[closure(date(2027, 2, 22), date(2027, 2, 23), label="travaux")],
    )
    slots = find_slots(
        clinic, [], SlotQuery("consultation", first_day=date(2027, 2, 22), last_day=date(2027, 2, 24)), utc(2027, 2, 1)
    )
    assert sorted({s.start.date() for s in slots}) == [date(2027, 2, 24)]
    assert {s.practitioner_id for s in slots} == {"martin", "bernard"}


def test_practitioner_on_leave_others_still_offered(sample: Clinic) -> None:
    # Dr Martin is on leave 2026-12-24 to 2027-01-03 inclusive.
    query = SlotQuery("consultation", first_day=date(2026, 12, 21), last_day=date(2027, 1, 8))
    slots = find_slots(sample, [], query, utc(2026, 12, 1))
    martin_days = sorted({s.start.date() for s in slots if s.practitioner_id == "martin"})
    assert martin_days == [
        date(2026, 12, 21),
        date(2026, 12, 22),
        date(2026, 12, 23),
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 6),
        date(2027, 1, 7),
        date(2027, 1, 8),
    ]
    bernard_days = {s.start.date() for s in slots if s.practitioner_id == "bernard"}
    assert {date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2027, 1, 2)} <= bernard_days
    assert date(2026, 12, 25) not in bernard_days and date(2027, 1, 1) not in bernard_days  # holidays


def test_part_time_practitioner_only_on_her_days(sample: Clinic) -> None:
    # Mme Girard: Monday 09:00-13:00 and Thursday 13:00-18:00.
    query = SlotQuery("frottis", practitioner_ids=("girard",), first_day=date(2027, 1, 18), last_day=date(2027, 1, 24))
    slots = find_slots(sample, [], query, utc(2027, 1, 1))
    assert sorted({s.start.date() for s in slots}) == [date(2027, 1, 18), date(2027, 1, 21)]
    monday, thursday = on(slots, date(2027, 1, 18)), on(slots, date(2027, 1, 21))
    assert [f"{s.start:%H:%M}" for s in monday] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
        "12:00",
        "12:30",
    ]
    assert f"{thursday[0].start:%H:%M}" == "13:00" and f"{thursday[-1].end:%H:%M}" == "18:00"


# --- notice and horizon ---------------------------------------------------------------------------


def long_day_clinic(min_notice_minutes: int = 120, slot_step_minutes: int | None = None) -> Clinic:
    return make_clinic(
        practitioners=[practitioner(hours={"mon": ["08:00-19:00"], "tue": ["08:00-19:00"]})],
        min_notice_minutes=min_notice_minutes,
        slot_step_minutes=slot_step_minutes,
    )


@pytest.mark.parametrize(("step", "first"), [(None, "12:20"), (15, "12:15"), (5, "12:05"), (30, "12:30")])
def test_min_notice_on_today_rounds_up_onto_the_grid(step: int | None, first: str) -> None:
    clinic = long_day_clinic(min_notice_minutes=120, slot_step_minutes=step)
    now = paris(2027, 1, 11, 10, 5)  # Monday
    slots = find_slots(clinic, [], SlotQuery("consultation", last_day=date(2027, 1, 11)), now)
    assert f"{slots[0].start:%H:%M}" == first
    assert slots[0].start >= now + timedelta(minutes=120)
    grid = timedelta(minutes=step or 20)
    assert all((s.start - paris(2027, 1, 11, 8)) % grid == timedelta(0) for s in slots)


def test_now_given_in_utc_or_local_time_gives_the_same_slots() -> None:
    clinic = long_day_clinic()
    query = SlotQuery("consultation", last_day=date(2027, 1, 12))
    assert find_slots(clinic, [], query, paris(2027, 1, 11, 10, 5)) == find_slots(
        clinic, [], query, utc(2027, 1, 11, 9, 5)
    )


def test_no_slot_today_after_closing_time_first_is_tomorrow() -> None:
    clinic = long_day_clinic(min_notice_minutes=120)
    slots = find_slots(clinic, [], SlotQuery("consultation", limit=1), paris(2027, 1, 11, 17, 30))
    assert clock(slots) == ["2027-01-12 08:00+01:00"]


def test_horizon_no_slot_starts_later_than_horizon_days_after_now() -> None:
    clinic = make_clinic(horizon_days=3, min_notice_minutes=0)
    now = paris(2027, 1, 11, 10, 5)
    slots = find_slots(clinic, [], SlotQuery("consultation"), now)
    assert clock(slots)[0] == "2027-01-11 10:10+01:00"
    assert clock(slots)[-1] == "2027-01-14 09:50+01:00"  # last grid start before Thursday 10:05
    last_day = SlotQuery("consultation", last_day=date(2027, 3, 1))
    assert find_slots(clinic, [], last_day, now) == slots  # a later last_day cannot widen the horizon


def test_first_and_last_day_bound_the_search() -> None:
    slots = find_slots(
        make_clinic(),
        [],
        SlotQuery("consultation", first_day=date(2027, 1, 13), last_day=date(2027, 1, 14)),
        utc(2027, 1, 1),
    )
    assert sorted({s.start.date() for s in slots}) == [date(2027, 1, 13), date(2027, 1, 14)]


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        find_slots(make_clinic(), [], SlotQuery("consultation"), datetime(2027, 1, 11, 10, 0))


# --- existing appointments and buffers ------------------------------------------------------------


def buffer_clinic() -> Clinic:
    return make_clinic(
        practitioners=[practitioner(motifs=("frottis", "consultation"), hours={"mon": ["09:00-12:00"]})],
        motifs=[motif("frottis", 30, buffer=10), motif("consultation", 20)],
    )


def monday(motif_id: str, busy: list[Busy]) -> list[str]:
    query = SlotQuery(motif_id, first_day=date(2027, 1, 11), last_day=date(2027, 1, 11))
    return [f"{s.start:%H:%M}" for s in find_slots(buffer_clinic(), busy, query, utc(2027, 1, 1))]


def test_booked_appointment_is_not_offered_and_grid_restarts_after_it() -> None:
    busy = [booked("martin", paris(2027, 1, 11, 9, 20), 20, "consultation")]
    assert monday("consultation", busy) == ["09:00", "09:40", "10:00", "10:20", "10:40", "11:00", "11:20", "11:40"]


def test_buffer_is_kept_free_after_an_appointment_of_that_motif() -> None:
    busy = [booked("martin", paris(2027, 1, 11, 9, 0), 30, "frottis")]  # 09:00-09:30, then 10 minutes free
    assert monday("consultation", busy)[0] == "09:40"
    assert monday("frottis", busy) == ["09:40", "10:10", "10:40", "11:10"]


def test_buffer_of_the_new_motif_is_kept_before_the_next_appointment() -> None:
    busy = [booked("martin", paris(2027, 1, 11, 11, 0), 20, "consultation")]
    # A frottis needs 30 + 10 free minutes before 11:00, so the last one starts at 10:00 (not 10:30).
    assert monday("frottis", busy) == ["09:00", "09:30", "10:00", "11:20"]
    # A consultation has no buffer: 10:40 is fine.
    assert "10:40" in monday("consultation", busy)


def test_other_practitioners_appointments_do_not_block() -> None:
    busy = [booked("bernard", paris(2027, 1, 11, 9, 0), 180)]
    assert monday("consultation", busy)[0] == "09:00"


# --- filters and order ----------------------------------------------------------------------------


def test_specialty_filter_is_case_insensitive(sample: Clinic) -> None:
    query = SlotQuery("vaccination", specialty="Pédiatre", first_day=date(2027, 1, 18), last_day=date(2027, 1, 22))
    slots = find_slots(sample, [], query, utc(2027, 1, 1))
    assert slots and {s.practitioner_id for s in slots} == {"bertrand"}
    everyone = find_slots(
        sample, [], SlotQuery("vaccination", first_day=date(2027, 1, 18), last_day=date(2027, 1, 22)), utc(2027, 1, 1)
    )
    assert {s.practitioner_id for s in everyone} == {"martin", "bernard", "bertrand"}


def test_only_practitioners_offering_the_motif(sample: Clinic) -> None:
    slots = find_slots(
        sample, [], SlotQuery("frottis", first_day=date(2027, 1, 18), last_day=date(2027, 1, 22)), utc(2027, 1, 1)
    )
    assert {s.practitioner_id for s in slots} == {"martin", "girard"}
    assert all(s.motif_id == "frottis" and real_minutes(s) == 30 for s in slots)


def test_practitioner_filter(sample: Clinic) -> None:
    query = SlotQuery(
        "consultation", practitioner_ids=("bernard",), first_day=date(2027, 1, 16), last_day=date(2027, 1, 16)
    )
    slots = find_slots(sample, [], query, utc(2027, 1, 1))  # a Saturday: only Dr Bernard works
    assert clock(slots)[0] == "2027-01-16 09:00+01:00" and {s.practitioner_id for s in slots} == {"bernard"}


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        ((MORNING,), ["08:30", "11:30"]),
        ((AFTERNOON,), ["14:00", "18:00"]),  # 14:00 + 20k; 18:20 would end after 18:30
        ((EVENING,), ["17:00", "18:00"]),
        ((TimeWindow(time(10), time(11)),), ["10:10", "10:50"]),
        ((TimeWindow(time(10), time(11)), EVENING), ["10:10", "18:00"]),
    ],
)
def test_time_windows(windows: tuple[TimeWindow, ...], expected: list[str]) -> None:
    query = SlotQuery("consultation", first_day=date(2027, 1, 11), last_day=date(2027, 1, 11), windows=windows)
    slots = find_slots(make_clinic(), [], query, utc(2027, 1, 1))
    assert [f"{slots[0].start:%H:%M}", f"{slots[-1].start:%H:%M}"] == expected
    assert all(any(w.admits(s.start.time()) for w in windows) for s in slots)


def test_earliest_order_across_practitioners() -> None:
    clinic = make_clinic(
        practitioners=[practitioner("martin"), practitioner("bernard", hours={"mon": ["08:00-09:00"]})]
    )
    slots = find_slots(clinic, [], SlotQuery("consultation", limit=4), paris(2027, 1, 10, 12))
    assert [(f"{s.start:%H:%M}", s.practitioner_id) for s in slots] == [
        ("08:00", "bernard"),
        ("08:20", "bernard"),
        ("08:30", "martin"),
        ("08:40", "bernard"),
    ]


def test_nearest_order_around_a_wished_time() -> None:
    query = SlotQuery("consultation", order=Order.NEAREST, wished=paris(2027, 1, 12, 15, 0), limit=3)
    slots = find_slots(make_clinic(), [], query, utc(2027, 1, 1))
    assert clock(slots) == ["2027-01-12 15:00+01:00", "2027-01-12 14:40+01:00", "2027-01-12 15:20+01:00"]


def test_nearest_from_a_sunday_prefers_monday_morning_and_accepts_naive_wishes() -> None:
    query = SlotQuery("consultation", order=Order.NEAREST, wished=datetime(2027, 1, 17, 12, 0), limit=2)
    slots = find_slots(make_clinic(), [], query, utc(2027, 1, 1))
    assert clock(slots) == ["2027-01-18 08:30+01:00", "2027-01-18 08:50+01:00"]  # Friday 18:00 is 42h away


def test_nearest_wish_before_the_notice_gives_the_first_slots() -> None:
    now = paris(2027, 1, 11, 10, 5)
    query = SlotQuery("consultation", order=Order.NEAREST, wished=paris(2027, 1, 11, 9), limit=2)
    assert clock(find_slots(make_clinic(), [], query, now)) == ["2027-01-11 14:00+01:00", "2027-01-11 14:20+01:00"]


def test_limit_zero_gives_nothing() -> None:
    for order in Order:
        query = SlotQuery("consultation", order=order, wished=paris(2027, 1, 16, 12), limit=0)
        assert find_slots(make_clinic(), [], query, utc(2027, 1, 1)) == []


# --- unavailable_reason ---------------------------------------------------------------------------

NOW = utc(2027, 1, 4, 8)  # Monday 2027-01-04 09:00 in Paris


def reason(
    start: datetime,
    busy: tuple[Busy, ...] = (),
    motif_id: str = "consultation",
    practitioner_id: str = "martin",
    enforce_notice: bool = True,
    now: datetime = NOW,
) -> str | None:
    clinic = make_clinic(
        practitioners=[practitioner(motifs=("consultation", "frottis"))],
        motifs=[motif("consultation", 20), motif("frottis", 30, buffer=10), motif("pediatrie", 30)],
        closures=[
            closure(date(2027, 1, 20), date(2027, 1, 22), "martin", "congés"),
            closure(datetime(2027, 1, 15, 14), datetime(2027, 1, 15, 16)),
        ],
    )
    return unavailable_reason(clinic, busy, practitioner_id, motif_id, start, now, enforce_notice)


def test_a_free_time_on_or_off_the_grid_is_bookable() -> None:
    assert reason(paris(2027, 1, 12, 9, 10)) is None
    assert reason(paris(2027, 1, 12, 9, 17)) is None  # staff may book off the grid
    assert reason(utc(2027, 1, 12, 8, 17)) is None  # the same instant in UTC
    assert reason(paris(2027, 1, 12, 11, 40)) is None  # ends exactly at closing time


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (paris(2027, 1, 16, 10), "outside the practitioner's opening hours"),  # Saturday
        (paris(2027, 1, 12, 7, 30), "outside the practitioner's opening hours"),  # before opening
        (paris(2027, 1, 12, 11, 50), "outside the practitioner's opening hours"),  # would end 12:10
        (paris(2027, 1, 12, 12, 30), "outside the practitioner's opening hours"),  # lunch break
        (paris(2027, 1, 21, 10), "the practice or the practitioner is closed then"),  # leave
        (paris(2027, 1, 15, 15), "the practice or the practitioner is closed then"),  # practice closed
        (paris(2027, 1, 15, 15, 50), "the practice or the practitioner is closed then"),  # ends 16:10
        (paris(2027, 1, 15, 13, 50), "outside the practitioner's opening hours"),  # starts in the lunch break
        (paris(2027, 1, 15, 16), None),  # the closure ends at 16:00
        (paris(2027, 1, 15, 11, 0), None),
    ],
)
def test_unavailable_reason_hours_and_closures(start: datetime, expected: str | None) -> None:
    assert reason(start) == expected


def test_unavailable_reason_public_holiday() -> None:
    assert reason(paris(2027, 5, 6, 10), now=utc(2027, 4, 1)) == "the practice or the practitioner is closed then"


def test_unavailable_reason_already_booked() -> None:
    busy = (booked("martin", paris(2027, 1, 12, 10, 0), 20, "consultation"),)
    assert reason(paris(2027, 1, 12, 10, 10), busy) == "that time is already booked"
    assert reason(paris(2027, 1, 12, 9, 50), busy) == "that time is already booked"  # would end 10:10
    assert reason(paris(2027, 1, 12, 9, 40), busy) is None  # ends exactly at 10:00
    assert reason(paris(2027, 1, 12, 10, 20), busy) is None
    other = (booked("bernard", paris(2027, 1, 12, 10, 0), 20),)
    assert reason(paris(2027, 1, 12, 10, 10), other) is None


def test_unavailable_reason_keeps_motif_buffers_like_find_slots() -> None:
    frottis = (booked("martin", paris(2027, 1, 12, 9, 0), 30, "frottis"),)
    assert reason(paris(2027, 1, 12, 9, 30), frottis) == "that time is already booked"  # in the 10-minute buffer
    assert reason(paris(2027, 1, 12, 9, 40), frottis) is None
    consultation = (booked("martin", paris(2027, 1, 12, 11, 0), 20, "consultation"),)
    assert reason(paris(2027, 1, 12, 10, 30), consultation, motif_id="frottis") == "that time is already booked"
    assert reason(paris(2027, 1, 12, 10, 20), consultation, motif_id="frottis") is None


def test_unavailable_reason_notice_and_horizon() -> None:
    too_soon = "too soon: appointments need 120 minutes' notice"
    assert reason(paris(2027, 1, 4, 10, 30)) == too_soon  # 90 minutes after now
    assert reason(paris(2027, 1, 4, 11, 0)) is None  # exactly 120 minutes
    assert reason(paris(2027, 1, 4, 10, 30), enforce_notice=False) is None  # staff override
    assert reason(paris(2027, 3, 8, 9, 0)) == "too far ahead: appointments are open 60 days ahead"
    assert reason(paris(2027, 3, 8, 9, 0), enforce_notice=False) is None


def test_unavailable_reason_motif_not_offered() -> None:
    assert reason(paris(2027, 1, 12, 10), motif_id="pediatrie") == "Dr Martin does not offer pediatrie"


def test_unavailable_reason_agrees_with_find_slots_on_every_offered_slot(sample: Clinic) -> None:
    now = utc(2027, 1, 4, 8)
    busy = [
        booked("martin", paris(2027, 1, 5, 9, 0), 30, "frottis"),
        booked("bernard", paris(2027, 1, 5, 10, 0), 20, "consultation"),
    ]
    for motif_id in ("consultation", "frottis", "pediatrie"):
        query = SlotQuery(motif_id, first_day=date(2027, 1, 4), last_day=date(2027, 1, 16))
        for slot in find_slots(sample, busy, query, now):
            assert unavailable_reason(sample, busy, slot.practitioner_id, motif_id, slot.start, now) is None, slot
