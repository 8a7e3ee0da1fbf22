"""After a name was misheard, the surname is asked letter by letter: the same wrong name heard again in a
correction, a second name refused in the call, or "non, le nom" at the read-back (issue 16)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from booking.clinic import Clinic, load_clinic
from booking.records import AppointmentRecord, PatientDetails, Source, Status
from dialogue.actions import Action, Detail, Expect, ExpectKind, OutcomeKind, Say
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted, Event, KeypadPressed
from dialogue.machine import step
from dialogue.state import Phase, State
from dialogue.understand.turn_end import sounds_finished
from tests.dialogue.fake_port import FakePort

ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
EN = load_clinic(ROOT / "config" / "clinic.en.toml")
NOW = datetime(2026, 11, 28, 10, 0)
SPELL = {
    "fr": "Pouvez-vous m'épeler le nom de famille, lettre par lettre ?",
    "en": "Could you spell the surname for me, letter by letter?",
}
BIRTH_QUESTION = {
    "fr": "Quelle est la date de naissance de la personne qui consulte ?",
    "en": "What is the patient's date of birth?",
}
TO_NAME = {
    "fr": ("je voudrais une consultation avec le docteur Martin mardi", "le premier"),
    "en": ("I'd like a GP appointment with Dr Patel on Tuesday", "the first one"),
}
TO_READ_BACK = {
    "fr": ("Paul Girard", "le 14 juillet 1982", "oui"),
    "en": ("Paul Girard", "the 14th of July 1982", "yes"),
}
GIRARDIN = "G, I, R, A, R, D, I, N"


class Call:
    """A call against a fake port, in French or English (the caller id unknown to the practice)."""

    def __init__(self, clinic: Clinic, caller_id: str = "+33699999999") -> None:
        self.port = FakePort(clinic)
        self.ctx = Context.create(self.port, NOW.replace(tzinfo=clinic.practice.zone))
        self.state, self.last = step(State(), CallStarted(caller_id), self.ctx)

    def send(self, event: Event | str) -> str:
        if isinstance(event, str):
            event = KeypadPressed(event[5:]) if event.startswith("dtmf:") else CallerSaid(event)
        self.state, self.last = step(self.state, event, self.ctx)
        return " ".join(a.text for a in self.last if isinstance(a, Say))

    def phase(self) -> Phase:
        return self.state.phase

    def expect(self) -> Expect:
        last: Action = self.last[-1]
        assert isinstance(last, Expect)
        return last


def _clinic(locale: str) -> Clinic:
    return FR if locale == "fr" else EN


def _at_name(locale: str) -> Call:
    call = Call(_clinic(locale))
    for line in TO_NAME[locale]:
        call.send(line)
    assert call.phase() is Phase.NAME
    return call


def _at_spelling(locale: str) -> Call:
    """The name "Paul Girard" said back, then heard the same again in the caller's correction."""
    call = _at_name(locale)
    call.send(CallerSaid("Paul Girard", unsure=True))
    no = "non" if locale == "fr" else "no"
    call.send(CallerSaid(f"{no}, Paul Girard", unsure=True))
    return call


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_correction_heard_as_the_same_name_again_asks_to_spell_the_surname(locale: str) -> None:
    call = _at_spelling(locale)
    said = " ".join(a.text for a in call.last if isinstance(a, Say))
    assert said.endswith(SPELL[locale])
    assert call.phase() is Phase.NAME and call.expect().kind is ExpectKind.SPELLING
    assert call.expect().guess is None  # no common name guessed for letters
    assert call.state.patient.first_name == "Paul" and call.state.patient.last_name is None


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_spelling_question_follows_the_apology(locale: str) -> None:
    call = _at_name(locale)
    call.send(CallerSaid("Paul Girard", unsure=True))
    no = "non" if locale == "fr" else "no"
    said = call.send(CallerSaid(f"{no}, Paul Girard", unsure=True))
    sorry = {"fr": "Pardon, j'ai mal compris.", "en": "Sorry, I misheard."}[locale]
    assert said == f"{sorry} {SPELL[locale]}"


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_spelled_surname_is_taken_with_the_first_name_and_said_back_spelled(locale: str) -> None:
    call = _at_spelling(locale)
    said = call.send(GIRARDIN)
    noted = {"fr": "c'est noté.", "en": "got it."}[locale]
    assert said == f"Girardin, {GIRARDIN}, {noted} {BIRTH_QUESTION[locale]}"
    assert call.state.patient.first_name == "Paul" and call.state.patient.last_name == "Girardin"
    assert call.phase() is Phase.BIRTH and call.expect().corrects is Detail.NAME  # a "non" may still correct it


def test_the_spelled_surname_said_back_can_still_be_corrected() -> None:
    call = _at_spelling("fr")
    call.send("G, I, R, A, R, D, I")
    call.send("non, G, I, R, A, R, D, I, N")
    assert call.state.patient.last_name == "Girardin" and call.state.patient.first_name == "Paul"
    assert call.phase() is Phase.BIRTH


def test_a_second_name_refused_in_the_call_asks_to_spell_the_surname() -> None:
    call = _at_name("fr")
    call.send(CallerSaid("Paul Girard", unsure=True))
    first = call.send("non")
    assert first.endswith("Quels sont le prénom et le nom de la personne qui consulte ?")  # asked once again
    call.send(CallerSaid("Paul Gérard", unsure=True))
    second = call.send("non")
    assert second.endswith(SPELL["fr"]) and call.state.patient.first_name == "Paul"
    call.send("G comme Gérard, I, R, A, R, D, I, N")
    assert call.state.patient.last_name == "Girardin"


@pytest.mark.parametrize(
    ("locale", "fix"), [("fr", "non, le nom"), ("fr", "Non, le non."), ("en", "no, the name")]
)  # "Non, le non.": heard on the line, "nom" and "non" sound the same
def test_the_name_at_the_read_back_is_spelled_then_booked_after_yes(locale: str, fix: str) -> None:
    call = _at_name(locale)
    for line in TO_READ_BACK[locale]:
        call.send(line)
    assert call.phase() is Phase.CONFIRM
    said = call.send(fix)
    assert said == SPELL[locale] and call.expect().kind is ExpectKind.SPELLING
    read_back = call.send(GIRARDIN)
    assert call.phase() is Phase.CONFIRM and f"Paul Girardin, {GIRARDIN}." in read_back
    assert read_back.count(GIRARDIN) == 1  # the read-back spells it: not said twice
    call.send("oui" if locale == "fr" else "yes")
    (booked,) = call.port.booked()
    assert (booked.patient.first_name, booked.patient.last_name) == ("Paul", "Girardin")
    assert booked.patient.birth_date == date(1982, 7, 14)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_surname_spelled_as_it_was_read_back_means_the_first_name_was_misheard(locale: str) -> None:
    call = _at_name(locale)
    call.send("Cloi Petit")  # "Chloé Petit" on the line
    for line in TO_READ_BACK[locale][1:]:
        call.send(line)
    assert call.phase() is Phase.CONFIRM
    call.send("non, le nom" if locale == "fr" else "no, the name")
    call.send("P, E, T, I, T")  # the surname was right
    assert call.phase() is Phase.FIRST_NAME and call.state.patient.last_name == "Petit"
    assert call.expect().guess is Detail.FIRST_NAME and "Cloi Petit" in call.expect().refused
    read_back = call.send("Chloé")
    assert call.phase() is Phase.CONFIRM and "Chloé Petit" in read_back
    call.send("oui" if locale == "fr" else "yes")
    (booked,) = call.port.booked()
    assert (booked.patient.first_name, booked.patient.last_name) == ("Chloé", "Petit")


@pytest.mark.parametrize(
    "spelled",
    [
        "G comme Gaston, I, R comme Raoul, A, R, D, I, N",
        "c'est Girardin, G, I, R, A, R, D, I, N",
        "G-I-R-A-R-D-I-N",
    ],
)
def test_letters_said_with_words_around_them_are_a_spelling(spelled: str) -> None:
    call = _at_spelling("fr")
    call.send(spelled)
    assert call.state.patient.last_name == "Girardin" and call.phase() is Phase.BIRTH


def test_a_first_name_no_one_bears_is_asked_again_after_the_surname_is_spelled() -> None:
    call = _at_name("fr")
    call.send("Rœur ou ?")  # "Zoé Roux" on the line
    for line in TO_READ_BACK["fr"][1:]:
        call.send(line)
    call.send("non, le nom")
    call.send("R, O, U, X")
    assert call.phase() is Phase.FIRST_NAME and call.state.patient.last_name == "Roux"
    call.send("Zoé")
    call.send("oui")
    (booked,) = call.port.booked()
    assert (booked.patient.first_name, booked.patient.last_name) == ("Zoé", "Roux")


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [
        ("Girardin", "Paul", "Girardin"),
        ("Pierre Girardin", "Pierre", "Girardin"),
        ("c'est Girardin", "Paul", "Girardin"),
        ("je m'appelle Pierre Girardin", "Pierre", "Girardin"),
    ],
)
def test_a_name_said_instead_of_spelled_is_taken_as_said(said: str, first: str, last: str) -> None:
    call = _at_spelling("fr")
    answer = call.send(said)
    assert answer == BIRTH_QUESTION["fr"]  # heard sure: not said back
    assert (call.state.patient.first_name, call.state.patient.last_name) == (first, last)


GARBAGE = [
    "euh je sais pas",
    "je ne sais pas l'épeler",
    "dtmf:5",
    "!!!",
    "12 34",
    "je ne comprends pas",
    "Génitaire vers D, N.",  # Whisper base on "G, I, R, A, R, D, I, N" over the line: two letters among words
    "Elle a rembire verté.",  # and on "L, A, M, B, E, R, T": "elle a" reads as L, A
    "En mutais, c'est parti !",  # and on "M, O, R, E, A, U": not a name said instead
    "Aire relique.",  # and on "R, O, U, X": "Aire" is no first name
    "Génitaire vers D, H, N.",  # three letters among words
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_at_the_spelling_question_gets_a_re_prompt(garbage: str) -> None:
    call = _at_spelling("fr")
    said = call.send(garbage)
    assert call.phase() is Phase.NAME and call.expect().kind is ExpectKind.SPELLING
    assert SPELL["fr"] in said and call.state.patient.first_name == "Paul"
    call.send("G, I, R, A, R, D, I, N")
    assert call.state.patient.last_name == "Girardin" and call.phase() is Phase.BIRTH


def test_the_spelling_question_keeps_the_name_questions_keypad_menu() -> None:
    call = _at_spelling("fr")
    said = call.send("dtmf:5")
    assert "Le nom ne peut pas se taper au clavier." in said


def test_the_name_of_an_appointment_to_cancel_is_spelled_and_the_appointment_found() -> None:
    call = Call(FR)
    patient = call.port.add_patient(PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678"))
    start = datetime(2026, 12, 3, 10, 0, tzinfo=FR.practice.zone)
    call.port.appointments.append(
        AppointmentRecord(
            reference="555001",
            status=Status.BOOKED,
            practitioner_id="martin",
            motif_id="consultation",
            start=start,
            end=start + timedelta(minutes=20),
            patient=patient.details,
            patient_id=patient.id,
            source=Source.STAFF,
            created_at=NOW.replace(tzinfo=FR.practice.zone),
        )
    )
    call.send("je voudrais annuler mon rendez-vous")
    call.send(CallerSaid("Jean Dupond", unsure=True))
    asked = call.send(CallerSaid("non, Jean Dupond", unsure=True))
    assert asked.endswith(SPELL["fr"]) and call.phase() is Phase.FIND_NAME
    said = call.send("D, U, P, O, N, T")
    assert said.startswith("Dupont, D, U, P, O, N, T, c'est noté.") and call.phase() is Phase.FIND_BIRTH
    found = call.send("le 14 juillet 1985")
    assert "Voulez-vous l'annuler ?" in found


def test_the_name_of_a_request_at_its_read_back_is_spelled() -> None:
    call = Call(FR)
    call.send("je voudrais un renouvellement d'ordonnance")
    for _ in range(6):
        if call.phase() is Phase.REQUEST_CONFIRM:
            break
        question = call.state.prompt.lines[-1] if call.state.prompt else ""
        call.send("Paul Girard" if "nom" in question else "le 14 juillet 1982" if "naissance" in question else "oui")
    assert call.phase() is Phase.REQUEST_CONFIRM
    call.send("non")
    assert call.send("le nom") == SPELL["fr"]
    read_back = call.send(GIRARDIN)
    assert call.phase() is Phase.REQUEST_CONFIRM and f"Paul Girardin, {GIRARDIN}" in read_back


@pytest.mark.parametrize("text", ["G, I, R", "G I R A R D I N", "Girardin"])
def test_a_spelled_answer_always_gets_the_full_pause(text: str) -> None:
    assert not sounds_finished(text, ExpectKind.SPELLING, "fr")


def test_garbage_again_and_again_at_the_spelling_question_ends_with_the_staff() -> None:
    call = _at_spelling("fr")
    for _ in range(5):
        if call.state.outcome is not None:
            break
        call.send("euh je sais pas")
    assert call.state.outcome is not None and call.state.outcome.kind is OutcomeKind.TRANSFERRED
    assert call.port.booked() == []
