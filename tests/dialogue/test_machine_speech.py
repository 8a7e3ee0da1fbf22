"""Reading values aloud, and the locale files agreeing with each other."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from booking.clinic import load_clinic
from booking.slots import Slot
from dialogue.understand.choices import parse_menu_key, parse_ordinal
from dialogue.understand.intents import correction_target
from dialogue.understand.names import tidy_name
from dialogue.understand.phone import parse_phone
from dialogue.wording.phrases import load_phrases
from dialogue.wording.spoken import say_date, say_digits, say_hours, say_phone_tail, say_slots, say_time

ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
EN = load_clinic(ROOT / "config" / "clinic.en.toml")
TABLES = ("speech.titles.", "speech.day_numbers.", "emergency.numbers.")


def test_locales_have_the_same_phrases() -> None:
    fr, en = load_phrases("fr"), load_phrases("en")
    keep = lambda keys: {k for k in keys if not k.startswith(TABLES)}  # noqa: E731
    assert keep(fr.keys()) == keep(en.keys())


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_phrase_key_used_in_code_exists(locale: str) -> None:
    phrases = load_phrases(locale)
    keys = phrases.keys()
    source = "\n".join(p.read_text() for p in (ROOT / "dialogue").rglob("*.py"))
    used = set(re.findall(r'phrases\.(?:get|words|table)\(\s*"([a-z_]+(?:\.[a-z_]+)*)"', source))
    assert used, "the pattern finds phrase keys"
    for key in used:
        assert phrases.raw(key) is not None, f"{locale}: missing {key}"
    assert {"manage.which_cancel", "manage.which_move"} <= keys
    for reason in ("holiday", "practice_closed", "away", "day_off", "full", "too_far", "past", "period"):
        assert f"offer.none_{reason}" in keys


@pytest.mark.parametrize(
    ("locale", "day", "said"),
    [
        ("fr", date(2026, 12, 1), "mardi 1er décembre"),
        ("fr", date(2026, 12, 8), "mardi 8 décembre"),
        ("en", date(2026, 12, 8), "Tuesday the 8th of December"),
        ("en", date(2026, 12, 1), "Tuesday the 1st of December"),
        ("en", date(2026, 12, 22), "Tuesday the 22nd of December"),
        ("en", date(2027, 1, 13), "Wednesday the 13th of January"),
    ],
)
def test_say_date(locale: str, day: date, said: str) -> None:
    assert say_date(day, load_phrases(locale)) == said


@pytest.mark.parametrize(
    ("locale", "moment", "said"),
    [
        ("fr", time(10, 30), "10 h 30"),
        ("fr", time(11), "11 h"),
        ("fr", time(12), "midi"),
        ("fr", time(14, 5), "14 h 05"),
        ("en", time(10, 30), "10:30 am"),
        ("en", time(11), "11 am"),
        ("en", time(12), "noon"),
        ("en", time(14, 15), "2:15 pm"),
        ("en", time(12, 30), "12:30 pm"),
    ],
)
def test_say_time(locale: str, moment: time, said: str) -> None:
    assert say_time(moment, load_phrases(locale)) == said


def _slot(day: int, hour: int, minute: int, who: str = "martin") -> Slot:
    start = datetime(2026, 12, day, hour, minute, tzinfo=FR.practice.zone)
    return Slot(start, start + timedelta(minutes=20), who, "consultation")


def test_say_slots_groups_same_day_like_a_person() -> None:
    fr = load_phrases("fr")
    assert say_slots([_slot(8, 10, 30), _slot(8, 11, 0)], FR, fr, False) == "mardi 8 décembre à 10 h 30, ou à 11 h"
    three = say_slots([_slot(8, 9, 0), _slot(8, 9, 20), _slot(9, 9, 0)], FR, fr, False)
    assert three == "mardi 8 décembre à 9 h, à 9 h 20, ou mercredi 9 décembre à 9 h"
    named = say_slots([_slot(8, 9, 0), _slot(8, 9, 0, "bernard")], FR, fr, True)
    assert named == "mardi 8 décembre à 9 h avec le docteur Martin, ou à 9 h avec le docteur Bernard"
    en = say_slots([_slot(8, 10, 30), _slot(8, 11, 0)], FR, load_phrases("en"), False)
    assert en == "Tuesday the 8th of December at 10:30 am, or at 11 am"


def test_small_readers() -> None:
    assert say_digits("481207") == "4, 8, 1, 2, 0, 7"
    assert say_phone_tail("+33612345678", load_phrases("fr")) == "56 78"
    assert say_phone_tail("+447700900123", load_phrases("en")) == "0 1 2 3"
    hours = say_hours(FR, load_phrases("fr"))
    assert hours.startswith("du lundi au mercredi de 8 h 30 à 19 h")
    assert hours.endswith("et le samedi de 9 h à midi")
    assert say_hours(EN, load_phrases("en")).startswith("on Monday, 8 am to 6:30 pm, on Tuesday, 8 am to 6 pm")


@pytest.mark.parametrize(
    ("text", "country", "locale", "phone"),
    [
        ("06 12 34 56 78", "FR", "fr", "+33612345678"),
        ("zéro six douze trente-quatre cinquante-six soixante-dix-huit", "FR", "fr", "+33612345678"),
        ("0612345678", "FR", "fr", "+33612345678"),
        # recognition writes the pairs apart: read again without the commas
        ("Zéro six, douze, trente, quatre, cinquante, six, soixante, dix-huit.", "FR", "fr", "+33612345678"),
        ("zéro six, douze, trente quatre", "FR", "fr", None),
        ("+33 6 12 34 56 78", "FR", "fr", "+33612345678"),
        ("07700 900123", "GB", "en", "+447700900123"),
        ("0 7 7 0 0 9 0 0 1 2 3", "GB", "en", "+447700900123"),
        ("oh seven seven oh oh, nine oh oh, one two three", "GB", "en", "+447700900123"),
        ("oh seven seven double oh nine double oh one two three", "GB", "en", "+447700900123"),
        ("oh seven seven double oh nine hundred four five six", "GB", "en", "+447700900456"),
        ("oh seven seven double oh, nine hundred, four five six", "GB", "en", "+447700900456"),
        ("Oh, it's 07700 900123", "GB", "en", "+447700900123"),  # an interjection, not a zero
        ("triple oh", "GB", "en", None),
        ("12 34", "FR", "fr", None),
        ("je ne sais pas", "FR", "fr", None),
    ],
)
def test_parse_phone(text: str, country: str, locale: str, phone: str | None) -> None:
    assert parse_phone(text, country, locale) == phone


@pytest.mark.parametrize(
    ("text", "locale", "target"),
    [
        ("la date de naissance", "fr", "birth"),
        ("le jour", "fr", "when"),
        ("l'heure", "fr", "when"),
        ("le médecin", "fr", "practitioner"),
        ("le nom", "fr", "name"),
        ("Non, le non.", "fr", "name"),  # heard: "nom" and "non" sound the same
        ("Non, les non.", "fr", "name"),
        ("Non, les noms.", "fr", "name"),
        ("le non du patient", "fr", "name"),
        ("non", "fr", None),
        ("non non", "fr", None),
        ("je vais vous épeler", "fr", "name"),
        ("le numéro de téléphone", "fr", "phone"),
        ("laissez tomber", "fr", "abandon"),
        ("the date of birth", "en", "birth"),
        ("the time", "en", "when"),
        ("the doctor", "en", "practitioner"),
        ("the surname", "en", "name"),
        ("my name", "en", "name"),
        ("never mind", "en", "abandon"),
        ("euh", "fr", None),
    ],
)
def test_correction_target(text: str, locale: str, target: str | None) -> None:
    assert correction_target(text, locale) == target


def test_menus_ordinals_names() -> None:
    assert parse_menu_key("2", 3) == 1
    assert parse_menu_key("2#", 3) == 1
    assert parse_menu_key("5", 3) is None
    assert parse_menu_key("12", 3) is None
    assert parse_ordinal("le deuxième", "fr", 2) == 1
    assert parse_ordinal("the first one", "en", 2) == 0
    assert parse_ordinal("aucun", "fr", 2) is None
    assert tidy_name("jean-pierre le gall") == "Jean-Pierre Le Gall"
    assert tidy_name("McDonald") == "McDonald"
