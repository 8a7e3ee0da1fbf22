"""Cancelling and moving: nothing is revealed or changed before the name and the birth date both match.

At most `MAX_FIND_FAILURES` checks of a name and birth date may fail in one call (a caller must not find a
birth date by trying); after that no other look-up is made, and a transfer is offered. A failed check never
says which part was wrong.

A caller using the keypad cannot spell a name: when calling from a number registered at the practice, they
may press 1 and key in the birth date instead; the calling number then stands in for the name, and only
the patients registered with that number are searched (the same trust the booking flow gives it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from booking.errors import BookingError
from booking.records import AppointmentRecord
from booking.slots import Slot
from dialogue.actions import ExpectKind, OutcomeKind
from dialogue.context import Context
from dialogue.flows.booking import advance
from dialogue.flows.common import Heard, Result, ask, ask_more, can_transfer, finish, hand_over, text_follows, yes_no
from dialogue.flows.echo import NAME, noted
from dialogue.flows.expected import choice_answers
from dialogue.flows.identity import ask_birth, ask_name, read_birth, read_name
from dialogue.state import Patient, Phase, State, Task, Wish
from dialogue.understand.choices import parse_choice, parse_menu_key, parse_ordinal
from dialogue.understand.names import same_name
from dialogue.wording.spoken import say_list, say_slot

MAX_LISTED = 3
MAX_FIND_FAILURES = 2
"""Failed name and birth-date checks allowed in one call."""


def start(state: State, ctx: Context, task: Task, pre: Sequence[str] = ()) -> Result:
    """Begin a cancel or a move: ask whose appointment it is (unless the call has used up its checks)."""
    if state.find_failures >= MAX_FIND_FAILURES:
        return _no_more(state, ctx, [*pre, ctx.phrases.get("manage.no_more")])
    fresh = replace(
        state,
        task=task,
        patient=Patient(),
        wish=Wish(),
        offers=(),
        seen=(),
        chosen=None,
        appointments=(),
        target=None,
    )
    return ask_name(fresh, ctx, Phase.FIND_NAME, pre)


def _read(appointment: AppointmentRecord, ctx: Context) -> str:
    slot = Slot(appointment.start, appointment.end, appointment.practitioner_id, appointment.motif_id)
    return say_slot(slot, ctx.clinic, ctx.phrases)


CALLER_KEY = "1"
"""At the name question, for a known calling number: the patient is one registered with that number."""


def on_find_name(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The patient's name (or, keyed, "one registered with this number"), then the birth date."""
    if heard.digits is not None:
        if heard.digits.strip().rstrip("#") != CALLER_KEY or not state.caller_patients:
            return None
        return ask_birth(replace(state, patient=Patient()), ctx, Phase.FIND_BIRTH)
    name = read_name(heard, ctx)
    if name is None:
        return None
    state = replace(state, patient=Patient(first_name=name[0], last_name=name[1]))
    return noted(ask_birth(state, ctx, Phase.FIND_BIRTH), heard, NAME, ctx)


def on_find_birth(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The birth date; then the upcoming appointments of the patients matching name and birth date."""
    born = read_birth(heard, ctx)
    if born is None:
        return None
    patient = replace(state.patient, birth_date=born)
    state = replace(state, patient=patient)
    if patient.last_name is None:  # keyed in: the patients registered with the calling number
        records = [r for r in state.caller_patients if r.details.birth_date == born]
    else:
        records = [
            r
            for r in ctx.port.find_patients(last_name=patient.last_name, birth_date=born)
            if patient.first_name is None or same_name(r.details.first_name, patient.first_name)
        ]
    found = sorted((a for r in records for a in ctx.port.upcoming(r.id, ctx.now)), key=lambda a: a.start.timestamp())
    if not found:
        return _not_found(replace(state, find_failures=state.find_failures + 1), ctx)
    state = replace(state, appointments=tuple(found))
    if len(found) == 1:
        return select(state, found[0], ctx)
    listed = found[:MAX_LISTED]
    phrases = ctx.phrases
    items = say_list([_read(a, ctx) for a in listed], phrases, "speech.and")
    lines = [
        phrases.get("manage.several", count=len(found), items=items),
        phrases.get(f"manage.which_{state.task or Task.CANCEL}"),
    ]
    menu = [
        phrases.get("keypad.item", key=i, option=phrases.words("manage.ordinals")[i - 1])
        for i in range(1, len(listed) + 1)
    ]
    return ask(
        state,
        ctx,
        Phase.PICK,
        lines,
        ExpectKind.FREE,
        example=phrases.get("example.pick"),
        keypad=phrases.get("keypad.menu", items=say_list(menu, phrases)),
        answers=choice_answers([a.start.astimezone(ctx.clinic.practice.zone) for a in listed], ctx),
    )


def _not_found(state: State, ctx: Context) -> Result:
    phrases = ctx.phrases
    lines = [phrases.get("manage.not_found")]
    if state.find_failures < MAX_FIND_FAILURES:
        return ask(state, ctx, Phase.FIND_RETRY, [phrases.get("manage.retry")], ExpectKind.YES_NO, pre=lines)
    return _no_more(state, ctx, lines)


def _no_more(state: State, ctx: Context, lines: Sequence[str]) -> Result:
    """No more look-ups in this call: offer a transfer (or ask what else)."""
    phrases = ctx.phrases
    if can_transfer(ctx):
        return ask(state, ctx, Phase.TRANSFER_OFFER, [phrases.get("transfer.offer")], ExpectKind.YES_NO, pre=lines)
    return ask_more(state, ctx, lines)


def select(state: State, appointment: AppointmentRecord, ctx: Context) -> Result:
    """Read the appointment and ask to confirm the cancel, or ask when to move it to."""
    phrases = ctx.phrases
    state = replace(state, target=appointment)
    said = phrases.get("manage.you_have", slot=_read(appointment, ctx))
    if state.task is Task.MOVE:
        wish = Wish(practitioner_ids=(appointment.practitioner_id,), motif_id=appointment.motif_id, known_patient=True)
        return advance(replace(state, wish=wish), ctx, [said])
    return ask(state, ctx, Phase.CANCEL_CONFIRM, [said, phrases.get("manage.cancel_question")], ExpectKind.YES_NO)


def on_pick(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Which of several appointments (keypad, ordinal, or its day/time)."""
    listed = state.appointments[:MAX_LISTED]
    if heard.digits is not None:
        index = parse_menu_key(heard.digits, len(listed))
    else:
        text = heard.text or ""
        index = parse_choice(text, ctx.locale, [a.start for a in listed])
        if index is None:
            index = parse_ordinal(text, ctx.locale, len(listed))
    if index is None or not 0 <= index < len(listed):
        return None
    return select(state, listed[index], ctx)


def on_cancel_confirm(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Cancel only after an explicit yes."""
    answer = yes_no(heard, ctx)
    if answer is None:
        return None
    phrases = ctx.phrases
    if not answer or state.target is None:
        return ask_more(replace(state, target=None), ctx, [phrases.get("manage.unchanged")])
    try:
        record = ctx.port.cancel(state.target.reference, ctx.now)
    except BookingError:
        return hand_over(state, ctx, [phrases.get("done.failed")])
    lines = [
        phrases.get("done.cancelled", slot=_read(state.target, ctx)),
        *text_follows(ctx, record.patient.phone),
        phrases.get("goodbye"),
    ]
    return finish(state, OutcomeKind.CANCELLED, lines, record.reference)


def on_find_retry(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Try the name and birth date again, or stop."""
    answer = yes_no(heard, ctx)
    if answer is None:
        return None
    if answer:
        return ask_name(replace(state, patient=Patient()), ctx, Phase.FIND_NAME)
    return ask_more(state, ctx)
