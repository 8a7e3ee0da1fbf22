"""The forms a call's personal details take in its transcript, as patterns over a line's view
(`dialogue.privacy_view`: lower case, no accents, numbers as digits).

Birth dates as the bot says them ("14 juillet 1982", "the 14th of July 1985") and as callers and Whisper write
them ("14/07/1982", "14 07 82", "le 1er juillet 82", "July 14, 1982", keyed "14071982", the year alone); phone
numbers in E.164 or national form, with any separators, in pairs or digit by digit, and their last four digits
as the bot reads them back ("se termine par 56 78"); references digit by digit ("1, 0, 0, 0, 4, 2"); names word
by word and spelled ("D, U, P, O, N, T", "B comme Bernard", "G O double F").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from booking.phones import last_digits
from dialogue.understand.names import letter_names
from dialogue.understand.text import MONTHS, WEEKDAYS, fold

NAME = "⟨NAME⟩"
BIRTH_DATE = "⟨BIRTH_DATE⟩"
PHONE = "⟨PHONE⟩"
REFERENCE = "⟨REFERENCE⟩"
NUMBER = "⟨NUMBER⟩"
"""A leftover run of 4 to 7 digits that is no year, time or day and month."""

_DIGIT_SEP = r"[\s.,\-/]*"
_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?<!\d)", r"(?!\d)"
_NOT_WORD_BEFORE, _NOT_WORD_AFTER = r"(?<![a-z0-9])", r"(?![a-z0-9])"
_PARTICLES = frozenset("d l de du des la le les van von der den da di del della dos das ben el al st saint".split())
"""Words of a compound name replaced only with the rest of it ("Le Goff", "de la Tour")."""
_LETTER_SEP = r"(?:[\s,.\-]+(?:(?:tiret|trait d'?\s?union|apostrophe|espace|hyphen|dash|space)[\s,.\-]+)?)"
_AS_IN = r"(?:\s+(?:comme|as in|for|like)\s+[a-z]+)?"
_ACCENT = r"(?:\s+accent\s+[a-z]+)?"
_LEFTOVER = re.compile(r"(?<!\d)\d+(?:[\s.,\-/]{1,2}\d+)*(?!\d)")
_MINUTES_BEFORE = re.compile(r"\d\s?[h:]\s?$")
Keep = Callable[[str, re.Match[str]], bool]
"""Whether a match, in the view's text, is to be left as it is."""


@dataclass(frozen=True)
class Form:
    """One pattern of one kind of detail."""

    kind: str
    """The placeholder put in its place."""
    pattern: re.Pattern[str]
    keep: Keep | None = None


def _digits(digits: str) -> str:
    """`digits` with any separators between them ("56 78", "5, 6, 7, 8", "5678")."""
    return _DIGIT_SEP.join(digits)


def _bounded(body: str) -> re.Pattern[str]:
    return re.compile(f"{_NOT_WORD_BEFORE}(?:{body}){_NOT_WORD_AFTER}")


def reference_forms(references: Iterable[str]) -> list[Form]:
    """Appointment references, digit by digit or whole."""
    forms = []
    for reference in sorted(set(references)):
        code = fold(reference)
        if code.isdigit() and len(code) >= 4:
            body = f"{_NOT_DIGIT_BEFORE}{_digits(code)}{_NOT_DIGIT_AFTER}"
            forms.append(Form(REFERENCE, re.compile(body)))
        elif code:
            forms.append(Form(REFERENCE, _bounded(re.escape(code))))
    return forms


def phone_forms(phones: Iterable[str]) -> list[Form]:
    """Each number whole (E.164, national, with or without its country code) and its last four digits."""
    forms = []
    for phone in sorted(set(phones)):
        national = last_digits(phone, 20)
        whole = re.sub(r"\D", "", phone)
        code = whole[: len(whole) - len(national)] if whole.endswith(national) else ""
        if len(national) >= 6:
            country = rf"(?:\+|00)?\s*{code}[\s.\-]*(?:\(0\)[\s.\-]*)?|" if code else ""
            body = rf"(?<![\d+])(?:{country}0[\s.\-]*)?{_digits(national)}{_NOT_DIGIT_AFTER}"
            forms.append(Form(PHONE, re.compile(body)))
        if len(national) >= 4:
            tail = f"{_NOT_DIGIT_BEFORE}{_digits(national[-4:])}{_NOT_DIGIT_AFTER}"
            forms.append(Form(PHONE, re.compile(tail)))
    return forms


def _month_names(month: int) -> str:
    names = [name for table in MONTHS.values() for name, number in table.items() if number == month]
    return "|".join(sorted(set(names), key=len, reverse=True))


_WEEKDAY_BEFORE = re.compile(rf"(?:{'|'.join(w for days in WEEKDAYS.values() for w in days)})[\s,]+(?:le |the )?$")


def _after_weekday(text: str, match: re.Match[str]) -> bool:
    """A day and month without a year, said with a weekday: an appointment's day ("mardi 14 juillet")."""
    return match.group("year") is None and _WEEKDAY_BEFORE.search(text[: match.start()]) is not None


def birth_forms(days: Iterable[date]) -> list[Form]:
    """Each birth date in numbers (day, month, year in any order a caller uses), in words, and its year alone.

    A day and month without a year are replaced too (privacy first), except after a weekday: "mardi 14 juillet"
    is an appointment.
    """
    forms = []
    for born in sorted(set(days)):
        d, m, y = born.day, born.month, born.year
        short = f"{y % 100:02d}"
        year = rf"(?:{y}|{y // 100}[\s,.\-]*{short}|'?{short})"
        day = rf"(?:0?{d}|{d}(?:er|ere|re|e|eme|st|nd|rd|th))"
        month = rf"(?:{_month_names(m)})"
        sep = r"[\s./\-]*"
        numeric = (
            rf"{_NOT_DIGIT_BEFORE}(?:0?{d}{sep}0?{m}{sep}{year}|0?{m}{sep}0?{d}{sep}{year}|{y}{sep}0?{m}{sep}0?{d})"
            rf"{_NOT_DIGIT_AFTER}"
        )
        named_year = rf"(?P<year>[\s,]+{year})?"
        day_month = rf"{day}(?:\s+of)?\s+{month}{named_year}"
        month_day = rf"{month}[\s,]+(?:the\s+)?{day}{named_year}"
        forms += [
            Form(BIRTH_DATE, re.compile(numeric)),
            Form(BIRTH_DATE, _bounded(day_month), _after_weekday),
            Form(BIRTH_DATE, _bounded(month_day), _after_weekday),
            Form(BIRTH_DATE, re.compile(rf"{_NOT_DIGIT_BEFORE}(?:{y}|{y // 100} {short}){_NOT_DIGIT_AFTER}")),
        ]
    return forms


def _spelled(letters: str, locale: str) -> str:
    """A pattern of `letters` spelled one by one, with their names ("emme"), "comme ...", "double"."""
    names = letter_names(locale)

    def one(letter: str) -> str:
        said = "|".join(sorted({letter, *names.get(letter, ())}, key=len, reverse=True))
        return rf"(?:{said}){_ACCENT}{_AS_IN}"

    parts: list[str] = []
    index = 0
    while index < len(letters):
        letter = letters[index]
        if index + 1 < len(letters) and letters[index + 1] == letter:
            parts.append(rf"(?:{one(letter)}{_LETTER_SEP}{one(letter)}|(?:double|deux|2)\s+{one(letter)})")
            index += 2
        else:
            parts.append(one(letter))
            index += 1
    return _LETTER_SEP.join(parts)


def name_forms(names: Iterable[str], locale: str) -> list[Form]:
    """Every word of every name (particles only with the rest of the name), the whole name, and each spelled."""
    words: set[str] = set()
    spelled: set[str] = set()
    for name in names:
        parts = [p for p in re.split(r"[\s'\-]+", fold(name)) if p]
        letters = "".join(c for c in "".join(parts) if c.isalpha())
        if len(parts) > 1:
            words.add(r"[\s'\-]*".join(re.escape(p) for p in parts))
            if len(letters) >= 3:
                spelled.add(letters)
        for part in parts:
            if part in _PARTICLES or len(part) < 2:
                continue
            words.add(re.escape(part))
            alpha = "".join(c for c in part if c.isalpha())
            if len(alpha) >= 3:
                spelled.add(alpha)
    forms = []
    if spelled:
        bodies = (_spelled(s, locale) for s in sorted(spelled, key=len, reverse=True))
        forms.append(Form(NAME, _bounded("|".join(bodies))))
    if words:
        forms.append(Form(NAME, _bounded("|".join(sorted(words, key=len, reverse=True)))))
    return forms


def _valid_day_month(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def leftover_kind(run: str) -> str | None:
    """The placeholder of a run of digits no detail of the call explained, `None` to keep it.

    Kept: fewer than 4 digits; 4 that are a year (1900-2099, written as one number), a time (10.30, 10 30) or
    a day and month (0312: keyed "le 3 décembre"). Replaced: 8 digits that are a date (DDMMYYYY) by
    ⟨BIRTH_DATE⟩, 8 or more by ⟨PHONE⟩, the rest (4 to 7) by ⟨NUMBER⟩.
    """
    groups = re.findall(r"\d+", run)
    digits = "".join(groups)
    if len(digits) < 4:
        return None
    if len(digits) == 4:
        first, second = int(digits[:2]), int(digits[2:])
        if len(groups) == 1 and 1900 <= int(digits) <= 2099:
            return None
        if (first <= 23 and second <= 59) or _valid_day_month(first, second):
            return None
        return NUMBER
    if len(digits) == 8:
        day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
        if _valid_day_month(day, month) and 1900 <= year <= 2099:
            return BIRTH_DATE
    return PHONE if len(digits) >= 8 else NUMBER


def leftover_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, placeholder) of each leftover run of digits in a view's text."""
    found = []
    for match in _LEFTOVER.finditer(text):
        start = match.start()
        if _MINUTES_BEFORE.search(text[:start]):  # "10 h 30, 06 12...": the minutes of a time, then a number
            first = re.match(r"\d+[\s.,\-/]*", match.group())
            start += first.end() if first is not None else 0
        kind = leftover_kind(text[start : match.end()])
        if kind is not None and start < match.end():
            found.append((start, match.end(), kind))
    return found
