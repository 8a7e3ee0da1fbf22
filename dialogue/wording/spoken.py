"""Reading values aloud: dates, times, offered slots, references and phone numbers, in the locale's words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from booking.clinic import Clinic, Practitioner
from booking.phones import last_digits
from booking.slots import Slot
from dialogue.wording.phrases import Phrases


def cap(text: str) -> str:
    """The text with its first letter in upper case (a sentence may start with "le docteur...")."""
    return text[:1].upper() + text[1:]


def say_list(items: Sequence[str], phrases: Phrases, joiner: str = "speech.or") -> str:
    """Items joined the spoken way: "a, b ou c" (or "a, b et c" with `joiner="speech.and"`)."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {phrases.get(joiner)} {items[-1]}"


def say_practitioner(practitioner: Practitioner, phrases: Phrases) -> str:
    """How the agent names a practitioner mid-sentence ("le docteur Martin", "Doctor Patel")."""
    titles = phrases.table("speech.titles")
    key = practitioner.title.casefold().rstrip(".")
    title = titles.get(key, practitioner.title)
    return f"{title} {practitioner.last_name}".strip()


def _ordinal_day(day: int, phrases: Phrases) -> str:
    special = phrases.table("speech.day_numbers")
    if str(day) in special:
        return special[str(day)]
    if phrases.locale == "en":
        suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        return f"{day}{suffix}"
    return str(day)


def say_date(day: date, phrases: Phrases) -> str:
    """A day with its weekday ("mardi 1er décembre", "Tuesday the 1st of December")."""
    return phrases.get(
        "speech.date",
        weekday=phrases.words("speech.weekdays")[day.weekday()],
        day=_ordinal_day(day.day, phrases),
        month=phrases.words("speech.months")[day.month - 1],
    )


def say_birth_date(day: date, phrases: Phrases) -> str:
    """A birth date with its year ("14 juillet 1985", "14 July 1985")."""
    return phrases.get(
        "speech.birth_date", day=day.day, month=phrases.words("speech.months")[day.month - 1], year=day.year
    )


def say_time(moment: time, phrases: Phrases) -> str:
    """A wall-clock time ("10 h 30", "midi"; "10:30 am", "noon")."""
    if moment.minute == 0 and moment.hour in (0, 12):
        return phrases.get("speech.midnight" if moment.hour == 0 else "speech.noon")
    hour12 = moment.hour % 12 or 12
    suffix = phrases.get("speech.am" if moment.hour < 12 else "speech.pm")
    key = "speech.time_hour" if moment.minute == 0 else "speech.time_minutes"
    return phrases.get(key, hour=moment.hour, hour12=hour12, minute=f"{moment.minute:02d}", suffix=suffix)


def say_slots(slots: Sequence[Slot], clinic: Clinic, phrases: Phrases, with_practitioner: bool) -> str:
    """Offered slots read naturally: the day once per run of same-day slots.

    "mardi 8 décembre à 10 h 30, ou à 11 h"; "Tuesday the 8th of December at 10:30 am, or at 11 am".
    """
    fragments: list[str] = []
    previous: Slot | None = None
    for slot in slots:
        new_day = previous is None or previous.start.date() != slot.start.date()
        fragment = phrases.get("speech.at", time=say_time(slot.start.time(), phrases))
        if new_day:
            fragment = f"{say_date(slot.start.date(), phrases)} {fragment}"
        if with_practitioner and (new_day or previous is None or previous.practitioner_id != slot.practitioner_id):
            name = say_practitioner(clinic.practitioner(slot.practitioner_id), phrases)
            fragment = f"{fragment} {phrases.get('speech.with', name=name)}"
        fragments.append(fragment)
        previous = slot
    if len(fragments) <= 1:
        return "".join(fragments)
    return f"{', '.join(fragments[:-1])}, {phrases.get('speech.or')} {fragments[-1]}"


def say_slot(slot: Slot, clinic: Clinic, phrases: Phrases, with_practitioner: bool = True) -> str:
    """One slot: "mardi 1er décembre à 10 h avec le docteur Martin"."""
    return say_slots([slot], clinic, phrases, with_practitioner)


def say_digits(digits: str) -> str:
    """Digits read one by one ("4, 8, 1, 2, 0, 7"), for references."""
    return ", ".join(c for c in digits if not c.isspace())


def say_phone_tail(phone: str, phrases: Phrases) -> str:
    """The last four digits of a phone number, the way the locale reads them ("45 67"; "4 5 6 7")."""
    digits = last_digits(phone, 4)
    if phrases.locale == "fr":
        return f"{digits[:2]} {digits[2:]}"
    return " ".join(digits)


def say_spelled(name: str) -> str:
    """A name letter by letter ("D, U, P, O, N, T")."""
    return ", ".join(c.upper() for c in name if c.isalpha())


def say_hours(clinic: Clinic, phrases: Phrases) -> str:
    """The practice's opening hours, from the earliest to the latest practitioner each weekday."""
    spans: dict[int, tuple[time, time]] = {}
    for practitioner in clinic.practitioners:
        for weekday, ranges in practitioner.hours.items():
            for time_range in ranges:
                start, end = spans.get(weekday, (time_range.start, time_range.end))
                spans[weekday] = (min(start, time_range.start), max(end, time_range.end))
    names = phrases.words("speech.weekdays")
    groups: list[tuple[int, int, tuple[time, time]]] = []
    for weekday in sorted(spans):
        if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == spans[weekday]:
            groups[-1] = (groups[-1][0], weekday, spans[weekday])
        else:
            groups.append((weekday, weekday, spans[weekday]))
    parts = []
    for first, last, (start, end) in groups:
        if first == last:
            days = phrases.get("speech.day_single", day=names[first])
        else:
            days = phrases.get("speech.days_range", first=names[first], last=names[last])
        parts.append(phrases.get("speech.span", days=days, start=say_time(start, phrases), end=say_time(end, phrases)))
    return say_list(parts, phrases, "speech.and")
