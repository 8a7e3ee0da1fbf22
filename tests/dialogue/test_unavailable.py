"""The appointment book goes away mid-call: at whatever port call it fails, the caller hears an apology and a
way out (the staff while the practice is open, else when to call back), and nothing is changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pytest

from booking.errors import BookingUnavailable
from booking.records import AppointmentRecord, PatientDetails, PatientRecord, RequestCategory, RequestRecord
from booking.slots import Slot, SlotQuery
from dialogue.actions import Action, HangUp, Outcome, OutcomeKind, Say, Transfer
from dialogue.context import Context
from dialogue.events import CallStarted
from dialogue.flows.common import call_back, practice_open
from dialogue.machine import cannot_go_on, step
from dialogue.state import Phase, State
from dialogue.wording.phrases import load_phrases
from tests.dialogue.fake_port import FakePort
from tests.dialogue.scripts import CONVERSATIONS, DEFAULT_NOW, clinic_for, event_for, load_script, make_port

SCRIPTS = [
    "fr_01_one_shot_booking",
    "fr_15_cancel",
    "fr_18_move",
    "fr_request_01_renewal",
    "fr_34_withheld_number",
    "en_01_one_shot_booking",
    "en_08_move",
    "en_request_01_repeat_prescription",
]
PORT_METHODS = {"find_patients", "find_slots", "book", "cancel", "reschedule", "upcoming", "leave_request"}


@dataclass
class OutagePort(FakePort):
    """A `FakePort` whose database goes away at one port call: that call and every later one raise."""

    down_from: int | None = None
    """The port call (counted from 0, in `calls`' order) from which the book cannot be reached."""

    def _reach(self, name: str) -> None:
        if self.down_from is not None and len(self.calls) >= self.down_from:
            self.calls.append(name)
            raise BookingUnavailable()

    def find_slots(self, query: SlotQuery, now: datetime) -> list[Slot]:
        self._reach("find_slots")
        return super().find_slots(query, now)

    def book(self, slot: Slot, patient: PatientDetails, now: datetime) -> AppointmentRecord:
        self._reach("book")
        return super().book(slot, patient, now)

    def cancel(self, reference: str, now: datetime) -> AppointmentRecord:
        self._reach("cancel")
        return super().cancel(reference, now)

    def reschedule(self, reference: str, slot: Slot, now: datetime) -> AppointmentRecord:
        self._reach("reschedule")
        return super().reschedule(reference, slot, now)

    def find_patients(
        self, *, phone: str | None = None, last_name: str | None = None, birth_date: date | None = None
    ) -> list[PatientRecord]:
        self._reach("find_patients")
        return super().find_patients(phone=phone, last_name=last_name, birth_date=birth_date)

    def upcoming(self, patient_id: int, now: datetime) -> list[AppointmentRecord]:
        self._reach("upcoming")
        return super().upcoming(patient_id, now)

    def leave_request(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        self._reach("leave_request")
        return super().leave_request(category, patient, now)


@dataclass
class Failure:
    """Where a scripted call met the outage."""

    method: str
    phase: Phase
    actions: list[Action]
    state: State
    port: OutagePort
    ctx: Context


def _play(spec: dict[str, Any], down_from: int | None, *, now: str | None = None, **practice: Any) -> Failure | None:
    """Play `spec` with the book gone from port call `down_from`; the step that met the outage, if any."""
    clinic = clinic_for(spec)
    clinic = replace(clinic, practice=replace(clinic.practice, **practice))
    moment = datetime.fromisoformat(now or spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
    healthy = make_port(spec, clinic, moment)
    port = OutagePort(clinic, list(healthy.patients), list(healthy.appointments), down_from=down_from)
    ctx = Context.create(port, moment, spec.get("locale"))
    state = State()
    events = [CallStarted(spec.get("caller_id")), *(event_for(turn["caller"]) for turn in spec["turns"])]
    for event in events:
        before, calls = state, len(port.calls)
        state, actions = step(state, event, ctx)
        if down_from is not None and calls <= down_from < len(port.calls):
            return Failure(port.calls[down_from], before.phase, actions, state, port, ctx)
    return None


def _calls(name: str) -> list[str]:
    spec = load_script(CONVERSATIONS / f"{name}.toml")
    clinic = clinic_for(spec)
    now = datetime.fromisoformat(spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
    port = make_port(spec, clinic, now)
    ctx = Context.create(port, now, spec.get("locale"))
    state = State()
    for event in [CallStarted(spec.get("caller_id")), *(event_for(turn["caller"]) for turn in spec["turns"])]:
        state, _ = step(state, event, ctx)
    assert state.outcome is not None and state.outcome.kind is not OutcomeKind.TRANSFERRED  # the script succeeds
    return list(port.calls)


CASES = [(name, index) for name in SCRIPTS for index in range(len(_calls(name)))]


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{name}-call{index}" for name, index in CASES])
def test_the_book_going_away_at_any_port_call_ends_with_an_apology_and_a_way_out(name: str, index: int) -> None:
    spec = load_script(CONVERSATIONS / f"{name}.toml")
    failure = _play(spec, index)
    assert failure is not None
    phrases, ctx = load_phrases(spec["locale"]), failure.ctx
    staff = ctx.clinic.practice.staff_phone
    assert staff is not None
    sorry = Say(phrases.get("unavailable.sorry"))
    if practice_open(ctx):  # the French practice on Saturday morning: the staff
        outcome = Outcome(OutcomeKind.TRANSFERRED)
        assert failure.actions == [sorry, Say(phrases.get("transfer.now")), Transfer(staff, outcome)]
    else:  # the English surgery is closed on Saturdays: when to call back
        outcome = Outcome(OutcomeKind.GOODBYE)
        lines = [sorry, *(Say(line) for line in call_back(ctx)), Say(phrases.get("goodbye"))]
        assert failure.actions == [*lines, HangUp(outcome)]
    assert failure.state.outcome == outcome and failure.state.phase is Phase.ENDED
    healthy = make_port(spec, ctx.clinic, ctx.now)
    assert failure.port.appointments == healthy.appointments and failure.port.requests == []  # nothing changed


def test_every_port_method_and_the_phases_that_call_it_are_covered() -> None:
    seen: dict[str, set[Phase]] = {}
    endings = set()
    for name, index in CASES:
        failure = _play(load_script(CONVERSATIONS / f"{name}.toml"), index)
        assert failure is not None and failure.state.outcome is not None
        seen.setdefault(failure.method, set()).add(failure.phase)
        endings.add(failure.state.outcome.kind)
    assert set(seen) == PORT_METHODS
    assert endings == {OutcomeKind.TRANSFERRED, OutcomeKind.GOODBYE}  # open and closed practices both met
    assert Phase.START in seen["find_patients"]  # the caller's number looked up in the greeting
    assert {Phase.CONFIRM} <= seen["book"] and {Phase.CONFIRM} <= seen["reschedule"]
    assert Phase.CANCEL_CONFIRM in seen["cancel"] and Phase.REQUEST_CONFIRM in seen["leave_request"]


def test_without_a_staff_number_the_caller_is_asked_to_call_back_later() -> None:
    spec = load_script(CONVERSATIONS / "fr_01_one_shot_booking.toml")
    failure = _play(spec, _calls("fr_01_one_shot_booking").index("book"), staff_phone=None)
    assert failure is not None and failure.method == "book"
    phrases = load_phrases("fr")
    assert failure.actions == [
        Say(phrases.get("unavailable.sorry")),
        Say(phrases.get("unavailable.later")),
        Say(phrases.get("goodbye")),
        HangUp(Outcome(OutcomeKind.GOODBYE)),
    ]
    assert failure.port.booked() == []


def test_while_the_practice_is_closed_the_caller_hears_when_it_opens() -> None:
    spec = load_script(CONVERSATIONS / "en_01_one_shot_booking.toml")
    failure = _play(spec, 0, now="2026-11-29T10:00")  # Sunday: closed; the greeting's look-up fails
    assert failure is not None and failure.method == "find_patients" and failure.phase is Phase.START
    phrases = load_phrases("en")
    ctx = Context.create(failure.port, datetime(2026, 11, 29, 10, 0, tzinfo=failure.port.clinic().practice.zone))
    texts = [a.text for a in failure.actions if isinstance(a, Say)]
    assert texts == [phrases.get("unavailable.sorry"), *call_back(ctx), phrases.get("goodbye")]
    assert "tomorrow" in texts[1]
    assert failure.actions[-1] == HangUp(Outcome(OutcomeKind.GOODBYE))


def test_steps_that_keep_failing_end_the_same_way() -> None:
    spec = load_script(CONVERSATIONS / "fr_01_one_shot_booking.toml")
    clinic = clinic_for(spec)
    port = FakePort(clinic)
    ctx = Context.create(port, datetime.fromisoformat(DEFAULT_NOW).replace(tzinfo=clinic.practice.zone))
    state, _ = step(State(), CallStarted("+33698765432"), ctx)
    phrases = ctx.phrases
    ended, actions = cannot_go_on(state, ctx, phrases)
    assert clinic.practice.staff_phone is not None
    assert actions == [
        Say(phrases.get("unavailable.failing")),
        Say(phrases.get("transfer.now")),
        Transfer(clinic.practice.staff_phone, Outcome(OutcomeKind.TRANSFERRED)),
    ]
    assert cannot_go_on(ended, ctx, phrases) == (ended, [])  # once ended, nothing more
    unread, words = cannot_go_on(State(), None, phrases)  # the practice itself could not be read
    assert words == [
        Say(phrases.get("unavailable.failing")),
        Say(phrases.get("unavailable.later")),
        Say(phrases.get("goodbye")),
        HangUp(Outcome(OutcomeKind.GOODBYE)),
    ]
    assert unread.phase is Phase.ENDED
