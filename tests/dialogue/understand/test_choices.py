"""Picking one of the offered slots (`parse_choice`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dialogue.understand.choices import parse_choice

PARIS = ZoneInfo("Europe/Paris")
OFFERS = [
    datetime(2026, 12, 1, 9, 0, tzinfo=PARIS),  # Tuesday 1 December, 9:00
    datetime(2026, 12, 1, 11, 0, tzinfo=PARIS),  # Tuesday 1 December, 11:00
    datetime(2026, 12, 2, 14, 30, tzinfo=PARIS),  # Wednesday 2 December, 14:30
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le premier", 0),
        ("le deuxième", 1),
        ("le second", 1),
        ("le troisième", 2),
        ("le dernier", 2),
        ("l'avant-dernier", 1),
        ("celui de 11 h", 1),
        ("onze heures", 1),
        ("celui de 11", 1),
        ("neuf heures", 0),
        ("celui de mercredi", 2),
        ("deux heures et demie", 2),
        ("14 h 30", 2),
        ("1", 0),
        ("2", 1),
        ("le deux", 1),
        ("le premier, à 9 h", 0),
        ("l'après-midi", 2),
        ("le plus tôt", 0),
        ("le plus tard", 2),
        ("le 2 décembre", 2),
        ("n'importe lequel", 0),
        ("celui de mardi", None),
        ("le premier, à 11 h", None),
        ("le quatrième", None),
        ("4", None),
        ("bonjour", None),
    ],
)
def test_parse_choice_fr(text: str, expected: int | None) -> None:
    assert parse_choice(text, "fr", OFFERS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the first one", 0),
        ("the second", 1),
        ("the last one", 2),
        ("the 2:30 one", 2),
        ("half past two", 2),
        ("eleven", 1),
        ("the 11 o'clock", 1),
        ("at 9", 0),
        ("Wednesday", 2),
        ("one", 0),
        ("2", 1),
        ("number three", 2),
        ("the later one", 2),
        ("either", 0),
        ("the Tuesday one", None),
        ("hello", None),
    ],
)
def test_parse_choice_en(text: str, expected: int | None) -> None:
    assert parse_choice(text, "en", OFFERS) == expected


def test_no_options() -> None:
    assert parse_choice("le premier", "fr", []) is None


def test_an_hour_alone_with_one_offer() -> None:
    assert parse_choice("sept heures et demie", "fr", [datetime(2026, 12, 1, 7, 30, tzinfo=PARIS)]) == 0
