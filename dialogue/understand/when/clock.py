"""Clock times in callers' words, for `dialogue.understand.when`: "14h30", "quatorze heures trente", "quarter to three".

A stage of `parse_when`: scans `prepare`d text, blanks what it understood (`Text.blank`) and returns
`Clock`s, each a wished time ("vers 10 h") or a constraint on the start ("pas avant 10 h", "by 11").

Hours: 13..23, "pm", "de l'après-midi" and "du soir" are afternoon; a bare 1..7 ("à 3 h", "at 2") is the
afternoon too (no practice opens at 3 am) unless "du matin", "am" or "le matin" says otherwise.
"huit heures moins le quart" is 07:45: the rule looks at the hour named (8), not the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from booking.slots import TimeWindow
from dialogue.understand.text import MONTHS


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first (so "a partir de" wins over "a partir")."""
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_FRAC_FR = (
    r"(?:\s+et\s+(?P<frac>demie?|quart)|\s+moins\s+(?:le\s+)?(?P<mfrac>quart)"
    r"|\s+moins\s+(?P<minus>\d{1,2})\b(?:\s*min(?:utes?)?\b)?)?"
)
_CLOCKS = {
    "fr": [
        re.compile(p)
        for p in (
            r"(?<![\d/.:])(?P<h>\d{1,2})\s*(?:h(?![a-z])|heures?\b|:(?=\d))(?:\s*(?P<m>\d{1,2}(?![\d/.:])))?"
            r"(?:\s*min(?:utes?)?\b)?" + _FRAC_FR,
            r"(?<!apres )(?<!de )(?<!du )\b(?P<h>midi|minuit)\b" + _FRAC_FR,
        )
    ],
    "en": [
        re.compile(p)
        for p in (
            r"\b(?:a\s+)?(?P<part>half|quarter|5|10|20|25)(?:\s+minutes?)?\s+(?P<rel>past|after|to|til|till)"
            r"\s+(?P<h>\d{1,2}|noon|midnight)\b(?![/:.]\d)",
            r"\b(?P<part>half)\s+(?P<h>\d{1,2})\b(?!\s*(?:hours?|days?|weeks?))",
            r"(?<![\d/.:])(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})|\s+(?P<m2>[0-5]\d))?\s*(?P<ap>[ap])\s?m\b",
            r"(?<![\d/.:])(?P<h>\d{1,2})[:.](?P<m>\d{2})(?![\d/.:])",
            r"(?<![\d/.:])(?P<h>\d{1,2})\s*oclock\b",
            r"\b(?:12\s+)?(?P<h>noon|midday|midnight)\b",
            r"(?<![\d/.:])(?P<h>1[0-2]|[1-9]) (?P<m>[0-5][05])\b(?!\s*(?:st|nd|rd|th|of|minutes?|days?|weeks?)\b)",
        )
    ],
}
_WORD_HOURS = {"midi": 12, "minuit": 0, "noon": 12, "midday": 12, "midnight": 0}
_QUALIFIERS = {
    "fr": {"du matin": "am", "de l apres midi": "pm", "de l aprem": "pm", "du soir": "pm", "de la nuit": "am"},
    "en": {
        "am": "am",
        "a m": "am",
        "pm": "pm",
        "p m": "pm",
        "in the morning": "am",
        "in the afternoon": "pm",
        "in the evening": "pm",
        "at night": "pm",
    },
}
_PREFIXES = {  # before a time: "from" = earliest, "before" = exclusive latest, "until" = inclusive latest
    "fr": {
        "pas avant": "from",
        "pas plus tot que": "from",
        "a partir de": "from",
        "a partir d": "from",
        "a partir": "from",
        "des": "from",
        "apres": "from",
        "plus tard que": "from",
        "pas apres": "until",
        "pas plus tard que": "until",
        "au plus tard a": "until",
        "avant": "before",
        "plus tot que": "before",
        "jusqu a": "before",
        "jusqu": "before",
    },
    "en": {
        "not before": "from",
        "no earlier than": "from",
        "not earlier than": "from",
        "later than": "from",
        "any time after": "from",
        "anytime after": "from",
        "after": "from",
        "from": "from",
        "starting at": "from",
        "starting from": "from",
        "not after": "until",
        "no later than": "until",
        "not later than": "until",
        "by": "until",
        "before": "before",
        "earlier than": "before",
        "until": "before",
        "till": "before",
        "til": "before",
        "up to": "before",
    },
}
_SUFFIXES = {
    "fr": {
        "au plus tard": "until",
        "dernier delai": "until",
        "ou avant": "until",
        "maximum": "until",
        "au plus tot": "from",
        "ou plus tard": "from",
        "ou apres": "from",
        "minimum": "from",
    },
    "en": {
        "at the latest": "until",
        "or earlier": "until",
        "or before": "until",
        "at the earliest": "from",
        "or later": "from",
        "or after": "from",
        "onwards": "from",
        "onward": "from",
    },
}
AT = {"fr": ("vers", "a", "pour"), "en": ("at", "around", "about", "say", "for")}
_NOT_UNITS = (
    r"jours?|semaines?|mois|ans?|annees?|minutes?|heures?|personnes?|enfants?|fois|days?|weeks?"
    r"|months?|years?|hours?|people|times|er|ere|e|eme|st|nd|rd|th|of|" + alternation([*MONTHS["fr"], *MONTHS["en"]])
)
_FRAGMENT = {
    "fr": r"(?:\d{1,2}(?:\s*(?:h|heures?)(?:\s*\d{2})?)?|midi|minuit)",
    "en": r"(?:\d{1,2}(?:[:.]\d{2})?(?:\s*[ap]\s?m)?|noon|midday|midnight)",
}
_BETWEEN = {
    "fr": re.compile(
        rf"\b(?:entre|de)\s+(?P<a>{_FRAGMENT['fr']})\s+(?:et|a|jusqu a)\s+(?P<b>{_FRAGMENT['fr']})"
        rf"\b(?!\s*(?:{_NOT_UNITS})\b)"
    ),
    "en": re.compile(
        rf"\b(?:between|from)\s+(?P<a>{_FRAGMENT['en']})\s+(?:and|to|till|until)\s+"
        rf"(?P<b>{_FRAGMENT['en']})\b(?!\s*(?:{_NOT_UNITS})\b)"
    ),
}
_TAIL = {
    lang: re.compile(rf"(?:^|\s)(?P<p>{alternation(words)})\s+(?:(?:{'|'.join(AT[lang])})\s+)?$")
    for lang, words in _PREFIXES.items()
}
_HEAD = {lang: re.compile(rf"^\s*(?P<q>{alternation(words)})\b") for lang, words in _QUALIFIERS.items()}
_AFTER = {lang: re.compile(rf"^\s*(?P<s>{alternation(words)})\b") for lang, words in _SUFFIXES.items()}
_BARE = {
    lang: re.compile(
        rf"(?:^|(?<=\s))(?P<p>{alternation([*words, *AT[lang]])})\s+(?P<h>\d{{1,2}})(?:ish)?"
        rf"(?:\s+(?P<m>[0-5]\d))?(?![\d/:.])\b(?!\s*(?:{_NOT_UNITS})\b)"
    )
    for lang, words in _PREFIXES.items()
}
_DURATION = re.compile(r"\b(?:dans|pendant|en|in|for|from|between)\s+$")


@dataclass(frozen=True)
class Clock:
    """A clock time said, before "am"/"pm" is settled (see `resolve`)."""

    hour: int
    minute: int
    """May be negative ("moins le quart")."""
    meridiem: str | None
    kind: str
    """"at" (a wished time), "from", "before" (exclusive) or "until" (inclusive)."""
    start: int


class Text:
    """The prepared text, blanked where understood (offsets stay valid)."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.text = text

    def blank(self, start: int, end: int) -> None:
        """Replace text[start:end] by spaces: understood, not to be read again."""
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


def _hour_minute(groups: dict[str, str | None]) -> tuple[int, int, str | None]:
    raw = groups.get("h") or "0"
    hour = _WORD_HOURS[raw] if raw in _WORD_HOURS else int(raw)
    minute = int(groups.get("m") or groups.get("m2") or 0)
    frac, part, minus = groups.get("frac"), groups.get("part"), groups.get("minus")
    if frac:
        minute += 30 if frac.startswith("demi") else 15
    if groups.get("mfrac"):
        minute -= 15
    if minus:
        minute -= int(minus)
    if part:
        offset = {"half": 30, "quarter": 15}.get(part) or int(part)
        minute = -offset if groups.get("rel") in ("to", "til", "till") else offset
    ap = groups.get("ap")
    return hour, minute, f"{ap}m" if ap else None


def _clock(match: re.Match[str], text: Text, lang: str, kind: str | None = None) -> Clock:
    """The clock time matched, with a qualifier ("du soir") or constraint ("au plus tard") around it."""
    hour, minute, meridiem = _hour_minute(match.groupdict())
    end = match.end()
    head = _HEAD[lang].match(text.text[end:])
    if head:
        meridiem = meridiem or _QUALIFIERS[lang][head["q"]]
        end += head.end()
    suffix = _AFTER[lang].match(text.text[end:])
    if suffix:
        kind = _SUFFIXES[lang][suffix["s"]]
        end += suffix.end()
    if kind is None:
        tail = _TAIL[lang].search(text.text[: match.start()])
        kind = _PREFIXES[lang][tail["p"]] if tail else "at"
    text.blank(match.start(), end)
    return Clock(hour, minute, meridiem, kind, match.start())


def _fragment(fragment: str, lang: str) -> tuple[int, int, str | None]:
    for pattern in _CLOCKS[lang]:
        match = pattern.search(fragment)
        if match:
            return _hour_minute(match.groupdict())
    return int(re.sub(r"\D", "", fragment) or 0), 0, None


def scan_clocks(text: Text, lang: str) -> list[Clock]:
    """Time ranges ("entre 10 h et midi") and clock times ("14h30", "half past two", "at 3 pm"), blanked."""
    clocks: list[Clock] = []
    for match in list(_BETWEEN[lang].finditer(text.text)):
        for name, kind in (("a", "from"), ("b", "before")):
            hour, minute, meridiem = _fragment(match[name], lang)
            clocks.append(Clock(hour, minute, meridiem, kind, match.start(name)))
        text.blank(match.start(), match.end())
    for pattern in _CLOCKS[lang]:
        for match in list(pattern.finditer(text.text)):
            if not (match["h"].isdigit() and _DURATION.search(text.text[: match.start()])):
                clocks.append(_clock(match, text, lang))
    return clocks


def scan_bare(text: Text, lang: str) -> list[Clock]:
    """Hours without "h"/"heures"/"o'clock", after a preposition: "vers 10", "after 5", "at 2 30"."""
    clocks = []
    for match in list(_BARE[lang].finditer(text.text)):
        kind = _PREFIXES[lang].get(match["p"])
        clocks.append(_clock(match, text, lang, kind))
    return clocks


def resolve(clock: Clock, context: str | None) -> time | None:
    """The time of day meant, with `context` ("am"/"pm" from the parts of the day said); `None` if invalid."""
    hour, minute = clock.hour, clock.minute
    if hour > 24 or not -60 < minute < 60:
        return None
    if clock.meridiem == "pm" and 1 <= hour < 12:
        hour += 12
    elif clock.meridiem == "am" and hour == 12:
        hour = 0
    elif clock.meridiem is None and context == "pm" and 1 <= hour <= 8:
        hour += 12
    elif clock.meridiem is None and context is None and 1 <= hour <= 7:
        hour += 12
    total = (hour * 60 + minute) % (24 * 60)
    return time(total // 60, total % 60)


def windows_of(parts: list[TimeWindow], clocks: list[Clock], context: str | None) -> tuple[TimeWindow, ...]:
    """The start-time windows: each part of the day narrowed by the constraints ("pas avant 10 h")."""
    earliest: time | None = None
    latest: time | None = None
    for clock in clocks:
        moment = resolve(clock, context)
        if moment is None or clock.kind == "at":
            continue
        if clock.kind == "from":
            earliest = moment if earliest is None else max(earliest, moment)
            continue
        if clock.kind == "until" and moment != time(23, 59):
            moment = (datetime.combine(date.min, moment) + timedelta(minutes=1)).time()
        latest = moment if latest is None else min(latest, moment)
    if earliest is not None and latest is not None and earliest >= latest:
        earliest = latest = None
    bound = () if earliest is None and latest is None else (TimeWindow(earliest, latest),)
    combined: list[TimeWindow] = []
    for part in parts:
        low = max((t for t in (part.earliest, earliest) if t is not None), default=None)
        high = min((t for t in (part.latest, latest) if t is not None), default=None)
        window = TimeWindow(low, high)
        if (low is None or high is None or low < high) and window not in combined:
            combined.append(window)
    return tuple(combined) or bound
