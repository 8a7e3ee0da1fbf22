"""Hostile input at every question (issue 13): `dialogue.step` never raises on any text, keys, hypotheses or
confidence a line can deliver, and each turn either asks something (a `Say` waiting on an `Expect`) or ends the
call (`HangUp` or `Transfer`), in every phase the scripted conversations reach, in both locales.

Hypothesis, derandomized and bounded: a few hundred examples per property, a handful of turns each.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogue.actions import Action, Expect, HangUp, Say, Transfer
from dialogue.events import CallerHungUp, CallerSaid, Event, KeypadPressed, NoInput
from dialogue.machine import step
from tests.dialogue.test_loop_bound import QUESTIONS, Question, _copy

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

_WORDS = [
    "oui",
    "non",
    "le premier",
    "mardi",
    "14 h 30",
    "Dupont",
    "annuler",
    "un humain",
    "zéro",
    "yes",
    "no",
    "0612345678",
    "1er",
    "demain matin",
    "pas de SMS",
    "je refuse",
    "#",
    "*",
    "répétez",
    "l'urgence",
]
TEXTS = st.one_of(
    st.text(max_size=300),  # any Unicode: controls, surrogates excluded by Hypothesis, combining marks, RTL...
    st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join),  # words the machine knows, in any order
    st.text(alphabet="0123456789 ,.:/-+hH", max_size=40),  # digit soup: dates, times, numbers, references
    st.just("a" * 5000),
)
KEYS = st.text(alphabet="0123456789*#ABCD ", max_size=40)
EVENTS: st.SearchStrategy[Event] = st.one_of(
    st.builds(
        CallerSaid,
        text=TEXTS,
        confidence=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        alternatives=st.lists(TEXTS, max_size=4).map(tuple),
        barged_in=st.booleans(),
        unsure=st.booleans(),
    ),
    st.builds(KeypadPressed, digits=KEYS),
    st.just(NoInput()),
)


def _turn_is_sound(actions: list[Action], ended: bool, where: str) -> None:
    if ended:
        assert actions and isinstance(actions[-1], HangUp | Transfer), where
        return
    assert any(isinstance(a, Say) and a.text.strip() for a in actions), where
    assert isinstance(actions[-1], Expect), where


@FUZZ
@given(st.sampled_from(QUESTIONS), st.lists(EVENTS, min_size=1, max_size=6))
def test_any_input_at_any_question_gets_a_question_or_an_end(question: Question, events: list[Event]) -> None:
    ctx = replace(question.ctx, port=_copy(question.port))
    state = question.state
    for event in events:
        where = f"{question.script} at {state.phase}: {event!r}"
        state, actions = step(state, event, ctx)
        _turn_is_sound(actions, state.outcome is not None, where)
        if state.outcome is not None:
            assert step(state, event, ctx) == (state, [])  # after the end, nothing more
            return


@FUZZ
@given(st.sampled_from(QUESTIONS), st.lists(EVENTS, max_size=4))
def test_a_hang_up_after_any_input_ends_the_call_at_once(question: Question, events: list[Event]) -> None:
    ctx = replace(question.ctx, port=_copy(question.port))
    state = question.state
    for event in events:
        state, _ = step(state, event, ctx)
    state, actions = step(state, CallerHungUp(), ctx)
    assert state.outcome is not None
    assert actions == [] or isinstance(actions[-1], HangUp | Transfer)
