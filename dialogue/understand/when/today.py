"""A weekday said on that very weekday: "mardi", said on a Tuesday, is today or next Tuesday.

`parse_when` reads a weekday alone as the next one after today, so on a Tuesday "mardi" is next week's
(`when.days`); a caller who meant today would be offered a day a week away. `weekday_alone` tells the
dialogue when to ask, and `parse_day_choice` reads the answer to "Aujourd'hui, ou mardi prochain ?".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dialogue.understand.text import ORDINALS, WEEKDAYS, calendar_words, lang_of, prepare
from dialogue.understand.when import parse_when
from dialogue.understand.when.clock import Text
from dialogue.understand.when.days import scan_days
from dialogue.understand.when.heard import respell
from dialogue.understand.when.parts import scan_times

_ALONE = {
    "fr": re.compile(rf"(?:(?P<this>ce|cette) )?(?:{'|'.join(WEEKDAYS['fr'])})(?: ci)?"),
    "en": re.compile(rf"(?:(?P<this>this) |on )?(?:{'|'.join(WEEKDAYS['en'])})"),
}
"""A weekday with nothing that says which week ("mardi", "ce mardi", "on Tuesday"; not "mardi prochain")."""
_TODAY = {
    "fr": re.compile(r"\b(?:aujourd hui|ce jour|tout a l heure|maintenant|celui ci)\b"),
    "en": re.compile(r"\b(?:today|now|this one)\b"),
}
_NEXT = {
    "fr": re.compile(r"\b(?:prochain|prochaine|suivant|suivante|d apres|en 8|l autre|dans une semaine|dans 8 jours)\b"),
    "en": re.compile(r"\b(?:next|following|week|other one|the other)\b"),
}


def _scan(text: str, lang: str) -> Text:
    return Text(calendar_words(prepare(respell(text, lang), lang), lang))


def weekday_alone(text: str, now: datetime, locale: str) -> bool:
    """Whether `text` names today's weekday and no other day, without saying which week ("mardi", "ce mardi",
    "mardi matin vers 10 h", said on a Tuesday; not "mardi prochain", "mardi 8", "today").

    Args:
        text: The caller's words.
        now: The current local time (its date is today).
        locale: "fr" or "en".
    """
    lang = lang_of(locale)
    scan = _scan(text, lang)
    scan_times(scan, lang)
    spans = scan_days(scan, lang, now.date())
    if len(spans) != 1 or spans[0].kind != "on":
        return False
    span = spans[0]
    said = scan.original[span.start : span.end]
    return bool(_ALONE[lang].fullmatch(said)) and span.first == now.date() + timedelta(days=7)


def parse_day_choice(text: str, now: datetime, locale: str) -> bool | None:
    """The answer to "Aujourd'hui, ou mardi prochain ?": `True` for today, `False` for a week today.

    Today: "aujourd'hui", "today", "ce matin", "le premier", "ce mardi" (this one, said on that day).
    A week on: "mardi prochain", "le prochain", "la semaine prochaine", "next week", "le deuxième", or the
    weekday alone said again (its usual reading). `None` for anything else (another day is a new wish).

    Args:
        text: The caller's words.
        now: The current local time.
        locale: "fr" or "en".
    """
    lang = lang_of(locale)
    today, later = now.date(), now.date() + timedelta(days=7)
    prepared = _scan(text, lang).original
    ranks = {ORDINALS[lang][w] for w in prepared.split() if w in ORDINALS[lang]}
    if len(ranks) == 1:  # "le premier" (today, said first), "le deuxième", "le dernier"
        return ranks == {1}
    if weekday_alone(text, now, locale):
        return any(m["this"] for m in _ALONE[lang].finditer(prepared))
    when = parse_when(text, now, locale)
    days = (when.first_day, when.last_day) if when is not None else (None, None)
    if days == (today, today):
        return True
    if _covers(days, later) and not _covers(days, today):
        return False
    if days == (None, None) and _TODAY[lang].search(prepared):
        return True
    if days == (None, None) and _NEXT[lang].search(prepared):
        return False
    return None


def _covers(days: tuple[date | None, date | None], day: date) -> bool:
    first, last = days
    return first is not None and last is not None and first <= day <= last
