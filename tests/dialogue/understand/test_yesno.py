"""Yes / no answers (`parse_yes_no`)."""

from __future__ import annotations

import pytest

from dialogue.understand.yesno import parse_yes_no

FRENCH = [
    ("oui", True),
    ("Oui.", True),
    ("ouais", True),
    ("d'accord", True),
    ("c'est ça", True),
    ("parfait", True),
    ("exactement", True),
    ("tout à fait", True),
    ("bien sûr", True),
    ("ok", True),
    ("oui c'est bien ça", True),
    ("voilà", True),
    ("ça me va", True),
    ("pas de problème", True),
    ("pourquoi pas", True),
    ("non", False),
    ("pas du tout", False),
    ("non merci", False),
    ("ce n'est pas ça", False),
    ("c'est pas ça", False),
    ("non pas du tout", False),
    ("oui... enfin non", False),
    ("ça ne me va pas", False),
    ("non mais plutôt mercredi", False),
    ("oui mais plutôt mercredi", None),
    ("d'accord mais pas à 9 h", None),
    ("je ne sais pas", None),
    ("peut-être", None),
    ("mercredi", None),
    ("", None),
]
ENGLISH = [
    ("yes", True),
    ("yeah", True),
    ("yep", True),
    ("that's right", True),
    ("correct", True),
    ("sure", True),
    ("Yes, please.", True),
    ("please", True),
    ("um, please", True),
    ("please do", True),
    ("11:15 please", None),
    ("the second one please", None),
    ("sounds good", True),
    ("no problem", True),
    ("no", False),
    ("nope", False),
    ("that's wrong", False),
    ("not really", False),
    ("no thanks", False),
    ("that's not right", False),
    ("it's not", False),
    ("yes but not at 9", None),
    ("I don't know", None),
    ("maybe", None),
    ("Wednesday", None),
]


@pytest.mark.parametrize(("text", "expected"), FRENCH)
def test_parse_yes_no_fr(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text, "fr") is expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_parse_yes_no_en(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text, "en") is expected
