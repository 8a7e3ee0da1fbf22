"""Booking, the asking side.

Work out what is still missing from the wish and ask only for that, then search and read the slots out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from booking.slots import Slot
from dialogue.actions import ExpectKind
from dialogue.context import Context
from dialogue.flows import identity
from dialogue.flows.common import Result, ask, ask_more, can_transfer
from dialogue.flows.expected import choice_answers, motif_answers, practitioner_answers, which_answers
from dialogue.flows.search import Found, Reason, find_offers
from dialogue.flows.wish import (
    ask_alt_motif,
    candidates,
    motif_example,
    motif_keypad,
    motifs_for,
    practitioner_settled,
)
from dialogue.state import Phase, State, Task, When
from dialogue.wording.spoken import cap, say_date, say_list, say_practitioner, say_slots

ANYONE_KEY = "9"
"""Keypad key for "the first available practitioner" in the practitioner menu."""


def advance(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask for the next missing detail of the wish, or search and offer slots once it is complete."""
    clinic, phrases = ctx.clinic, ctx.phrases
    wish = state.wish
    lines = list(pre)
    if wish.motif_id and wish.practitioner_ids and not wish.anyone and not candidates(wish, clinic):
        names = [say_practitioner(clinic.practitioner(i), phrases) for i in wish.practitioner_ids]
        motif = clinic.motif(wish.motif_id)
        lines.append(phrases.get("motif.not_offered", name=cap(say_list(names, phrases)), motif=motif.label))
        wish = replace(wish, practitioner_ids=(), anyone=False, specialty=None)
        offering = candidates(wish, clinic)
        if len(offering) == 1:
            wish = replace(wish, practitioner_ids=(offering[0].id,))
            lines.append(phrases.get("motif.only_with", name=say_practitioner(offering[0], phrases)))
        state = replace(state, wish=wish)
    if len(wish.practitioner_ids) > 1 and not wish.anyone:
        return ask_which(state, ctx, lines)
    if not practitioner_settled(wish) and wish.motif_id is not None:
        offering = candidates(replace(wish, practitioner_ids=(), anyone=False, specialty=None), clinic)
        if len(offering) == 1:
            wish = replace(wish, practitioner_ids=(offering[0].id,), anyone=False, specialty=None)
            state = replace(state, wish=wish)
            lines.append(phrases.get("motif.only_with", name=say_practitioner(offering[0], phrases)))
    if not practitioner_settled(wish):
        return ask_practitioner(state, ctx, lines)
    if wish.motif_id is None:
        motifs = motifs_for(wish, clinic)
        if len(motifs) != 1:
            return ask_motif(state, ctx, lines)
        wish = replace(wish, motif_id=motifs[0].id)
        state = replace(state, wish=wish)
    motif = clinic.motif(wish.motif_id or "")
    if not motif.new_patients and wish.known_patient is None:
        question = phrases.get("motif.known_question", motif=motif.label)
        return ask(state, ctx, Phase.KNOWN_PATIENT, [question], ExpectKind.YES_NO, pre=lines)
    if not motif.new_patients and wish.known_patient is False:
        return ask_alt_motif(state, ctx, lines)
    if wish.when is None:
        key = "when.question_move" if state.task is Task.MOVE else "when.question"
        return ask(
            state,
            ctx,
            Phase.WHEN,
            [phrases.get(key)],
            ExpectKind.DATE,
            pre=lines,
            example=phrases.get("example.when"),
            keypad=phrases.get("keypad.when"),
        )
    if state.chosen is None:
        return offer(state, ctx, find_offers(wish, ctx), lines)
    return after_choice(state, ctx, lines)


def ask_practitioner(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask whom the caller wants to see, with a keypad menu of those offering the motif (if known)."""
    phrases = ctx.phrases
    offering = candidates(replace(state.wish, practitioner_ids=(), specialty=None, anyone=False), ctx.clinic)
    menu = [phrases.get("keypad.item", key=i, option=say_practitioner(p, phrases)) for i, p in enumerate(offering, 1)]
    menu.append(phrases.get("keypad.item", key=ANYONE_KEY, option=phrases.get("practitioner.anyone")))
    keypad = phrases.get("keypad.menu", items=say_list(menu, phrases))
    return ask(
        state,
        ctx,
        Phase.PRACTITIONER,
        [phrases.get("practitioner.question")],
        ExpectKind.NAME,
        pre=pre,
        example=phrases.get("example.practitioner"),
        keypad=keypad,
        answers=practitioner_answers(offering, ctx),
    )


def ask_which(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask "le docteur Bernard ou le docteur Bertrand ?" when two names are close."""
    phrases = ctx.phrases
    named = [ctx.clinic.practitioner(i) for i in state.wish.practitioner_ids]
    names = [say_practitioner(p, phrases) for p in named]
    menu = [phrases.get("keypad.item", key=i, option=name) for i, name in enumerate(names, 1)]
    question = phrases.get("practitioner.which", names=cap(say_list(names, phrases)))
    return ask(
        state,
        ctx,
        Phase.WHICH_PRACTITIONER,
        [question],
        ExpectKind.NAME,
        pre=pre,
        example=phrases.get("example.which", name=names[0]),
        keypad=phrases.get("keypad.menu", items=say_list(menu, phrases)),
        answers=which_answers(named, ctx),
    )


def ask_motif(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask the reason for the appointment among the motifs the chosen practitioner offers."""
    phrases = ctx.phrases
    motifs = motifs_for(state.wish, ctx.clinic)
    labels = [m.label for m in motifs]
    question = phrases.get("motif.question", motifs=say_list(labels, phrases))
    return ask(
        state,
        ctx,
        Phase.MOTIF,
        [question],
        ExpectKind.FREE,
        pre=pre,
        example=motif_example(state.wish, ctx),
        keypad=motif_keypad(state.wish, ctx),
        answers=motif_answers(motifs),
    )


def _names_slots(state: State) -> bool:
    return len(state.wish.practitioner_ids) != 1 or len({s.practitioner_id for s in state.offers}) > 1


def _why_not(state: State, ctx: Context, reason: Reason | None) -> str:
    phrases, clinic = ctx.phrases, ctx.clinic
    when = state.wish.when or When()
    day = say_date(when.first_day, phrases) if when.first_day else ""
    name = ""
    if len(state.wish.practitioner_ids) == 1:
        name = say_practitioner(clinic.practitioner(state.wish.practitioner_ids[0]), phrases)
    return phrases.get(f"offer.none_{reason or Reason.PERIOD}", day=day, name=cap(name) if name else "")


def offer(state: State, ctx: Context, found: Found, pre: Sequence[str] = ()) -> Result:
    """Read out the slots found (or say why there are none) and ask which one suits."""
    phrases = ctx.phrases
    lines = list(pre)
    state = replace(state, offers=found.slots, seen=state.seen + found.slots, chosen=None)
    if not found.exact:
        lines.append(_why_not(state, ctx, found.reason))
    if not found.slots:
        lines.append(phrases.get("offer.nothing_at_all", days=ctx.clinic.practice.horizon_days))
        if can_transfer(ctx):
            return ask(
                state,
                ctx,
                Phase.TRANSFER_OFFER,
                [phrases.get("transfer.offer")],
                ExpectKind.YES_NO,
                pre=lines,
            )
        return ask_more(state, ctx, lines)
    return present(state, ctx, found.slots, lines, alternatives=not found.exact)


def present(
    state: State, ctx: Context, slots: Sequence[Slot], pre: Sequence[str] = (), alternatives: bool = False
) -> Result:
    """Ask the caller to choose among `slots` (already stored as the state's offers)."""
    phrases = ctx.phrases
    state = replace(state, offers=tuple(slots))
    read = say_slots(slots, ctx.clinic, phrases, with_practitioner=_names_slots(state))
    if len(slots) == 1:
        lines = [
            phrases.get("offer.one_alt" if alternatives else "offer.one", slots=read),
            phrases.get("offer.one_question"),
        ]
        keypad = phrases.get("keypad.offer_one")
        expect = ExpectKind.YES_NO
    else:
        lines = [
            phrases.get("offer.many_alt" if alternatives else "offer.many", slots=read),
            phrases.get("offer.many_question"),
        ]
        keys = say_list([str(i) for i in range(1, len(slots) + 1)], phrases)
        keypad = phrases.get("keypad.offer_many", keys=keys)
        expect = ExpectKind.FREE
    answers = choice_answers([s.start for s in slots], ctx, yes_no=len(slots) == 1)
    example = phrases.get("example.offer")
    return ask(state, ctx, Phase.OFFER, lines, expect, pre=pre, example=example, keypad=keypad, answers=answers)


def after_choice(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """A slot was chosen: identify the patient (booking) or read back the move."""
    if state.task is Task.MOVE:
        return identity.ask_confirm(state, ctx, pre)
    return identity.advance_identity(state, ctx, pre)
