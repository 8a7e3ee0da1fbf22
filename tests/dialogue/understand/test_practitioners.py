"""Practitioners asked for by name, specialty or "anyone" (`match_practitioner`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking.clinic import Practitioner, load_clinic
from dialogue.understand.lexicon import COMMON_WORDS
from dialogue.understand.practitioners import PractitionerMatch, exclude_negated, match_practitioner, match_title

ROOT = Path(__file__).resolve().parents[3]
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
    ("Sofie", PractitionerMatch(("martin",))),
    ("Natalie Girard", PractitionerMatch(("girard",))),
    ("Marin", PractitionerMatch(("martin",))),
    # Decided: one letter off a roster name and not an everyday word; far likelier a mis-transcribed "Martin".
    ("Martini", PractitionerMatch(("martin",))),
    ("c'est pour mon mari, avec le docteur Martin", PractitionerMatch(("martin",))),
    ("pour ma fille, avec Claire", PractitionerMatch(("bertrand",))),
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
    ("n'importe quel médecin", PractitionerMatch((), anyone=True)),
    ("n'importe qui sauf Bernard", PractitionerMatch(("martin", "bertrand", "girard"), anyone=True)),
]
FRENCH_NONE = [
    "bonjour",
    "je voudrais voir le docteur",
    "mardi matin",
    "pas le docteur Bernard",
    "un kiné",
    "",
    # everyday words and phrases, never a practitioner
    "machin",
    "le docteur machin",
    "un truc",
    "mon mari",
    "c'est pour mon mari",
    "ma fille",
    "pour ma fille",
    "mon fils",
    "ma femme",
    "maman",
    "matin",
    "le matin",
    "demain matin de bonne heure",
    "merci",
    "merci beaucoup",
    "bonjour madame",
    "mardi",
    "mardi prochain",
    "marteau",
    "c'est clair",
    "clair",
    "d'accord",
    "merci, au revoir",
    "je voudrais un rendez-vous pour mon mari",
    "une prise de sang",
    "ma mère est malade",
    "la semaine prochaine, n'importe quel jour",  # about the day, not the doctor
]
ENGLISH = [
    ("Dr Patel", PractitionerMatch(("patel",))),
    ("Doctor Jones please", PractitionerMatch(("jones",))),
    ("Owen Jones", PractitionerMatch(("jones",))),
    ("Emma", PractitionerMatch(("johnson",))),
    ("Nurse Okafor", PractitionerMatch(("okafor",))),
    ("Patell", PractitionerMatch(("patel",))),
    ("Jonson", PractitionerMatch(("johnson",))),
    ("Grace", PractitionerMatch(("okafor",))),
    ("it's for my son, with Dr Jones", PractitionerMatch(("jones",))),
    ("not Jones, Johnson", PractitionerMatch(("johnson",))),
    ("any doctor", PractitionerMatch((), anyone=True)),
    ("whoever is free", PractitionerMatch((), anyone=True)),
    ("a GP", PractitionerMatch(("patel", "jones", "johnson"), specialty="GP")),
    ("my family doctor", PractitionerMatch(("patel", "jones", "johnson"), specialty="GP")),
    ("the nurse", PractitionerMatch(("okafor",), specialty="practice nurse")),
]
ENGLISH_NONE = [
    "hello",
    "I'd like to see a doctor",
    "tomorrow morning",
    "a dentist",
    # everyday words and phrases, never a practitioner
    "the morning",
    "my son",
    "my wife",
    "my husband",
    "it's for my daughter",
    "thank you",
    "good morning",
    "anything more",
    "I would like",
    "is it open",
    "over there",
    "every other day",
    "green",
    "joins",
    "tomorrow afternoon please",
    "my mum is ill",
]


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le docteur Gérard", ("girard",)),
        ("Girard", ("girard",)),
        ("Dr Giraud", ("girard",)),
    ],
)
def test_sound_alikes_on_a_small_roster_fr(text: str, expected: tuple[str, ...]) -> None:
    roster = [_doctor("girard", "Anne", "Girard"), _doctor("petit", "Paul", "Petit")]
    assert match_practitioner(text, roster, "fr") == PractitionerMatch(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le docteur Martin", ("martin-s", "martin-p")),
        ("Sophie Martin", ("martin-s",)),
        ("Paul", ("martin-p",)),
    ],
)
def test_two_practitioners_with_one_name_fr(text: str, expected: tuple[str, ...]) -> None:
    roster = [_doctor("martin-s", "Sophie", "Martin"), _doctor("martin-p", "Paul", "Martin")]
    assert match_practitioner(text, roster, "fr") == PractitionerMatch(expected)


def test_exclude_negated() -> None:
    assert exclude_negated("pas Bernard, Bertrand", "fr") == "bertrand"
    assert exclude_negated("not Dr Jones but Johnson", "en") == "but johnson"


def _named(pid: str, first: str, last: str) -> Practitioner:
    return Practitioner(pid, "Dr", first, last, "médecin généraliste", ("consultation",))


EVERYDAY_NAMES_FR = [_named("petit", "Marie", "Petit"), _named("blanc", "Pierre", "Blanc")]
EVERYDAY_NAMES_EN = [_named("young", "Anne", "Young"), _named("moore", "Tom", "Moore"), _named("wood", "Ian", "Wood")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le docteur Petit", ("petit",)),
        ("Petit", ("petit",)),
        ("Petit, s'il vous plaît", ("petit",)),
        ("avec Petit", ("petit",)),
        ("Marie Petit", ("petit",)),
        ("Marie", ("petit",)),
        ("Pierre Blanc", ("blanc",)),
        ("un petit rendez-vous", None),
        ("c'est pour un petit bobo", None),
        ("mon mari", None),
        ("du vin blanc", None),
    ],
)
def test_names_that_are_everyday_words_fr(text: str, expected: tuple[str, ...] | None) -> None:
    """A roster name that is also an everyday word counts only when marked as a name."""
    found = match_practitioner(text, EVERYDAY_NAMES_FR, "fr")
    assert found == (PractitionerMatch(expected) if expected else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr Young", ("young",)),
        ("Young please", ("young",)),
        ("with Young", ("young",)),
        ("Anne Young", ("young",)),
        ("Moore", ("moore",)),
        ("Doctor Wood", ("wood",)),
        ("Wood", ("wood",)),
        ("it's for a young child", None),
        ("anything more", None),
        ("I would like an appointment", None),
        ("no more", None),
    ],
)
def test_names_that_are_everyday_words_en(text: str, expected: tuple[str, ...] | None) -> None:
    found = match_practitioner(text, EVERYDAY_NAMES_EN, "en")
    assert found == (PractitionerMatch(expected) if expected else None)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_no_everyday_word_sounds_like_a_name(locale: str) -> None:
    """Every word of the locale's everyday lexicon, alone, names nobody in either sample roster."""
    frame = "pour {} demain" if locale == "fr" else "for {} tomorrow"
    for word in sorted(COMMON_WORDS[locale]):
        for roster in (FR_ROSTER, EN_ROSTER):
            found = match_practitioner(frame.format(word), roster, locale)
            assert found is None or found.anyone or found.specialty, (word, found)


def _titled(pid: str, title: str, first: str, last: str) -> Practitioner:
    return Practitioner(pid, title, first, last, "médecin généraliste", ("consultation",))


NEAR_HOMONYMS = [
    _titled("bernard", "Dr", "Luc", "Bernard"),
    _titled("bernardeau", "Mme", "Anne", "Bernardeau"),
    _titled("petit", "M.", "Paul", "Petit"),
    _titled("petitjean", "Mme", "Julie", "Petitjean"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the exact spelling of a roster last name resolves at once, whatever sounds like it
        ("le docteur Bernard", ("bernard",)),
        ("Bernard", ("bernard",)),
        ("Luc Bernard", ("bernard",)),
        ("madame Bernardeau", ("bernardeau",)),
        ("Mme Bernardeau", ("bernardeau",)),
        ("Bernardeau", ("bernardeau",)),
        ("Anne Bernardeau", ("bernardeau",)),
        ("je voudrais un rendez-vous avec madame Bernardeau", ("bernardeau",)),
        ("monsieur Petit", ("petit",)),
        ("M. Petit", ("petit",)),
        ("madame Petitjean", ("petitjean",)),
        # decided: a title of the other sex does not block an exact name (the name wins)...
        ("monsieur Bernardeau", ("bernardeau",)),
        ("madame Petit", ("petit",)),
        # ... and "docteur" fits both
        ("le docteur Bernardeau", ("bernardeau",)),
        # sound-alikes and close names only when nothing is spelled exactly
        ("Bernardo", ("bernardeau",)),  # sounds like Bernardeau ("eau" = "o"), not Bernard
        ("Bernardot", ("bernard", "bernardeau")),
        ("Petiot", ("petit", "petitjean")),
        ("monsieur Petiot", ("petit",)),  # a title drops the other sex among equals
    ],
)
def test_near_homonyms_fr(text: str, expected: tuple[str, ...]) -> None:
    assert match_practitioner(text, NEAR_HOMONYMS, "fr") == PractitionerMatch(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("madame Martin", ("martin-s",)),
        ("monsieur Martin", ("martin-p",)),
        ("le docteur Martin", ("martin-s", "martin-p")),
        ("Mrs Martin", ("martin-s",)),
    ],
)
def test_a_title_tells_two_namesakes_apart(text: str, expected: tuple[str, ...]) -> None:
    roster = [_titled("martin-s", "Mme", "Sophie", "Martin"), _titled("martin-p", "M.", "Paul", "Martin")]
    assert match_practitioner(text, roster, "fr") == PractitionerMatch(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr Gall", ("gall",)),
        ("Dr Le Gall", ("le-gall",)),
        ("Yann Le Gall", ("le-gall",)),
        ("Dr Legall", ("legall",)),
    ],
)
def test_a_whole_last_name_beats_part_of_one(text: str, expected: tuple[str, ...]) -> None:
    roster = [
        _doctor("le-gall", "Yann", "Le Gall"),
        _doctor("gall", "Anne", "Gall"),
        _doctor("legall", "Paul", "Legall"),
    ]
    assert match_practitioner(text, roster, "fr") == PractitionerMatch(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("madame", ("bernardeau",)),
        ("la dame", ("bernardeau",)),
        ("le docteur", ("bernard",)),
        ("monsieur", ("bernard",)),  # fits the doctor, not the Mme
        ("le deuxième", ()),
        ("", ()),
    ],
)
def test_match_title(text: str, expected: tuple[str, ...]) -> None:
    assert match_title(text, NEAR_HOMONYMS[:2]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("the lady", ("johns",)), ("Mrs", ("johns",)), ("the doctor", ("jones",)), ("the gentleman", ("jones",))],
)
def test_match_title_en(text: str, expected: tuple[str, ...]) -> None:
    roster = [_titled("jones", "Dr", "Owen", "Jones"), _titled("johns", "Mrs", "Ann", "Johns")]
    assert match_title(text, roster) == expected


def test_match_title_that_does_not_separate() -> None:
    roster = [_doctor("a", "Luc", "Bernard"), _doctor("b", "Anne", "Bertrand")]
    assert match_title("madame", roster) == ("a", "b")
    assert match_title("madame ou monsieur", roster) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Martin", ("b",)), ("docteur Martin", ("b",)), ("Martin Dupont", ("a",)), ("Dupont", ("a",))],
)
def test_a_last_name_beats_a_first_name(text: str, expected: tuple[str, ...]) -> None:
    roster = [_doctor("a", "Martin", "Dupont"), _doctor("b", "Sophie", "Martin")]
    assert match_practitioner(text, roster, "fr") == PractitionerMatch(expected)


TILLEULS_ROSTER = load_clinic(ROOT / "config" / "clinic.tilleuls.toml").practitioners


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Whisper wrote "mardi matin" as a roster name right after the titled one: the titled one was meant
        ("je voudrais une séance de kiné, avec monsieur Petitjean Martin-Matta.", ("petitjean",)),
        ("Bonjour, je voudrais une séance de kiné, avec monsieur Petitjean, Martin.", ("petitjean",)),  # a line run
        ("avec monsieur Petitjean ou madame Martin", ("martin",)),  # two titled names: the last one
        ("avec monsieur Petitjean, non, Martin", ("martin",)),  # a correction in its own clause
    ],
)
def test_a_name_run_into_a_titled_one_does_not_replace_it(text: str, expected: tuple[str, ...]) -> None:
    match = match_practitioner(text, TILLEULS_ROSTER, "fr")
    assert match is not None and match.ids == expected
