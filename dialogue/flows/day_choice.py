"""A weekday alone said on that weekday: "Aujourd'hui, ou mardi prochain ?".

Asked when the caller answers the date question with today's weekday and nothing that says which week
("mardi", "mardi matin", said on a Tuesday; see `dialogue.understand.when.today`), unless today is out of
reach: the practice closed for the rest of the day, or the time or part of the day said already past.
Keypad: 1 = today, 2 = a week today.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from dialogue.actions import ExpectKind
from dialogue.context import Context
from dialogue.flows.booking import advance
from dialogue.flows.common import Heard, Result, ask, next_open, reprompt
from dialogue.flows.wish import absorb
from dialogue.state import Phase, State, When
from dialogue.understand.when import parse_when
from dialogue.understand.when.today import parse_day_choice, weekday_alone

TODAY_KEY, NEXT_KEY = "1", "2"


def _today_possible(when: When, ctx: Context) -> bool:
    """Whether the practice is still open today and the time or part of the day said is still ahead."""
    opening = next_open(ctx)
    now = ctx.local_now.replace(tzinfo=None)
    if opening is None or opening.date() != ctx.today:
        return False
    if when.time is not None:
        return datetime.combine(ctx.today, when.time) > now
    return not when.windows or any(w.latest is None or w.latest > now.time() for w in when.windows)


def ask_if_today(state: State, text: str, ctx: Context) -> Result | None:
    """Ask "Aujourd'hui, ou mardi prochain ?" when `text` is today's weekday alone and today is still possible.

    The rest of `text` is taken in first ("mardi vers 10 h": the time is kept, next week's Tuesday stands
    until the answer). `None` when the question is not needed.
    """
    if not weekday_alone(text, ctx.local_now, ctx.locale):
        return None
    wish = absorb(state.wish, text, ctx)
    if wish.when is None or not _today_possible(wish.when, ctx):
        return None
    phrases = ctx.phrases
    weekday = phrases.words("speech.weekdays")[ctx.today.weekday()]
    new = replace(state, wish=wish, chosen=None, offers=())
    answers = (phrases.get("when.today"), phrases.get("when.next_weekday", weekday=weekday))
    return ask(
        new,
        ctx,
        Phase.DAY_CHOICE,
        [phrases.get("when.today_or_next", weekday=weekday)],
        ExpectKind.DATE,
        example=phrases.get("when.today_or_next_example", weekday=weekday),
        keypad=phrases.get("when.today_or_next_keypad", weekday=weekday),
        answers=answers,
    )


def _settle(state: State, day: date, text: str, ctx: Context) -> Result:
    """The wish on `day`, with a time or part of the day said in the answer ("aujourd'hui vers 15 h")."""
    when = state.wish.when or When()
    found = parse_when(text, ctx.local_now, ctx.locale) if text else None
    if found is not None and (found.time is not None or found.windows):
        when = replace(when, time=found.time, windows=tuple(found.windows))
    when = replace(when, first_day=day, last_day=day, asap=False)
    return advance(replace(state, wish=replace(state.wish, when=when)), ctx)


def on_day_choice(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Today or a week today ("aujourd'hui", "mardi prochain", "le prochain", keypad 1 or 2); another day
    ("plutôt mercredi") is a new wish, a time alone ("vers 15 h") is kept and the question asked again.
    """
    today = ctx.today
    if heard.digits is not None:
        keys = heard.digits.strip().rstrip("#")
        if keys not in (TODAY_KEY, NEXT_KEY):
            return None
        return _settle(state, today if keys == TODAY_KEY else today + timedelta(days=7), "", ctx)
    text = heard.text or ""
    choice = parse_day_choice(text, ctx.local_now, ctx.locale)
    if choice is not None:
        return _settle(state, today if choice else today + timedelta(days=7), text, ctx)
    wish = absorb(state.wish, text, ctx)
    if wish == state.wish:
        return None
    before, after = state.wish.when or When(), wish.when or When()
    if (after.first_day, after.last_day, after.asap) != (before.first_day, before.last_day, before.asap):
        return advance(replace(state, wish=wish), ctx, [ctx.phrases.get("ok")])
    return reprompt(replace(state, wish=wish), [ctx.phrases.get("ok")])
