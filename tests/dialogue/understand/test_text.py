"""Normalisation and numbers in words (`dialogue.understand.text`)."""

from __future__ import annotations

import pytest

from dialogue.understand.text import fold, normalize, plain, prepare, words_to_digits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L’Après-Midi, vers 10h30 ?", "l'après-midi vers 10h30"),
        ("  Jean–Pierre  DUPONT ", "jean-pierre dupont"),
        ("le 3/12, à 14:30.", "le 3/12 à 14:30"),
        ("M.A.R.T.I.N", "m a r t i n"),
        ("Cœur", "coeur"),
        ("« Oui ! »", "oui"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_fold_and_plain() -> None:
    assert fold("Gérard, l'après-midi") == "gerard l'apres-midi"
    assert plain("Gérard, l'après-midi") == "gerard l apres midi"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quatorze heures trente", "14 heures 30"),
        ("dans quinze jours", "dans 15 jours"),
        ("le vingt et un décembre", "le 21 décembre"),
        ("un rendez-vous à une heure", "un rendez-vous à 1 heure"),
        ("une consultation", "une consultation"),
        ("dans une semaine", "dans 1 semaine"),
        ("le premier", "le 1er"),
    ],
)
def test_words_to_digits_fr(text: str, expected: str) -> None:
    assert words_to_digits(text, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at one thirty", "at 1 30"),
        ("the first one", "the 1st one"),
        ("in two weeks", "in 2 weeks"),
        ("a quarter to three", "a quarter to 3"),
    ],
)
def test_words_to_digits_en(text: str, expected: str) -> None:
    assert words_to_digits(text, "en") == expected


def test_prepare() -> None:
    assert prepare("À quatorze heures trente", "fr") == "a 14 heures 30"
    assert prepare("Two o'clock", "en") == "2 oclock"
