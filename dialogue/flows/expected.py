"""The answers a question expects (`Expect.answers`), written the way the recogniser writes them.

The voice layer scores each against the caller's audio and takes one when it clearly wins, so every answer
listed here must mean what it says to the dialogue's own parsers (the tests read each one back). Lists stay
short (`MAX_ANSWERS`): a longer list is slower to score and gives more false accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time

from booking.clinic import Motif, Practitioner
from booking.records import PatientRecord
from dialogue.context import Context
from dialogue.wording.spoken import say_practitioner

MAX_ANSWERS = 12

_ARTICLES = ("le ", "la ", "l'", "the ")


def _short(items: Iterable[str]) -> tuple[str, ...]:
    """The items without duplicates (case-insensitive), in order, at most `MAX_ANSWERS`."""
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        key = item.casefold().strip()
        if key and key not in seen:
            seen.add(key)
            kept.append(item.strip())
    return tuple(kept[:MAX_ANSWERS])


def _names(practitioner: Practitioner, ctx: Context) -> list[str]:
    """How a caller names one practitioner: "le docteur Martin", "docteur Martin" ("Doctor Patel", "Dr Patel")."""
    spoken = say_practitioner(practitioner, ctx.phrases)
    bare = next((spoken[len(a) :] for a in _ARTICLES if spoken.casefold().startswith(a)), spoken)
    forms = [spoken, bare]
    if ctx.locale == "en":
        forms.append(practitioner.display_name)
    return forms


def _full_name(practitioner: Practitioner) -> str:
    return f"{practitioner.first_name} {practitioner.last_name}".strip()


def practitioner_answers(offering: Sequence[Practitioner], ctx: Context) -> tuple[str, ...]:
    """The practitioner question: "le docteur Martin" for each one, "le premier disponible", then the other
    forms ("docteur Martin", "Dr Patel"), "n'importe lequel", first and last names (as many as fit).
    """
    forms = [_names(p, ctx) for p in offering]
    anyone = ctx.phrases.words("answers.anyone")
    others = [name for names in forms for name in names[1:]]
    return _short([*(names[0] for names in forms), *anyone[:1], *others, *anyone[1:], *map(_full_name, offering)])


def which_answers(named: Sequence[Practitioner], ctx: Context) -> tuple[str, ...]:
    """The which-practitioner question ("le docteur Bernard ou le docteur Bertrand ?"): their names, "le premier"..."""
    ordinals = ctx.phrases.words("answers.ordinals")[: len(named)]
    titled = [name for p in named for name in _names(p, ctx)]
    return _short([*titled, *(_full_name(p) for p in named), *ordinals])


def motif_answers(motifs: Sequence[Motif]) -> tuple[str, ...]:
    """The motif question: the labels first, then the aliases, one motif after the other."""
    rounds = max((len(m.aliases) for m in motifs), default=0)
    aliases = [m.aliases[i] for i in range(rounds) for m in motifs if i < len(m.aliases)]
    return _short([*(m.label for m in motifs), *aliases])


def written_time(moment: time, ctx: Context) -> str:
    """A time as the recogniser writes it ("10h30", "14h", "midi"; "10:30 am", "noon")."""
    phrases = ctx.phrases
    if moment.minute == 0 and moment.hour in (0, 12):
        return phrases.get("speech.midnight" if moment.hour == 0 else "speech.noon")
    hour12 = moment.hour % 12 or 12
    suffix = phrases.get("speech.am" if moment.hour < 12 else "speech.pm")
    key = "answers.time_hour" if moment.minute == 0 else "answers.time_minutes"
    return phrases.get(key, hour=moment.hour, hour12=hour12, minute=f"{moment.minute:02d}", suffix=suffix).strip()


def choice_answers(starts: Sequence[datetime], ctx: Context, yes_no: bool = False) -> tuple[str, ...]:
    """A choice among offered times (local wall-clock starts, in the order read): "le premier"... (or "oui",
    "non" for one), each time "à 10h30" (when no other offered time is the same) and "mardi à 10h30", then
    "plus tard".
    """
    phrases = ctx.phrases
    first = list(phrases.words("answers.yes_no")) if yes_no else list(phrases.words("answers.ordinals")[: len(starts)])
    hours = [s.time() for s in starts]
    at = [phrases.get("speech.at", time=written_time(s.time(), ctx)) for s in starts]
    weekdays = phrases.words("speech.weekdays")
    alone = [text for text, hour in zip(at, hours, strict=True) if hours.count(hour) == 1]
    dated = [f"{weekdays[s.weekday()]} {text}" for s, text in zip(starts, at, strict=True)]
    return _short([*first, *alone, *dated, phrases.get("answers.later")])


def known_names(patients: Sequence[PatientRecord]) -> tuple[str, ...]:
    """The names of the patients registered at the calling number ("Sarah Meyer"): who is most likely named
    when a caller books for the family or looks for an appointment. Nothing of them is said.
    """
    return _short(f"{p.details.first_name} {p.details.last_name}" for p in patients)
