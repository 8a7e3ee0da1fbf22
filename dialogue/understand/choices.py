"""Which of the offered slots a caller picks ("le deuxième", "celui de 11 h", "the 2:30 one", "mardi").

Every cue heard narrows the offered options: an ordinal ("le premier", "the last one"), a number alone
("2", "le deux": a position when it is between 1 and the number of options, else an hour), a time
("11 heures", "half past ten"; also read twelve hours apart), a weekday ("celui de mardi"), a day and month
("le 3 décembre"), a part of the day ("celui du matin"), "le plus tôt"/"the later one". The answer is the
one option all cues agree on. "N'importe lequel" / "either" picks the first. Times are compared on the
options' own wall clock, so pass them in the practice's time zone; "le plus tôt" / "the later one" compare
real instants (two options may share a wall-clock time on the night the clocks go back).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time

from dialogue.understand.text import MONTHS, ORDINALS, WEEKDAYS, fold, lang_of, prepare
from dialogue.understand.when import parse_time_of_day

_ANY = {
    "fr": re.compile(
        r"\b(?:n importe (?:le|la)quel(?:le)?|peu importe|l un ou l autre|ca m est egal"
        r"|comme vous voulez)\b"
    ),
    "en": re.compile(r"\b(?:either(?: one)?|any(?: one| of them)|whichever|doesn t matter|don t mind)\b"),
}
_EARLIEST = {
    "fr": re.compile(r"\ble plus tot\b"),
    "en": re.compile(r"\b(?:the )?(?:earliest|earlier|soonest|sooner)\b"),
}
_LATEST = {"fr": re.compile(r"\ble plus tard\b"), "en": re.compile(r"\b(?:the )?(?:latest|later)(?: one)?\b")}
_MORNING = {"fr": re.compile(r"\bmatin(?:ee)?\b"), "en": re.compile(r"\bmorning\b")}
_AFTERNOON = {"fr": re.compile(r"\b(?:apres midi|aprem|soir)\b"), "en": re.compile(r"\b(?:afternoon|evening)\b")}
_BEFORE_LAST = {"fr": re.compile(r"\bavant dernier(?:e)?\b"), "en": re.compile(r"\b(?:second to last|penultimate)\b")}
_FILLER = frozenset(
    "le la l celui celle ci la numero number option choix choice the one c est it s please "
    "s il vous plait merci je prends prendre take i ll i d like".split()
)
_UNIT = {"un": 1, "une": 1, "one": 1}


def _ordinal(words: str, lang: str, count: int) -> int | None:
    if _BEFORE_LAST[lang].search(words):
        return count - 2 if count >= 2 else None
    months = "|".join(MONTHS[lang])
    for word, rank in ORDINALS[lang].items():
        if re.search(rf"\b{word}\b(?! (?:of )?(?:{months})\b)", words):
            return count - 1 if rank == -1 else rank - 1
    return None


def _by_time(wished: time, options: Sequence[datetime]) -> set[int]:
    for hour in (wished.hour, (wished.hour + 12) % 24):
        exact = {i for i, o in enumerate(options) if (o.hour, o.minute) == (hour, wished.minute)}
        if exact:
            return exact
    if wished.minute == 0:
        for hour in (wished.hour, (wished.hour + 12) % 24):
            same_hour = {i for i, o in enumerate(options) if o.hour == hour}
            if same_hour:
                return same_hour
    return set()


def _cues(text: str, lang: str, options: Sequence[datetime]) -> list[set[int]]:
    words = prepare(text, lang)
    count = len(options)
    cues: list[set[int]] = []
    rest = [w for w in words.split() if w not in _FILLER]
    alone = _UNIT.get(rest[0], rest[0]) if len(rest) == 1 else None
    ordinal = _ordinal(words, lang, count)
    if ordinal is not None:
        cues.append({ordinal})
    elif isinstance(alone, int) or (isinstance(alone, str) and alone.isdigit()):
        number = int(alone)
        if 1 <= number <= count:
            return [{number - 1}]
        if number <= 23:
            cues.append(_by_time(time(number), options))
    wished = parse_time_of_day(text, lang)
    bare = re.search(r"\b(?:de|d|a|at)\s+(\d{1,2})\b(?!\s*(?:er|st|nd|rd|th|" + "|".join(MONTHS[lang]) + r")\b)", words)
    if wished is None and bare and int(bare[1]) <= 23 and ordinal is None:
        wished = time(int(bare[1]))
    if wished is not None:
        cues.append(_by_time(wished, options))
    for weekday, name in enumerate(WEEKDAYS[lang]):
        if re.search(rf"\b{name}\b", words):
            cues.append({i for i, o in enumerate(options) if o.weekday() == weekday})
    for match in re.finditer(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)?(?: of)? ({'|'.join(MONTHS[lang])})\b", words):
        day, month = int(match[1]), MONTHS[lang][match[2]]
        cues.append({i for i, o in enumerate(options) if (o.day, o.month) == (day, month)})
    if _MORNING[lang].search(words):
        cues.append({i for i, o in enumerate(options) if o.hour < 12})
    if _AFTERNOON[lang].search(words):
        cues.append({i for i, o in enumerate(options) if o.hour >= 12})
    if _EARLIEST[lang].search(words):
        cues.append({min(range(count), key=lambda i: options[i].timestamp())})
    elif _LATEST[lang].search(words):
        cues.append({max(range(count), key=lambda i: options[i].timestamp())})
    return cues


def parse_choice(text: str, locale: str, options: Sequence[datetime]) -> int | None:
    """Find which offered slot the caller picks.

    Args:
        text: The caller's words ("le deuxième", "celui de 11 h", "mardi", "the 2:30 one", "2").
        locale: "fr" or "en".
        options: The offered slot starts, in the order they were read out.

    Returns:
        The 0-based index of the chosen option, or `None` when nothing or more than one option fits.
    """
    if not options:
        return None
    lang = lang_of(locale)
    cues = _cues(text, lang, options)
    if not cues:
        return 0 if _ANY[lang].search(prepare(text, lang)) else None
    chosen = set(range(len(options)))
    for cue in cues:
        chosen &= cue
    return chosen.pop() if len(chosen) == 1 else None


def parse_menu_key(digits: str | None, count: int) -> int | None:
    """A keypad answer to a numbered menu: the 0-based index of the option, or `None`."""
    if digits is None:
        return None
    keys = digits.strip().rstrip("#")
    if len(keys) == 1 and keys.isdigit() and 1 <= int(keys) <= count:
        return int(keys) - 1
    return None


_ORDINALS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "fr": (
        ("premier", "premiere", "1er", "un"),
        ("deuxieme", "second", "seconde", "deux"),
        ("troisieme", "trois"),
        ("quatrieme", "quatre"),
    ),
    "en": (
        ("first", "1st", "one"),
        ("second", "2nd", "two"),
        ("third", "3rd", "three"),
        ("fourth", "4th", "four"),
    ),
}


def parse_ordinal(text: str, locale: str, count: int) -> int | None:
    """An ordinal ("le deuxième", "the first one"): the 0-based index among `count` options, or `None`."""
    words = set(fold(text).replace("-", " ").split())
    found = [i for i, forms in enumerate(_ORDINALS.get(locale, ())[:count]) if words & set(forms)]
    return found[0] if len(found) == 1 else None
