"""The right to refuse reuse: "je refuse" / "I refuse" / the # key at any question sets `State.reuse_refused`, is
acknowledged, and the question is asked again; no miss, no stall, no booking changed, the call goes on as before.

Every question of every scripted conversation (tests/dialogue/conversations) is answered once with a refusal
before the script's own answer, in a fork of the call.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dialogue.actions import Action, Say
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted, Event, KeypadPressed
from dialogue.flows.common import question
from dialogue.machine import HANDLERS, step
from dialogue.state import Phase, State
from dialogue.understand.refusal import is_refusal
from dialogue.wording.phrases import load_phrases
from tests.dialogue.fake_port import FakePort
from tests.dialogue.scripts import CONVERSATIONS, clinic_for, event_for, load_script, make_port

SCRIPTS = sorted(CONVERSATIONS.glob("*.toml"))
REFUSALS = {"fr": ("je refuse", "Je refuse !", "#"), "en": ("I refuse.", "I object", "#")}


def _fork(port: FakePort) -> FakePort:
    return replace(
        port,
        patients=list(port.patients),
        appointments=list(port.appointments),
        calls=list(port.calls),
        requests=list(port.requests),
    )


def _event(said: str) -> Event:
    return KeypadPressed(said) if said == "#" else CallerSaid(said)


def _check_refusal(state: State, said: str, port: FakePort, ctx: Context, phrases_locale: str) -> State:
    """Refuse at `state`'s question; returns the refused state after checking what the refusal did."""
    before = list(port.appointments), list(port.requests)
    refused, actions = step(state, _event(said), ctx)
    ack = load_phrases(phrases_locale).get("privacy.refused")
    keyed = replace(state, keypad_mode=True) if said == "#" else replace(state, keypad_mode=False)
    assert refused == replace(keyed, reuse_refused=True), said
    assert actions == [Say(ack), *question(keyed)], said
    assert (list(port.appointments), list(port.requests)) == before
    return refused


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_every_question_of_every_conversation_accepts_a_refusal(path: Path) -> None:
    spec = load_script(path)
    locale = spec.get("locale", "fr")
    clinic = clinic_for(spec)
    now = datetime.fromisoformat(spec.get("now", "2026-11-28T10:00")).replace(tzinfo=clinic.practice.zone)
    port = make_port(spec, clinic, now)
    ctx = Context.create(port, now, locale)
    state, _ = step(State(), CallStarted(spec.get("caller_id")), ctx)
    for index, turn in enumerate(spec.get("turns", [])):
        event = event_for(turn["caller"])
        if state.outcome is None:
            said = REFUSALS[locale][index % 3]
            fork = _fork(port)
            refused = _check_refusal(state, said, fork, replace(ctx, port=fork), locale)
            # The same answer after the refusal does what it did without it (keypad mode aside: a key sets it).
            base = replace(state, keypad_mode=refused.keypad_mode)
            after, actions = step(refused, event, replace(ctx, port=fork))
            expected, expected_actions = step(base, event, replace(ctx, port=_fork(port)))
            assert (after, actions) == (replace(expected, reuse_refused=True), expected_actions), turn
        state, _ = step(state, event, ctx)
    assert not state.reuse_refused


def test_the_conversations_reach_every_question() -> None:
    reached: set[Phase] = set()
    for path in SCRIPTS:
        spec = load_script(path)
        clinic = clinic_for(spec)
        now = datetime.fromisoformat(spec.get("now", "2026-11-28T10:00")).replace(tzinfo=clinic.practice.zone)
        port = make_port(spec, clinic, now)
        ctx = Context.create(port, now, spec.get("locale"))
        state, _ = step(State(), CallStarted(spec.get("caller_id")), ctx)
        for turn in spec.get("turns", []):
            reached.add(state.phase)
            state, _ = step(state, event_for(turn["caller"]), ctx)
    assert set(HANDLERS) - reached == set()


def _call(locale: str = "fr", caller_id: str | None = "+33698765432") -> tuple[State, Context, FakePort]:
    spec: dict[str, Any] = {"locale": locale}
    clinic = clinic_for(spec)
    now = datetime(2026, 11, 28, 10, 0, tzinfo=clinic.practice.zone)
    port = make_port(spec, clinic, now)
    ctx = Context.create(port, now, locale)
    state, _ = step(State(), CallStarted(caller_id), ctx)
    return state, ctx, port


def _play(state: State, ctx: Context, *said: str) -> tuple[State, list[Action]]:
    actions: list[Action] = []
    for line in said:
        state, actions = step(state, event_for(line), ctx)
    return state, actions


def test_a_refusal_at_the_read_back_is_no_no_and_the_booking_goes_on() -> None:
    state, ctx, port = _call()
    state, _ = _play(state, ctx, "un rendez-vous avec le docteur Bernard lundi après-midi", "le premier")
    state, _ = _play(state, ctx, "Marie Leroy", "3 mars 1990", "oui")
    assert state.phase is Phase.CONFIRM
    state, actions = _play(state, ctx, "Je refuse.")
    assert state.phase is Phase.CONFIRM and state.reuse_refused and port.booked() == []
    assert "C'est bien ça ?" in [a.text for a in actions if isinstance(a, Say)]
    state, _ = _play(state, ctx, "je refuse", "oui")  # twice is harmless
    assert state.outcome is not None and state.outcome.kind.value == "booked" and state.reuse_refused
    assert len(port.booked()) == 1


def test_a_refusal_is_neither_a_miss_nor_a_stall() -> None:
    state, ctx, _port = _call()
    state, _ = _play(state, ctx, "blablabla", "blablabla")
    assert state.misses == 2
    refused, _ = _play(state, ctx, "je refuse", "dtmf:#")
    assert (refused.misses, refused.stalls, refused.no_input) == (state.misses, state.stalls, state.no_input)
    ended, actions = _play(refused, ctx, "blablabla")
    expected, expected_actions = _play(state, ctx, "blablabla")
    assert (ended.outcome, actions) == (expected.outcome, expected_actions)


def test_the_refusal_key_at_a_date_question_is_no_digit_entry() -> None:
    state, ctx, _port = _call()
    state, _ = _play(state, ctx, "un rendez-vous avec le docteur Bernard lundi après-midi", "le premier", "Marie Leroy")
    assert state.phase is Phase.BIRTH
    state, _ = _play(state, ctx, "dtmf:#")
    assert state.reuse_refused and state.phase is Phase.BIRTH and state.patient.birth_date is None
    state, _ = _play(state, ctx, "dtmf:03031990#")
    assert state.patient.birth_date is not None and state.reuse_refused


def test_a_refusal_survives_starting_over() -> None:
    state, ctx, _port = _call()
    state, _ = _play(state, ctx, "je refuse que mes données soient utilisées", "un rendez-vous", "on recommence")
    assert state.phase is Phase.OPEN and state.reuse_refused


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_notice_says_how_to_refuse(locale: str) -> None:
    state, _ctx, _port = _call(locale)
    notice = load_phrases(locale).get("greeting.notice")
    assert ("« je refuse »" in notice and "dièse" in notice) if locale == "fr" else ('"I refuse"' in notice)
    assert locale == "fr" or "hash" in notice
    assert not state.reuse_refused


REFUSING = {
    "fr": [
        "je refuse",
        "Je refuse !",
        "je refuse.",
        "Non, je refuse.",
        "moi je refuse",
        "je refuse que mes données soient utilisées",
        "je refuse l'utilisation de mes données",
        "je refuse qu'on enregistre la conversation",
        "je m'y oppose",
        "je m'oppose à l'utilisation de mes données",
        "Je refuse, merci.",
        "j'refuse",
    ],
    "en": ["I refuse", "I refuse.", "I object!", "No, I refuse", "I refuse to let you use my data", "I object, thanks"],
}
NOT_REFUSING = {
    "fr": [
        "il refuse de venir",
        "elle refuse",
        "je ne refuse pas",
        "je refuse pas",
        "je refuse ce créneau",
        "je refuse de venir le matin",
        "si je refuse ?",
        "non",
        "refuser",
        "le refus",
    ],
    "en": ["he refuses to come", "I don't refuse", "I refuse to come on Monday", "what if I refuse", "no", "refuse"],
}


@pytest.mark.parametrize(("locale", "said"), [(lo, s) for lo, cases in REFUSING.items() for s in cases])
def test_refusals(locale: str, said: str) -> None:
    assert is_refusal(said, locale)


@pytest.mark.parametrize(("locale", "said"), [(lo, s) for lo, cases in NOT_REFUSING.items() for s in cases])
def test_not_refusals(locale: str, said: str) -> None:
    assert not is_refusal(said, locale)
