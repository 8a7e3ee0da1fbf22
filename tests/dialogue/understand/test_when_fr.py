"""French dates and times: `parse_when`, `parse_time_of_day`, `parse_birth_date`.

The clock is frozen on Saturday 28 November 2026, 10:00 in Paris:
Sun 29, Mon 30 Nov, Tue 1, Wed 2, Thu 3, Fri 4, Sat 5, Sun 6, Mon 7, Tue 8 December...
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from booking.slots import AFTERNOON, EVENING, MORNING, TimeWindow
from dialogue.understand.when import WhenResult, parse_birth_date, parse_time_of_day, parse_when

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
TODAY = date(2026, 11, 28)


def d(month: int, day: int, year: int | None = None) -> date:
    """A day of the test calendar: November-December 2026, January onwards 2027."""
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


DAYS = [
    ("le 3 décembre", when(d(12, 3))),
    ("le 3/12", when(d(12, 3))),
    ("lundi 7", when(d(12, 7))),
    ("le 15", when(d(12, 15))),
    ("aujourd'hui", when(TODAY)),
    ("demain", when(d(11, 29))),
    ("après-demain", when(d(11, 30))),
    ("mardi", when(d(12, 1))),
    ("mardi prochain", when(d(12, 1))),
    ("mardi en huit", when(d(12, 8))),
    ("dans quinze jours", when(d(12, 12))),
    ("dans 10 jours", when(d(12, 8))),
    ("dans dix jours", when(d(12, 8))),
    ("dans huit jours", when(d(12, 5))),
    ("dans une semaine", when(d(12, 5))),
    ("dans trois semaines", when(d(12, 19))),
    ("dans un mois", when(d(12, 28))),
    ("la semaine prochaine", when(d(11, 30), d(12, 6))),
    ("en début de semaine prochaine", when(d(11, 30), d(12, 1))),
    ("en milieu de semaine prochaine", when(d(12, 1), d(12, 3))),
    ("en fin de semaine prochaine", when(d(12, 3), d(12, 5))),
    ("en fin de semaine", when(TODAY)),
    ("cette semaine", when(TODAY, d(11, 29))),
    ("le 1er décembre", when(d(12, 1))),
    ("le premier décembre", when(d(12, 1))),
    ("le vingt-trois décembre", when(d(12, 23))),
    ("mardi 1er décembre", when(d(12, 1))),
    ("le 3 janvier", when(d(1, 3))),
    ("le 28 novembre", when(TODAY)),
    ("le 27 novembre", when(d(11, 27, 2027))),
    ("le 12/01/2027", when(d(1, 12))),
    ("en janvier", when(d(1, 1), d(1, 31))),
    ("début janvier", when(d(1, 1), d(1, 10))),
    ("mi-décembre", when(d(12, 11), d(12, 20))),
    ("fin décembre", when(d(12, 21), d(12, 31))),
    ("le mois prochain", when(d(12, 1), d(12, 31))),
    ("la semaine du 7 décembre", when(d(12, 7), d(12, 13))),
    ("du 3 au 5 décembre", when(d(12, 3), d(12, 5))),
    ("entre lundi et mercredi", when(d(11, 30), d(12, 2))),
    ("à partir du 10 décembre", when(d(12, 10), None)),
    ("avant le 10 décembre", when(None, d(12, 9))),
    ("jusqu'au 15 décembre", when(None, d(12, 15))),
    ("lundi ou mardi", when(d(11, 30), d(12, 1))),
    ("pas lundi, mardi", when(d(12, 1))),
    ("jeudi", when(d(12, 3))),
    ("vendredi", when(d(12, 4))),
    ("samedi", when(d(12, 5))),
    ("dimanche", when(d(11, 29))),
    ("ce week-end", when(TODAY, d(11, 29))),
    ("le 31", when(d(12, 31))),
    ("demain en huit", when(d(12, 6))),
    ("jeudi de la semaine prochaine", when(d(12, 3))),
    ("ce mardi", when(d(12, 1))),
    ("la semaine prochaine, mercredi", when(d(12, 2))),
]

PARTS_OF_DAY = [
    ("le matin", when(windows=(MORNING,))),
    ("dans la matinée", when(windows=(MORNING,))),
    ("en fin de matinée", when(windows=(w(time(10, 30), time(12)),))),
    ("en début de matinée", when(windows=(w(None, time(10)),))),
    ("en début d'après-midi", when(windows=(w(time(13), time(15)),))),
    ("en fin d'après-midi", when(windows=(w(time(16)),))),
    ("l'après-midi", when(windows=(AFTERNOON,))),
    ("le soir", when(windows=(EVENING,))),
    ("plutôt l'après-midi", when(windows=(AFTERNOON,))),
    ("pas le matin", when(windows=(AFTERNOON,))),
    ("pas l'après-midi", when(windows=(MORNING,))),
    ("entre midi et deux", when(windows=(w(time(12), time(14)),))),
    ("à l'heure du déjeuner", when(windows=(w(time(12), time(14)),))),
    ("en fin de journée", when(windows=(EVENING,))),
    ("ce matin", when(TODAY, windows=(MORNING,))),
    ("ce soir", when(TODAY, windows=(EVENING,))),
    ("cet après-midi", when(TODAY, windows=(AFTERNOON,))),
    ("demain matin", when(d(11, 29), windows=(MORNING,))),
    ("lundi après-midi", when(d(11, 30), windows=(AFTERNOON,))),
    ("le matin ou en fin d'après-midi", when(windows=(w(time(16)), MORNING))),
]

TIMES = [
    ("14h30", when(at=time(14, 30))),
    ("14 h 30", when(at=time(14, 30))),
    ("quatorze heures trente", when(at=time(14, 30))),
    ("deux heures et demie de l'après-midi", when(at=time(14, 30))),
    ("midi et demi", when(at=time(12, 30))),
    ("midi et quart", when(at=time(12, 15))),
    ("huit heures moins le quart", when(at=time(7, 45))),
    ("à 3 h", when(at=time(15))),
    ("à 2 heures", when(at=time(14))),
    ("à 10 h", when(at=time(10))),
    ("vers 10 heures", when(at=time(10))),
    ("vers midi", when(at=time(12))),
    ("vers 10", when(at=time(10))),
    ("à neuf heures et quart", when(at=time(9, 15))),
    ("dix heures moins dix", when(at=time(9, 50))),
    ("onze heures du matin", when(at=time(11))),
    ("sept heures du soir", when(at=time(19))),
    ("17 h", when(at=time(17))),
    ("à 8 h 45", when(at=time(8, 45))),
    ("à 1 h", when(at=time(13))),
    ("une heure et demie", when(at=time(13, 30))),
    ("le matin vers 7 h", when(at=time(7), windows=(MORNING,))),
    ("ce soir à 6 h", when(TODAY, at=time(18), windows=(EVENING,))),
    ("à 10 h, non, plutôt 11 h", when(at=time(11))),
]

CONSTRAINTS = [
    ("pas avant 10 h", when(windows=(w(time(10)),))),
    ("après 17 h", when(windows=(w(time(17)),))),
    ("avant 11 h", when(windows=(w(None, time(11)),))),
    ("à partir de 15 h", when(windows=(w(time(15)),))),
    ("pas après 11 h", when(windows=(w(None, time(11, 1)),))),
    ("11 h au plus tard", when(windows=(w(None, time(11, 1)),))),
    ("entre 10 h et midi", when(windows=(w(time(10), time(12)),))),
    ("de 14 h à 16 h", when(windows=(w(time(14), time(16)),))),
    ("le matin pas avant 10 h", when(windows=(w(time(10), time(12)),))),
    ("l'après-midi avant 16 h", when(windows=(w(AFTERNOON.earliest, time(16)),))),
    ("après 5 h", when(windows=(w(time(17)),))),
    ("le plus tôt possible", when(asap=True)),
    ("dès que possible", when(asap=True)),
    ("le premier rendez-vous disponible", when(asap=True)),
    ("au plus vite", when(asap=True)),
    ("le plus tôt possible le matin", when(windows=(MORNING,), asap=True)),
]

COMBINED = [
    ("mardi prochain vers 10 h", when(d(12, 1), at=time(10))),
    ("demain à 8 h", when(d(11, 29), at=time(8))),
    ("jeudi 3 décembre à 9 h 15", when(d(12, 3), at=time(9, 15))),
    ("lundi matin vers 9 h", when(d(11, 30), at=time(9), windows=(MORNING,))),
    ("Ventredi à neuf heures", when(d(12, 4), at=time(9))),  # Whisper's near-miss on a bad line
    ("la semaine prochaine l'après-midi", when(d(11, 30), d(12, 6), windows=(AFTERNOON,))),
    ("mercredi en fin de matinée", when(d(12, 2), windows=(w(time(10, 30), time(12)),))),
    ("le 3/12 à 14h", when(d(12, 3), at=time(14))),
    ("je voudrais un rendez-vous mardi vers 11 h s'il vous plaît", when(d(12, 1), at=time(11))),
    ("Mardi prochain, vers 10 heures ?", when(d(12, 1), at=time(10))),
]

NOTHING = [
    "bonjour",
    "un rendez-vous",
    "je voudrais voir le docteur Martin",
    "",
    "oui",
    "c'est pour une consultation",
    "???",
]


@pytest.mark.parametrize(("text", "expected"), DAYS + PARTS_OF_DAY + TIMES + CONSTRAINTS + COMBINED)
def test_parse_when_fr(text: str, expected: WhenResult) -> None:
    assert parse_when(text, NOW, "fr") == expected


@pytest.mark.parametrize("text", NOTHING)
def test_parse_when_nothing_fr(text: str) -> None:
    assert parse_when(text, NOW, "fr") is None


def test_days_follow_the_clock_time_zone() -> None:
    late_evening_utc = datetime(2026, 11, 28, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert parse_when("demain", late_evening_utc.astimezone(ZoneInfo("Europe/Paris")), "fr") == when(d(11, 30))


def test_a_weekday_said_on_that_weekday_is_next_week() -> None:
    tuesday = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert parse_when("mardi", tuesday, "fr") == when(d(12, 8))


# "En huit" / "en quinze": a week / two weeks after the named day, counted from today on (Larousse:
# « jeudi en huit », the Thursday a week after the coming one; said on a Thursday, a week today).
# Said on each day of the week of Monday 30 November 2026: (today, "mardi en huit", "mardi en quinze",
# "jeudi en huit", "dimanche en huit").
EN_HUIT = [
    (d(11, 30), d(12, 8), d(12, 15), d(12, 10), d(12, 13)),  # Monday
    (d(12, 1), d(12, 8), d(12, 15), d(12, 10), d(12, 13)),  # Tuesday: a week today, not two weeks
    (d(12, 2), d(12, 15), d(12, 22), d(12, 10), d(12, 13)),  # Wednesday
    (d(12, 3), d(12, 15), d(12, 22), d(12, 10), d(12, 13)),  # Thursday: "jeudi en huit", a week today
    (d(12, 4), d(12, 15), d(12, 22), d(12, 17), d(12, 13)),  # Friday
    (d(12, 5), d(12, 15), d(12, 22), d(12, 17), d(12, 13)),  # Saturday
    (d(12, 6), d(12, 15), d(12, 22), d(12, 17), d(12, 13)),  # Sunday: "dimanche en huit", a week today
]


@pytest.mark.parametrize(("today", "tuesday", "tuesday_15", "thursday", "sunday"), EN_HUIT)
def test_en_huit_from_every_weekday(today: date, tuesday: date, tuesday_15: date, thursday: date, sunday: date) -> None:
    now = datetime.combine(today, time(10), ZoneInfo("Europe/Paris"))
    assert parse_when("mardi en huit", now, "fr") == when(tuesday)
    assert parse_when("mardi en quinze", now, "fr") == when(tuesday_15)
    assert parse_when("jeudi en huit", now, "fr") == when(thursday)
    assert parse_when("dimanche en huit", now, "fr") == when(sunday)


@pytest.mark.parametrize("weekday", range(7))
@pytest.mark.parametrize("offset", range(7))
def test_en_huit_is_a_week_after_the_named_day(weekday: int, offset: int) -> None:
    """Every weekday said on every weekday: the named day 7 to 13 days on ("en quinze": 14 to 20)."""
    today = d(11, 30) + timedelta(days=offset)
    now = datetime.combine(today, time(10), ZoneInfo("Europe/Paris"))
    name = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")[weekday]
    for said, low in ((f"{name} en huit", 7), (f"{name} en quinze", 14)):
        found = parse_when(said, now, "fr")
        assert found is not None and found.first_day is not None, said
        assert found.first_day.weekday() == weekday, said
        assert low <= (found.first_day - today).days <= low + 6, said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dix", time(10)),
        ("trois", time(15)),
        ("onze heures", time(11)),
        ("celui de 11 h", time(11)),
        ("minuit", time(0)),
        ("deux heures du matin", time(2)),
        ("pas avant 10 h", None),
        ("bonjour", None),
    ],
)
def test_parse_time_of_day_fr(text: str, expected: time | None) -> None:
    assert parse_time_of_day(text, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 mars 1985", date(1985, 3, 12)),
        ("le 3/4/1990", date(1990, 4, 3)),
        ("12031985", date(1985, 3, 12)),
        ("12/03/1985", date(1985, 3, 12)),
        ("douze mars mille neuf cent quatre-vingt-cinq", date(1985, 3, 12)),
        ("premier janvier deux mille dix", date(2010, 1, 1)),
        ("1 2 0 3 1 9 8 5", date(1985, 3, 12)),
        ("le 12 mars 85", date(1985, 3, 12)),
        ("je suis né le 5 juin 2001", date(2001, 6, 5)),
        ("1985-03-12", date(1985, 3, 12)),
        ("31/02/1990", None),
        ("12 mars", None),
        ("bonjour", None),
    ],
)
def test_parse_birth_date_fr(text: str, expected: date | None) -> None:
    assert parse_birth_date(text, "fr") == expected
