"""Practitioners asked for by name, specialty or "anyone" (`match_practitioner`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking.clinic import Practitioner, load_clinic
from dialogue.practitioners import PractitionerMatch, exclude_negated, match_practitioner

ROOT = Path(__file__).resolve().parents[2]
FR_ROSTER = load_clinic(ROOT / "config" / "clinic.toml").practitioners
EN_ROSTER = load_clinic(ROOT / "config" / "clinic.en.toml").practitioners
GPS = ("martin", "bernard")

FRENCH = [
    ("le docteur Martin", PractitionerMatch(("martin",))),
    ("Dr Martin", PractitionerMatch(("martin",))),
    ("docteur martin", PractitionerMatch(("martin",))),
    ("Martine", PractitionerMatch(("martin",))),
    ("Sophie", PractitionerMatch(("martin",))),
    ("Sophie Martin", PractitionerMatch(("martin",))),
    ("avec le docteur Bernard s'il vous plaît", PractitionerMatch(("bernard",))),
    ("Bertrand", PractitionerMatch(("bertrand",))),
    ("le docteur Claire", PractitionerMatch(("bertrand",))),
    ("Luc", PractitionerMatch(("bernard",))),
    ("madame Girard", PractitionerMatch(("girard",))),
    ("Nathalie Girard", PractitionerMatch(("girard",))),
    ("Gérard", PractitionerMatch(("girard",))),
    ("Jirard", PractitionerMatch(("girard",))),
    ("Bertran", PractitionerMatch(("bertrand", "bernard"))),
    ("Bérard", PractitionerMatch(("bernard", "bertrand"))),
    ("pas Bernard, Bertrand", PractitionerMatch(("bertrand",))),
    ("Bertrand, pas Bernard", PractitionerMatch(("bertrand",))),
    ("Bernard... non, plutôt Bertrand", PractitionerMatch(("bertrand",))),
    ("demain matin avec le docteur Bernard", PractitionerMatch(("bernard",))),
    ("un pédiatre", PractitionerMatch(("bertrand",), specialty="pédiatre")),
    ("un docteur pour enfants", PractitionerMatch(("bertrand",), specialty="pédiatre")),
    ("la sage-femme", PractitionerMatch(("girard",), specialty="sage-femme")),
    ("un généraliste", PractitionerMatch(GPS, specialty="médecin généraliste")),
    ("mon médecin traitant", PractitionerMatch(GPS, specialty="médecin généraliste")),
    ("n'importe lequel", PractitionerMatch((), anyone=True)),
    ("le premier disponible", PractitionerMatch((), anyone=True)),
    ("peu importe", PractitionerMatch((), anyone=True)),
    ("n'importe qui sauf Bernard", PractitionerMatch(("martin", "bertrand", "girard"), anyone=True)),
]
FRENCH_NONE = ["bonjour", "je voudrais voir le docteur", "mardi matin", "pas le docteur Bernard", "un kiné", ""]
ENGLISH = [
    ("Dr Patel", PractitionerMatch(("patel",))),
    ("Doctor Jones please", PractitionerMatch(("jones",))),
    ("Owen Jones", PractitionerMatch(("jones",))),
    ("Emma", PractitionerMatch(("johnson",))),
    ("Nurse Okafor", PractitionerMatch(("okafor",))),
    ("Patell", PractitionerMatch(("patel",))),
    ("Jonson", PractitionerMatch(("johnson",))),
    ("not Jones, Johnson", PractitionerMatch(("johnson",))),
    ("any doctor", PractitionerMatch((), anyone=True)),
    ("whoever is free", PractitionerMatch((), anyone=True)),
    ("a GP", PractitionerMatch(("patel", "jones", "johnson"), specialty="GP")),
    ("my family doctor", PractitionerMatch(("patel", "jones", "johnson"), specialty="GP")),
    ("the nurse", PractitionerMatch(("okafor",), specialty="practice nurse")),
]
ENGLISH_NONE = ["hello", "I'd like to see a doctor", "tomorrow morning", "a dentist"]


@pytest.mark.parametrize(("text", "expected"), FRENCH)
def test_match_practitioner_fr(text: str, expected: PractitionerMatch) -> None:
    assert match_practitioner(text, FR_ROSTER, "fr") == expected


@pytest.mark.parametrize("text", FRENCH_NONE)
def test_match_practitioner_none_fr(text: str) -> None:
    assert match_practitioner(text, FR_ROSTER, "fr") is None


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_match_practitioner_en(text: str, expected: PractitionerMatch) -> None:
    assert match_practitioner(text, EN_ROSTER, "en") == expected


@pytest.mark.parametrize("text", ENGLISH_NONE)
def test_match_practitioner_none_en(text: str) -> None:
    assert match_practitioner(text, EN_ROSTER, "en") is None


def _doctor(pid: str, first: str, last: str, specialty: str = "médecin généraliste") -> Practitioner:
    return Practitioner(pid, "Dr", first, last, specialty, ("consultation",))


@pytest.mark.parametrize(("text", "expected"), [
    ("le docteur Gérard", ("girard",)),
    ("Girard", ("girard",)),
    ("Dr Giraud", ("girard",)),
])
def test_sound_alikes_on_a_small_roster_fr(text: str, expected: tuple[str, ...]) -> None:
    roster = [_doctor("girard", "Anne", "Girard"), _doctor("petit", "Paul", "Petit")]
    assert match_practitioner(text, roster, "fr") == PractitionerMatch(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("le docteur Martin", ("martin-s", "martin-p")),
    ("Sophie Martin", ("martin-s",)),
    ("Paul", ("martin-p",)),
])
def test_two_practitioners_with_one_name_fr(text: str, expected: tuple[str, ...]) -> None:
    roster = [_doctor("martin-s", "Sophie", "Martin"), _doctor("martin-p", "Paul", "Martin")]
    assert match_practitioner(text, roster, "fr") == PractitionerMatch(expected)


def test_exclude_negated() -> None:
    assert exclude_negated("pas Bernard, Bertrand", "fr") == "bertrand"
    assert exclude_negated("not Dr Jones but Johnson", "en") == "but johnson"
