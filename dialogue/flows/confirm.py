"""The read-back answer: book or move only after an explicit yes; otherwise find out what to correct."""

from __future__ import annotations

from dataclasses import replace

from booking.errors import BookingError, SlotUnavailable
from booking.records import PatientDetails
from dialogue.actions import ExpectKind, OutcomeKind
from dialogue.context import Context
from dialogue.flows import identity, spelling
from dialogue.flows.answers import acknowledge, ask_other_time, corrected
from dialogue.flows.booking import advance
from dialogue.flows.common import (
    Handler,
    Heard,
    Result,
    ask,
    ask_more,
    finish,
    hand_over,
    reprompt,
    text_follows,
    yes_no,
)
from dialogue.state import Phase, State, Task, Wish
from dialogue.understand.choices import parse_menu_key
from dialogue.understand.intents import correction_target
from dialogue.wording.spoken import say_digits


def after_read_back(handler: Handler) -> Handler:
    """`handler` for the answer to a read-back (booking, move, cancel, request), taking a yes only once the
    read-back was heard in full: a bare yes said over it ("oui" into a pause) has the read-back said again.
    A "non" or a correction said over it is taken as usual.
    """

    def on_read_back(state: State, heard: Heard, ctx: Context) -> Result | None:
        if heard.barged_in and yes_no(heard, ctx) is True:
            return reprompt(state, [ctx.phrases.get("confirm.listen")])
        return handler(state, heard, ctx)

    on_read_back.__doc__ = handler.__doc__
    return on_read_back


def on_confirm(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Yes books (or moves); a correction ("non, plutôt mercredi") searches again; no asks what to change."""
    answer = yes_no(heard, ctx)
    if heard.text is not None and answer is not True:
        new = corrected(state, heard.text, ctx)
        if new is not None:
            return advance(new, ctx, acknowledge(state, new, ctx))
    if answer is None:
        return None
    if answer:
        return commit(state, ctx)
    if state.task is Task.MOVE:
        return ask_other_time(state, ctx)
    if correction_target(heard.text or "", ctx.locale) is not None:
        return on_fix(state, heard, ctx)
    return ask_fix(state, ctx)


def commit(state: State, ctx: Context) -> Result:
    """Book the chosen slot, or move the appointment to it, through the booking port."""
    phrases = ctx.phrases
    slot = state.chosen
    assert slot is not None, "a slot is chosen before the read-back"
    try:
        if state.task is Task.MOVE and state.target is not None:
            record = ctx.port.reschedule(state.target.reference, slot, ctx.now)
            kind, done = OutcomeKind.MOVED, phrases.get("done.moved")
        else:
            patient = state.patient
            details = PatientDetails(
                patient.first_name or "",
                patient.last_name or "",
                patient.birth_date or ctx.today,
                patient.phone or state.caller_id or "",
            )
            record = ctx.port.book(slot, details, ctx.now)
            kind, done = OutcomeKind.BOOKED, phrases.get("done.booked")
    except SlotUnavailable:
        return advance(replace(state, chosen=None, offers=()), ctx, [phrases.get("done.taken")])
    except BookingError:
        return hand_over(state, ctx, [phrases.get("done.failed")])
    reference = phrases.get("done.reference", digits=say_digits(record.reference))
    lines = [done, *text_follows(ctx, record.patient.phone), reference, phrases.get("goodbye")]
    return finish(state, kind, lines, record.reference)


def ask_fix(state: State, ctx: Context) -> Result:
    """Ask what to change after a no to the read-back."""
    phrases = ctx.phrases
    return ask(
        state,
        ctx,
        Phase.FIX,
        [phrases.get("fix.question")],
        ExpectKind.FREE,
        example=phrases.get("example.fix"),
        keypad=phrases.get("keypad.fix"),
        answers=phrases.words("answers.fix"),
    )


def _reset(state: State, ctx: Context, target: str) -> Result:
    wish, patient = state.wish, state.patient
    if target == "when":
        return advance(replace(state, wish=replace(wish, when=None), chosen=None, offers=()), ctx)
    if target == "practitioner":
        wish = replace(wish, practitioner_ids=(), anyone=False, specialty=None)
        return advance(replace(state, wish=wish, chosen=None, offers=()), ctx)
    if target == "motif":
        return advance(replace(state, wish=replace(wish, motif_id=None, known_patient=None), chosen=None), ctx)
    if target == "birth":
        state = replace(state, patient=replace(patient, birth_date=None, record_id=None))
        return identity.ask_birth(state, ctx, Phase.BIRTH)
    if target == "phone":
        return identity.ask_phone(replace(state, patient=replace(patient, phone=None)), ctx)
    # the name read back was misheard: its surname is spelled, the first name kept
    return spelling.ask_spelling(replace(state, caller_match_declined=True), ctx, Phase.NAME)


def on_fix(state: State, heard: Heard, ctx: Context) -> Result | None:
    """What to change: the day, the practitioner, the motif or the patient's details; or give up."""
    if heard.digits is not None:
        index = parse_menu_key(heard.digits, 3)
        return _reset(state, ctx, ("when", "practitioner", "name")[index]) if index is not None else None
    text = heard.text or ""
    target = correction_target(text, ctx.locale)
    if target == "abandon":
        return ask_more(replace(state, wish=Wish(), chosen=None, offers=()), ctx, [ctx.phrases.get("nothing_booked")])
    new = corrected(state, text, ctx)
    if new is not None:
        return advance(new, ctx, acknowledge(state, new, ctx))
    if target is not None:
        return _reset(state, ctx, target)
    if yes_no(heard, ctx) is False:
        return identity.ask_confirm(state, ctx)
    return None
