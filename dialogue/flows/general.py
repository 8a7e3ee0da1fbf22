"""The call's frame: greeting, the open question, practice information, "anything else?", emergencies.

The open question routes to booking, cancelling, moving, or a request for the practice (`flows.request`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from dialogue.actions import Action, ExpectKind, OutcomeKind, Say
from dialogue.context import Context
from dialogue.flows import manage, request
from dialogue.flows.booking import advance
from dialogue.flows.common import Heard, Result, ask, ask_more, finish, goodbye, hand_over, yes_no
from dialogue.flows.wish import absorb
from dialogue.state import Phase, State, Task, Wish
from dialogue.understand.intents import Intent, detect_intent
from dialogue.understand.topics import parse_topic
from dialogue.wording.spoken import say_hours

_MENU = {"1": Task.BOOK, "2": Task.MOVE, "3": Task.CANCEL, "5": Task.REQUEST}
INFO_KEY = "4"


def greet(state: State, ctx: Context, caller_id: str | None) -> Result:
    """Practice name, automated assistant, data notice (not interruptible), then the open question."""
    phrases = ctx.phrases
    known = tuple(ctx.port.find_patients(phone=caller_id)) if caller_id else ()
    state = replace(state, caller_id=caller_id, caller_patients=known)
    greeting = [
        Say(phrases.get("greeting.hello", practice=ctx.clinic.practice.name), interruptible=False),
        Say(phrases.get("greeting.notice"), interruptible=False),
    ]
    new, actions = ask_open(state, ctx)
    return new, [*greeting, *actions]


def ask_open(state: State, ctx: Context, pre: Sequence[str] = (), key: str = "open.question") -> Result:
    """Ask the open question ("Que puis-je faire pour vous ?"), with its keypad menu."""
    phrases = ctx.phrases
    return ask(
        state,
        ctx,
        Phase.OPEN,
        [phrases.get(key)],
        ExpectKind.FREE,
        pre=pre,
        example=phrases.get("example.open"),
        keypad=phrases.get("keypad.open"),
    )


def info_lines(intent: Intent | None, ctx: Context) -> list[str]:
    """Opening hours or address (or both for `None`)."""
    phrases, practice = ctx.phrases, ctx.clinic.practice
    hours = phrases.get("info.hours", hours=say_hours(ctx.clinic, phrases))
    address = phrases.get("info.address", address=practice.address)
    if intent is Intent.INFO_HOURS:
        return [hours]
    if intent is Intent.INFO_ADDRESS:
        return [address]
    return [hours, address]


def begin(state: State, ctx: Context, task: Task, text: str = "") -> Result:
    """Start booking (reading whatever `text` already says), cancelling, moving or a request for the practice."""
    if task is Task.REQUEST:
        return request.start(state, ctx, text)
    if task is not Task.BOOK:
        return manage.start(state, ctx, task)
    wish = absorb(Wish(), text, ctx) if text else Wish()
    fresh = replace(state, task=task, wish=wish, offers=(), seen=(), chosen=None, target=None)
    return advance(fresh, ctx)


def on_open(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The caller's request: book (with any details), cancel, move, a request for the practice, or information.

    A topic with booking details ("un renouvellement d'ordonnance avec le docteur Martin") is a booking.
    """
    if heard.digits is not None:
        keys = heard.digits.strip().rstrip("#")
        if keys == INFO_KEY:
            return ask_more(state, ctx, info_lines(None, ctx))
        task = _MENU.get(keys)
        return begin(state, ctx, task) if task is not None else None
    text = heard.text or ""
    intent = detect_intent(text, ctx.locale)
    tasks = {Intent.BOOK: Task.BOOK, Intent.CANCEL: Task.CANCEL, Intent.MOVE: Task.MOVE}
    if intent in tasks:
        return begin(state, ctx, tasks[intent], text)
    if intent in (Intent.INFO_HOURS, Intent.INFO_ADDRESS):
        return ask_more(state, ctx, info_lines(intent, ctx))
    wish = absorb(Wish(), text, ctx)
    if intent is Intent.REQUEST or parse_topic(text, ctx.locale) is not None:
        if replace(wish, motif_id=None) == Wish():
            return begin(state, ctx, Task.REQUEST, text)
    if wish != Wish():
        return begin(state, ctx, Task.BOOK, text)
    return None


def on_more(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The answer to "anything else?": a new request, yes (then listen) or no (goodbye).

    Keys are yes (1) and no (2), as the keypad menu says: 2 is not "move an appointment" here.
    """
    result = on_open(state, heard, ctx) if heard.digits is None else None
    if result is not None:
        return result
    answer = yes_no(heard, ctx)
    if answer is None:
        return None
    return ask_open(state, ctx, key="open.listening") if answer else goodbye(state, ctx)


def on_transfer_offer(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The answer to "shall I put you through to the practice?"."""
    answer = yes_no(heard, ctx)
    if answer is None:
        return None
    return hand_over(state, ctx) if answer else goodbye(state, ctx)


def emergency(state: State, ctx: Context) -> Result:
    """Say at once to hang up and call the emergency number; offer a transfer; never book."""
    phrases = ctx.phrases
    numbers = phrases.table("emergency.numbers")
    said = phrases.get("emergency.alert", numbers=numbers.get(ctx.clinic.practice.country, numbers["default"]))
    first: list[Action] = [Say(said, interruptible=False)]
    state = replace(state, task=None, wish=Wish(), chosen=None, offers=())
    if ctx.clinic.practice.staff_phone is None:
        new, actions = finish(state, OutcomeKind.EMERGENCY, [])
    else:
        new, actions = ask(state, ctx, Phase.EMERGENCY, [phrases.get("emergency.offer")], ExpectKind.YES_NO)
    return new, [*first, *actions]


def on_emergency(state: State, heard: Heard, ctx: Context) -> Result | None:
    """After the emergency advice: transfer (yes) or end (no)."""
    answer = yes_no(heard, ctx)
    if answer is None:
        return None
    if answer:
        return hand_over(state, ctx, kind=OutcomeKind.EMERGENCY)
    return finish(state, OutcomeKind.EMERGENCY, [ctx.phrases.get("emergency.bye")])
