"""Every question has a keypad path: its keypad menu (read once the caller uses keys, or after failures)
offers keys, and each key it offers is understood.

The questions are the ones the scripted conversations actually reach (every phase with a handler is
reached in both locales or in one of them); each is probed from the state the script left it in, against
a copy of the fake port so that nothing the probe books leaks into the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest

from booking.clinic import load_clinic
from booking.records import PatientDetails
from dialogue.actions import Action, OutcomeKind, Say
from dialogue.context import Context
from dialogue.events import CallStarted, KeypadPressed
from dialogue.machine import HANDLERS, step
from dialogue.state import Phase, State
from dialogue.wording.phrases import load_phrases
from tests.dialogue.fake_port import FakePort
from tests.dialogue.scripts import CONVERSATIONS, DEFAULT_NOW, clinic_for, event_for, load_script, make_port

NAME_PHASES = {Phase.NAME, Phase.FIRST_NAME, Phase.FIND_NAME}
"""Keys cannot spell a name: these menus offer 0 (a person), and 1 for a known calling number."""
TYPED = {
    Phase.BIRTH: "14071985",
    Phase.FIND_BIRTH: "14071985",
    Phase.PHONE: "0612345678",
    Phase.MOBILE: "0612345678",
}
"""Questions answered with a keyed number rather than a menu key."""


@dataclass(frozen=True)
class Question:
    script: str
    state: State
    ctx: Context
    port: FakePort


def _copy(port: FakePort) -> FakePort:
    return FakePort(port.clinic_value, list(port.patients), list(port.appointments), port.next_reference)


def _questions() -> list[Question]:
    found: list[Question] = []
    for path in sorted(CONVERSATIONS.glob("*.toml")):
        spec = load_script(path)
        clinic = clinic_for(spec)
        now = datetime.fromisoformat(spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
        port = make_port(spec, clinic, now)
        ctx = Context.create(port, now, spec.get("locale"))
        state, _ = step(State(), CallStarted(spec.get("caller_id")), ctx)
        phases: set[Phase] = set()
        for turn in [*spec.get("turns", []), None]:
            if state.prompt is not None and state.phase not in phases:
                phases.add(state.phase)
                found.append(Question(path.stem, state, ctx, _copy(port)))
            if turn is None or state.outcome is not None:
                break
            state, _ = step(state, event_for(turn["caller"]), ctx)
    return found


QUESTIONS = _questions()


def _said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def _press(question: Question, keys: str) -> tuple[State, list[Action]]:
    port = _copy(question.port)
    return step(question.state, KeypadPressed(keys), replace(question.ctx, port=port))


def _understood(question: Question, keys: str) -> None:
    state, actions = _press(question, keys)
    misunderstood = question.ctx.phrases.get("misunderstood.first")
    where = f"{question.script}: {question.state.phase} key {keys!r}\n{_said(actions)}"
    assert misunderstood not in _said(actions), where
    assert state.misses == 0, where
    assert state.outcome is not None or state.prompt is not None, where


def test_every_question_is_reached_by_some_script() -> None:
    reached = {q.state.phase for q in QUESTIONS}
    assert set(HANDLERS) <= reached, sorted(set(HANDLERS) - reached)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"{q.script}-{q.state.phase}")
def test_every_question_offers_keys(question: Question) -> None:
    prompt = question.state.prompt
    assert prompt is not None
    phrases = question.ctx.phrases
    if question.state.phase in NAME_PHASES:
        assert "0" in prompt.keypad, prompt.keypad
        return
    assert prompt.keypad != phrases.get("keypad.none"), question.state.phase
    if question.state.phase in TYPED:
        assert re.search(r"clavier|key", prompt.keypad), prompt.keypad
    else:
        assert re.search(r"[1-9]", prompt.keypad), prompt.keypad


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"{q.script}-{q.state.phase}")
def test_every_offered_key_is_understood(question: Question) -> None:
    phase = question.state.phase
    prompt = question.state.prompt
    assert prompt is not None
    if phase in TYPED:
        keys = TYPED[phase]
        if phase in (Phase.PHONE, Phase.MOBILE) and question.ctx.clinic.practice.country == "GB":
            keys = "07911123456" if phase is Phase.MOBILE else "07700900123"
        _understood(question, keys)
        return
    if phase is Phase.WHEN:
        for keys in ("1", "0312"):
            _understood(question, keys)
        return
    offered = sorted(set(re.findall(r"(?<!\d)\d(?!\d)", prompt.keypad)))
    assert offered, prompt.keypad
    for keys in offered:
        _understood(question, keys)


def test_a_name_question_says_how_to_reach_a_person() -> None:
    for locale in ("fr", "en"):
        phrases = load_phrases(locale)
        for key in ("keypad.name", "keypad.find_name_known"):
            assert "0" in phrases.get(key)


ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=FR.practice.zone)


def _call(port: FakePort, caller_id: str | None = "+33612345678") -> tuple[State, Context]:
    ctx = Context.create(port, NOW)
    state, _ = step(State(), CallStarted(caller_id), ctx)
    return state, ctx


def test_after_information_2_is_no_not_move() -> None:
    state, ctx = _call(FakePort(FR))
    state, _ = step(state, KeypadPressed("4"), ctx)
    assert state.phase is Phase.MORE
    state, actions = step(state, KeypadPressed("2"), ctx)
    assert state.outcome is not None and state.outcome.kind is OutcomeKind.GOODBYE
    assert "Au revoir" in _said(actions)


def test_a_keyed_day_is_searched() -> None:
    state, ctx = _call(FakePort(FR))
    for keys in ("1", "1", "1"):  # book, Dr Martin, consultation
        state, _ = step(state, KeypadPressed(keys), ctx)
    assert state.phase is Phase.WHEN
    state, actions = step(state, KeypadPressed("0312"), ctx)
    assert state.phase is Phase.OFFER and "jeudi 3 décembre" in _said(actions)
    assert all(s.start.date().isoformat() == "2026-12-03" for s in state.offers)


def test_the_calling_number_key_needs_a_registered_number() -> None:
    state, ctx = _call(FakePort(FR), caller_id="+33699999999")
    state, actions = step(state, KeypadPressed("3"), ctx)
    assert state.phase is Phase.FIND_NAME
    assert "tapez 1" not in _said(actions).casefold() and "tapez 0" in _said(actions).casefold()
    state, _ = step(state, KeypadPressed("1"), ctx)
    assert state.phase is Phase.FIND_NAME and state.misses == 1


def test_the_calling_number_key_only_finds_that_numbers_patients() -> None:
    port = FakePort(FR)
    port.add_patient(PatientDetails("Jean", "Dupont", datetime(1985, 7, 14).date(), "+33612345678"))
    port.add_patient(PatientDetails("Anne", "Roux", datetime(1990, 1, 2).date(), "+33600000000"))
    state, ctx = _call(port)
    for keys in ("3", "1"):
        state, _ = step(state, KeypadPressed(keys), ctx)
    assert state.phase is Phase.FIND_BIRTH
    state, actions = step(state, KeypadPressed("02011990"), ctx)  # Anne Roux's birth date, another number
    assert state.phase is Phase.FIND_RETRY and "Roux" not in _said(actions)
    assert "upcoming" not in port.calls
