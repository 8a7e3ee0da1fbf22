"""A weekday alone said on that weekday: "mardi", said on a Tuesday, asks "Aujourd'hui, ou mardi prochain ?",
and the answer settles the day the slots are looked for on.

Tuesday 1 December 2026, 9:00 in Paris (the French practice is open 8:30-18:30 on Tuesdays); next Tuesday
is 8 December.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from booking.clinic import Clinic
from dialogue.actions import Expect
from dialogue.events import CallerSaid, KeypadPressed
from dialogue.machine import step
from dialogue.state import Phase
from tests.dialogue.test_machine_offers import EN, FR, Call

TUESDAY = datetime(2026, 12, 1, 9, 0)
TODAY, NEXT_TUESDAY = date(2026, 12, 1), date(2026, 12, 8)
QUESTION_FR, QUESTION_EN = "Aujourd'hui, ou mardi prochain ?", "Today, or next Tuesday?"


class DateCall(Call):
    """A call brought to the date question ("Quel jour vous arrangerait ?")."""

    def __init__(self, clinic: Clinic = FR, now: datetime = TUESDAY) -> None:
        english = clinic is EN
        super().__init__(clinic, now, caller_id="+447700900123" if english else "+33698765432")
        self.send("I'd like a consultation with Dr Patel" if english else "une consultation avec le docteur Martin")
        assert self.state.phase is Phase.WHEN

    def key(self, digits: str) -> None:
        self.state, _ = step(self.state, KeypadPressed(digits), self.ctx)

    def expect(self, text: str) -> Expect:
        self.state, actions = step(self.state, CallerSaid(text), self.ctx)
        return next(a for a in actions if isinstance(a, Expect))

    def offered_days(self) -> set[date]:
        assert self.state.phase is Phase.OFFER
        zone = self.ctx.clinic.practice.zone
        return {s.start.astimezone(zone).date() for s in self.state.offers}


@pytest.mark.parametrize("said", ["mardi", "Mardi.", "Euh, mardi.", "mardi matin", "mardi vers 15 h", "ce mardi"])
def test_todays_weekday_alone_asks_today_or_next_week(said: str) -> None:
    call = DateCall()
    assert call.send(said) == QUESTION_FR
    assert call.state.phase is Phase.DAY_CHOICE


def test_the_question_expects_its_two_answers() -> None:
    call = DateCall()
    assert call.expect("mardi").answers == ("aujourd'hui", "mardi prochain")


@pytest.mark.parametrize(
    ("answer", "day"),
    [
        ("aujourd'hui", TODAY),
        ("Aujourd'hui.", TODAY),
        ("ce matin", TODAY),
        ("le premier", TODAY),
        ("mardi prochain", NEXT_TUESDAY),
        ("Mardi prochain.", NEXT_TUESDAY),
        ("le prochain", NEXT_TUESDAY),
        ("Le prochain !", NEXT_TUESDAY),
        ("la semaine prochaine", NEXT_TUESDAY),
        ("non, la semaine prochaine", NEXT_TUESDAY),
        ("le deuxième", NEXT_TUESDAY),
    ],
)
def test_the_answer_settles_the_day(answer: str, day: date) -> None:
    call = DateCall()
    call.send("mardi")
    call.send(answer)
    assert call.offered_days() == {day}


@pytest.mark.parametrize(("key", "day"), [("1", TODAY), ("2", NEXT_TUESDAY)])
def test_the_keypad_settles_the_day(key: str, day: date) -> None:
    call = DateCall()
    call.send("mardi")
    call.key(key)
    assert call.offered_days() == {day}


def test_the_time_said_with_the_weekday_is_kept() -> None:
    call = DateCall()
    call.send("mardi vers 15 h")
    call.send("aujourd'hui")
    assert call.offered_days() == {TODAY}
    assert call.state.wish.when is not None and call.state.wish.when.time is not None
    assert call.state.wish.when.time.hour == 15


def test_another_day_instead_is_taken() -> None:
    call = DateCall()
    call.send("mardi")
    call.send("plutôt jeudi")
    assert call.offered_days() == {date(2026, 12, 3)}


def test_an_answer_that_is_neither_asks_again() -> None:
    call = DateCall()
    call.send("mardi")
    assert QUESTION_FR in call.send("oui")
    assert call.state.phase is Phase.DAY_CHOICE and call.state.misses == 1


@pytest.mark.parametrize("said", ["mardi prochain", "mardi en huit", "mardi 8", "mardi 8 décembre"])
def test_a_weekday_that_says_its_week_is_not_asked_about(said: str) -> None:
    call = DateCall()
    call.send(said)
    assert call.offered_days() == {NEXT_TUESDAY}


def test_another_weekday_is_not_asked_about() -> None:
    call = DateCall()
    call.send("mercredi")
    assert call.offered_days() == {date(2026, 12, 2)}


def test_a_time_already_past_today_is_next_week() -> None:
    call = DateCall(now=datetime(2026, 12, 1, 11, 0))
    call.send("mardi à 9 h")
    assert call.offered_days() == {NEXT_TUESDAY}


def test_after_closing_time_it_is_next_week() -> None:
    call = DateCall(now=datetime(2026, 12, 1, 19, 30))
    call.send("mardi")
    assert call.offered_days() == {NEXT_TUESDAY}


@pytest.mark.parametrize(
    ("answer", "day"), [("today", TODAY), ("next week", NEXT_TUESDAY), ("next Tuesday", NEXT_TUESDAY)]
)
def test_in_english(answer: str, day: date) -> None:
    call = DateCall(EN)
    assert call.send("Tuesday.") == QUESTION_EN
    assert call.state.prompt is not None and call.state.prompt.answers == ("today", "next Tuesday")
    call.send(answer)
    assert call.offered_days() == {day}
