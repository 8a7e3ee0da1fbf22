"""The machine's global behaviour: greeting, endings, silence and misunderstanding ladders, keypad, repeat,
emergencies, races on the last free slot, and determinism."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from booking.clinic import Clinic, load_clinic
from booking.errors import SlotUnavailable
from booking.records import AppointmentRecord, PatientDetails
from booking.slots import Slot
from dialogue.actions import Action, Expect, ExpectKind, HangUp, OutcomeKind, Say, Transfer
from dialogue.context import Context
from dialogue.errors import DialogueError
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, Event, KeypadPressed, NoInput
from dialogue.machine import step
from dialogue.state import Phase, State
from tests.dialogue.fake_port import FakePort

ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
EN = load_clinic(ROOT / "config" / "clinic.en.toml")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=FR.practice.zone)


def _said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


class Call:
    """A call in progress against a fake port."""

    def __init__(self, clinic: Clinic = FR, caller_id: str | None = "+33698765432", port: FakePort | None = None):
        self.port = port or FakePort(clinic)
        self.ctx = Context.create(self.port, NOW.astimezone(clinic.practice.zone))
        self.state, self.last = step(State(), CallStarted(caller_id), self.ctx)

    def send(self, event: Event | str) -> list[Action]:
        if isinstance(event, str):
            event = KeypadPressed(event[5:]) if event.startswith("dtmf:") else CallerSaid(event)
        self.state, self.last = step(self.state, event, self.ctx)
        return self.last

    def says(self) -> str:
        return _said(self.last)


def test_greeting_names_the_practice_and_notice_is_not_interruptible() -> None:
    call = Call()
    first, notice = call.last[0], call.last[1]
    assert isinstance(first, Say) and "Cabinet médical du Parc" in first.text and "assistant automatique" in first.text
    assert isinstance(notice, Say) and not first.interruptible and not notice.interruptible
    assert call.last[-1] == Expect(ExpectKind.FREE)
    assert isinstance(call.last[-2], Say) and call.last[-2].interruptible


def test_caller_id_lookup_happens_without_saying_any_name() -> None:
    port = FakePort(FR)
    port.add_patient(PatientDetails("Jean", "Dupont", datetime(1985, 7, 14).date(), "+33612345678"))
    call = Call(caller_id="+33612345678", port=port)
    assert len(call.state.caller_patients) == 1
    assert "Dupont" not in call.says()


def test_a_first_event_other_than_call_started_still_greets() -> None:
    state, actions = step(State(), CallerSaid("allô ?"), Context.create(FakePort(FR), NOW))
    assert "Cabinet médical du Parc" in _said(actions) and state.phase is Phase.OPEN


def test_no_input_ladder_then_goodbye() -> None:
    call = Call()
    kinds = []
    for _ in range(4):
        call.send(NoInput())
        kinds.append(call.says())
    assert "Je ne vous entends pas" in kinds[0] and "Que puis-je" in kinds[0]
    assert "Je ne vous entends pas" in kinds[1]
    assert "clavier" in kinds[2] and "Tapez 1 pour prendre rendez-vous" in kinds[2]
    assert isinstance(call.last[-1], HangUp) and call.last[-1].outcome.kind is OutcomeKind.NO_INPUT


def test_speech_resets_the_silence_count() -> None:
    call = Call()
    call.send(NoInput())
    call.send(NoInput())
    call.send("je voudrais un rendez-vous avec le docteur Martin")
    assert call.state.no_input == 0
    call.send(NoInput())
    assert "Je ne vous entends pas" in call.says() and isinstance(call.last[-1], Expect)


def test_misunderstanding_ladder_without_staff_phone_says_goodbye() -> None:
    clinic = replace(FR, practice=replace(FR.practice, staff_phone=None))
    call = Call(clinic)
    for text in ("blablabla", "gloubi boulga", "tralala"):
        call.send(text)
    assert isinstance(call.last[-1], HangUp)
    assert "Je ne peux pas vous passer le secrétariat" in call.says()


def test_low_confidence_is_asked_again_but_an_emergency_is_never_ignored() -> None:
    call = Call()
    call.send(CallerSaid("je voudrais annuler", confidence=0.1))
    assert "pas bien compris" in call.says() and call.state.phase is Phase.OPEN
    call.send(CallerSaid("il a perdu connaissance", confidence=0.1))
    assert "le 15 ou le 112" in call.says()


@pytest.mark.parametrize(
    ("clinic", "text", "numbers"),
    [
        (FR, "il ne respire plus", "le 15 ou le 112"),
        (EN, "he's having chest pain", "999 or 112"),
    ],
)
def test_emergency_is_said_at_once_not_interruptible(clinic: Clinic, text: str, numbers: str) -> None:
    call = Call(clinic)
    actions = call.send(text)
    assert isinstance(actions[0], Say) and numbers in actions[0].text and not actions[0].interruptible
    assert call.state.phase is Phase.EMERGENCY and actions[-1] == Expect(
        ExpectKind.YES_NO, call.ctx.phrases.words("answers.yes_no")
    )
    call.send("dtmf:1")
    assert isinstance(call.last[-1], Transfer) and call.last[-1].outcome.kind is OutcomeKind.EMERGENCY
    assert "book" not in call.port.calls


def test_emergency_without_staff_phone_hangs_up_after_the_advice() -> None:
    clinic = replace(FR, practice=replace(FR.practice, staff_phone=None))
    call = Call(clinic)
    actions = call.send("douleur dans la poitrine, je n'arrive plus à respirer")
    assert "le 15 ou le 112" in call.says()
    assert isinstance(actions[-1], HangUp) and actions[-1].outcome.kind is OutcomeKind.EMERGENCY


def test_keypad_zero_transfers_to_staff_phone_from_any_question() -> None:
    call = Call()
    call.send("un vaccin avec le docteur Martin lundi")
    assert call.state.phase is Phase.OFFER
    actions = call.send("dtmf:0")
    assert actions[-1] == Transfer("+33 1 84 80 00 01", actions[-1].outcome)  # type: ignore[union-attr]


def test_repeat_says_the_question_again_and_keeps_the_state() -> None:
    call = Call()
    call.send("un vaccin avec le docteur Martin lundi")
    offered, state = call.says(), call.state
    call.send("pardon ?")
    assert call.says() == offered and call.state.offers == state.offers
    call.send("dtmf:*")
    assert call.says().startswith(offered) and "Tapez 1, 2 ou 3" in call.says()


def test_after_the_end_every_event_is_ignored() -> None:
    call = Call()
    call.send(CallerHungUp())
    assert call.last == [HangUp(call.state.outcome)]  # type: ignore[arg-type]
    ended = call.state
    for event in (CallerSaid("allô ?"), NoInput(), KeypadPressed("1"), CallerHungUp(), CallStarted("+33")):
        assert step(ended, event, call.ctx) == (ended, [])


class RacingPort(FakePort):
    """Someone else books the chosen slot between the read-back and the caller's yes."""

    raced = False

    def book(self, slot: Slot, patient: PatientDetails, now: datetime) -> AppointmentRecord:
        if not self.raced:
            self.raced = True
            super().book(slot, PatientDetails("Other", "Caller", patient.birth_date, "+33600000000"), now)
            raise SlotUnavailable("that time is already booked")
        return super().book(slot, patient, now)


def test_slot_taken_meanwhile_apologises_and_offers_again() -> None:
    call = Call(port=RacingPort(FR))
    for line in ("un vaccin avec le docteur Martin lundi", "dtmf:1", "Jean Dupont", "14 juillet 1985", "oui"):
        call.send(line)
    assert call.state.phase is Phase.CONFIRM
    call.send("oui")
    assert "vient d'être prise" in call.says() and call.state.phase is Phase.OFFER
    assert "8 h 30" not in call.says()
    call.send("le premier")
    assert call.state.phase is Phase.CONFIRM
    call.send("oui")
    assert isinstance(call.last[-1], HangUp) and call.last[-1].outcome.kind is OutcomeKind.BOOKED
    assert [a.patient.last_name for a in call.port.booked()] == ["Caller", "Dupont"]


def test_offers_always_come_from_the_port() -> None:
    offered: list[Slot] = []

    class Recording(FakePort):
        def find_slots(self, query, now):  # type: ignore[no-untyped-def]
            found = super().find_slots(query, now)
            offered.extend(found)
            return found

    call = Call(port=Recording(FR))
    call.send("une consultation avec n'importe quel médecin mardi après-midi")
    assert call.state.offers and set(call.state.offers) <= set(offered)
    call.send("plus tard")
    assert call.state.offers and set(call.state.offers) <= set(offered)


def test_context_needs_an_aware_now_and_a_known_locale() -> None:
    with pytest.raises(DialogueError):
        Context.create(FakePort(FR), datetime(2026, 11, 28, 10))
    with pytest.raises(DialogueError):
        Context.create(FakePort(FR), NOW, "de")
    assert Context.create(FakePort(FR), NOW, "en").phrases.locale == "en"


def test_practice_information_mid_question_then_the_question_again() -> None:
    call = Call()
    call.send("une consultation avec le docteur Martin")
    assert call.state.phase is Phase.WHEN
    call.send("au fait, quelle est votre adresse ?")
    assert "12 rue du Parc" in call.says() and "Quel jour" in call.says() and call.state.phase is Phase.WHEN


def test_changing_task_mid_booking() -> None:
    call = Call()
    call.send("une consultation avec le docteur Martin")
    call.send("non en fait je voudrais annuler mon rendez-vous")
    assert call.state.phase is Phase.FIND_NAME


def test_read_back_fix_by_keypad_goes_back_to_the_day() -> None:
    call = Call()
    for line in ("un vaccin avec le docteur Martin lundi", "dtmf:1", "Jean Dupont", "14 juillet 1985", "oui"):
        call.send(line)
    call.send("dtmf:2")
    assert call.state.phase is Phase.FIX and "Tapez 1 pour le jour" in call.says()
    call.send("dtmf:1")
    assert call.state.phase is Phase.WHEN and call.state.patient.last_name == "Dupont"
    call.send("mardi à 11 h")
    call.send("dtmf:2")
    assert call.state.phase is Phase.CONFIRM and "mardi 1er décembre à 11 h" in call.says()
    call.send("dtmf:1")
    assert [a.start.hour for a in call.port.booked()] == [11]


def test_a_hypothesis_the_question_can_use_is_taken_when_the_best_one_is_not() -> None:
    call = Call()
    call.send("je voudrais un rendez-vous avec le docteur Martin pour une consultation")
    assert call.state.phase is Phase.WHEN
    asked = call.says()
    call.send(CallerSaid("Basé vont", alternatives=("", "mardi prochain")))
    assert call.state.wish.when is not None and call.state.wish.when.first_day is not None
    assert call.state.wish.when.first_day.isoformat() == "2026-12-01"
    assert call.says() != asked


def test_without_a_usable_hypothesis_the_caller_is_asked_again() -> None:
    call = Call()
    call.send("je voudrais un rendez-vous avec le docteur Martin pour une consultation")
    call.send(CallerSaid("Basé vont", alternatives=("vantre",)))
    assert call.state.phase is Phase.WHEN and call.state.misses == 1
