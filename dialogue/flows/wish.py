"""What the caller wants: reading practitioner, motif and time out of any sentence, and checking them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from booking.clinic import Clinic, Motif, Practitioner
from dialogue.actions import ExpectKind
from dialogue.context import Context
from dialogue.flows.common import Result, ask
from dialogue.flows.expected import motif_answers
from dialogue.state import Phase, State, When, Wish
from dialogue.understand.motif_kinds import general_motif, is_general
from dialogue.understand.motifs import match_motif
from dialogue.understand.practitioners import match_practitioner
from dialogue.understand.when import WhenResult, parse_when
from dialogue.wording.spoken import cap, say_list, say_practitioner


def merge_when(old: When | None, new: WhenResult) -> When:
    """Fold a newly heard time into the wish ("mardi vers 10 h", then "plutôt mercredi")."""
    if new.asap:
        return When(windows=tuple(new.windows), time=new.time, asap=True)
    base = old or When()
    has_day = new.first_day is not None or new.last_day is not None
    has_hour = new.time is not None or bool(new.windows)
    first_day, last_day = (new.first_day, new.last_day) if has_day else (base.first_day, base.last_day)
    if has_hour:
        moment, windows = new.time, tuple(new.windows)
    else:
        moment, windows = base.time, base.windows
    return When(first_day, last_day, moment, windows, asap=base.asap and not has_day)


def absorb(wish: Wish, text: str, ctx: Context, roster: Sequence[Practitioner] | None = None) -> Wish:
    """Every booking detail found in `text` (practitioner, motif, day and time), over the earlier wish."""
    clinic = ctx.clinic
    match = match_practitioner(text, roster if roster is not None else clinic.practitioners, ctx.locale)
    if match is not None:
        if match.anyone:
            wish = replace(wish, practitioner_ids=tuple(match.ids), anyone=True, specialty=None)
        elif match.specialty:
            same = [p.id for p in clinic.practitioners if p.specialty.casefold() == match.specialty.casefold()]
            named = len(wish.practitioner_ids) == 1 and wish.practitioner_ids[0] in same
            if not named:  # "a GP appointment" does not undo "Dr Jones", who is a GP
                ids = tuple(same) if len(same) == 1 else ()
                wish = replace(wish, practitioner_ids=ids, anyone=False, specialty=None if ids else match.specialty)
        elif match.ids:
            wish = replace(wish, practitioner_ids=tuple(match.ids), anyone=False, specialty=None)
    wish = _general_for(wish, clinic)
    motif_id = _motif_said(text, wish, ctx)
    if motif_id is not None and motif_id != wish.motif_id:
        wish = replace(wish, motif_id=motif_id, known_patient=None)
    when = parse_when(text, ctx.local_now, ctx.locale)
    if when is not None:
        wish = replace(wish, when=merge_when(wish.when, when))
    return wish


def _general_for(wish: Wish, clinic: Clinic) -> Wish:
    """The wish with a general motif ("consultation") the wished practitioners do not offer replaced by
    the one general motif they do ("consultation pédiatrique"): "un rendez-vous", then "le docteur Bertrand";
    forgotten when they offer none, so that the caller is asked among their motifs.
    """
    if wish.motif_id is None or not (wish.practitioner_ids or wish.specialty) or candidates(wish, clinic):
        return wish
    if not is_general(clinic.motif(wish.motif_id)):
        return wish
    general = general_motif(motifs_for(wish, clinic))
    return replace(wish, motif_id=general.id if general is not None else None, known_patient=None)


def _motif_said(text: str, wish: Wish, ctx: Context) -> str | None:
    """The motif said, looked for first among those the wished practitioners offer, then among all.

    A general motif found elsewhere ("une consultation", "je suis malade") means the practitioners' own
    general motif (none when they offer several and none general); an act found elsewhere ("un vaccin" to a
    midwife) beats a patient word matched among theirs ("pour mon fils"), so that "pas ce type de
    rendez-vous" can be explained.
    """
    clinic, locale, everyone = ctx.clinic, ctx.locale, ctx.clinic.practitioners
    anywhere = match_motif(text, clinic.motifs, locale, everyone)
    if not (wish.practitioner_ids or wish.specialty):
        return anywhere
    offered_motifs = motifs_for(wish, clinic)
    offered = match_motif(text, offered_motifs, locale, everyone)
    if anywhere is None or any(m.id == anywhere for m in offered_motifs):
        return offered if offered is not None else anywhere
    if is_general(clinic.motif(anywhere)):
        general = general_motif(offered_motifs)
        return offered or (general.id if general is not None else None)
    return offered if offered is not None and not is_general(clinic.motif(offered)) else anywhere


def mentions(text: str, ctx: Context) -> bool:
    """Whether `text` names a practitioner, a motif or a time at all (even one already known)."""
    clinic, locale = ctx.clinic, ctx.locale
    return (
        match_practitioner(text, clinic.practitioners, locale) is not None
        or match_motif(text, clinic.motifs, locale, clinic.practitioners) is not None
        or parse_when(text, ctx.local_now, locale) is not None
    )


def practitioner_settled(wish: Wish) -> bool:
    """Whether the caller has said whom they want to see (one person, a specialty or anyone)."""
    return len(wish.practitioner_ids) == 1 or wish.anyone or wish.specialty is not None


def candidates(wish: Wish, clinic: Clinic) -> list[Practitioner]:
    """Practitioners the wish allows, offering its motif when it has one."""
    found = []
    for practitioner in clinic.practitioners:
        if wish.practitioner_ids and practitioner.id not in wish.practitioner_ids:
            continue
        if wish.specialty and practitioner.specialty.casefold() != wish.specialty.casefold():
            continue
        if wish.motif_id and wish.motif_id not in practitioner.motifs:
            continue
        found.append(practitioner)
    return found


def motifs_for(wish: Wish, clinic: Clinic) -> list[Motif]:
    """Motifs offered by the practitioners the wish allows, in the clinic file's order."""
    allowed = candidates(replace(wish, motif_id=None), clinic)
    return [m for m in clinic.motifs if any(m.id in p.motifs for p in allowed)]


def motif_keypad(wish: Wish, ctx: Context) -> str:
    """The keypad menu of the motifs the wished practitioners offer ("Tapez 1 pour consultation, ...")."""
    phrases = ctx.phrases
    labels = [m.label for m in motifs_for(wish, ctx.clinic)]
    menu = [phrases.get("keypad.item", key=i, option=label) for i, label in enumerate(labels, 1)]
    return phrases.get("keypad.menu", items=say_list(menu, phrases))


def alternative_motif(wish: Wish, clinic: Clinic) -> Motif | None:
    """A motif open to new patients that the wished practitioners offer instead of a closed one, a general
    one first ("consultation pédiatrique" rather than "vaccination" for a follow-up at the paediatrician).
    """
    open_ones = [m for m in motifs_for(wish, clinic) if m.new_patients and m.id != wish.motif_id]
    return next((m for m in open_ones if is_general(m)), open_ones[0] if open_ones else None)


def ask_alt_motif(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Explain that the motif is for known patients only and offer one open to new patients."""
    phrases = ctx.phrases
    motif = ctx.clinic.motif(state.wish.motif_id or "")
    lines = [*pre, phrases.get("motif.known_only", motif=motif.label)]
    alternative = alternative_motif(state.wish, ctx.clinic)
    if alternative is None:
        wish = replace(state.wish, motif_id=None, known_patient=None)
        new = replace(state, wish=wish, chosen=None, offers=())
        return ask(
            new,
            ctx,
            Phase.MOTIF,
            [phrases.get("motif.question_other")],
            ExpectKind.FREE,
            pre=lines,
            example=motif_example(wish, ctx),
            keypad=motif_keypad(wish, ctx),
            answers=motif_answers(motifs_for(wish, ctx.clinic)),
        )
    new = replace(state, chosen=None, offers=())
    question = phrases.get("motif.offer_alternative", motif=alternative.label)
    return ask(new, ctx, Phase.ALT_MOTIF, [question], ExpectKind.YES_NO, pre=lines)


def not_offered_general(text: str, wish: Wish, ctx: Context) -> str | None:
    """What to say when `text` asks for a general motif the one wished practitioner cannot give ("a
    consultation" to a nurse offering vaccinations and smears): "Nurse Okafor doesn't offer...".
    """
    clinic, locale = ctx.clinic, ctx.locale
    if len(wish.practitioner_ids) != 1:
        return None
    offered = motifs_for(wish, clinic)
    asked = match_motif(text, clinic.motifs, locale, clinic.practitioners)
    if asked is None or any(m.id == asked for m in offered) or not is_general(clinic.motif(asked)):
        return None
    if general_motif(offered) is not None or match_motif(text, offered, locale, clinic.practitioners) is not None:
        return None
    name = say_practitioner(clinic.practitioner(wish.practitioner_ids[0]), ctx.phrases)
    return ctx.phrases.get("motif.not_offered", name=cap(name), motif=clinic.motif(asked).label)


def motif_example(wish: Wish, ctx: Context) -> str:
    """The re-prompt's example answer to the motif question: the stock one ("une consultation", "un
    vaccin") when both its phrases mean a motif the wished practitioners offer, else their own labels.
    """
    phrases, clinic = ctx.phrases, ctx.clinic
    stock = phrases.get("example.motif")
    offered = motifs_for(wish, clinic)
    quoted = re.findall(r"[«\"]\s*([^»\"]+?)\s*[»\"]", stock)
    if not offered or all(match_motif(q, offered, ctx.locale, clinic.practitioners) for q in quoted):
        return stock
    if len(offered) == 1:
        return phrases.get("example.motif_label", motif=offered[0].label)
    return phrases.get("example.motif_labels", first=offered[0].label, second=offered[1].label)
