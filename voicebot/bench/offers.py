"""Reading the slots the bot offers from its words, and the window of slots a simulated caller accepts.

"J'ai de la place mardi 1er décembre à 9 h 30, à 9 h 50, ou à 10 h 10." and "I have Tuesday the 1st of
December at 8 am, at 8:10 am, or at 8:20 am." both become a list of local date-times, in the order said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "en": "january february march april may june july august september october november december".split(),
}
_FR_DAY = re.compile(r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) (\d{1,2})(?:er)? (\w+)")
_FR_TIME = re.compile(r"\bà (\d{1,2}) h(?: (\d{2}))?|\bà (midi|minuit)")
_EN_DAY = re.compile(r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday) the (\d{1,2})\w* of (\w+)")
_EN_TIME = re.compile(r"\bat (\d{1,2})(?::(\d{2}))? ?(am|pm)\b|\bat (noon|midnight)")


@dataclass(frozen=True)
class Window:
    """The slots a caller accepts: days (inclusive) and start times (from inclusive, until exclusive)."""

    first: date | None = None
    last: date | None = None
    start: time | None = None
    until: time | None = None

    @classmethod
    def parse(cls, spec: dict[str, Any]) -> Window:
        """From a scenario's table: `day` or `first`/`last` (dates), `from`/`until` ("HH:MM")."""
        day = spec.get("day")
        first, last = spec.get("first", day), spec.get("last", day)
        start, until = spec.get("from"), spec.get("until")
        return cls(
            first,
            last,
            time.fromisoformat(start) if start else None,
            time.fromisoformat(until) if until else None,
        )

    def holds(self, moment: datetime) -> bool:
        """Whether a slot starting at `moment` (local wall clock) is one the caller wants."""
        day, clock = moment.date(), moment.time().replace(tzinfo=None)
        return (
            (self.first is None or day >= self.first)
            and (self.last is None or day <= self.last)
            and (self.start is None or clock >= self.start)
            and (self.until is None or clock < self.until)
        )

    def before(self, moment: datetime) -> bool:
        """Whether `moment` is earlier than anything in the window (so "later" may reach it)."""
        day, clock = moment.date(), moment.time().replace(tzinfo=None)
        if self.first is not None and day < self.first:
            return True
        if self.last is not None and day > self.last:
            return False
        return self.start is not None and clock < self.start

    def describe(self) -> str:
        """A short form for reports: "2026-12-01..2026-12-01 09:00-12:00"."""
        days = f"{self.first or '…'}..{self.last or '…'}"
        hours = f"{self.start or '…'}-{self.until or '…'}" if self.start or self.until else "any time"
        return f"{days} {hours}"


def read_offers(text: str, language: str, today: date) -> list[datetime]:
    """The slots the bot's words offer, in the order said; the year is the next one holding that day."""
    lowered = text.casefold()
    day_pattern, time_pattern = (_EN_DAY, _EN_TIME) if language == "en" else (_FR_DAY, _FR_TIME)
    days = [(m.start(), _day(m.group(1), m.group(2), language, today)) for m in day_pattern.finditer(lowered)]
    offers: list[datetime] = []
    for match in time_pattern.finditer(lowered):
        current = [d for position, d in days if position < match.start() and d is not None]
        if not current:
            continue
        clock = _clock(match, language)
        if clock is not None:
            offers.append(datetime.combine(current[-1], clock))
    return offers


def _day(number: str, month: str, language: str, today: date) -> date | None:
    if month not in MONTHS[language]:
        return None
    index = MONTHS[language].index(month) + 1
    year = today.year if index >= today.month else today.year + 1
    try:
        return date(year, index, int(number))
    except ValueError:
        return None


def _clock(match: re.Match[str], language: str) -> time | None:
    groups = match.groups()
    word = groups[-1]
    if word:
        return time(12) if word in ("midi", "noon") else time(0)
    hour, minute = int(groups[0]), int(groups[1] or 0)
    if language == "en":
        hour = hour % 12 + (12 if groups[2] == "pm" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None
