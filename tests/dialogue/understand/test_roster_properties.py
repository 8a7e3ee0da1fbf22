"""Rosters of near-homonyms (Bernard/Bernardeau, Petit/Petitjean, Martin/Martins/Martinez, Le Gall/Legall):
each practitioner's title and last name, or first and last name, names them alone, without a question
(Hypothesis, derandomized); and the which-one question answered every way a caller does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.clinic import Practitioner, load_clinic
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted, KeypadPressed
from dialogue.machine import step
from dialogue.state import Phase, State
from dialogue.understand.practitioners import PractitionerMatch, match_practitioner
from tests.dialogue.fake_port import FakePort

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

FAMILIES = (
    ("Bernard", "Bernardeau", "Bernardin", "Bernardi", "Bernardo", "Bertrand"),
    ("Petit", "Petitjean", "Petiot", "Petitot", "Le Petit"),
    ("Martin", "Martins", "Martinez", "Martineau", "Marin"),
    ("Gall", "Le Gall", "Legall", "Le Goff", "Gallet"),
    ("Girard", "Giraud", "Girardeau", "Gérard", "Guérard"),
    ("Jones", "Johns", "Johnson", "Jonsson", "Jonas"),
    ("Moreau", "Moreaux", "Morel", "Morelle", "Moret"),
)
"""Last names, each family prefixes, extensions or sound-alikes of one another."""
FIRST_NAMES = (
    "Sophie",
    "Luc",
    "Claire",
    "Nathalie",
    "Hugo",
    "Emma",
    "Owen",
    "Yann",
    "Julie",
    "Chloé",
    "Martin",
    "Bernard",
)
"""First names, two of them also last names ("Dr Martin" is Sophie Martin, not Martin Petit)."""
TITLES = {
    "fr": {"Dr": "le docteur", "Mme": "madame", "M.": "monsieur", "Mlle": "Mme"},
    "en": {"Dr": "Doctor", "Mrs": "Mrs", "Mr": "Mr", "Ms": "Ms"},
}


@st.composite
def rosters(draw: st.DrawFn, locale: str) -> list[Practitioner]:
    """2 to 6 practitioners with distinct last names from one or two families, and distinct first names."""
    families = draw(st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=2, unique=True))
    pool = sorted({name for family in families for name in family})
    lasts = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=min(6, len(pool)), unique=True))
    firsts = draw(st.lists(st.sampled_from(FIRST_NAMES), min_size=len(lasts), max_size=len(lasts), unique=True))
    titles = draw(st.lists(st.sampled_from(sorted(TITLES[locale])), min_size=len(lasts), max_size=len(lasts)))
    return [
        Practitioner(f"p{index}", title, first, last, "médecin généraliste", ("consultation",))
        for index, (title, first, last) in enumerate(zip(titles, firsts, lasts, strict=True))
    ]


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_each_practitioner_is_named_alone(locale: str) -> None:
    """Title + last name, "docteur" + last name (fits either sex), first + last name, in a sentence."""

    @SETTINGS
    @given(rosters(locale))
    def check(roster: list[Practitioner]) -> None:
        doctor = "docteur" if locale == "fr" else "Dr"
        for practitioner in roster:
            full = f"{practitioner.first_name} {practitioner.last_name}"
            for said in (
                f"{TITLES[locale][practitioner.title]} {practitioner.last_name}",
                f"{doctor} {practitioner.last_name}",
                full,
                f"je voudrais voir {full}" if locale == "fr" else f"I'd like to see {full} please",
            ):
                assert match_practitioner(said, roster, locale) == PractitionerMatch((practitioner.id,)), said

    check()


ROOT = Path(__file__).resolve().parents[3]
SAMPLE = load_clinic(ROOT / "config" / "clinic.toml")
BERNARDEAU = Practitioner(
    "bernardeau",
    "Mme",
    "Anne",
    "Bernardeau",
    "sage-femme",
    ("frottis", "consultation", "suivi"),
    SAMPLE.practitioners[3].hours,
)
NEAR = replace(SAMPLE, practitioners=(*SAMPLE.practitioners, BERNARDEAU))
"""The sample practice with a Mme Bernardeau, midwife, beside Dr Bernard."""
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=NEAR.practice.zone)


def _call(*lines: str) -> State:
    ctx = Context.create(FakePort(NEAR), NOW, "fr")
    state, _ = step(State(), CallStarted("+33698765432"), ctx)
    for line in lines:
        event = KeypadPressed(line[5:]) if line.startswith("dtmf:") else CallerSaid(line)
        state, _ = step(state, event, ctx)
    return state


@pytest.mark.parametrize(
    "first",
    ["je voudrais un rendez-vous avec madame Bernardeau", "madame Bernardeau", "Bernardeau", "Anne Bernardeau"],
)
def test_an_exact_name_asks_no_question(first: str) -> None:
    state = _call(first)
    assert state.wish.practitioner_ids == ("bernardeau",)
    assert state.phase is not Phase.WHICH_PRACTITIONER


def test_the_doctor_asks_no_question() -> None:
    assert _call("le docteur Bernard").wish.practitioner_ids == ("bernard",)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Bernardeau", "bernardeau"),
        ("madame Bernardeau", "bernardeau"),
        ("je voudrais un rendez-vous avec madame Bernardeau", "bernardeau"),  # the whole sentence again
        ("Anne", "bernardeau"),
        ("madame", "bernardeau"),
        ("la dame", "bernardeau"),
        ("le docteur Bernard", "bernard"),
        ("Luc", "bernard"),
        ("la sage-femme", "bernardeau"),
        ("le premier", "bernard"),
        ("le deuxième", "bernardeau"),
        ("dtmf:2", "bernardeau"),
    ],
)
def test_the_which_one_question(answer: str, expected: str) -> None:
    asked = _call("je voudrais un rendez-vous avec Bernardot")
    assert asked.phase is Phase.WHICH_PRACTITIONER
    assert asked.wish.practitioner_ids[:2] == ("bernard", "bernardeau")
    state = _call("je voudrais un rendez-vous avec Bernardot", answer)
    assert state.wish.practitioner_ids == (expected,), answer
    assert state.phase is not Phase.WHICH_PRACTITIONER


@pytest.mark.parametrize("answer", ["le docteur", "monsieur"])  # "monsieur" fits a Dr, not the Mme
def test_a_title_shared_by_two_asks_between_them(answer: str) -> None:
    state = _call("je voudrais un rendez-vous avec Bernardot", answer)
    assert state.phase is Phase.WHICH_PRACTITIONER
    assert state.wish.practitioner_ids == ("bernard", "bertrand")


def test_a_day_said_at_the_which_one_question_is_kept() -> None:
    state = _call("je voudrais un rendez-vous avec Bernardot", "demain", "madame")
    assert state.wish.practitioner_ids == ("bernardeau",)
    assert state.wish.when is not None
