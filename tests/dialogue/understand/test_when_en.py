"""English dates and times. The clock is frozen on Saturday 28 November 2026, 10:00 in London."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from booking.slots import AFTERNOON, EVENING, MORNING, TimeWindow
from dialogue.understand.when import WhenResult, parse_birth_date, parse_time_of_day, parse_when

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Europe/London"))
TODAY = date(2026, 11, 28)


def d(month: int, day: int, year: int | None = None) -> date:
    return date(year or (2026 if month >= 11 else 2027), month, day)


def w(earliest: time | None = None, latest: time | None = None) -> TimeWindow:
    return TimeWindow(earliest, latest)


def when(
    first: date | None = None,
    last: Any = ...,
    at: time | None = None,
    windows: tuple[TimeWindow, ...] = (),
    asap: bool = False,
) -> WhenResult:
    return WhenResult(first, first if last is ... else last, at, windows, asap)


CASES = [
    # days
    ("today", when(TODAY)),
    ("tomorrow", when(d(11, 29))),
    ("the day after tomorrow", when(d(11, 30))),
    ("this Friday", when(d(12, 4))),
    ("next Tuesday", when(d(12, 1))),
    ("on Monday", when(d(11, 30))),
    ("in ten days", when(d(12, 8))),
    ("in two weeks", when(d(12, 12))),
    ("next week", when(d(11, 30), d(12, 6))),
    ("early next week", when(d(11, 30), d(12, 1))),
    ("late next week", when(d(12, 3), d(12, 5))),
    ("the 3rd of December", when(d(12, 3))),
    ("December 3rd", when(d(12, 3))),
    ("December 3rd, 2026", when(d(12, 3))),
    ("3/12", when(d(12, 3))),
    ("Monday the 7th", when(d(12, 7))),
    ("on the 15th", when(d(12, 15))),
    ("the 1st", when(d(12, 1))),
    ("Tuesday week", when(d(12, 8))),
    ("a week today", when(d(12, 5))),
    ("in a week", when(d(12, 5))),
    ("in a fortnight", when(d(12, 12))),
    ("3 weeks from now", when(d(12, 19))),
    ("the week after next", when(d(12, 7), d(12, 13))),
    ("this week", when(TODAY, d(11, 29))),
    ("this weekend", when(TODAY, d(11, 29))),
    ("next month", when(d(12, 1), d(12, 31))),
    ("in January", when(d(1, 1), d(1, 31))),
    ("early January", when(d(1, 1), d(1, 10))),
    ("from Monday to Wednesday", when(d(11, 30), d(12, 2))),
    ("on wensday", when(d(12, 2))),  # a near-miss of "Wednesday"
    ("Javier", None),
    ("after the 10th", when(d(12, 11), None)),
    ("before Friday", when(None, d(12, 3))),
    # parts of the day
    ("in the morning", when(windows=(MORNING,))),
    ("late morning", when(windows=(w(time(10, 30), time(12)),))),
    ("early afternoon", when(windows=(w(time(13), time(15)),))),
    ("late afternoon", when(windows=(w(time(16)),))),
    ("in the afternoon", when(windows=(AFTERNOON,))),
    ("in the evening", when(windows=(EVENING,))),
    ("first thing in the morning", when(windows=(w(None, time(10)),))),
    ("lunchtime", when(windows=(w(time(12), time(14)),))),
    ("this morning", when(TODAY, windows=(MORNING,))),
    ("tonight", when(TODAY, windows=(EVENING,))),
    ("tomorrow morning", when(d(11, 29), windows=(MORNING,))),
    ("Friday afternoon", when(d(12, 4), windows=(AFTERNOON,))),
    ("not in the morning", when(windows=(AFTERNOON,))),
    ("not in the afternoon", when(windows=(MORNING,))),
    # times
    ("around noon", when(at=time(12))),
    ("at half past two", when(at=time(14, 30))),
    ("quarter to three", when(at=time(14, 45))),
    ("2:30 pm", when(at=time(14, 30))),
    ("10 am", when(at=time(10))),
    ("at 10:30", when(at=time(10, 30))),
    ("ten o'clock", when(at=time(10))),
    ("half ten", when(at=time(10, 30))),
    ("at one", when(at=time(13))),
    ("twelve thirty", when(at=time(12, 30))),
    ("around 10ish", when(at=time(10))),
    ("at 2 30", when(at=time(14, 30))),
    ("quarter past nine", when(at=time(9, 15))),
    ("ten to three", when(at=time(14, 50))),
    ("at 9 in the morning", when(at=time(9), windows=(MORNING,))),
    ("at 7 in the evening", when(at=time(19), windows=(EVENING,))),
    ("2:30 in the afternoon", when(at=time(14, 30))),
    ("midday", when(at=time(12))),
    # constraints and "as soon as possible"
    ("not before 4 pm", when(windows=(w(time(16)),))),
    ("after 5", when(windows=(w(time(17)),))),
    ("before 11", when(windows=(w(None, time(11)),))),
    ("no later than 11 am", when(windows=(w(None, time(11, 1)),))),
    ("by 3", when(windows=(w(None, time(15, 1)),))),
    ("between 2 and 4", when(windows=(w(time(14), time(16)),))),
    ("from 10 to 12", when(windows=(w(time(10), time(12)),))),
    ("any time after 3 pm", when(windows=(w(time(15)),))),
    ("in the morning but not before 10", when(windows=(w(time(10), time(12)),))),
    ("11 am at the latest", when(windows=(w(None, time(11, 1)),))),
    ("the earliest you have", when(asap=True)),
    ("as soon as possible", when(asap=True)),
    ("first available appointment", when(asap=True)),
    ("whenever", when(asap=True)),
    # combined
    ("tomorrow morning at 9", when(d(11, 29), at=time(9), windows=(MORNING,))),
    ("December 3rd at 3:15", when(d(12, 3), at=time(15, 15))),
    ("next Tuesday around 10", when(d(12, 1), at=time(10))),
    ("early next week in the afternoon", when(d(11, 30), d(12, 1), windows=(AFTERNOON,))),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_when_en(text: str, expected: WhenResult) -> None:
    assert parse_when(text, NOW, "en") == expected


@pytest.mark.parametrize("text", ["hello", "I need an appointment", "May I book with Dr Patel", "", "not on Monday"])
def test_parse_when_nothing_en(text: str) -> None:
    assert parse_when(text, NOW, "en") is None


@pytest.mark.parametrize(
    ("today", "expected"),
    [(d(11, 30), d(12, 8)), (d(12, 1), d(12, 8)), (d(12, 2), d(12, 15)), (d(12, 6), d(12, 15))],
)
def test_tuesday_week(today: date, expected: date) -> None:
    """A week after the named day, counted from today on: said on a Tuesday, a week today."""
    now = datetime.combine(today, time(10), ZoneInfo("Europe/London"))
    assert parse_when("Tuesday week", now, "en") == when(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("half past ten", time(10, 30)),
        ("the 2:30 one", time(14, 30)),
        ("three", time(15)),
        ("hello", None),
    ],
)
def test_parse_time_of_day_en(text: str, expected: time | None) -> None:
    assert parse_time_of_day(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 12th 1985", date(1985, 3, 12)),
        ("March 12, 1985", date(1985, 3, 12)),
        ("12/03/1985", date(1985, 3, 12)),
        ("the twelfth of March nineteen eighty-five", date(1985, 3, 12)),
        ("12031985", date(1985, 3, 12)),
        ("1985-03-12", date(1985, 3, 12)),
        ("February 30th 1990", None),
        ("hello", None),
    ],
)
def test_parse_birth_date_en(text: str, expected: date | None) -> None:
    assert parse_birth_date(text, "en") == expected
