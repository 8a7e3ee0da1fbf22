"""The machine's loop bound: at every question, a caller who answers nothing usable is handed to the staff, or
told when to call back, within a few turns; never asked the same thing forever.

Property tests (Hypothesis, derandomized) start from every question the scripted conversations reach, in both
locales (Saturday 10:00: the French practice is open, the English surgery closed), and play eight turns of
unrelated words, one wrong answer said again and again, a time never offered, or any of them mixed with
silences. Then a few examples of the wording: the ladder, the call-back hours, a time that is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.clinic import Clinic, load_clinic
from dialogue.actions import Action, Expect, HangUp, OutcomeKind, Say, Transfer
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted, Event, KeypadPressed, NoInput
from dialogue.flows.common import next_open, practice_open
from dialogue.machine import step
from dialogue.state import Phase, State
from dialogue.understand.intents import detect_intent
from dialogue.understand.motifs import match_motif
from dialogue.understand.names import parse_person_name, parse_spelled
from dialogue.understand.practitioners import match_practitioner
from dialogue.understand.when import parse_birth_date, parse_when
from dialogue.understand.yesno import parse_yes_no
from tests.dialogue.fake_port import FakePort
from tests.dialogue.scripts import CONVERSATIONS, DEFAULT_NOW, clinic_for, event_for, load_script, make_port

ROOT = Path(__file__).resolve().parents[2]
FR = load_clinic(ROOT / "config" / "clinic.toml")
EN = load_clinic(ROOT / "config" / "clinic.en.toml")
TURNS = 8
"""A caller answering nothing usable is out of the call by this turn."""
ENDINGS = {OutcomeKind.TRANSFERRED, OutcomeKind.GOODBYE, OutcomeKind.NO_INPUT, OutcomeKind.EMERGENCY}
"""A transfer or a goodbye (at the emergency question, both are the emergency's)."""
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

UNRELATED = {
    "fr": [
        "je ne sais pas",
        "la météo est belle",
        "euh",
        "il pleut dehors",
        "j'ai oublié mes lunettes",
        "c'est pour quoi faire",
        "je réfléchis",
        "attendez une seconde",
        "il fait beau",
    ],
    "en": [
        "I don't know",
        "the weather is nice",
        "I forgot my glasses",
        "hang on a second",
        "the dog ate it",
        "no idea",
        "sorry I was distracted",
        "the traffic was awful",
    ],
}
"""Words that answer no question: no name, time, date, number, yes or no, practitioner, motif or request in them
(test_the_unrelated_words_mean_nothing); a word alone ("bof") would be a name at a name question."""
WRONG = {
    "fr": ["répétez", "quels sont vos horaires ?", "dtmf:7", "dtmf:*", "je ne sais pas", "la météo est belle"],
    "en": ["say that again", "what are your opening hours?", "dtmf:7", "dtmf:*", "I don't know", "no idea"],
}
"""Answers that move no question on: repeat, a side question, a key no menu has, words."""
NEVER_OFFERED = {
    "fr": ["à 11 h 17", "plutôt 7 h 43", "celui de 23 h 05"],
    "en": ["at 11:17", "7:43 am", "the 11:17 one"],
}
"""Times no slot ever starts at (slots start on the motifs' 10 to 30 minute grid, within opening hours)."""


@dataclass(frozen=True)
class Question:
    """A question a script reached: the state and context to ask it again from."""

    script: str
    state: State
    ctx: Context
    port: FakePort

    @property
    def locale(self) -> str:
        return self.ctx.locale

    def __repr__(self) -> str:
        return f"Question({self.script!r}, {self.state.phase})"


def _questions() -> list[Question]:
    found: dict[tuple[str, Phase], Question] = {}
    for path in sorted(CONVERSATIONS.glob("*.toml")):
        spec = load_script(path)
        clinic = clinic_for(spec)
        now = datetime.fromisoformat(spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
        port = make_port(spec, clinic, now)
        ctx = Context.create(port, now, spec.get("locale"))
        state, _ = step(State(), CallStarted(spec.get("caller_id")), ctx)
        for turn in [*spec.get("turns", []), None]:
            key = (ctx.locale, state.phase)
            if state.prompt is not None and key not in found:
                found[key] = Question(path.stem, state, ctx, _copy(port))
            if turn is None or state.outcome is not None:
                break
            state, _ = step(state, event_for(turn["caller"]), ctx)
    return list(found.values())


def _copy(port: FakePort) -> FakePort:
    return FakePort(port.clinic_value, list(port.patients), list(port.appointments), port.next_reference)


QUESTIONS = _questions()


def _event(line: str) -> Event:
    if line == "silence":
        return NoInput()
    return KeypadPressed(line[5:]) if line.startswith("dtmf:") else CallerSaid(line)


def _play(question: Question, lines: list[str]) -> tuple[int, State, list[Action]]:
    """Play `lines` from the question; returns the caller turns it took to end, the state and the last actions."""
    ctx = replace(question.ctx, port=_copy(question.port))
    state, actions = question.state, list[Action]()
    for turn, line in enumerate(lines, start=1):
        state, actions = step(state, _event(line), ctx)
        if state.outcome is not None:
            return turn, state, actions
    return len(lines) + 1, state, actions


def _ends(question: Question, lines: list[str]) -> None:
    turns, state, actions = _play(question, lines)
    where = f"{question.script} at {question.state.phase}: {lines}"
    assert turns <= TURNS and state.outcome is not None, where
    assert state.outcome.kind in ENDINGS, (where, state.outcome)
    assert isinstance(actions[-1], HangUp | Transfer), where


def _lines(pool: dict[str, list[str]]) -> st.SearchStrategy[tuple[Question, list[str]]]:
    return st.sampled_from(QUESTIONS).flatmap(
        lambda q: st.tuples(st.just(q), st.lists(st.sampled_from(pool[q.locale]), min_size=TURNS, max_size=TURNS))
    )


def _with_one_time(pool: dict[str, list[str]]) -> st.SearchStrategy[tuple[Question, list[str]]]:
    """Lines from `pool` and silences, with one never-offered time (the same one each time it comes)."""

    def lines(q: Question, time: str) -> st.SearchStrategy[list[str]]:
        return st.lists(st.sampled_from([*pool.get(q.locale, []), time, "silence"]), min_size=TURNS, max_size=TURNS)

    return st.sampled_from(QUESTIONS).flatmap(
        lambda q: st.sampled_from(NEVER_OFFERED[q.locale]).flatmap(lambda t: st.tuples(st.just(q), lines(q, t)))
    )


def test_the_questions_cover_every_phase_in_some_locale() -> None:
    reached = {q.state.phase for q in QUESTIONS}
    assert {Phase.OPEN, Phase.WHEN, Phase.OFFER, Phase.CONFIRM, Phase.FIX, Phase.FIND_NAME} <= reached
    assert len(QUESTIONS) >= 30


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_unrelated_words_mean_nothing(locale: str) -> None:
    clinic = FR if locale == "fr" else EN
    now = datetime(2026, 11, 28, 10, 0, tzinfo=clinic.practice.zone)
    for text in UNRELATED[locale]:
        assert parse_person_name(text, locale) is None and not parse_spelled(text, locale), text
        assert parse_when(text, now, locale) is None and parse_birth_date(text, locale) is None, text
        assert parse_yes_no(text, locale) is None and detect_intent(text, locale) is None, text
        assert match_practitioner(text, clinic.practitioners, locale) is None, text
        assert match_motif(text, clinic.motifs, locale) is None, text


@SETTINGS
@given(_lines(UNRELATED))
def test_unrelated_words_end_the_call(case: tuple[Question, list[str]]) -> None:
    _ends(*case)


@SETTINGS
@given(st.sampled_from(QUESTIONS).flatmap(lambda q: st.tuples(st.just(q), st.sampled_from(WRONG[q.locale]))))
def test_the_same_wrong_answer_again_and_again_ends_the_call(case: tuple[Question, str]) -> None:
    question, line = case
    _ends(question, [line] * TURNS)


@SETTINGS
@given(_with_one_time({}))
def test_a_time_never_offered_said_again_ends_the_call(case: tuple[Question, list[str]]) -> None:
    _ends(*case)


@SETTINGS
@given(_with_one_time({locale: [*UNRELATED[locale], *WRONG[locale]] for locale in UNRELATED}))
def test_wrong_answers_mixed_with_silences_end_the_call(case: tuple[Question, list[str]]) -> None:
    _ends(*case)


def test_every_question_repeated_word_for_word_ends_the_call() -> None:
    for question in QUESTIONS:
        for line in (*WRONG[question.locale], "silence"):
            _ends(question, [line] * TURNS)


# The wording: a re-prompt, the keypad menu, then the staff (open) or when to call back (closed).


def _said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


class Call:
    """A call in progress against a fake port, at `now` in the practice's zone."""

    def __init__(self, clinic: Clinic, now: datetime, caller_id: str | None = "+33698765432") -> None:
        self.port = FakePort(clinic)
        self.ctx = Context.create(self.port, now.replace(tzinfo=clinic.practice.zone))
        self.state, self.last = step(State(), CallStarted(caller_id), self.ctx)

    def send(self, line: str) -> str:
        self.state, self.last = step(self.state, _event(line), self.ctx)
        return _said(self.last)


def test_an_answer_that_changes_nothing_is_asked_twice_more_then_the_staff() -> None:
    call = Call(FR, datetime(2026, 12, 2, 10, 0))
    call.send("je voudrais une consultation avec le docteur Martin")
    assert call.state.phase is Phase.WHEN
    first = call.send("avec le docteur Martin")
    assert "Quel jour" in first and "Tapez 1" not in first and call.state.stalls == 1
    second = call.send("avec le docteur Martin")
    assert "Quel jour" in second and "Tapez 1 pour le premier rendez-vous" in second
    assert isinstance(call.last[-1], Expect)
    third = call.send("avec le docteur Martin")
    assert "passer quelqu'un" in third and isinstance(call.last[-1], Transfer)


def test_when_the_practice_is_closed_the_caller_hears_when_to_call_back() -> None:
    call = Call(FR, datetime(2026, 12, 2, 20, 0))
    call.send("je voudrais une consultation avec le docteur Martin")
    for _ in range(3):
        said = call.send("avec le docteur Martin")
    assert "fermé pour le moment" in said and "demain à partir de 8 h 30" in said
    assert "du lundi au mercredi de 8 h 30 à 19 h" in said and "Au revoir" in said
    assert isinstance(call.last[-1], HangUp) and call.last[-1].outcome.kind is OutcomeKind.GOODBYE


def test_the_english_surgery_on_a_saturday_says_monday() -> None:
    call = Call(EN, datetime(2026, 11, 28, 10, 0), caller_id="+447700900123")
    call.send("I'd like an appointment with Dr Patel")
    for _ in range(3):
        said = call.send("with Dr Patel")
    assert "closed at the moment" in said and "on Monday from 8 am" in said, said
    assert isinstance(call.last[-1], HangUp)


def test_a_round_between_two_questions_is_no_progress() -> None:
    call = Call(FR, datetime(2026, 12, 2, 10, 0))
    call.send("une consultation avec le docteur Martin mardi à 10 h")
    call.send("le premier")
    call.send("Jean Dupont")
    call.send("le 14 juillet 1985")
    call.send("oui")
    assert call.state.phase is Phase.CONFIRM
    phases = []
    for _ in range(4):
        call.send("non")
        phases.append(call.state.phase)
    assert phases[:2] == [Phase.FIX, Phase.CONFIRM] and call.state.outcome is not None
    assert "book" not in call.port.calls


def test_repeat_counts_but_progress_starts_again() -> None:
    call = Call(FR, datetime(2026, 12, 2, 10, 0))
    call.send("répétez")
    call.send("répétez")
    assert call.state.stalls == 2 and call.state.outcome is None
    call.send("je voudrais un rendez-vous avec le docteur Martin")
    assert call.state.stalls == 0 and call.state.misses == 0


def test_emergency_said_again_and_again_still_ends_as_an_emergency() -> None:
    call = Call(FR, datetime(2026, 12, 2, 10, 0))
    for _ in range(4):
        call.send("il ne respire plus")
    assert call.state.outcome is not None and call.state.outcome.kind is OutcomeKind.EMERGENCY


# Opening hours, as the practice's clinic file gives them.


def _ctx(clinic: Clinic, when: datetime) -> Context:
    return Context.create(FakePort(clinic), when.replace(tzinfo=clinic.practice.zone))


def test_opening_hours_from_the_clinic() -> None:
    assert practice_open(_ctx(FR, datetime(2026, 11, 28, 10, 0)))  # Saturday morning: Dr Bernard
    assert next_open(_ctx(FR, datetime(2026, 11, 28, 13, 0))) == datetime(2026, 11, 30, 8, 30)
    assert next_open(_ctx(FR, datetime(2026, 12, 24, 20, 0))) == datetime(2026, 12, 26, 9, 0)  # Christmas Day
    training = datetime(2027, 2, 19, 15, 0)  # the whole practice's training afternoon
    assert not practice_open(_ctx(FR, training))
    assert next_open(_ctx(FR, training)) == datetime(2027, 2, 19, 18, 30)  # Dr Bernard until 19:00
    assert not practice_open(_ctx(EN, datetime(2026, 11, 28, 10, 0)))
