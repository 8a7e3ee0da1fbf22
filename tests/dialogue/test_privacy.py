"""Pseudonymised transcripts (dialogue/privacy.py): whole calls played through `step` with the facts merged at
every step, then every form of a name, birth date, phone number and reference, in French and English."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from booking.records import PatientDetails, PatientRecord
from dialogue.actions import Outcome, OutcomeKind, Say
from dialogue.context import Context
from dialogue.events import CallStarted
from dialogue.machine import step
from dialogue.privacy import CallFacts, facts_of, pseudonymise
from dialogue.state import Patient, State
from tests.dialogue.scripts import CONVERSATIONS, clinic_for, event_for, load_script, make_port

Lines = list[tuple[str, str]]


def play(spec: dict[str, Any]) -> tuple[Lines, CallFacts, State]:
    """A call through `step`, as the voice layer keeps it: its lines, and the facts of every step merged."""
    clinic = clinic_for(spec)
    now = datetime.fromisoformat(spec.get("now", "2026-11-28T10:00")).replace(tzinfo=clinic.practice.zone)
    port = make_port(spec, clinic, now)
    ctx = Context.create(port, now, spec.get("locale"))
    state, actions = step(State(), CallStarted(spec.get("caller_id")), ctx)
    lines: Lines = [("bot", a.text) for a in actions if isinstance(a, Say)]
    facts = facts_of(state)
    for said in spec["turns"]:
        lines.append(("caller", said))
        state, actions = step(state, event_for(said), ctx)
        lines += [("bot", a.text) for a in actions if isinstance(a, Say)]
        facts = facts.merge(facts_of(state))
    return lines, facts, state


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def leaks(lines: Lines, names: list[str], born: date, phone: str) -> list[str]:
    """Whatever of the patient is still in the lines: name words, a birth-date form, the phone's digits."""
    months = ["mars", "march", "juillet", "july", "juin", "june"]
    found = []
    for _speaker, text in lines:
        words = re.findall(r"[a-z]+", plain(text))
        found += [n for n in names if n.casefold() in words]
        digits = re.sub(r"\D", "", text)
        found += [f"phone {tail}" for tail in (phone[-4:], phone[-8:]) if tail in digits]
        found += [str(born.year)] if str(born.year) in digits else []
        day_month = rf"\b0?{born.day}(?:er)?\W+(?:0?{born.month}\b|{'|'.join(months)})"
        found += [f"birth {text!r}"] if re.search(day_month, plain(text)) else []
        spelled = [", ".join(n.upper()) for n in names] + [" ".join(n.upper()) for n in names]
        found += [s for s in spelled if s in text]
    return found


BOOKING_FR = {
    "locale": "fr",
    "caller_id": "+33698765432",
    "turns": [
        "Bonjour, je voudrais un rendez-vous avec le docteur Bernard lundi en début d'après-midi",
        "le deuxième",
        "Marie Leroy",
        "trois mars mille neuf cent quatre-vingt-dix",
        "non",
        "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit",
        "oui c'est ça",
    ],
}


def test_a_real_booking_call_keeps_no_name_birth_date_or_phone_but_keeps_the_appointment() -> None:
    lines, facts, state = play(BOOKING_FR)
    assert state.outcome is not None and state.outcome.kind is OutcomeKind.BOOKED
    whole = " ".join(text for _, text in lines)
    assert "Leroy" in whole and "L, E, R, O, Y" in whole and "34 56 78" not in whole  # the raw call holds them
    assert {"Marie", "Leroy"} <= facts.names and date(1990, 3, 3) in facts.birth_dates
    assert {"+33698765432", "+33612345678"} <= facts.phones and state.outcome.reference in facts.references

    kept = pseudonymise(lines, facts, "fr")
    assert [s for s, _ in kept] == [s for s, _ in lines]
    assert leaks(kept, ["Marie", "Leroy"], date(1990, 3, 3), "+33612345678") == []
    assert leaks(kept, [], date(1990, 3, 3), "+33698765432") == []
    text = "\n".join(t for _, t in kept)
    assert state.outcome.reference is not None and state.outcome.reference not in re.sub(r"\D", "", text)
    assert "lundi 30 novembre à 14 h 20 avec le docteur Bernard" in text  # the appointment is not personal
    assert "⟨NAME⟩" in text and "⟨BIRTH_DATE⟩" in text and "⟨PHONE⟩" in text and "⟨REFERENCE⟩" in text


def test_an_english_booking_call_keeps_no_personal_detail() -> None:
    spec = {
        "locale": "en",
        "caller_id": "+447700900123",
        "turns": [
            "I need to book a GP appointment with Doctor Jones on Thursday early afternoon",
            "the first one",
            "Tom Fournier",
            "the fourteenth of July nineteen eighty-five",
            "yes",
            "yes that's right",
        ],
    }
    lines, facts, state = play(spec)
    assert state.outcome is not None and state.outcome.kind is OutcomeKind.BOOKED, lines
    kept = pseudonymise(lines, facts, "en")
    assert leaks(kept, ["Tom", "Fournier"], date(1985, 7, 14), "+447700900123") == []
    text = "\n".join(t for _, t in kept)
    assert "Thursday the 3rd of December at 2 pm with Doctor Jones" in text


def test_a_cancel_call_hides_the_records_it_found() -> None:
    spec = {
        "locale": "fr",
        "caller_id": "+33612345678",
        "patients": [
            {"first_name": "Jean", "last_name": "Dupont", "birth_date": date(1985, 7, 14), "phone": "+33612345678"}
        ],
        "appointments": [
            {
                "reference": "555001",
                "patient": 1,
                "practitioner": "martin",
                "motif": "consultation",
                "start": datetime(2026, 12, 3, 10, 0),
            }
        ],
        "turns": ["Bonjour, je dois annuler mon rendez-vous", "Jean Dupont", "14 juillet 1985", "oui"],
    }
    lines, facts, state = play(spec)
    assert state.outcome is not None and state.outcome.kind is OutcomeKind.CANCELLED
    assert "555001" in facts.references
    kept = pseudonymise(lines, facts, "fr")
    assert leaks(kept, ["Jean", "Dupont"], date(1985, 7, 14), "+33612345678") == []
    assert "jeudi 3 décembre à 10 h" in "\n".join(t for _, t in kept)


def test_facts_of_hold_everything_personal_the_state_knew() -> None:
    relative = PatientRecord(7, PatientDetails("Zoé", "Le Goff", date(2015, 5, 1), "+33611111111"))
    state = State(
        caller_id="+33622222222",
        caller_patients=(relative,),
        patient=Patient("Jean-Pierre", "Martin", date(1982, 7, 14), "+33633333333"),
        refused_names=("Jean Dupond",),
        outcome=Outcome(OutcomeKind.BOOKED, "100042"),
    )
    facts = facts_of(state)
    assert facts.names == {"Jean-Pierre", "Martin", "Jean Dupond", "Zoé", "Le Goff"}
    assert facts.birth_dates == {date(1982, 7, 14), date(2015, 5, 1)}
    assert facts.phones == {"+33611111111", "+33622222222", "+33633333333"}
    assert facts.references == {"100042"}
    assert facts_of(State()) == CallFacts.empty()
    assert CallFacts.empty().merge(facts) == facts


FACTS = CallFacts(
    names=frozenset({"Jean-Pierre", "Le Goff", "Chloé", "Martin", "Lefèvre"}),
    birth_dates=frozenset({date(1982, 7, 14), date(1990, 3, 1)}),
    phones=frozenset({"+33612345678"}),
    references=frozenset({"100042"}),
)
CASES_FR = [
    # (what was said, what is kept)
    ("Jean-Pierre Le Goff", "⟨NAME⟩"),
    ("jean pierre le goff", "⟨NAME⟩"),
    ("c'est pour Chloe LEFEVRE", "c'est pour ⟨NAME⟩"),
    ("Le Goff, ça s'écrit L E G O double F", "⟨NAME⟩, ça s'écrit ⟨NAME⟩"),
    ("L, E, F, E, V, R, E", "⟨NAME⟩"),
    ("M comme Marcel, A, R, T, I, N", "⟨NAME⟩"),
    ("emme a erre té i enne", "⟨NAME⟩"),
    ("le 14 juillet 1982", "le ⟨BIRTH_DATE⟩"),
    ("quatorze juillet mille neuf cent quatre-vingt-deux", "⟨BIRTH_DATE⟩"),
    ("le 14 juillet 82", "le ⟨BIRTH_DATE⟩"),
    ("14/07/1982", "⟨BIRTH_DATE⟩"),
    ("14 07 1982", "⟨BIRTH_DATE⟩"),
    ("14.07.82", "⟨BIRTH_DATE⟩"),
    ("le 1er mars 1990", "le ⟨BIRTH_DATE⟩"),
    ("le premier mars quatre-vingt-dix", "le ⟨BIRTH_DATE⟩"),
    ("né en 1982", "né en ⟨BIRTH_DATE⟩"),
    ("dtmf:14071982", "dtmf:⟨BIRTH_DATE⟩"),
    ("06 12 34 56 78", "⟨PHONE⟩"),
    ("06.12.34.56.78", "⟨PHONE⟩"),
    ("06-12-34-56-78", "⟨PHONE⟩"),
    ("+33 6 12 34 56 78", "⟨PHONE⟩"),
    ("+33612345678", "⟨PHONE⟩"),
    ("0033 (0)6 12 34 56 78", "⟨PHONE⟩"),
    ("zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit", "⟨PHONE⟩"),
    ("dtmf:0612345678", "dtmf:⟨PHONE⟩"),
    ("qui se termine par 56 78 ?", "qui se termine par ⟨PHONE⟩ ?"),
    ("Votre numéro de rendez-vous est : 1, 0, 0, 0, 4, 2.", "Votre numéro de rendez-vous est : ⟨REFERENCE⟩."),
    ("c'est le 100042", "c'est le ⟨REFERENCE⟩"),
    # what is not personal stays
    ("mardi 14 juillet à 10 h 30", "mardi 14 juillet à 10 h 30"),
    ("lundi 30 novembre à 14h20, ou à 14 h 40", "lundi 30 novembre à 14h20, ou à 14 h 40"),
    ("le 8 décembre 2026 à 10h30", "le 8 décembre 2026 à 10h30"),
    ("Tapez 1 pour oui, 2 pour non.", "Tapez 1 pour oui, 2 pour non."),
    ("par exemple 0, 3, 1, 2 pour le 3 décembre", "par exemple 0, 3, 1, 2 pour le 3 décembre"),
    ("dtmf:0312", "dtmf:0312"),
    ("un rendez-vous le premier disponible", "un rendez-vous le premier disponible"),
    # leftover digits the dialogue never understood
    ("mon autre numéro c'est le 07 98 76 54 32", "mon autre numéro c'est le ⟨PHONE⟩"),
    ("né le 21/09/1975", "né le ⟨BIRTH_DATE⟩"),
    ("le code 48213", "le code ⟨NUMBER⟩"),
    ("à 10 h 30, 0798765432", "à 10 h 30, ⟨PHONE⟩"),
]
CASES_EN = [
    ("July 14, 1982", "⟨BIRTH_DATE⟩"),
    ("the 14th of July 1982", "the ⟨BIRTH_DATE⟩"),
    ("14th of July 1982", "⟨BIRTH_DATE⟩"),
    ("the fourteenth of July nineteen eighty-two", "the ⟨BIRTH_DATE⟩"),
    ("Born on 14 July 1982, got it.", "Born on ⟨BIRTH_DATE⟩, got it."),
    ("March the 1st, 1990", "⟨BIRTH_DATE⟩"),
    ("07/14/1982", "⟨BIRTH_DATE⟩"),
    ("oh six, one two, three four, five six, seven eight", "⟨PHONE⟩"),
    ("ending in 5 6 7 8?", "ending in ⟨PHONE⟩?"),
    ("Chloe Martin, that's M A R T I N", "⟨NAME⟩, that's ⟨NAME⟩"),
    ("T as in Tango? no: M for Mike, A, R, T, I, N", "T as in Tango? no: ⟨NAME⟩"),
    ("Your reference is: 1, 0, 0, 0, 4, 2.", "Your reference is: ⟨REFERENCE⟩."),
    ("Tuesday the 14th of July at 10:30 am", "Tuesday the 14th of July at 10:30 am"),
    ("Monday the 30th of November at 2:20 pm", "Monday the 30th of November at 2:20 pm"),
]


@pytest.mark.parametrize(("said", "kept"), CASES_FR, ids=[c[0] for c in CASES_FR])
def test_french_forms(said: str, kept: str) -> None:
    assert pseudonymise([("caller", said)], FACTS, "fr") == [("caller", kept)]


@pytest.mark.parametrize(("said", "kept"), CASES_EN, ids=[c[0] for c in CASES_EN])
def test_english_forms(said: str, kept: str) -> None:
    assert pseudonymise([("bot", said)], FACTS, "en") == [("bot", kept)]


def test_a_practitioner_who_shares_a_patients_name_is_replaced_too() -> None:
    # Privacy first: the roster's "docteur Martin" goes with the patient Martin.
    said = [("bot", "J'ai une place mardi à 10 h avec le docteur Martin.")]
    assert pseudonymise(said, FACTS, "fr") == [("bot", "J'ai une place mardi à 10 h avec le docteur ⟨NAME⟩.")]


def test_particles_alone_and_words_inside_other_words_are_kept() -> None:
    said = [("caller", "le matin, chez Martine, la goffrette")]
    assert pseudonymise(said, FACTS, "fr") == said


def test_no_facts_still_hides_long_digit_runs_and_keeps_the_rest() -> None:
    said = [("caller", "Marie Curie, 06 12 34 56 78, né le 3 mars, mardi à 10 h")]
    kept = pseudonymise(said, CallFacts.empty(), "fr")
    assert kept == [("caller", "Marie Curie, ⟨PHONE⟩, né le 3 mars, mardi à 10 h")]


def test_placeholders_already_there_are_left_and_runs_of_one_kind_merge() -> None:
    said = [("caller", "⟨NAME⟩ Jean-Pierre Martin")]
    assert pseudonymise(said, FACTS, "fr") == [("caller", "⟨NAME⟩")]
    twice = pseudonymise(pseudonymise([("caller", "06 12 34 56 78")], FACTS, "fr"), FACTS, "fr")
    assert twice == [("caller", "⟨PHONE⟩")]


def test_pseudonymise_is_pure() -> None:
    lines, facts, _state = play(BOOKING_FR)
    assert pseudonymise(lines, facts, "fr") == pseudonymise(list(lines), replace(facts), "fr")


@pytest.mark.parametrize("path", sorted(CONVERSATIONS.glob("*.toml")), ids=lambda p: p.stem)
def test_no_scripted_conversation_keeps_what_its_dialogue_found_out(path: Path) -> None:
    spec = load_script(path)
    spec["turns"] = [turn["caller"] for turn in spec.get("turns", [])]
    lines, facts, _state = play(spec)
    kept = pseudonymise(lines, facts, spec.get("locale", "fr"))
    words = {w for _, text in kept for w in re.findall(r"[a-z]+", plain(text))}
    digits = [re.sub(r"\D", "", text) for _, text in kept]
    for name in facts.names:
        for word in re.findall(r"[a-z]+", plain(name)):
            assert len(word) < 3 or word in {"les", "des", "van", "von", "der", "den", "del"} or word not in words, (
                word,
                kept,
            )
    for phone in facts.phones:
        assert not any(phone[-4:] in d for d in digits), (phone, kept)
    for born in facts.birth_dates:
        assert not any(str(born.year) in d for d in digits), (born, kept)
    for reference in facts.references:
        assert not any(reference in d for d in digits), (reference, kept)
