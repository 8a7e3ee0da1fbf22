"""A time the caller asks for at the offer question that was not offered: taken when free, else why not and the
nearest free times, all from the booking port."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from booking.clinic import Clinic, load_clinic
from booking.slots import SlotQuery
from dialogue.actions import Say
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted
from dialogue.machine import step
from dialogue.state import Phase, State
from tests.dialogue.fake_port import FakePort

ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
EN = load_clinic(ROOT / "config" / "clinic.en.toml")


class Call:
    def __init__(self, clinic: Clinic, now: datetime, caller_id: str = "+33698765432") -> None:
        self.port = FakePort(clinic)
        self.ctx = Context.create(self.port, now.replace(tzinfo=clinic.practice.zone))
        self.state, _ = step(State(), CallStarted(caller_id), self.ctx)

    def send(self, text: str) -> str:
        self.state, actions = step(self.state, CallerSaid(text), self.ctx)
        return " ".join(a.text for a in actions if isinstance(a, Say))


def test_a_time_not_offered_says_why_and_the_nearest_free_times() -> None:
    call = Call(FR, datetime(2026, 12, 2, 10, 0))
    call.send("une consultation avec le docteur Martin mardi à 10 h")
    offered = call.state.offers
    now = call.ctx.now
    said = call.send("11 h 15")
    assert said.startswith("11 h 15 n'est pas libre.") and call.state.phase is Phase.OFFER
    starts = [s.start.strftime("%H:%M") for s in call.state.offers]
    assert starts == ["10:50", "11:10", "11:30"] and call.state.offers != offered
    free = call.port.find_slots(SlotQuery(motif_id="consultation", practitioner_ids=("martin",), limit=None), now)
    assert set(call.state.offers) <= set(free)


def test_a_time_not_offered_but_free_is_taken() -> None:
    call = Call(FR, datetime(2026, 12, 2, 10, 0))
    call.send("une consultation avec le docteur Martin mardi à 10 h")
    call.send("plutôt 11 h 10")
    assert call.state.chosen is not None and call.state.chosen.start.strftime("%H:%M") == "11:10"


def test_an_english_time_not_offered() -> None:
    call = Call(EN, datetime(2026, 11, 30, 10, 0), caller_id="+447700900123")
    call.send("I'd like an appointment with Dr Patel on Thursday at 10 am")
    assert call.state.phase is Phase.OFFER
    assert call.send("11:17 please").startswith("11:17 am isn't free.")


def test_said_again_it_is_said_the_same_and_counts_towards_the_loop_bound() -> None:
    call = Call(FR, datetime(2026, 12, 2, 10, 0))
    call.send("une consultation avec le docteur Martin mardi à 10 h")
    first = call.send("11 h 15")
    again = call.send("11 h 15")
    assert again.startswith(first) and call.state.stalls == 1
