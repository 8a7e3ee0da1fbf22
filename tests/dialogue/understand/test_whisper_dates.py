"""Dates and times as Whisper base writes them on phone audio: digits, "14h30", "1982", missing accents and
capitals, punctuation and fillers, "premier"/"1er".

Rows marked "heard" are transcripts Whisper base wrote of Kokoro voices (ff_siwis, pm_alex; af_heart in
English) sent through the 8 kHz phone band, with the date question's prompt or without (December 2026);
the others are the ways it writes the same answers when it hears them right.
The clock is frozen on Saturday 28 November 2026, 10:00 in Paris: Sun 29, Mon 30 Nov, Tue 1 December...
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from booking.slots import AFTERNOON, MORNING, TimeWindow
from dialogue.understand.when import WhenResult, parse_birth_date, parse_time_of_day, parse_when

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
LATE_MORNING = TimeWindow(time(10, 30), time(12))


def day(month: int, dom: int) -> date:
    return date(2026 if month >= 11 else 2027, month, dom)


def on(
    first: date | None, last: date | None = None, at: time | None = None, windows: tuple[TimeWindow, ...] = ()
) -> WhenResult:
    return WhenResult(first, last or first, at, windows)


WISHES_FR = [
    ("Mardi prochain.", on(day(12, 1))),
    ("mardi prochain", on(day(12, 1))),
    ("Euh, mardi prochain, s'il vous plaît.", on(day(12, 1))),
    ("Mardi, prochain s'il vous plaît.", on(day(12, 1))),  # heard
    ("Mardir.", on(day(12, 1))),  # heard
    ("Demain matin.", on(day(11, 29), windows=(MORNING,))),
    ("demain matin", on(day(11, 29), windows=(MORNING,))),
    ("De ma matin.", on(day(11, 29), windows=(MORNING,))),  # heard
    ("Non, je dis matin.", on(day(12, 3), windows=(MORNING,))),  # heard (bench line): "jeudi matin"
    ("après-demain", on(day(11, 30))),
    ("Après demain.", on(day(11, 30))),  # heard
    ("apres demain", on(day(11, 30))),
    ("mardi en huit", on(day(12, 8))),
    ("Mardi en 8.", on(day(12, 8))),  # heard
    ("dans quinze jours", on(day(12, 12))),
    ("Dans 15 jours.", on(day(12, 12))),  # heard
    ("la semaine prochaine", on(day(11, 30), day(12, 6))),
    ("La semaine prochaine !", on(day(11, 30), day(12, 6))),  # heard
    ("en fin de matinée", on(None, None, windows=(LATE_MORNING,))),
    ("En fin de matinee.", on(None, None, windows=(LATE_MORNING,))),
    ("Enfin de matinée.", on(None, None, windows=(LATE_MORNING,))),  # heard
    ("Vendredi après midi.", on(day(12, 4), windows=(AFTERNOON,))),  # heard
    ("le 1er décembre", on(day(12, 1))),
    ("le premier décembre", on(day(12, 1))),
    ("Le premier décembre.", on(day(12, 1))),  # heard
    ("le 1er decembre", on(day(12, 1))),
    ("Le 23 août.", on(day(8, 23))),  # heard
    ("le 15 aout", on(day(8, 15))),
    ("le 3 fevrier", on(day(2, 3))),
    ("le 2 decembre", on(day(12, 2))),
    ("Le 31/12.", on(day(12, 31))),
    ("Mardi 8.", on(day(12, 8))),
    ("Jeudi dit des centres à 10 heures.", on(day(12, 3), at=time(10))),  # heard: "jeudi 10 décembre"
    ("Mardi prochain à 9h30.", on(day(12, 1), at=time(9, 30))),
    ("Mercredi 2 décembre à 15h.", on(day(12, 2), at=time(15))),
    ("le 2/12 à 15h", on(day(12, 2), at=time(15))),
]

TIMES_FR = [
    ("14h30", time(14, 30)),
    ("14 h 30", time(14, 30)),
    ("14:30", time(14, 30)),
    ("À 14h30.", time(14, 30)),
    ("14,30.", time(14, 30)),  # heard
    ("14h", time(14)),
    ("14 heures.", time(14)),  # heard
    ("à 9h30", time(9, 30)),
    ("09h30", time(9, 30)),
    ("à 9,30", time(9, 30)),
    ("9 heures et demie", time(9, 30)),
    ("neuf heures et demie", time(9, 30)),
    ("Neuf heures et demie.", time(9, 30)),
    ("quatorze heures trente", time(14, 30)),
    ("midi et demi", time(12, 30)),
    ("Midi et demi.", time(12, 30)),
    ("Midi Adamie", time(12, 30)),  # heard
    ("Medi-ademi.", time(12, 30)),  # heard
    ("8h moins le quart", time(7, 45)),
    ("8h moins le quart.", time(7, 45)),  # heard
    ("8 h moins le quart", time(7, 45)),
    ("Dix-sept heures quarante-cinq.", time(17, 45)),
    ("Vers onze heures.", time(11)),
    ("À 9h.", time(9)),
]

BIRTHS_FR = [
    ("le 14 juillet 1982", date(1982, 7, 14)),
    ("Le 14 juillet 1982.", date(1982, 7, 14)),  # heard
    ("14/07/1982", date(1982, 7, 14)),
    ("Le 14/07/1982.", date(1982, 7, 14)),
    ("14 7 1982", date(1982, 7, 14)),
    ("14-07-1982", date(1982, 7, 14)),
    ("14.07.1982", date(1982, 7, 14)),
    ("14 07 82", date(1982, 7, 14)),
    ("14, 7 82.", date(1982, 7, 14)),  # heard
    ("140782", date(1982, 7, 14)),
    ("je suis né le 14 juillet 1982", date(1982, 7, 14)),
    ("je suis ne le 14 juillet 1982", date(1982, 7, 14)),
    ("Je suis né le 14, juillet 1999-82.", date(1982, 7, 14)),  # heard
    ("14 juillet 82", date(1982, 7, 14)),
    ("14 juillet, 82.", date(1982, 7, 14)),  # heard
    ("quatorze juillet mille neuf cent quatre-vingt-deux", date(1982, 7, 14)),
    ("quatorze juillet mille neuf cent quatre vingt deux", date(1982, 7, 14)),
    ("le 14 juillet mil neuf cent quatre vingt deux", date(1982, 7, 14)),
    ("Le 14 juillet 1900 quatre-vingt-deux.", date(1982, 7, 14)),
    ("le 3 mars 1975", date(1975, 3, 3)),
    ("Le 3 mars 1975.", date(1975, 3, 3)),  # heard
    ("Le 3 mars, 1975.", date(1975, 3, 3)),
    ("le 3 mars 1969-1975.", date(1975, 3, 3)),  # heard
    ("Non, le 8 ou 1968.", date(1968, 8, 8)),  # heard: "août" said /u/
    ("le premier houx 1990", date(1990, 8, 1)),
    ("le 8 août 1968", date(1968, 8, 8)),
    ("le trois mars mille neuf cent soixante-quinze", date(1975, 3, 3)),
    ("le 1er décembre 1982", date(1982, 12, 1)),
    ("le premier décembre 1982", date(1982, 12, 1)),
    ("Le 1er août 1990.", date(1990, 8, 1)),  # heard
    ("Le 1er, août 1999-1990.", date(1990, 8, 1)),  # heard
    ("le 12 fevrier 2001", date(2001, 2, 12)),
    ("Le 12 février 2001.", date(2001, 2, 12)),  # heard
    ("le 15 aout 1960", date(1960, 8, 15)),
    ("1985 03 12", date(1985, 3, 12)),
    ("le 14 juillet", None),
]

WISHES_EN = [
    ("Next Tuesday.", on(day(12, 1))),  # heard
    ("Um, next Tuesday, please.", on(day(12, 1))),
    ("Tomorrow morning.", on(day(11, 29), windows=(MORNING,))),  # heard
    ("The first of December.", on(day(12, 1))),
    ("December 1st.", on(day(12, 1))),
    ("Tuesday week.", on(day(12, 8))),
    ("In two weeks.", on(day(12, 12))),
]

TIMES_EN = [
    ("Half past nine.", time(9, 30)),  # heard
    ("Two thirty in the afternoon.", time(14, 30)),  # heard
    ("2.30 in the afternoon", time(14, 30)),  # heard
    ("9:30", time(9, 30)),
    ("At 9.30 a.m.", time(9, 30)),
    ("Quarter to eight.", time(7, 45)),
]

BIRTHS_EN = [
    ("The 14th of July, 1982.", date(1982, 7, 14)),  # heard
    ("14 July 1982.", date(1982, 7, 14)),  # heard
    ("July 14th, 1982.", date(1982, 7, 14)),
    ("14/07/1982", date(1982, 7, 14)),
]


@pytest.mark.parametrize(("text", "expected"), WISHES_FR)
def test_wishes_fr(text: str, expected: WhenResult) -> None:
    assert parse_when(text, NOW, "fr") == expected


@pytest.mark.parametrize(("text", "expected"), WISHES_EN)
def test_wishes_en(text: str, expected: WhenResult) -> None:
    assert parse_when(text, NOW, "en") == expected


@pytest.mark.parametrize(("text", "expected"), TIMES_FR)
def test_times_fr(text: str, expected: time) -> None:
    assert parse_time_of_day(text, "fr") == expected
    assert parse_when(text, NOW, "fr") == on(None, None, at=expected)


@pytest.mark.parametrize(("text", "expected"), TIMES_EN)
def test_times_en(text: str, expected: time) -> None:
    assert parse_time_of_day(text, "en") == expected


@pytest.mark.parametrize(("text", "expected"), BIRTHS_FR)
def test_birth_dates_fr(text: str, expected: date | None) -> None:
    assert parse_birth_date(text, "fr") == expected


@pytest.mark.parametrize(("text", "expected"), BIRTHS_EN)
def test_birth_dates_en(text: str, expected: date) -> None:
    assert parse_birth_date(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    ["le 14, 30 décembre", "Enfin, mardi.", "Je suis à demi-tarif.", "de ma part", "14,5 kilos"],
)
def test_respellings_stay_where_they_belong(text: str) -> None:
    """The recogniser's spellings are undone only where they can mean a time: a day and month stay one,
    "enfin" before a day stays the adverb, "à demi" with no hour and "de ma" with no part of the day stay."""
    found = parse_when(text, NOW, "fr")
    assert found is None or found.time is None
    assert found is None or found.windows == ()
