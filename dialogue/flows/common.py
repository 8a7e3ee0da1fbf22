"""Building blocks shared by every flow: asking a question, ending or handing over the call, yes/no."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from booking.phones import is_mobile
from booking.slots import holiday_dates
from dialogue.actions import Action, Detail, Expect, ExpectKind, HangUp, Outcome, OutcomeKind, Say, Transfer
from dialogue.context import Context
from dialogue.state import Phase, Prompt, State
from dialogue.understand.yesno import parse_yes_no
from dialogue.wording.spoken import say_date, say_hours, say_time

Result = tuple[State, list[Action]]
"""What a step (and every flow function) returns."""


@dataclass(frozen=True)
class Heard:
    """One caller turn: what was said, or the keys pressed."""

    text: str | None = None
    digits: str | None = None
    barged_in: bool = False
    """Said before the question was heard in full (`CallerSaid.barged_in`): not a read-back's yes."""
    unsure: bool = False
    """The recogniser was not sure (`CallerSaid.unsure`, or another hypothesis than its best): a name or a
    birth date taken from it is echoed in the next question."""


Handler = Callable[[State, Heard, Context], Result | None]
"""Handles the answer to one question; `None` = not understood."""


def ask(
    state: State,
    ctx: Context,
    phase: Phase,
    lines: Sequence[str],
    expect: ExpectKind,
    *,
    pre: Sequence[str] = (),
    example: str = "",
    keypad: str = "",
    answers: Sequence[str] = (),
    guess: Detail | None = None,
) -> Result:
    """Say `pre` (not repeated later), then ask the question `lines` and wait for an answer.

    `answers`: the texts the caller may say here (for the recogniser, see `Expect.answers`); yes/no questions
    get the locale's yes and no when none are given. `guess`: the detail the recogniser may guess near what
    it heard (`Expect.guess`); a name question guesses names.
    """
    if guess is None and expect is ExpectKind.NAME:
        guess = Detail.NAME
    if not keypad:
        keypad = ctx.phrases.get("keypad.yes_no") if expect is ExpectKind.YES_NO else ctx.phrases.get("keypad.none")
    if not example and expect is ExpectKind.YES_NO:
        example = ctx.phrases.get("example.yes_no")
    if not answers and expect is ExpectKind.YES_NO:
        answers = ctx.phrases.words("answers.yes_no")
    prompt = Prompt(tuple(lines), expect, example, keypad, tuple(answers), guess)
    misses = state.misses if phase is state.phase else 0
    new = replace(state, phase=phase, prompt=prompt, misses=misses)
    return new, [*(Say(text) for text in pre), *question(new)]


def question(state: State, with_keypad: bool = False) -> list[Action]:
    """The current question's actions: its lines, its keypad menu (for keypad callers), then `Expect`."""
    prompt = state.prompt or Prompt((), ExpectKind.FREE)
    actions: list[Action] = [Say(text) for text in prompt.lines]
    if (with_keypad or state.keypad_mode) and prompt.keypad:
        actions.append(Say(prompt.keypad))
    return [*actions, expect_of(state)]


def expect_of(state: State) -> Expect:
    """The `Expect` of the current question, with the kind of a detail said back with it (`State.echo`)."""
    prompt = state.prompt or Prompt((), ExpectKind.FREE)
    echo = state.echo
    corrects = echo.what if echo is not None and echo.prompt == prompt else None
    refused = state.refused_names
    if corrects is Detail.NAME:
        said = " ".join(n for n in (state.patient.first_name, state.patient.last_name) if n)
        refused = (*refused, said) if said and said not in refused else refused
    return Expect(prompt.expect, prompt.answers, prompt.guess, corrects, refused)


def reprompt(state: State, lines: Sequence[str], with_keypad: bool = False) -> Result:
    """Say `lines` then the current question again (for repeat, re-prompts and side answers)."""
    return state, [*(Say(text) for text in lines), *question(state, with_keypad)]


def finish(state: State, kind: OutcomeKind, lines: Sequence[str], reference: str | None = None) -> Result:
    """Say the last words and hang up."""
    outcome = Outcome(kind, reference)
    ended = replace(state, phase=Phase.ENDED, outcome=outcome, prompt=None)
    return ended, [*(Say(text) for text in lines), HangUp(outcome)]


def goodbye(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """A polite goodbye with nothing (more) done."""
    return finish(state, OutcomeKind.GOODBYE, [*pre, ctx.phrases.get("goodbye")])


def hand_over(
    state: State, ctx: Context, pre: Sequence[str] = (), kind: OutcomeKind = OutcomeKind.TRANSFERRED
) -> Result:
    """Transfer to the practice's staff, or say how to reach them when no transfer number is set."""
    staff = ctx.clinic.practice.staff_phone
    if staff is None:
        lines = [*pre, ctx.phrases.get("transfer.unavailable"), ctx.phrases.get("goodbye")]
        return finish(state, kind if kind is OutcomeKind.EMERGENCY else OutcomeKind.GOODBYE, lines)
    outcome = Outcome(kind)
    ended = replace(state, phase=Phase.ENDED, outcome=outcome, prompt=None)
    lines = [*pre, ctx.phrases.get("transfer.now")]
    return ended, [*(Say(text) for text in lines), Transfer(staff, outcome)]


def ask_more(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask "anything else?" once a request is answered."""
    return ask(
        state,
        ctx,
        Phase.MORE,
        [ctx.phrases.get("more.question")],
        ExpectKind.YES_NO,
        pre=pre,
        keypad=ctx.phrases.get("keypad.more"),
    )


def yes_no(heard: Heard, ctx: Context) -> bool | None:
    """Yes or no, spoken or keyed (1 = yes, 2 = no)."""
    if heard.digits is not None:
        keys = heard.digits.strip().rstrip("#")
        return {"1": True, "2": False}.get(keys)
    if heard.text is None:
        return None
    return parse_yes_no(heard.text, ctx.locale)


def can_transfer(ctx: Context) -> bool:
    """Whether the practice has a number to transfer callers to."""
    return ctx.clinic.practice.staff_phone is not None


def give_up(state: State, ctx: Context) -> Result:
    """The question went round without progress: to the staff while the practice is open, else how to call back."""
    if state.phase is Phase.EMERGENCY:
        if practice_open(ctx):
            return hand_over(state, ctx, kind=OutcomeKind.EMERGENCY)
        return finish(state, OutcomeKind.EMERGENCY, [ctx.phrases.get("emergency.bye")])
    if practice_open(ctx):
        return hand_over(state, ctx, [ctx.phrases.get("misunderstood.give_up")])
    return finish(state, OutcomeKind.GOODBYE, [*call_back(ctx), ctx.phrases.get("goodbye")])


def unavailable(state: State, ctx: Context, sorry: str = "unavailable.sorry") -> Result:
    """The call cannot be served (the appointment book is out of reach, or the steps keep failing).

    The apology `sorry` (a phrase key), then the staff while the practice is open and has a transfer number;
    else "call back a little later" while it is open, or when it opens again. Nothing is booked or changed.
    """
    phrases = ctx.phrases
    lines = [phrases.get(sorry)]
    is_open = practice_open(ctx)
    if is_open and can_transfer(ctx):
        return hand_over(state, ctx, lines)
    later = [phrases.get("unavailable.later")] if is_open else call_back(ctx)
    return finish(state, OutcomeKind.GOODBYE, [*lines, *later, phrases.get("goodbye")])


def call_back(ctx: Context) -> list[str]:
    """What to do when the practice is closed ("call back tomorrow from 8:30"), with its opening hours."""
    phrases = ctx.phrases
    opens = next_open(ctx)
    if opens is None:
        when = phrases.get("closed.later")
    else:
        days = (opens.date() - ctx.today).days
        moment = say_time(opens.time(), phrases)
        if days < 2:
            when = phrases.get("closed.today" if days == 0 else "closed.tomorrow", time=moment)
        else:
            day = phrases.words("speech.weekdays")[opens.weekday()] if days < 7 else say_date(opens.date(), phrases)
            when = phrases.get("closed.day", day=day, time=moment)
    return [phrases.get("closed.call_back", when=when, hours=say_hours(ctx.clinic, phrases))]


def practice_open(ctx: Context) -> bool:
    """Whether the practice is open now (see `next_open`)."""
    return next_open(ctx) == _wall_now(ctx)


def next_open(ctx: Context) -> datetime | None:
    """The first local wall-clock moment from now on when the practice is open (now itself while it is).

    Open: from the earliest to the latest practitioner's hours of the day (as `say_hours` says them), except
    public holidays and closures of the whole practice. `None` when it stays closed for two weeks.
    """
    now = _wall_now(ctx)
    closures = [c for c in ctx.clinic.closures if c.practitioner is None]
    for offset in range(15):
        span = _day_span(ctx, now.date() + timedelta(days=offset))
        if span is None:
            continue
        moment, end = max(now, span[0]), span[1]
        while moment < end:
            closure = next((c for c in closures if c.start <= moment < c.end), None)
            if closure is None:
                return moment
            moment = closure.end
    return None


def _wall_now(ctx: Context) -> datetime:
    return ctx.local_now.replace(tzinfo=None)


def _day_span(ctx: Context, day: date) -> tuple[datetime, datetime] | None:
    practice = ctx.clinic.practice
    ranges = [r for p in ctx.clinic.practitioners for r in p.hours.get(day.weekday(), ())]
    if not ranges or day in holiday_dates(practice.country, practice.subdivision, day.year):
        return None
    return datetime.combine(day, min(r.start for r in ranges)), datetime.combine(day, max(r.end for r in ranges))


def text_follows(ctx: Context, phone: str) -> list[str]:
    """The sentence that says a text will follow, when the practice sends texts and `phone` is a mobile."""
    if ctx.clinic.sms.enabled and phone and is_mobile(phone):
        return [ctx.phrases.get("texting.will_follow")]
    return []
