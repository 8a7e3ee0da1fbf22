"""Spelled names (`parse_spelled`) and said names (`parse_person_name`)."""

from __future__ import annotations

import pytest

from dialogue.understand.names import parse_person_name, parse_spelled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M A R T I N", "MARTIN"),
        ("m, a, r, t, i, n", "MARTIN"),
        ("M.A.R.T.I.N.", "MARTIN"),
        ("m-a-r-t-i-n", "MARTIN"),
        ("emme a erre té i enne", "MARTIN"),
        ("B comme Bernard, E, R, N, A, R, D", "BERNARD"),
        ("double v a t t", "WATT"),
        ("J E A N tiret P I E R R E", "JEAN-PIERRE"),
        ("G I R A deux R E", "GIRARRE"),
        ("i grec v e s", "YVES"),
        ("c'est Martin, ça s'écrit M A R T I N", "MARTIN"),
        ("d apostrophe A R C Y", "D'ARCY"),
        ("Martin", None),
        ("bonjour", None),
        ("M", None),
        ("", None),
    ],
)
def test_parse_spelled_fr(text: str, expected: str | None) -> None:
    assert parse_spelled(text, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S M I T H", "SMITH"),
        ("T as in Tango, O, M", "TOM"),
        ("S for Sugar, A, M", "SAM"),
        ("double u, h, i, t, e", "WHITE"),
        ("dee oh ee", "DOE"),
        ("O apostrophe B R I E N", "O'BRIEN"),
        ("s h a double r o n", "SHARRON"),
        ("it's spelled J O N E S", "JONES"),
        ("hello", None),
    ],
)
def test_parse_spelled_en(text: str, expected: str | None) -> None:
    assert parse_spelled(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("je m'appelle Jean Dupont", ("Jean", "Dupont")),
        ("Jean Dupont", ("Jean", "Dupont")),
        ("Dupont, Jean", ("Jean", "Dupont")),
        ("Kerbrat, Solène", ("Solène", "Kerbrat")),
        ("Chloé, petit.", ("Chloé", "Petit")),  # Whisper writes the pause after a first name as a comma
        ("Maxime, Collin.", ("Maxime", "Collin")),
        ("c'est pour ma fille Léa Dupont", ("Léa", "Dupont")),
        ("c'est pour moi, Julie Roche", ("Julie", "Roche")),
        ("pour moi-même, Jean Dupont", ("Jean", "Dupont")),
        ("c'est moi, Julie Roche", ("Julie", "Roche")),
        ("pour moi", None),
        ("madame Dupont", (None, "Dupont")),
        ("Monsieur Jean Dupont", ("Jean", "Dupont")),
        ("Dupont", (None, "Dupont")),
        ("Jean-Pierre Ménard", ("Jean-Pierre", "Ménard")),
        ("je suis Marie Curie, merci", ("Marie", "Curie")),
        ("mon nom est Hélène d'Arcy", ("Hélène", "d'Arcy")),
        ("Jean de la Fontaine", ("Jean", "de la Fontaine")),
        ("oui", None),
        ("c'est que l'embaire", None),  # a garbled "non, Hugo Lambert": not a name
        ("je voudrais un rendez-vous", None),
        ("M A R T I N", None),
        ("", None),
    ],
)
def test_parse_person_name_fr(text: str, expected: tuple[str | None, str] | None) -> None:
    assert parse_person_name(text, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is John Smith", ("John", "Smith")),
        ("Smith", (None, "Smith")),
        ("Smith, John", ("John", "Smith")),
        ("it's for my son, Tom O'Brien", ("Tom", "O'Brien")),
        ("my name's Sarah Jones, please", ("Sarah", "Jones")),
        ("Mrs Patel", (None, "Patel")),
        ("it's for me, John Smith", ("John", "Smith")),
        ("it's me, John Smith", ("John", "Smith")),
        ("for myself, Anna Bell", ("Anna", "Bell")),
        ("Emma Meyer", ("Emma", "Meyer")),
        ("for me", None),
        ("yes", None),
        ("I'd like an appointment", None),
    ],
)
def test_parse_person_name_en(text: str, expected: tuple[str | None, str] | None) -> None:
    assert parse_person_name(text, "en") == expected
