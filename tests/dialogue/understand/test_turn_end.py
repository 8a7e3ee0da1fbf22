"""The text cue for ending a caller's turn: finished answers end at a short pause, trailing words wait."""

from __future__ import annotations

import pytest

from dialogue.actions import ExpectKind
from dialogue.understand.turn_end import complete_answer, sounds_finished

YES, DATE, FREE, NAME, DIGITS = (
    ExpectKind.YES_NO,
    ExpectKind.DATE,
    ExpectKind.FREE,
    ExpectKind.NAME,
    ExpectKind.DIGITS,
)


@pytest.mark.parametrize(
    ("text", "expect", "locale", "finished"),
    [
        ("oui", YES, "fr", True),
        ("Oui.", YES, "fr", True),
        ("non merci", YES, "fr", True),
        ("oui mais", YES, "fr", False),
        ("non, je voudrais", YES, "fr", False),
        ("yes", YES, "en", True),
        ("yeah that's right", YES, "en", True),
        ("no, I'd like", YES, "en", False),
        ("mardi matin", DATE, "fr", True),
        ("le premier", DATE, "fr", True),
        ("plutôt jeudi vers", DATE, "fr", False),
        ("le 3 février 1980", DATE, "fr", True),
        ("the second one", DATE, "en", True),
        ("on Tuesday at", DATE, "en", False),
        ("je voudrais un rendez-vous avec le docteur Martin mardi", FREE, "fr", True),
        ("je voudrais un rendez-vous avec le", FREE, "fr", False),
        ("je voudrais prendre un rendez-vous avec le docteur", FREE, "fr", False),
        ("euh", FREE, "fr", False),
        ("bonjour", FREE, "fr", False),
        ("Bonjour, euh", None, "fr", False),
        ("consultation", FREE, "fr", True),
        ("I'd like to see Dr Patel on Tuesday morning", FREE, "en", True),
        ("I'd like to book an appointment with", FREE, "en", False),
        ("hello", None, "en-GB", False),
        ("um", FREE, "en", False),
        ("", FREE, "en", False),
        ("Tuesday morning, please.", DATE, "en", True),
        ("Jean Dupont", NAME, "fr", True),  # a whole name
        ("Je m'appelle Camille Rousseau.", NAME, "fr", True),
        ("Je m'appelle Camille", NAME, "fr", False),  # the surname may follow
        ("Dupont, D, U, P", NAME, "fr", False),  # being spelled: the full patience
        ("Marie de", NAME, "fr", False),
        ("My name is Sarah Thompson.", NAME, "en", True),
        ("My name is Sarah", NAME, "en", False),
        ("Emily Clarke.", NAME, "en", True),
        ("zéro six douze", DIGITS, "fr", False),
    ],
)
def test_sounds_finished(text: str, expect: ExpectKind | None, locale: str, finished: bool) -> None:
    assert sounds_finished(text, expect, locale) is finished


@pytest.mark.parametrize(
    ("text", "expect", "locale"),
    [
        ("oui", ExpectKind.YES_NO, "fr"),
        ("non merci", ExpectKind.YES_NO, "fr"),
        ("Jean Dupont", ExpectKind.NAME, "fr"),
        ("mardi 8 décembre", ExpectKind.DATE, "fr"),
        ("demain matin", ExpectKind.DATE, "fr"),
        ("mardi prochain à 14h30", ExpectKind.DATE, "fr"),
        ("le 14 juillet 1982", ExpectKind.DATE, "fr"),
        ("le plus tôt possible", ExpectKind.DATE, "fr"),
        ("Tuesday morning", ExpectKind.DATE, "en"),
        ("yes please", ExpectKind.YES_NO, "en"),
    ],
)
def test_a_whole_answer_to_the_question_is_complete(text: str, expect: ExpectKind, locale: str) -> None:
    assert complete_answer(text, expect, locale)


@pytest.mark.parametrize(
    ("text", "expect", "locale"),
    [
        ("oui mais", ExpectKind.YES_NO, "fr"),
        ("je m'appelle Jean", ExpectKind.NAME, "fr"),
        ("demain", ExpectKind.DATE, "fr"),  # a time may follow
        ("next Tuesday", ExpectKind.DATE, "en"),
        ("mardi à", ExpectKind.DATE, "fr"),
        ("06 12 34 56 78", ExpectKind.DIGITS, "fr"),  # digits always keep their patience
        ("D, U, P, O, N, T", ExpectKind.SPELLING, "fr"),
        ("je voudrais un rendez-vous", ExpectKind.FREE, "fr"),
        ("le premier", None, "fr"),  # the opening request
    ],
)
def test_an_unfinished_or_open_answer_is_not(text: str, expect: ExpectKind | None, locale: str) -> None:
    assert not complete_answer(text, expect, locale)


def test_one_of_the_offered_answers_is_complete_at_any_question_that_offers() -> None:
    assert complete_answer("le deuxième", ExpectKind.FREE, "fr", offered=True)
    assert not complete_answer("le deuxième", ExpectKind.FREE, "fr")
