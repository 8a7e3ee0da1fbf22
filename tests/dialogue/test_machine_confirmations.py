"""What the dialogue tells the recogniser and how it confirms what may have been misheard: the answers each
question expects (`Expect.answers`), a read-back's yes said over it, unsure names and birth dates said back
and corrected by a "non", and the keypad offered for the birth date after one miss."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from booking.clinic import Clinic, load_clinic
from booking.records import AppointmentRecord, PatientDetails, Source, Status
from dialogue.actions import Action, Detail, Expect, ExpectKind, HangUp, OutcomeKind, Say
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted, Event, KeypadPressed
from dialogue.flows.booking import present
from dialogue.flows.expected import MAX_ANSWERS
from dialogue.machine import step
from dialogue.state import Phase, State
from dialogue.understand.intents import correction_target
from dialogue.understand.motifs import match_motif
from dialogue.understand.practitioners import match_practitioner
from dialogue.understand.topics import parse_topic
from tests.dialogue.fake_port import FakePort

ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
EN = load_clinic(ROOT / "config" / "clinic.en.toml")
NOW = datetime(2026, 11, 28, 10, 0)
BOOK_FR = "je voudrais une consultation avec le docteur Martin mardi"
KNOWN = PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678")


def _port(clinic: Clinic) -> FakePort:
    port = FakePort(clinic)
    patient = port.add_patient(KNOWN)
    start = datetime(2026, 12, 3, 10, 0, tzinfo=clinic.practice.zone)
    port.appointments.append(
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
            created_at=NOW.replace(tzinfo=clinic.practice.zone),
        )
    )
    return port


class Call:
    """A call in progress against a fake port (a caller id unknown to the practice unless told)."""

    def __init__(self, clinic: Clinic = FR, caller_id: str | None = "+33699999999") -> None:
        self.port = _port(clinic)
        self.ctx = Context.create(self.port, NOW.replace(tzinfo=clinic.practice.zone))
        self.state, self.last = step(State(), CallStarted(caller_id), self.ctx)

    def send(self, event: Event | str) -> str:
        if isinstance(event, str):
            event = KeypadPressed(event[5:]) if event.startswith("dtmf:") else CallerSaid(event)
        self.state, self.last = step(self.state, event, self.ctx)
        return _said(self.last)

    def phase(self) -> Phase:
        """The question asked now (a call, so that type checkers do not narrow it between turns)."""
        return self.state.phase

    @property
    def answers(self) -> tuple[str, ...]:
        expect = self.last[-1]
        assert isinstance(expect, Expect)
        return expect.answers

    def to_read_back(self) -> str:
        self.send(BOOK_FR)
        self.send("le premier")
        self.send("Jean Dupont")
        self.send("le 14 juillet 1982")
        said = self.send("oui")
        assert self.phase() is Phase.CONFIRM
        return said


def _said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


# --- Expect.answers ---------------------------------------------------------------------------------------


def test_yes_no_questions_expect_yes_and_no() -> None:
    call = Call()
    call.to_read_back()
    assert call.answers[:2] == ("oui", "non") and "oui, c'est ça" in call.answers
    english = Call(EN, caller_id="+447700900999")
    english.send("I'd like to cancel my appointment")
    english.send("John Smith")
    english.send("the 1st of January 1990")
    assert english.phase() is Phase.FIND_RETRY and english.answers[:2] == ("yes", "no")


@pytest.mark.parametrize("clinic", [FR, EN], ids=["fr", "en"])
def test_the_practitioner_question_expects_the_roster_each_name_meaning_its_practitioner(clinic: Clinic) -> None:
    call = Call(clinic)
    call.send("dtmf:1")
    assert call.phase() is Phase.PRACTITIONER
    answers = call.answers
    assert 0 < len(answers) <= MAX_ANSWERS
    named: set[str] = set()
    for answer in answers:
        match = match_practitioner(answer, clinic.practitioners, clinic.practice.locale)
        assert match is not None, answer
        assert match.anyone or len(match.ids) == 1, answer
        named.update(match.ids if not match.anyone else ())
    assert named == {p.id for p in clinic.practitioners}
    assert ("le docteur Martin" if clinic is FR else "Doctor Patel") in answers


def test_the_motif_question_expects_the_motifs_labels_and_aliases() -> None:
    call = Call()
    call.send("je voudrais voir le docteur Martin")
    assert call.phase() is Phase.MOTIF
    offered = [m for m in FR.motifs if m.id in FR.practitioner("martin").motifs]
    answers = call.answers
    assert {m.label for m in offered} <= set(answers) and len(answers) <= MAX_ANSWERS
    for answer in answers:
        assert match_motif(answer, offered, "fr", FR.practitioners) is not None, answer


def test_the_which_practitioner_question_expects_the_two_names_and_ordinals() -> None:
    call = Call()
    call.send("je voudrais voir le docteur Berrand")
    assert call.phase() is Phase.WHICH_PRACTITIONER
    assert {"le docteur Bertrand", "le docteur Bernard", "le premier", "le deuxième"} <= set(call.answers)
    assert "le docteur Martin" not in call.answers


def test_the_name_questions_expect_the_patients_of_the_calling_number_and_only_them() -> None:
    known = Call(caller_id=KNOWN.phone)
    known.send("je voudrais annuler mon rendez-vous")
    assert known.phase() is Phase.FIND_NAME and known.answers == ("Jean Dupont",)
    stranger = Call()
    stranger.send("je voudrais annuler mon rendez-vous")
    assert stranger.phase() is Phase.FIND_NAME and stranger.answers == ()


def _written(moment: datetime) -> str:
    """A time as Whisper writes it in French: "8h30", "9h"."""
    return f"{moment.hour}h{moment.minute:02d}" if moment.minute else f"{moment.hour}h"


def test_each_answer_the_offer_expects_picks_its_slot() -> None:
    call = Call()
    call.send(BOOK_FR)
    offers, answers = call.state.offers, call.answers
    assert len(offers) == 3 and len(answers) <= MAX_ANSWERS
    assert answers[:3] == ("le premier", "le deuxième", "le troisième")
    times = [_written(s.start) for s in offers]
    assert {f"à {t}" for t in times} | {f"mardi à {t}" for t in times} | {"plus tard"} <= set(answers)
    for answer in answers:
        other = Call()
        other.send(BOOK_FR)
        other.send(answer)
        if answer == "plus tard":
            assert other.phase() is Phase.OFFER and set(other.state.offers).isdisjoint(offers)
            continue
        chosen = other.state.chosen
        assert chosen is not None and other.phase() is Phase.NAME, answer
        index = answers.index(answer) if answer in answers[:3] else times.index(answer.split("à ")[-1])
        assert chosen == offers[index], answer


def test_one_slot_offered_expects_yes_no_and_its_time() -> None:
    call = Call()
    call.send(BOOK_FR)
    slot = call.state.offers[1]
    state, actions = present(call.state, call.ctx, [slot])
    expect = actions[-1]
    assert isinstance(expect, Expect) and expect.kind is ExpectKind.YES_NO
    assert expect.answers[:2] == ("oui", "non") and f"à {_written(slot.start)}" in expect.answers
    assert "le deuxième" not in expect.answers
    state, _ = step(state, CallerSaid(f"à {_written(slot.start)}"), call.ctx)
    assert state.chosen == slot


def test_a_no_to_the_offer_asks_another_moment() -> None:
    call = Call()
    said = call.send(BOOK_FR)
    assert "J'ai de la place mardi 1er décembre à 8 h 30" in said
    assert "Quel autre moment" in call.send("non") and call.phase() is Phase.WHEN
    assert call.state.wish.when is None and call.state.offers == ()


def test_the_pick_among_appointments_expects_ordinals_and_their_times() -> None:
    call = Call()
    other = datetime(2026, 12, 7, 15, 0, tzinfo=FR.practice.zone)
    call.port.appointments.append(
        replace(call.port.appointments[0], reference="555002", start=other, end=other + timedelta(minutes=20))
    )
    call.send("je voudrais annuler mon rendez-vous")
    call.send("Jean Dupont")
    call.send("le 14 juillet 1985")
    assert call.phase() is Phase.PICK
    answers = call.answers
    assert {"le premier", "le deuxième", "à 10h", "lundi à 15h"} <= set(answers) and "le troisième" not in answers
    call.send("lundi à 15h")
    assert call.state.target is not None and call.state.target.reference == "555002"


def test_the_request_topic_and_the_fix_questions_expect_their_choices() -> None:
    call = Call()
    call.send("je voudrais laisser un message au cabinet")
    assert call.phase() is Phase.REQUEST_CATEGORY
    for answer in call.answers:
        assert parse_topic(answer, "fr") is not None, answer
    assert len(set(map(lambda a: parse_topic(a, "fr"), call.answers))) == 4
    fix = Call()
    fix.to_read_back()
    fix.send("non")
    assert fix.phase() is Phase.FIX
    assert [correction_target(a, "fr") for a in fix.answers] == ["when", "when", "practitioner", "name"]


def test_open_questions_expect_nothing_in_particular() -> None:
    call = Call()
    assert call.answers == ()
    call.send(BOOK_FR)
    call.send("le premier")
    assert call.phase() is Phase.NAME and call.answers == ()
    call.send("Jean Dupont")
    assert call.phase() is Phase.BIRTH and call.answers == ()


# --- The read-back's yes counts only once it was heard in full --------------------------------------------


def test_a_yes_said_over_the_read_back_reads_it_again_and_a_later_yes_books() -> None:
    call = Call()
    read_back = call.to_read_back()
    said = call.send(CallerSaid("oui", barged_in=True))
    assert call.phase() is Phase.CONFIRM and "book" not in call.port.calls
    assert said.startswith("Un instant, je vous relis tout.") and read_back in said
    assert call.answers[:2] == ("oui", "non")
    call.send("oui")
    assert isinstance(call.last[-1], HangUp) and call.last[-1].outcome.kind is OutcomeKind.BOOKED
    assert call.port.calls.count("book") == 1


def test_a_yes_said_over_the_read_back_in_another_hypothesis_does_not_book_either() -> None:
    call = Call()
    call.to_read_back()
    call.send(CallerSaid("euh", alternatives=("oui",), barged_in=True))
    assert call.phase() is Phase.CONFIRM and "book" not in call.port.calls


def test_a_no_or_a_correction_said_over_the_read_back_is_taken_at_once() -> None:
    call = Call()
    call.to_read_back()
    said = call.send(CallerSaid("non", barged_in=True))
    assert call.phase() is Phase.FIX and "Que faut-il changer" in said
    corrected = Call()
    corrected.to_read_back()
    said = corrected.send(CallerSaid("non, plutôt mercredi", barged_in=True))
    assert corrected.phase() is Phase.OFFER and "mercredi 2 décembre" in said


def test_an_english_yes_over_the_read_back_is_not_taken() -> None:
    call = Call(EN, caller_id="+447700900999")
    call.send("I'd like a GP appointment with Dr Patel on Tuesday")
    call.send("the first one")
    call.send("John Smith")
    call.send("the 14th of July 1982")
    call.send("yes")
    assert call.phase() is Phase.CONFIRM
    said = call.send(CallerSaid("yes", barged_in=True))
    assert said.startswith("One moment, let me read it all back.") and call.phase() is Phase.CONFIRM
    call.send("yes")
    assert call.state.outcome is not None and call.state.outcome.kind is OutcomeKind.BOOKED


def test_a_cancel_and_a_request_need_a_yes_after_their_read_back_too() -> None:
    call = Call()
    call.send("je voudrais annuler mon rendez-vous")
    call.send("Jean Dupont")
    call.send("le 14 juillet 1985")
    assert call.phase() is Phase.CANCEL_CONFIRM
    said = call.send(CallerSaid("oui", barged_in=True))
    assert "Un instant" in said and "3 décembre" in said and "cancel" not in call.port.calls
    call.send("oui")
    assert call.state.outcome is not None and call.state.outcome.kind is OutcomeKind.CANCELLED
    request = Call(caller_id=KNOWN.phone)
    request.send("je voudrais renouveler mon ordonnance sans rendez-vous")
    request.send("14 juillet 1985")
    request.send("oui")
    assert request.phase() is Phase.REQUEST_CONFIRM
    request.send(CallerSaid("oui", barged_in=True))
    assert request.phase() is Phase.REQUEST_CONFIRM and "leave_request" not in request.port.calls
    request.send("oui")
    assert request.state.outcome is not None and request.state.outcome.kind is OutcomeKind.REQUESTED


def test_yes_said_over_the_read_back_again_and_again_ends_with_the_staff_never_booked() -> None:
    call = Call()
    call.to_read_back()
    for _ in range(3):
        call.send(CallerSaid("oui", barged_in=True))
    assert call.state.outcome is not None and call.state.outcome.kind is OutcomeKind.TRANSFERRED
    assert "book" not in call.port.calls


def test_a_yes_said_over_another_question_is_taken() -> None:
    call = Call()
    call.send(BOOK_FR)
    call.send("le premier")
    call.send("Jean Dupont")
    call.send("le 14 juillet 1982")
    call.send(CallerSaid("oui", barged_in=True))
    assert call.phase() is Phase.CONFIRM and call.state.patient.phone == "+33699999999"


# --- Unsure names and birth dates are said back; a "non" corrects them ------------------------------------


def _at_name(clinic: Clinic = FR) -> Call:
    call = Call(clinic)
    call.send(BOOK_FR if clinic is FR else "I'd like a GP appointment with Dr Patel on Tuesday")
    call.send("le premier" if clinic is FR else "the first one")
    assert call.phase() is Phase.NAME
    return call


def test_an_unsure_name_is_said_back_with_the_next_question() -> None:
    call = _at_name()
    said = call.send(CallerSaid("Jean Dupont", unsure=True))
    assert said == "Jean Dupont, c'est noté. Quelle est la date de naissance de la personne qui consulte ?"
    sure = _at_name()
    assert "c'est noté" not in sure.send("Jean Dupont")


def test_the_question_after_a_name_said_back_tells_the_recogniser_a_correction_may_come() -> None:
    call = _at_name()
    call.send(CallerSaid("Jean Dupont", unsure=True))
    expect = call.last[-1]
    assert isinstance(expect, Expect) and expect.kind is ExpectKind.DATE and expect.corrects is Detail.NAME
    call.send("pardon ?")  # asked again: still correctable
    again = call.last[-1]
    assert isinstance(again, Expect) and again.corrects is Detail.NAME
    call.send("le 14 juillet 1982")  # the next question no longer says the name back
    after = call.last[-1]
    assert isinstance(after, Expect) and after.corrects is None
    sure = _at_name()
    sure.send("Jean Dupont")
    plain = sure.last[-1]
    assert isinstance(plain, Expect) and plain.corrects is None


def test_a_name_question_lets_the_recogniser_guess_a_name_and_others_do_not() -> None:
    call = Call(FR)
    call.send(BOOK_FR)
    first = call.last[-1]
    assert isinstance(first, Expect) and first.guess is None
    call.send("le premier")
    asked = call.last[-1]
    assert isinstance(asked, Expect) and asked.kind is ExpectKind.NAME and asked.guess is Detail.NAME


def test_a_bare_no_drops_the_unsure_name_and_asks_it_again() -> None:
    call = _at_name()
    call.send(CallerSaid("Jean Dupont", unsure=True))
    said = call.send("non")
    assert call.phase() is Phase.NAME and said.startswith("Pardon, j'ai mal compris.")
    assert call.state.patient.last_name is None and call.state.patient.first_name is None
    call.send("Jean Dupond")
    call.send("le 14 juillet 1982")
    assert call.state.patient.last_name == "Dupond"


def test_a_no_with_the_right_name_replaces_it_at_once() -> None:
    call = _at_name()
    call.send(CallerSaid("Jean Dupond", unsure=True))
    said = call.send("non, c'est Dupont")
    assert said == "Jean Dupont, c'est noté. Quelle est la date de naissance de la personne qui consulte ?"
    assert call.phase() is Phase.BIRTH and call.state.patient.last_name == "Dupont"
    call.send("le 14 juillet 1982")
    call.send("oui")
    assert "pour Jean Dupont, D, U, P, O, N, T" in _said(call.last)


def test_a_name_taken_from_another_hypothesis_is_said_back() -> None:
    call = _at_name()
    said = call.send(CallerSaid("euh", alternatives=("Jean Dupont",)))
    assert said.startswith("Jean Dupont, c'est noté.") and call.phase() is Phase.BIRTH


def test_an_unsure_birth_date_is_said_back_and_a_no_corrects_it() -> None:
    call = _at_name()
    call.send("Jean Dupont")
    said = call.send(CallerSaid("le 14 juillet 1982", unsure=True))
    assert said.startswith("Le 14 juillet 1982, c'est noté. Pouvons-nous vous joindre")
    call.send("non, le 15 juillet 1982")
    assert call.state.patient.birth_date == date(1982, 7, 15) and call.phase() is Phase.PHONE_CONFIRM


def test_a_correction_in_august_heard_as_ou_corrects_the_birth_date_at_the_phone_question() -> None:
    call = _at_name()
    call.send("Jean Dupont")
    call.send(CallerSaid("Le 8 août 1979.", unsure=True))
    said = call.send("Non, le 8 ou 1968.")  # heard on the line: "août" said /u/
    assert said.startswith("Le 8 août 1968, c'est noté. Pouvons-nous vous joindre")
    assert call.state.patient.birth_date == date(1968, 8, 8) and call.phase() is Phase.PHONE_CONFIRM


def test_a_correction_heard_as_the_refused_birth_date_asks_it_again_with_the_keypad() -> None:
    call = _at_name()
    call.send("Jean Dupont")
    call.send(CallerSaid("le 3 février 1990", unsure=True))
    said = call.send(CallerSaid("non, le 3 février 1990", unsure=True))  # "1980" misheard the same way again
    assert said.startswith("Pardon, j'ai mal compris.") and "Vous pouvez aussi la taper" in said
    assert call.phase() is Phase.BIRTH and call.state.patient.birth_date is None
    call.send("dtmf:03021980")
    assert call.state.patient.birth_date == date(1980, 2, 3)


def test_a_bare_no_to_the_name_said_back_asks_it_again_and_a_refused_name_heard_again_too() -> None:
    call = _at_name()
    call.send(CallerSaid("Paul Girard", unsure=True))
    correcting = call.last[-1]
    assert isinstance(correcting, Expect) and correcting.refused == ("Paul Girard",)  # a correction is not it
    said = call.send(CallerSaid("non, Paul Girard", unsure=True))
    assert said.startswith("Pardon, j'ai mal compris.") and call.phase() is Phase.NAME
    asked = call.last[-1]
    assert isinstance(asked, Expect) and asked.refused == ("Paul Girard",)  # never guessed again in the call
    assert call.state.refused_names == ("Paul Girard",)


def test_a_bare_no_to_a_yes_no_question_answers_it_and_keeps_the_detail() -> None:
    call = _at_name()
    call.send("Jean Dupont")
    call.send(CallerSaid("le 14 juillet 1982", unsure=True))
    said = call.send("non")
    assert call.phase() is Phase.PHONE and "À quel numéro" in said
    assert call.state.patient.birth_date == date(1982, 7, 14)


def test_a_bare_no_to_the_next_open_question_asks_the_birth_date_again() -> None:
    call = Call(caller_id=None)
    call.send(BOOK_FR)
    call.send("le premier")
    call.send("Jean Dupont")
    call.send(CallerSaid("le 14 juillet 1982", unsure=True))
    assert call.phase() is Phase.PHONE
    said = call.send("non")
    assert call.phase() is Phase.BIRTH and call.state.patient.birth_date is None
    assert said.startswith("Pardon, j'ai mal compris.") and "date de naissance" in said


def test_an_unsure_name_in_english_is_said_back() -> None:
    call = _at_name(EN)
    said = call.send(CallerSaid("John Smith", unsure=True))
    assert said.startswith("John Smith, got it.")
    call.send("no, it's John Smyth")
    assert call.state.patient.last_name == "Smyth" and call.phase() is Phase.BIRTH


def test_the_unsure_name_of_an_appointment_to_cancel_is_said_back_and_corrected() -> None:
    call = Call()
    call.send("je voudrais annuler mon rendez-vous")
    said = call.send(CallerSaid("Jean Dupond", unsure=True))
    assert said.startswith("Jean Dupond, c'est noté.") and call.phase() is Phase.FIND_BIRTH
    call.send("non, Dupont")
    assert call.state.patient.last_name == "Dupont" and call.phase() is Phase.FIND_BIRTH
    said = call.send("le 14 juillet 1985")
    assert call.phase() is Phase.CANCEL_CONFIRM and "3 décembre" in said


# --- The birth date on the keypad ---------------------------------------------------------------------------


def test_after_one_birth_date_miss_the_keypad_is_offered() -> None:
    call = _at_name()
    call.send("Jean Dupont")
    said = call.send("je sais plus trop")
    assert "ou tapez-la : jour, mois, année" in said and call.phase() is Phase.BIRTH
    call.send("dtmf:14071982")
    assert call.state.patient.birth_date == date(1982, 7, 14)


def test_after_a_failed_look_up_the_birth_date_question_offers_the_keypad() -> None:
    call = Call()
    call.send("je voudrais annuler mon rendez-vous")
    first = call.send("Jean Dupont")
    assert "tapez-la" not in first
    call.send("le 15 juillet 1985")
    assert call.phase() is Phase.FIND_RETRY
    call.send("oui")
    said = call.send("Jean Dupont")
    assert said.endswith("Vous pouvez aussi la taper : jour, mois, année.")
    call.send("dtmf:14071985")
    assert call.phase() is Phase.CANCEL_CONFIRM


def test_the_english_keypad_offer_after_a_miss() -> None:
    call = _at_name(EN)
    call.send("John Smith")
    said = call.send("hmm I'm not sure")
    assert "or key it in: day, month, year" in said
