"""Booking, the answering side: the caller's answers to the booking questions, with corrections anywhere."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from dialogue.actions import ExpectKind
from dialogue.context import Context
from dialogue.flows.booking import ANYONE_KEY, advance, after_choice, ask_motif, present
from dialogue.flows.common import Heard, Result, ask, ask_more, reprompt, yes_no
from dialogue.flows.day_choice import ask_if_today
from dialogue.flows.search import asked_time, earlier_offers, later_offers, nearest_free
from dialogue.flows.wish import absorb, alternative_motif, candidates, mentions, motifs_for, not_offered_general
from dialogue.state import Phase, State, When
from dialogue.understand.choices import parse_choice, parse_menu_key, parse_ordinal
from dialogue.understand.intents import Intent, detect_intent, wants_other_day
from dialogue.understand.practitioners import match_title
from dialogue.understand.when import parse_keyed_day
from dialogue.wording.spoken import cap, say_practitioner, say_time

MORE_KEY = "4"
"""Keypad key for "other times" while slots are offered."""


def _absorbed(state: State, text: str, ctx: Context) -> Result | None:
    """Take in what `text` changes and ask for what is still missing; `None` if it mentions nothing."""
    new = corrected(state, text, ctx)
    if new is not None:
        return advance(new, ctx)
    return reprompt(state, [ctx.phrases.get("ok")]) if mentions(text, ctx) else None


def acknowledge(before: State, after: State, ctx: Context) -> list[str]:
    """Say "D'accord.", naming the practitioner when a correction changed who the caller will see."""
    ids = after.wish.practitioner_ids
    if len(ids) == 1 and ids != before.wish.practitioner_ids and not after.wish.anyone:
        name = say_practitioner(ctx.clinic.practitioner(ids[0]), ctx.phrases)
        return [ctx.phrases.get("ok_with", name=name)]
    return [ctx.phrases.get("ok")]


def corrected(state: State, text: str, ctx: Context) -> State | None:
    """The state with the booking details `text` changes (offers dropped), or `None` if none changed."""
    wish = absorb(state.wish, text, ctx)
    if wish == state.wish:
        return None
    return replace(state, wish=wish, chosen=None, offers=())


def on_practitioner(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Whom the caller wants to see (keypad menu, name, specialty or "anyone")."""
    if heard.digits is not None:
        if heard.digits.strip().rstrip("#") == ANYONE_KEY:
            return advance(replace(state, wish=replace(state.wish, anyone=True, practitioner_ids=())), ctx)
        offering = candidates(replace(state.wish, practitioner_ids=(), specialty=None, anyone=False), ctx.clinic)
        index = parse_menu_key(heard.digits, len(offering))
        if index is None:
            return None
        return advance(replace(state, wish=replace(state.wish, practitioner_ids=(offering[index].id,))), ctx)
    return _absorbed(state, heard.text or "", ctx)


def on_which(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The answer to "Bernard or Bernardeau?": a keypad key, an ordinal ("le deuxième"), a name (last or first
    name, alone or in the whole sentence again), a title that tells them apart ("madame", "la dame") or "either".

    Other details said with it (a day, a motif) are kept; said alone, they are taken and the question asked again
    (between fewer, when a title or a name left some out).
    """
    ids, wish = state.wish.practitioner_ids, state.wish
    if heard.digits is not None:
        index = parse_menu_key(heard.digits, len(ids))
    else:
        text = heard.text or ""
        roster = [ctx.clinic.practitioner(i) for i in ids]
        wish = absorb(state.wish, text, ctx, roster=roster)
        if wish.anyone:  # "l'un ou l'autre": either of them, not anyone at the practice
            wish = replace(wish, practitioner_ids=wish.practitioner_ids or ids)
        elif wish.specialty:  # "la sage-femme": the one of them who is
            kind = wish.specialty.casefold()
            same = tuple(p.id for p in roster if p.specialty.casefold() == kind)
            wish = replace(wish, practitioner_ids=same, specialty=None) if same else wish
        if len(wish.practitioner_ids) == 1 or wish.anyone:
            return advance(replace(state, wish=wish), ctx)
        index = parse_ordinal(text, ctx.locale, len(ids))
        left = [p for p in roster if p.id in wish.practitioner_ids]
        titled = match_title(text, left) if index is None else ()
        if len(titled) == 1:
            index = ids.index(titled[0])
        elif 1 < len(titled) < len(left):  # "le docteur", of two doctors and a midwife: ask between the two
            wish = replace(wish, practitioner_ids=titled)
    if index is None:
        return advance(replace(state, wish=wish), ctx, [ctx.phrases.get("ok")]) if wish != state.wish else None
    return advance(replace(state, wish=replace(wish, practitioner_ids=(ids[index],))), ctx)


def on_motif(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The reason for the appointment (keypad menu or words)."""
    if heard.digits is not None:
        motifs = motifs_for(state.wish, ctx.clinic)
        index = parse_menu_key(heard.digits, len(motifs))
        if index is None:
            return None
        return advance(replace(state, wish=replace(state.wish, motif_id=motifs[index].id, known_patient=None)), ctx)
    text = heard.text or ""
    refusal = not_offered_general(text, state.wish, ctx)
    if refusal is not None:  # keep the practitioner, ask among their motifs
        return ask_motif(corrected(state, text, ctx) or state, ctx, [refusal])
    return _absorbed(state, text, ctx)


def on_known_patient(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Whether the patient is already followed at the practice (motifs closed to new patients)."""
    answer = yes_no(heard, ctx)
    if answer is None:
        return None
    return advance(replace(state, wish=replace(state.wish, known_patient=answer)), ctx)


def on_alt_motif(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Whether the motif open to new patients suits instead (or another motif, said instead of yes or no)."""
    answer = yes_no(heard, ctx)
    if answer is None:
        return _absorbed(state, heard.text, ctx) if heard.text else None
    alternative = alternative_motif(state.wish, ctx.clinic)
    if not answer or alternative is None:
        return ask_more(state, ctx, [ctx.phrases.get("nothing_booked")])
    wish = replace(state.wish, motif_id=alternative.id, known_patient=None)
    return advance(replace(state, wish=wish, chosen=None, offers=()), ctx, [ctx.phrases.get("ok")])


def on_when(state: State, heard: Heard, ctx: Context) -> Result | None:
    """When the caller would like to come (keypad: 1 = the earliest, DDMM = that day)."""
    if heard.digits is not None:
        if heard.digits.strip().rstrip("#") == "1":
            return advance(replace(state, wish=replace(state.wish, when=When(asap=True))), ctx)
        day = parse_keyed_day(heard.digits, ctx.today)
        if day is None:
            return None
        return advance(replace(state, wish=replace(state.wish, when=When(day, day))), ctx)
    return ask_if_today(state, heard.text or "", ctx) or _absorbed(state, heard.text or "", ctx)


def _choose(state: State, index: int, ctx: Context) -> Result:
    return after_choice(replace(state, chosen=state.offers[index]), ctx)


def _navigate(state: State, ctx: Context, later: bool, other_day: bool) -> Result:
    if later:
        slots = later_offers(state.wish, state.seen, ctx, other_day)
    else:
        slots = earlier_offers(state.wish, state.seen, ctx)
    if not slots:
        key = "offer.nothing_later" if later else "offer.nothing_earlier"
        return present(state, ctx, state.offers, [ctx.phrases.get(key)])
    return present(replace(state, seen=state.seen + slots), ctx, slots)


def on_offer(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The caller's pick among the offered slots, a request for other times, or a correction."""
    offers = state.offers
    if heard.digits is not None:
        if heard.digits.strip().rstrip("#") == MORE_KEY:
            return _navigate(state, ctx, later=True, other_day=False)
        if len(offers) == 1 and yes_no(heard, ctx) is False:
            return ask_other_time(state, ctx)
        index = parse_menu_key(heard.digits, len(offers))
        return _choose(state, index, ctx) if index is not None else None
    text = heard.text or ""
    intent = detect_intent(text, ctx.locale)
    if wants_other_day(text, ctx.locale):
        return _navigate(state, ctx, later=True, other_day=True)
    if intent in (Intent.LATER, Intent.EARLIER):
        return _navigate(state, ctx, later=intent is Intent.LATER, other_day=False)
    index = parse_choice(text, ctx.locale, [s.start for s in offers])
    if index is not None and 0 <= index < len(offers):
        return _choose(state, index, ctx)
    moment = asked_time(state, text, ctx)
    unoffered = _not_offered(state, text, moment, ctx) if moment is not None else None
    if unoffered is not None:
        return unoffered
    new = corrected(state, text, ctx)
    if new is not None:
        return advance(new, ctx, acknowledge(state, new, ctx))
    answer = yes_no(heard, ctx)
    if answer is True and len(offers) == 1:
        return _choose(state, 0, ctx)
    if answer is False:
        return ask_other_time(state, ctx)
    if answer is True:
        return reprompt(state, [ctx.phrases.get("offer.which")])
    return None


def _not_offered(state: State, text: str, moment: datetime, ctx: Context) -> Result | None:
    """A time not offered ("11 h 15"): taken when free, else "11 h 15 n'est pas libre" and the nearest free times.

    `None` when the answer changes more than the time (then it is a correction) or nothing is free at all.
    """
    new = corrected(state, text, ctx) or state
    if replace(new.wish, when=state.wish.when) != state.wish:
        return None
    slots = nearest_free(new.wish, moment, ctx)
    zone = ctx.clinic.practice.zone
    free = [s for s in slots if s.start.astimezone(zone).replace(tzinfo=None) == moment]
    if free:
        return after_choice(replace(new, offers=(free[0],), seen=new.seen + (free[0],), chosen=free[0]), ctx)
    if not slots:
        return None
    said = cap(ctx.phrases.get("offer.not_free", time=say_time(moment.time(), ctx.phrases)))
    return present(replace(new, seen=new.seen + slots, chosen=None), ctx, slots, [said], alternatives=True)


def ask_other_time(state: State, ctx: Context) -> Result:
    """Forget the wished time and ask for another one."""
    phrases = ctx.phrases
    new = replace(state, wish=replace(state.wish, when=None), offers=())
    return ask(
        new,
        ctx,
        Phase.WHEN,
        [phrases.get("when.other")],
        ExpectKind.DATE,
        example=phrases.get("example.when"),
        keypad=phrases.get("keypad.when"),
    )
