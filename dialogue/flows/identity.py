"""Who the appointment (or the request for the practice) is for: birth date, name (spelling accepted), phone;
then the read-back.

With a caller id the birth date is asked first: when it matches exactly one patient registered with that
number, the agent asks "is it for Jean Dupont?" (the name is said only after the birth date matched).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from booking.phones import is_mobile
from booking.records import PatientRecord
from booking.slots import Slot
from dialogue.actions import Detail, ExpectKind
from dialogue.context import Context
from dialogue.flows import request_recap
from dialogue.flows.common import Heard, Result, ask, yes_no
from dialogue.flows.echo import BIRTH, NAME, noted
from dialogue.flows.expected import known_names
from dialogue.flows.wish import ask_alt_motif
from dialogue.state import Patient, Phase, State, Task
from dialogue.understand.names import parse_person_name, parse_spelled, same_name, tidy_name
from dialogue.understand.phone import parse_phone
from dialogue.understand.texting import declines_text
from dialogue.understand.when import parse_birth_date
from dialogue.wording.spoken import say_phone_tail, say_slot, say_spelled


def _caller_match(state: State) -> PatientRecord | None:
    born = state.patient.birth_date
    found = [r for r in state.caller_patients if r.details.birth_date == born]
    return found[0] if len(found) == 1 else None


def advance_identity(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask for the next missing detail about the patient, then read the booking back."""
    phrases = ctx.phrases
    patient = state.patient
    lines = list(pre)
    if patient.birth_date is None and (patient.last_name is not None or state.caller_patients):
        return ask_birth(state, ctx, Phase.BIRTH, lines)
    if patient.last_name is None:
        match = None if state.caller_match_declined else _caller_match(state)
        if match is not None:
            name = f"{match.details.first_name} {match.details.last_name}"
            return ask(
                state,
                ctx,
                Phase.CALLER_IS_PATIENT,
                [phrases.get("request.is_it" if state.task is Task.REQUEST else "identity.is_it", name=name)],
                ExpectKind.YES_NO,
                pre=lines,
            )
        return ask_name(state, ctx, Phase.NAME, lines)
    if patient.phone is None:
        if state.caller_id is not None and ctx.clinic.sms.enabled and not is_mobile(state.caller_id):
            return ask_mobile(state, ctx, lines)
        if state.caller_id is not None:
            question = phrases.get("identity.phone_confirm", tail=say_phone_tail(state.caller_id, phrases))
            return ask(state, ctx, Phase.PHONE_CONFIRM, [question], ExpectKind.YES_NO, pre=lines)
        return ask_phone(state, ctx, lines)
    if state.task is Task.REQUEST:
        return request_recap.after_identity(state, ctx, lines)
    if patient.record_id is None and patient.birth_date is not None:
        records = ctx.port.find_patients(last_name=patient.last_name, birth_date=patient.birth_date)
        records = [
            r for r in records if patient.first_name is None or same_name(r.details.first_name, patient.first_name)
        ]
        if records:
            state = replace(state, patient=replace(patient, record_id=records[0].id))
    motif = ctx.clinic.motif(state.wish.motif_id or "")
    if not motif.new_patients and state.patient.record_id is None:
        lines.append(phrases.get("identity.no_file"))
        return ask_alt_motif(state, ctx, lines)
    return ask_confirm(state, ctx, lines)


def ask_birth(state: State, ctx: Context, phase: Phase, pre: Sequence[str] = (), *, misheard: bool = False) -> Result:
    """Ask the patient's birth date (spoken, or keyed as DDMMYYYY).

    The keypad is offered after one miss (the re-prompt's example ends "ou tapez-la : jour, mois, année"),
    and with the question itself once a name and birth-date check has failed in the call, or when the
    caller said the date heard was not theirs (`misheard`).
    """
    phrases = ctx.phrases
    lines = [phrases.get("identity.birth_question")]
    failed = phase is Phase.FIND_BIRTH and state.find_failures > 0
    if (failed or misheard) and not state.keypad_mode:
        lines.append(phrases.get("identity.birth_keypad"))
    return ask(
        state,
        ctx,
        phase,
        lines,
        ExpectKind.DATE,
        pre=pre,
        example=phrases.get("example.birth_keypad"),
        keypad=phrases.get("keypad.birth"),
    )


def ask_name(state: State, ctx: Context, phase: Phase, pre: Sequence[str] = ()) -> Result:
    """Ask the patient's first name and surname (spelling accepted).

    Keys cannot spell a name: the keypad menu says that 0 reaches a person, and, when looking for an
    appointment from a number registered at the practice, that 1 identifies the patient by the calling
    number and the birth date instead.
    """
    find = phase is Phase.FIND_NAME
    key = "identity.find_name_question" if find else "identity.name_question"
    keypad = "keypad.find_name_known" if find and state.caller_patients else "keypad.name"
    return ask(
        state,
        ctx,
        phase,
        [ctx.phrases.get(key)],
        ExpectKind.NAME,
        pre=pre,
        example=ctx.phrases.get("example.name"),
        keypad=ctx.phrases.get(keypad),
        answers=known_names(state.caller_patients),
    )


def ask_phone(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask for a phone number (spoken or keyed)."""
    phrases = ctx.phrases
    return ask(
        state,
        ctx,
        Phase.PHONE,
        [phrases.get("identity.phone_question")],
        ExpectKind.DIGITS,
        pre=pre,
        example=phrases.get("example.phone"),
        keypad=phrases.get("keypad.phone"),
    )


def ask_mobile(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """The practice sends texts and the caller's number gets none: a mobile number, or "pas de SMS"."""
    phrases = ctx.phrases
    assert state.caller_id is not None, "asked only of a caller whose number is known"
    landline = phrases.get("texting.landline", tail=say_phone_tail(state.caller_id, phrases))
    return ask(
        state,
        ctx,
        Phase.MOBILE,
        [landline, phrases.get("texting.mobile_question")],
        ExpectKind.DIGITS,
        pre=pre,
        example=phrases.get("texting.example"),
        keypad=phrases.get("texting.keypad"),
        answers=phrases.words("texting.answers"),
    )


def ask_confirm(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """The read-back: "Je récapitule : … C'est bien ça ?"; nothing is booked before a yes."""
    phrases, clinic = ctx.phrases, ctx.clinic
    slot = state.chosen
    assert slot is not None, "a slot is chosen before the read-back"
    when = say_slot(slot, clinic, phrases)
    if state.task is Task.MOVE and state.target is not None:
        old = Slot(state.target.start, state.target.end, state.target.practitioner_id, state.target.motif_id)
        recap = phrases.get("confirm.move", old=say_slot(old, clinic, phrases, with_practitioner=False), new=when)
    else:
        patient = state.patient
        name = " ".join(n for n in (patient.first_name, patient.last_name) if n)
        recap = phrases.get(
            "confirm.book",
            motif=clinic.motif(slot.motif_id).label,
            slot=when,
            name=name,
            spelled=say_spelled(patient.last_name or ""),
        )
    return ask(state, ctx, Phase.CONFIRM, [recap, phrases.get("confirm.question")], ExpectKind.YES_NO, pre=pre)


def read_birth(heard: Heard, ctx: Context) -> date | None:
    """A plausible birth date, spoken or keyed (DDMMYYYY): in the past, at most 120 years ago."""
    text = heard.digits if heard.digits is not None else heard.text
    born = parse_birth_date(text, ctx.locale) if text else None
    if born is None or born > ctx.today or born.year < ctx.today.year - 120:
        return None
    return born


def on_birth(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The patient's birth date (booking)."""
    born = read_birth(heard, ctx)
    if born is None:
        return None
    result = advance_identity(replace(state, patient=replace(state.patient, birth_date=born)), ctx)
    return noted(result, heard, BIRTH, ctx)


def on_caller_is_patient(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The answer to "is it for Jean Dupont?", asked when the birth date matched the caller id."""
    answer = yes_no(heard, ctx)
    match = _caller_match(state)
    if answer is None:
        return None
    if answer and match is not None:
        details = match.details
        patient = Patient(details.first_name, details.last_name, details.birth_date, state.caller_id, match.id)
        return advance_identity(replace(state, patient=patient), ctx)
    return advance_identity(replace(state, caller_match_declined=True), ctx)


def read_name(heard: Heard, ctx: Context) -> tuple[str | None, str] | None:
    """(first name, last name) spoken or spelled; the first name may be missing."""
    if heard.text is None:
        return None
    spelled = parse_spelled(heard.text, ctx.locale)
    if spelled:
        return None, tidy_name(spelled)
    parsed = parse_person_name(heard.text, ctx.locale)
    if parsed is None or not parsed[1]:
        return None
    first, last = parsed
    return (tidy_name(first) if first else None), tidy_name(last)


def on_name(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The patient's name (booking); asks for the first name when only the last one came."""
    name = read_name(heard, ctx)
    if name is None:
        return None
    first, last = name
    patient = replace(state.patient, first_name=first or state.patient.first_name, last_name=last, record_id=None)
    state = replace(state, patient=patient)
    if patient.first_name is None:
        result = ask(
            state,
            ctx,
            Phase.FIRST_NAME,
            [ctx.phrases.get("identity.first_name_question")],
            ExpectKind.NAME,
            example=ctx.phrases.get("example.name"),
            keypad=ctx.phrases.get("keypad.name"),
            guess=Detail.FIRST_NAME,
        )
        return noted(result, heard, NAME, ctx)
    return noted(advance_identity(state, ctx), heard, NAME, ctx)


def on_first_name(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The first name, when only the last name was given."""
    name = read_name(heard, ctx)
    if name is None:
        return None
    first = name[0] or name[1]
    result = advance_identity(replace(state, patient=replace(state.patient, first_name=first)), ctx)
    return noted(result, heard, NAME, ctx)


def on_phone_confirm(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The answer to "can we reach you on this number?" (a number may be said instead)."""
    if heard.text is not None:
        phone = parse_phone(heard.text, ctx.clinic.practice.country, ctx.locale)
        if phone is not None:
            return advance_identity(replace(state, patient=replace(state.patient, phone=phone)), ctx)
    answer = yes_no(heard, ctx)
    if answer is None:
        return None
    if answer:
        return advance_identity(replace(state, patient=replace(state.patient, phone=state.caller_id)), ctx)
    return ask_phone(state, ctx)


def on_phone(state: State, heard: Heard, ctx: Context) -> Result | None:
    """A phone number, spoken or keyed."""
    text = heard.digits if heard.digits is not None else heard.text
    phone = parse_phone(text, ctx.clinic.practice.country, ctx.locale) if text else None
    if phone is None:
        return None
    return advance_identity(replace(state, patient=replace(state.patient, phone=phone)), ctx)


def on_mobile(state: State, heard: Heard, ctx: Context) -> Result | None:
    """A mobile number (spoken or keyed) for the confirmation text, or none ("pas de SMS", "non", key 2).

    The caller's own number stays the number to reach them on when they go without; a number given that is no
    mobile either is taken as the number to reach them on, and the caller is told it gets no text.
    """
    phrases = ctx.phrases
    keys = heard.digits.strip().rstrip("#") if heard.digits is not None else None
    said = keys if keys is not None else heard.text
    phone = parse_phone(said, ctx.clinic.practice.country, ctx.locale) if said else None
    if phone is not None:
        line = "texting.mobile_noted" if is_mobile(phone) else "texting.not_mobile"
        with_phone = replace(state, patient=replace(state.patient, phone=phone))
        return advance_identity(with_phone, ctx, [phrases.get(line, tail=say_phone_tail(phone, phrases))])
    declined = keys == "2" or (keys is None and heard.text is not None and declines_text(heard.text, ctx.locale))
    if not declined and yes_no(heard, ctx) is not False:
        return None
    without = replace(state, patient=replace(state.patient, phone=state.caller_id))
    return advance_identity(without, ctx, [phrases.get("texting.no_text")])
