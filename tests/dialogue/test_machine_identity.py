"""Looking up an appointment to cancel or move: at most two failed name and birth-date checks per call, the
same words whichever part was wrong, and the count of failures in the call's outcome."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from booking.clinic import Clinic, load_clinic
from booking.records import AppointmentRecord, PatientDetails, Source, Status
from dialogue.actions import Action, HangUp, OutcomeKind, Say, Transfer
from dialogue.context import Context
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, Event
from dialogue.machine import step
from dialogue.state import Phase, State
from tests.dialogue.fake_port import FakePort
from voicebot.simulate.chat import run_chat

ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=FR.practice.zone)
NO_STAFF = replace(FR, practice=replace(FR.practice, staff_phone=None))


def _port(clinic: Clinic = FR) -> FakePort:
    port = FakePort(clinic)
    patient = port.add_patient(PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678"))
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
            created_at=NOW,
        )
    )
    return port


class Call:
    def __init__(self, clinic: Clinic = FR) -> None:
        self.port = _port(clinic)
        self.ctx = Context.create(self.port, NOW)
        self.state, self.last = step(State(), CallStarted("+33699999999"), self.ctx)

    def send(self, event: Event | str) -> str:
        self.state, self.last = step(self.state, CallerSaid(event) if isinstance(event, str) else event, self.ctx)
        return _said(self.last)

    def check(self, name: str, born: str) -> str:
        self.send(name)
        return self.send(born)


def _said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def test_two_failed_checks_then_no_more_look_ups_in_that_call() -> None:
    call = Call(NO_STAFF)
    call.send("je voudrais annuler mon rendez-vous")
    assert "réessayer" in call.check("Jean Dupont", "le 15 juillet 1985")
    call.send("oui")
    second = call.check("Jean Dupont", "le 14 juin 1985")
    assert "Je ne trouve aucun rendez-vous" in second and call.state.phase is Phase.MORE
    looked_up = call.port.calls.count("find_patients")
    refused = call.send("je voudrais déplacer mon rendez-vous")
    assert "Je ne peux pas rechercher d'autre rendez-vous" in refused
    assert call.port.calls.count("find_patients") == looked_up and call.state.phase is Phase.MORE
    assert "3 décembre" not in refused and "Martin" not in refused


def test_a_transfer_is_offered_after_the_second_failure_and_a_new_request_is_refused() -> None:
    call = Call()
    call.send("je voudrais annuler mon rendez-vous")
    call.check("Jean Dupont", "le 15 juillet 1985")
    call.send("oui")
    assert "passe le secrétariat ?" in call.check("Jean Dupont", "le 14 juin 1985")
    assert call.state.phase is Phase.TRANSFER_OFFER and call.state.find_failures == 2


def test_a_match_between_two_failures_does_not_give_more_tries() -> None:
    call = Call(NO_STAFF)
    call.send("je voudrais annuler mon rendez-vous")
    call.check("Jean Dupont", "le 15 juillet 1985")
    call.send("non")
    call.send("oui, je voudrais annuler mon rendez-vous")
    assert "Voulez-vous l'annuler" in call.check("Jean Dupont", "le 14 juillet 1985")
    call.send("non")
    call.send("je voudrais annuler un autre rendez-vous")
    assert "Je ne trouve aucun rendez-vous" in call.check("Paul Dupont", "le 14 juillet 1985")
    assert call.state.find_failures == 2 and "réessayer" not in call.send("dtmf:1")
    assert "Je ne peux pas rechercher" in call.send("je voudrais déplacer mon rendez-vous")


def test_starting_over_keeps_the_count() -> None:
    call = Call(NO_STAFF)
    call.send("je voudrais annuler mon rendez-vous")
    call.check("Jean Dupont", "le 15 juillet 1985")
    call.send("oui")
    call.check("Jean Dupont", "le 14 juin 1985")
    call.send("on recommence depuis le début")
    assert call.state.find_failures == 2
    assert "Je ne peux pas rechercher" in call.send("je voudrais annuler mon rendez-vous")


def test_the_refusal_never_says_which_part_was_wrong() -> None:
    wrong_name, wrong_birth = Call(), Call()
    for call in (wrong_name, wrong_birth):
        call.send("je voudrais annuler mon rendez-vous")
    assert wrong_name.check("Jean Durand", "le 14 juillet 1985") == wrong_birth.check("Jean Dupont", "le 1er mai 1990")


def test_the_failures_are_in_the_calls_outcome() -> None:
    call = Call()
    call.send("je voudrais annuler mon rendez-vous")
    call.check("Jean Dupont", "le 15 juillet 1985")
    call.send("oui")
    call.check("Jean Dupont", "le 14 juin 1985")
    call.send("oui")
    end = call.last[-1]
    assert isinstance(end, Transfer) and end.outcome.kind is OutcomeKind.TRANSFERRED
    assert end.outcome.identity_failures == 2 and call.state.outcome == end.outcome


def test_a_caller_who_hangs_up_keeps_the_count_and_a_clean_call_has_none() -> None:
    call = Call()
    call.send("je voudrais annuler mon rendez-vous")
    call.check("Jean Dupont", "le 15 juillet 1985")
    call.send(CallerHungUp())
    assert isinstance(call.last[-1], HangUp) and call.last[-1].outcome.identity_failures == 1
    clean = Call()
    clean.send(CallerHungUp())
    assert clean.state.outcome is not None and clean.state.outcome.identity_failures == 0


def test_voicebot_chat_end_message_counts_the_failures() -> None:
    lines = ["je voudrais annuler mon rendez-vous", "Jean Dupont", "le 15 juillet 1985", "non", "non"]
    out = io.StringIO()
    code = run_chat(_port(), now_fn=lambda: NOW, lines=iter(lines), json_mode=True, out=out, err=io.StringIO())
    end = json.loads(out.getvalue().splitlines()[-1])
    assert code == 0 and end == {"type": "end", "outcome": "goodbye", "reference": None, "identity_failures": 1}
