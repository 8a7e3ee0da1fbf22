"""Building blocks shared by every flow: asking a question, ending or handing over the call, yes/no."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from dialogue.actions import Action, Expect, ExpectKind, HangUp, Outcome, OutcomeKind, Say, Transfer
from dialogue.context import Context
from dialogue.state import Phase, Prompt, State
from dialogue.understand.yesno import parse_yes_no

Result = tuple[State, list[Action]]
"""What a step (and every flow function) returns."""


@dataclass(frozen=True)
class Heard:
    """One caller turn: what was said, or the keys pressed."""

    text: str | None = None
    digits: str | None = None


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
) -> Result:
    """Say `pre` (not repeated later), then ask the question `lines` and wait for an answer."""
    if not keypad:
        keypad = ctx.phrases.get("keypad.yes_no") if expect is ExpectKind.YES_NO else ctx.phrases.get("keypad.none")
    if not example and expect is ExpectKind.YES_NO:
        example = ctx.phrases.get("example.yes_no")
    prompt = Prompt(tuple(lines), expect, example, keypad)
    misses = state.misses if phase is state.phase else 0
    new = replace(state, phase=phase, prompt=prompt, misses=misses)
    return new, [*(Say(text) for text in pre), *question(new)]


def question(state: State, with_keypad: bool = False) -> list[Action]:
    """The current question's actions: its lines, its keypad menu (for keypad callers), then `Expect`."""
    prompt = state.prompt or Prompt((), ExpectKind.FREE)
    actions: list[Action] = [Say(text) for text in prompt.lines]
    if (with_keypad or state.keypad_mode) and prompt.keypad:
        actions.append(Say(prompt.keypad))
    return [*actions, Expect(prompt.expect)]


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
