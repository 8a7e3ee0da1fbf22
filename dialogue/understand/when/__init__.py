"""Dates and times in callers' words: "mardi prochain vers 10 h", "early next week", "12 mars 1985".

`parse_when` reads days (absolute, relative, ranges), a wished time, parts of the day and constraints on
the start time. `now` is a parameter (never read here); days are counted in its time zone. Stages run in
a fixed order on `prepare`d text and blank what they understood, so each word is read once: time ranges
("entre 10 h et midi"), clock times (`when.clock`), "as soon as possible" and parts of the day
(`when.parts`), days (`when.days`), bare hours ("vers 10"). The rules for hours and days are described in those
modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from booking.slots import TimeWindow
from dialogue.understand.text import MONTHS, calendar_words, lang_of, prepare
from dialogue.understand.when.clock import AT, Text, resolve, scan_bare, windows_of
from dialogue.understand.when.days import Span, scan_days
from dialogue.understand.when.heard import join_year, respell
from dialogue.understand.when.parts import context_of, scan_times


@dataclass(frozen=True)
class WhenResult:
    """What a caller said about when they want to come."""

    first_day: date | None = None
    """First local day wished (inclusive); `None` = no lower bound (from today)."""
    last_day: date | None = None
    """Last local day wished (inclusive, equal to `first_day` for one day); `None` = no upper bound."""
    time: time | None = None
    """A precise wished time ("vers 10 h", "à 14h30", "midi et demi")."""
    windows: tuple[TimeWindow, ...] = ()
    """Alternative windows for the start time, as in `SlotQuery.windows` (any of them); constraints such
    as "pas avant 10 h" are intersected into each ("le matin pas avant 10 h" = one window 10:00-12:00).
    An inclusive bound ("pas après 11 h", "by 11") becomes an exclusive `latest` one minute later."""
    asap: bool = False
    """"Le plus tôt possible", "the earliest you have"."""


_CONNECTORS = frozenset(
    {
        "au",
        "a",
        "et",
        "et le",
        "jusqu au",
        "jusqu a",
        "to",
        "and",
        "to the",
        "and the",
        "until",
        "till",
        "through",
        "until the",
    }
)


def _pair(spans: list[Span], original: str) -> list[Span]:
    """Join range ends: "du 3 au 5 décembre", "entre lundi et mercredi", "from Monday to Wednesday"."""
    paired: list[Span] = []
    for span in spans:
        start = paired[-1] if paired else None
        if start and start.kind in ("between", "from") and original[start.end : span.start].strip() in _CONNECTORS:
            first = start.first
            if start.dom is not None and span.dom is None:
                try:
                    first = min(span.first.replace(day=start.dom), span.first)
                except ValueError:
                    pass
            paired[-1] = replace(start, first=first, last=span.last, end=span.end, kind="on")
        else:
            paired.append(span)
    return paired


def _combine(spans: list[Span], original: str) -> tuple[date | None, date | None]:
    """One day range from everything said: nested days narrow ("la semaine prochaine, mardi"), separate
    ones widen ("lundi ou mardi"), open bounds cut ("à partir du 10"), negated ones ("pas lundi") go.
    """
    paired = _pair([s for s in spans if s.kind != "not"], original)
    exact = [s for s in paired if s.kind in ("on", "between")]
    first: date | None = None
    last: date | None = None
    if exact:
        first, last = max(s.first for s in exact), min(s.last for s in exact)
        if first > last:
            first, last = min(s.first for s in exact), max(s.last for s in exact)
    for span in paired:
        low = {"from": span.first, "after": span.last + timedelta(days=1)}.get(span.kind)
        high = {"before": span.first - timedelta(days=1), "until": span.last}.get(span.kind)
        if low and (last is None or low <= last):
            first = max(first, low) if first else low
        if high and (first is None or high >= first):
            last = min(last, high) if last else high
    return first, last


# --- public functions -------------------------------------------------------------------------------------


def parse_when(text: str, now: datetime, locale: str) -> WhenResult | None:
    """Understand when a caller wants to come.

    Args:
        text: The caller's words ("demain matin", "mardi prochain vers 10 h", "early next week").
        now: The current time, timezone-aware; days are counted in its time zone.
        locale: "fr" or "en".

    Returns:
        Days, time, windows and "as soon as possible" found, or `None` when nothing temporal is said.
    """
    lang = lang_of(locale)
    scan = Text(calendar_words(prepare(respell(text, lang), lang), lang))
    clocks, asap, parts, today_implied = scan_times(scan, lang)
    spans = scan_days(scan, lang, now.date())
    clocks += scan_bare(scan, lang)
    first, last = _combine(spans, scan.original)
    if today_implied and first is None and last is None:
        first = last = now.date()
    context = context_of(parts)
    wished = [resolve(c, context) for c in sorted(clocks, key=lambda c: c.start) if c.kind == "at"]
    moment = next((t for t in reversed(wished) if t is not None), None)
    windows = windows_of(parts, clocks, context)
    if first is None and last is None and moment is None and not windows and not asap:
        return None
    return WhenResult(first, last, moment, windows, asap)


def parse_time_of_day(text: str, locale: str) -> time | None:
    """Understand a precise time of day ("14h30", "quatorze heures trente", "half past two", "2:30 pm").

    A bare number is an hour only after "à", "vers", "at", "around"... or when it is all that was said
    ("dix" -> 10:00, "trois" -> 15:00). When several times are said, the last one counts.

    Args:
        text: The caller's words.
        locale: "fr" or "en".

    Returns:
        The time, or `None` when no precise time is said ("avant 10 h" is a constraint, not a time).
    """
    lang = lang_of(locale)
    prepared = prepare(respell(text, lang), lang)
    alone = re.fullmatch(r"(\d{1,2})(?:ish)?", prepared)
    scan = Text(f"{AT[lang][0]} {alone[1]}" if alone else prepared)
    clocks, _, parts, _ = scan_times(scan, lang)
    clocks += scan_bare(scan, lang)
    wished = [c for c in sorted(clocks, key=lambda c: c.start) if c.kind == "at"]
    return resolve(wished[-1], context_of(parts)) if wished else None


_YEAR = r"(?P<y>\d{4}|(?:19|20) \d{2}|\d{2})"
_BIRTH = {
    "fr": [re.compile(rf"\b(?P<d>\d{{1,2}})(?:er|ere)? (?P<mo>[a-z]+) {_YEAR}\b")],
    "en": [
        re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<mo>[a-z]+) {_YEAR}\b"),
        re.compile(rf"\b(?P<mo>[a-z]+) (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)? {_YEAR}\b"),
    ],
}
_NUMERIC_BIRTH = [
    re.compile(r"\b(?P<d>\d{1,2})[/. ](?P<mo>\d{1,2})[/. ](?P<y>\d{4}|\d{2})\b"),
    re.compile(r"\b(?P<y>\d{4})[/. ](?P<mo>\d{1,2})[/. ](?P<d>\d{1,2})\b"),
]


def parse_birth_date(text: str, locale: str) -> date | None:
    """Understand a date of birth ("12 mars 1985", "le 3/4/1990", "March 12, 1985", keypad "12031985").

    Numeric dates are day first (D/M/Y) in both languages, or year first (1985-03-12); 8 digits alone are
    DDMMYYYY (else YYYYMMDD), 6 are DDMMYY. A two-digit year is 20YY below 30, else 19YY.

    Args:
        text: The caller's words or keypad digits.
        locale: "fr" or "en".

    Returns:
        The date, or `None` when no valid date between 1900 and 2099 is found.
    """
    lang = lang_of(locale)
    prepared = join_year(prepare(respell(text, lang, birth=True), lang), lang)
    digits = prepared.replace(" ", "")
    if digits.isdigit() and len(digits) in (6, 8):
        found = _birth(digits[:2], digits[2:4], digits[4:])
        if found or len(digits) == 6:
            return found
        return _birth(digits[6:], digits[4:6], digits[:4])
    for pattern in _BIRTH[lang]:
        for match in pattern.finditer(prepared):
            month = MONTHS[lang].get(match["mo"])
            found = _birth(match["d"], str(month), match["y"]) if month else None
            if found:
                return found
    for pattern in _NUMERIC_BIRTH:
        numeric = pattern.search(prepared)
        if numeric:
            return _birth(numeric["d"], numeric["mo"], numeric["y"])
    return None


def _birth(day: str, month: str, year: str) -> date | None:
    digits = year.replace(" ", "")
    number = int(digits) + ((2000 if int(digits) < 30 else 1900) if len(digits) == 2 else 0)
    try:
        found = date(number, int(month), int(day))
    except ValueError:
        return None
    return found if 1900 <= found.year <= 2099 else None


def parse_keyed_day(digits: str | None, today: date) -> date | None:
    """A day keyed in as DDMM ("0312" -> the next 3 December from `today` on); `None` if not a date."""
    keys = (digits or "").strip().rstrip("#")
    if len(keys) != 4 or not keys.isdigit():
        return None
    day, month = int(keys[:2]), int(keys[2:])
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    return None
