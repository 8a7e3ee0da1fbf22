"""Dates and times in callers' words: "mardi prochain vers 10 h", "early next week", "12 mars 1985".

`parse_when` reads days (absolute, relative, ranges), a wished time, parts of the day and constraints on
the start time. `now` is a parameter (never read here); days are counted in its time zone. Stages run in
a fixed order on `prepare`d text and blank what they understood, so each word is read once: time ranges
("entre 10 h et midi"), clock times, "as soon as possible", parts of the day, days, bare hours ("vers 10").

Hours: 13..23, "pm", "de l'après-midi" and "du soir" are afternoon; a bare 1..7 ("à 3 h", "at 2") is the
afternoon too (no practice opens at 3 am) unless "du matin", "am" or "le matin" says otherwise.
"huit heures moins le quart" is 07:45: the rule looks at the hour named (8), not the result.

Days: a weekday is the next one after today ("mardi", "mardi prochain", "next Tuesday" on a Saturday are
the coming Tuesday; said on a Tuesday, the one a week later); "mardi en huit" / "Tuesday week" is a week
after that. A date without a year is the next one from today on. "En début de semaine" is Monday-Tuesday,
"milieu" Tuesday-Thursday, "fin" Thursday-Saturday, never before today. "Dans 8 / 15 jours" is 7 / 14 days.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from booking.slots import AFTERNOON, EVENING, MORNING, TimeWindow
from dialogue.text import MONTHS, WEEKDAYS, lang_of, prepare


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


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


# --- clock times ------------------------------------------------------------------------------------------

_FRAC_FR = (r"(?:\s+et\s+(?P<frac>demie?|quart)|\s+moins\s+(?:le\s+)?(?P<mfrac>quart)"
            r"|\s+moins\s+(?P<minus>\d{1,2})\b(?:\s*min(?:utes?)?\b)?)?")
_CLOCKS = {
    "fr": [re.compile(p) for p in (
        r"(?<![\d/.:])(?P<h>\d{1,2})\s*(?:h(?![a-z])|heures?\b|:(?=\d))(?:\s*(?P<m>\d{1,2}(?![\d/.:])))?"
        r"(?:\s*min(?:utes?)?\b)?" + _FRAC_FR,
        r"(?<!apres )(?<!de )(?<!du )\b(?P<h>midi|minuit)\b" + _FRAC_FR,
    )],
    "en": [re.compile(p) for p in (
        r"\b(?:a\s+)?(?P<part>half|quarter|5|10|20|25)(?:\s+minutes?)?\s+(?P<rel>past|after|to|til|till)"
        r"\s+(?P<h>\d{1,2}|noon|midnight)\b(?![/:.]\d)",
        r"\b(?P<part>half)\s+(?P<h>\d{1,2})\b(?!\s*(?:hours?|days?|weeks?))",
        r"(?<![\d/.:])(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})|\s+(?P<m2>[0-5]\d))?\s*(?P<ap>[ap])\s?m\b",
        r"(?<![\d/.:])(?P<h>\d{1,2})[:.](?P<m>\d{2})(?![\d/.:])",
        r"(?<![\d/.:])(?P<h>\d{1,2})\s*oclock\b",
        r"\b(?:12\s+)?(?P<h>noon|midday|midnight)\b",
        r"(?<![\d/.:])(?P<h>1[0-2]|[1-9]) (?P<m>[0-5][05])\b(?!\s*(?:st|nd|rd|th|of|minutes?|days?|weeks?)\b)",
    )],
}
_WORD_HOURS = {"midi": 12, "minuit": 0, "noon": 12, "midday": 12, "midnight": 0}
_QUALIFIERS = {
    "fr": {"du matin": "am", "de l apres midi": "pm", "de l aprem": "pm", "du soir": "pm", "de la nuit": "am"},
    "en": {"am": "am", "a m": "am", "pm": "pm", "p m": "pm", "in the morning": "am", "in the afternoon": "pm",
           "in the evening": "pm", "at night": "pm"},
}
_PREFIXES = {  # before a time: "from" = earliest, "before" = exclusive latest, "until" = inclusive latest
    "fr": {"pas avant": "from", "pas plus tot que": "from", "a partir de": "from", "a partir d": "from",
           "a partir": "from", "des": "from", "apres": "from", "plus tard que": "from", "pas apres": "until",
           "pas plus tard que": "until", "au plus tard a": "until", "avant": "before", "plus tot que": "before",
           "jusqu a": "before", "jusqu": "before"},
    "en": {"not before": "from", "no earlier than": "from", "not earlier than": "from", "later than": "from",
           "any time after": "from", "anytime after": "from", "after": "from", "from": "from",
           "starting at": "from", "starting from": "from", "not after": "until", "no later than": "until",
           "not later than": "until", "by": "until", "before": "before", "earlier than": "before",
           "until": "before", "till": "before", "til": "before", "up to": "before"},
}
_SUFFIXES = {
    "fr": {"au plus tard": "until", "dernier delai": "until", "ou avant": "until", "maximum": "until",
           "au plus tot": "from", "ou plus tard": "from", "ou apres": "from", "minimum": "from"},
    "en": {"at the latest": "until", "or earlier": "until", "or before": "until", "at the earliest": "from",
           "or later": "from", "or after": "from", "onwards": "from", "onward": "from"},
}
_AT = {"fr": ("vers", "a", "pour"), "en": ("at", "around", "about", "say", "for")}
_NOT_UNITS = (r"jours?|semaines?|mois|ans?|annees?|minutes?|heures?|personnes?|enfants?|fois|days?|weeks?"
              r"|months?|years?|hours?|people|times|er|ere|e|eme|st|nd|rd|th|of|"
              + _alternation([*MONTHS["fr"], *MONTHS["en"]]))
_FRAGMENT = {
    "fr": r"(?:\d{1,2}(?:\s*(?:h|heures?)(?:\s*\d{2})?)?|midi|minuit)",
    "en": r"(?:\d{1,2}(?:[:.]\d{2})?(?:\s*[ap]\s?m)?|noon|midday|midnight)",
}
_BETWEEN = {
    "fr": re.compile(rf"\b(?:entre|de)\s+(?P<a>{_FRAGMENT['fr']})\s+(?:et|a|jusqu a)\s+(?P<b>{_FRAGMENT['fr']})"
                     rf"\b(?!\s*(?:{_NOT_UNITS})\b)"),
    "en": re.compile(rf"\b(?:between|from)\s+(?P<a>{_FRAGMENT['en']})\s+(?:and|to|till|until)\s+"
                     rf"(?P<b>{_FRAGMENT['en']})\b(?!\s*(?:{_NOT_UNITS})\b)"),
}
_TAIL = {lang: re.compile(rf"(?:^|\s)(?P<p>{_alternation(words)})\s+(?:(?:{'|'.join(_AT[lang])})\s+)?$")
         for lang, words in _PREFIXES.items()}
_HEAD = {lang: re.compile(rf"^\s*(?P<q>{_alternation(words)})\b") for lang, words in _QUALIFIERS.items()}
_AFTER = {lang: re.compile(rf"^\s*(?P<s>{_alternation(words)})\b") for lang, words in _SUFFIXES.items()}
_BARE = {lang: re.compile(rf"(?:^|(?<=\s))(?P<p>{_alternation([*words, *_AT[lang]])})\s+(?P<h>\d{{1,2}})(?:ish)?"
                          rf"(?:\s+(?P<m>[0-5]\d))?(?![\d/:.])\b(?!\s*(?:{_NOT_UNITS})\b)")
         for lang, words in _PREFIXES.items()}
_DURATION = re.compile(r"\b(?:dans|pendant|en|in|for|from|between)\s+$")

# --- "as soon as possible" and parts of the day -----------------------------------------------------------

_ASAP = {
    "fr": re.compile(
        r"\b(?:le plus tot(?: possible| que (?:possible|vous pouvez))?|au plus tot|des que possible|au plus vite|"
        r"le plus (?:rapidement|vite) possible|en urgence|le plus proche|des que vous (?:pouvez|avez)|rapidement|"
        r"(?:le |la )?(?:1er|1ere|premier|premiere) (?:creneau|rendez vous|rdv|date|place|moment|disponibilite|"
        r"dispo)(?: (?:disponible|libre|possible))?|n importe quand|quand vous voulez)\b"),
    "en": re.compile(
        r"\b(?:as soon as (?:possible|you can)|asap|a s a p|as early as possible|whenever|"
        r"(?:the )?(?:earliest|soonest)(?: (?:possible|available|slot|appointment|time|one))?|"
        r"(?:the )?(?:1st|first|next) (?:available|free|possible|opening)(?: (?:slot|appointment|one|time))?)\b"),
}
_EARLY_MORNING, _LATE_MORNING = TimeWindow(None, time(10)), TimeWindow(time(10, 30), time(12))
_MID_MORNING, _LUNCH = TimeWindow(time(9, 30), time(11)), TimeWindow(time(12), time(14))
_EARLY_AFTERNOON, _MID_AFTERNOON = TimeWindow(time(13), time(15)), TimeWindow(time(14), time(16))
_LATE_AFTERNOON = TimeWindow(time(16), None)
_PARTS: dict[str, list[tuple[re.Pattern[str], TimeWindow]]] = {
    "fr": [(re.compile(rf"\b(?:{p})\b"), w) for p, w in (
        (r"(?:en |au |tout au |vers le )?(?:tout )?debut (?:de )?(?:la )?matinee|tot le matin|de bon matin|"
         r"de bonne heure|a la (?:premiere|1ere) heure", _EARLY_MORNING),
        (r"(?:en |a la |vers la )?fin (?:de )?(?:la )?matinee|tard (?:le matin|dans la matinee)", _LATE_MORNING),
        (r"(?:en |au |vers le )?milieu (?:de )?(?:la )?matinee", _MID_MORNING),
        (r"(?:en |au |vers le )?debut (?:d |de l )?(?:apres midi|aprem)", _EARLY_AFTERNOON),
        (r"(?:en |au |vers le )?milieu (?:d |de l )?apres midi", _MID_AFTERNOON),
        (r"(?:en |a la |vers la )?fin (?:d |de l )?(?:apres midi|aprem)|tard (?:dans )?l apres midi",
         _LATE_AFTERNOON),
        (r"entre midi et (?:2|deux)(?: heures| h)?|(?:a |pendant )?(?:l heure du|la pause) (?:dejeuner|de midi)"
         r"|(?:a |pendant )?(?:la )?pause dejeuner", _LUNCH),
        (r"(?:en |a la |vers la )?fin (?:de )?(?:la )?journee|(?:en |dans la )?soiree|(?:le |ce |au |du )?soir"
         r"|(?:apres|en sortant du) (?:le )?(?:travail|boulot)", EVENING),
        (r"(?:dans la |en )?matinee|(?:le |ce |au |du |dans le )?matin", MORNING),
        (r"(?:l |cet |cette |dans l |en )?(?:apres midi|aprem)", AFTERNOON),
    )],
    "en": [(re.compile(rf"\b(?:{p})\b"), w) for p, w in (
        (r"(?:first|1st) thing(?: in the morning)?|early (?:in the |on in the )?morning", _EARLY_MORNING),
        (r"late (?:in the )?morning|(?:the )?end of the morning|later in the morning", _LATE_MORNING),
        (r"mid ?morning|(?:the )?middle of the morning", _MID_MORNING),
        (r"early (?:in the )?afternoon|(?:the )?start of the afternoon|just after lunch", _EARLY_AFTERNOON),
        (r"mid ?afternoon|(?:the )?middle of the afternoon", _MID_AFTERNOON),
        (r"late (?:in the )?afternoon|(?:the )?end of the afternoon|later in the afternoon", _LATE_AFTERNOON),
        (r"(?:around |at |over |during |in )?(?:my |the )?lunch ?(?:time|break|hour)?", _LUNCH),
        (r"(?:at the )?end of the day|(?:in the |this |the )?evenings?|tonight|after work", EVENING),
        (r"(?:in the |this |the )?mornings?", MORNING),
        (r"(?:in the |this |the )?afternoons?", AFTERNOON),
    )],
}
_TODAY_PART = re.compile(r"^(?:ce|cet|cette|this)\b|^(?:tonight|ce soir)")
_NEGATED_PART = re.compile(r"(?:^|\s)(?:pas|not|sauf|except|mais pas|but not|surtout pas|no)"
                           r"(?:\s+(?:le|la|l|en|dans la|in|in the|the|on))?\s*$")


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    """May be negative ("moins le quart")."""
    meridiem: str | None
    kind: str
    """"at" (a wished time), "from", "before" (exclusive) or "until" (inclusive)."""
    start: int


class _Text:
    """The prepared text, blanked where understood (offsets stay valid)."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.text = text

    def blank(self, start: int, end: int) -> None:
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


def _clock(match: re.Match[str], text: _Text, lang: str, kind: str | None = None) -> _Clock:
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
    return _Clock(hour, minute, meridiem, kind, match.start())


def _fragment(fragment: str, lang: str) -> tuple[int, int, str | None]:
    for pattern in _CLOCKS[lang]:
        match = pattern.search(fragment)
        if match:
            return _hour_minute(match.groupdict())
    return int(re.sub(r"\D", "", fragment) or 0), 0, None


def _scan_clocks(text: _Text, lang: str) -> list[_Clock]:
    clocks: list[_Clock] = []
    for match in list(_BETWEEN[lang].finditer(text.text)):
        for name, kind in (("a", "from"), ("b", "before")):
            hour, minute, meridiem = _fragment(match[name], lang)
            clocks.append(_Clock(hour, minute, meridiem, kind, match.start(name)))
        text.blank(match.start(), match.end())
    for pattern in _CLOCKS[lang]:
        for match in list(pattern.finditer(text.text)):
            if not (match["h"].isdigit() and _DURATION.search(text.text[: match.start()])):
                clocks.append(_clock(match, text, lang))
    return clocks


def _scan_bare(text: _Text, lang: str) -> list[_Clock]:
    """Hours without "h"/"heures"/"o'clock", after a preposition: "vers 10", "after 5", "at 2 30"."""
    clocks = []
    for match in list(_BARE[lang].finditer(text.text)):
        kind = _PREFIXES[lang].get(match["p"])
        clocks.append(_clock(match, text, lang, kind))
    return clocks


def _scan_parts(text: _Text, lang: str) -> tuple[list[TimeWindow], bool]:
    """Parts of the day said (a negated one, "pas le matin", gives the rest of the day), and whether one
    implies today ("ce soir", "this morning").
    """
    windows: list[TimeWindow] = []
    today = False
    for pattern, window in _PARTS[lang]:
        for match in list(pattern.finditer(text.text)):
            if _NEGATED_PART.search(text.text[: match.start()]):
                windows.extend(_complement(window))
            else:
                windows.append(window)
                today = today or bool(_TODAY_PART.match(match.group(0)))
            text.blank(match.start(), match.end())
    return windows, today


def _complement(window: TimeWindow) -> list[TimeWindow]:
    """The rest of the day: "pas le matin" is the afternoon, "not in the afternoon" the morning."""
    if window in (MORNING, AFTERNOON):
        return [AFTERNOON if window == MORNING else MORNING]
    bounds = ((None, window.earliest), (window.latest, None))
    return [TimeWindow(low, high) for low, high in bounds if low is not None or high is not None]


def _scan_times(text: _Text, lang: str) -> tuple[list[_Clock], bool, list[TimeWindow], bool]:
    clocks = _scan_clocks(text, lang)
    asap = False
    for match in list(_ASAP[lang].finditer(text.text)):
        asap = True
        text.blank(match.start(), match.end())
    parts, today = _scan_parts(text, lang)
    return clocks, asap, parts, today


def _context(parts: list[TimeWindow]) -> str | None:
    """"am" when every part of the day said is in the morning, "pm" when all are in the afternoon."""
    if parts and all(p.latest is not None and p.latest <= time(12) for p in parts):
        return "am"
    if parts and all(p.earliest is not None and p.earliest >= time(12) for p in parts):
        return "pm"
    return None


def _resolve(clock: _Clock, context: str | None) -> time | None:
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


def _windows(parts: list[TimeWindow], clocks: list[_Clock], context: str | None) -> tuple[TimeWindow, ...]:
    earliest: time | None = None
    latest: time | None = None
    for clock in clocks:
        moment = _resolve(clock, context)
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


# --- days -------------------------------------------------------------------------------------------------

_Days = tuple[date, date] | None
_Rule = Callable[[re.Match[str], date, str], _Days]


@dataclass(frozen=True)
class _Span:
    first: date
    last: date
    start: int
    end: int
    kind: str = "on"
    """"on", "from", "after", "before", "until", "between" (a range's start) or "not"."""
    dom: int | None = None
    """The day of the month when only it was said ("du 3 au 5 décembre"), to take the range end's month."""


def _monday(day: date, weeks: int = 0) -> date:
    return day - timedelta(days=day.weekday() - 7 * weeks)


def _coming(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _month_span(year: int, month: int, low: int = 1, high: int = 31) -> tuple[date, date]:
    end = calendar.monthrange(year, month)[1]
    return date(year, month, min(low, end)), date(year, month, min(high, end))


def _shift_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _next_date(today: date, month: int, day: int, year: int | None = None) -> date | None:
    for candidate in [year] if year is not None else range(today.year, today.year + 9):
        try:
            found = date(candidate, month, day)
        except ValueError:
            continue
        if year is not None or found >= today:
            return found
    return None


def _next_dom(today: date, day: int) -> date | None:
    if not 1 <= day <= 31:
        return None
    for months in range(13):
        start = _shift_months(today.replace(day=1), months)
        if day <= calendar.monthrange(start.year, start.month)[1] and start.replace(day=day) >= today:
            return start.replace(day=day)
    return None


def _one(day: date | None) -> _Days:
    return (day, day) if day else None


def _days_after(days: int, later: tuple[int, int] = (7, 14)) -> _Rule:
    """`days` after today; a week (or two: "en 15") more with "en 8" / "a week tomorrow"."""
    def rule(match: re.Match[str], today: date, lang: str) -> _Days:
        extra = match.groupdict().get("x") or ""
        return _one(today + timedelta(days=days + (later[1] if "15" in extra else later[0] if extra else 0)))

    return rule


def _week(part: tuple[int, int]) -> _Rule:
    """Days `part` (0 = Monday) of this week, or of next week when the "x" group matched."""
    def rule(match: re.Match[str], today: date, lang: str) -> _Days:
        weeks = 1 if match.groupdict().get("x") else 0
        first, last = (_monday(today, weeks) + timedelta(days=d) for d in part)
        if weeks == 0 and last < today:
            first, last = first + timedelta(days=7), last + timedelta(days=7)
        return max(first, today), last

    return rule


def _in(match: re.Match[str], today: date, lang: str) -> _Days:
    raw = match["n"] or match.groupdict().get("n2") or "1"
    count = int(raw) if raw.isdigit() else 1
    unit = (match["u"] or match.groupdict().get("u2") or "")[:3]
    if count > 400:
        return None
    if unit in ("moi", "mon"):
        return _one(_shift_months(today, count))
    if unit in ("jou", "day"):
        return _one(today + timedelta(days={8: 7, 15: 14}.get(count, count) if unit == "jou" else count))
    return _one(today + timedelta(days=14 if unit in ("qui", "for") else 7 * count))


_MONTH_PARTS = {"debut": (1, 10), "early": (1, 10), "beginning": (1, 10), "start": (1, 10), "mi": (11, 20),
                "mid": (11, 20), "middle": (11, 20), "fin": (21, 31), "late": (21, 31), "end": (21, 31)}


def _month(match: re.Match[str], today: date, lang: str) -> _Days:
    month = MONTHS[lang][match["mo"]]
    year = int(match["y"]) if match["y"] else today.year + (month < today.month)
    low, high = next((_MONTH_PARTS[w] for w in (match["p"] or "").split() if w in _MONTH_PARTS), (1, 31))
    first, last = _month_span(year, month, low, high)
    return (max(first, today), last) if last >= today else (first, last)


def _this_month(match: re.Match[str], today: date, lang: str) -> _Days:
    end_of_month = "fin" in match[0] or "end" in match[0]
    return _month_span(today.year, today.month, max(21, today.day) if end_of_month else today.day)


def _next_month(match: re.Match[str], today: date, lang: str) -> _Days:
    start = _shift_months(today.replace(day=1), 1)
    return _month_span(start.year, start.month)


def _date(match: re.Match[str], today: date, lang: str) -> _Days:
    raw, day = match["mo"], int(match["d"])
    month = int(raw) if raw.isdigit() else MONTHS[lang][raw]
    if month > 12 and day <= 12:
        day, month = month, day
    year = int(match["y"]) + (2000 if len(match["y"]) == 2 else 0) if match["y"] else None
    return _one(_next_date(today, month, day, year)) if 1 <= month <= 12 else None


def _weekday(match: re.Match[str], today: date, lang: str) -> _Days:
    weekday, extra = WEEKDAYS[lang].index(match["wd"]), match.groupdict().get("x") or ""
    if "semaine" in extra:
        return _one(_monday(today, 1) + timedelta(days=weekday))
    later = 14 if "15" in extra else 7 if extra in ("en 8", "after next", "week") else 0
    return _one(_coming(today, weekday) + timedelta(days=later))


def _weekday_dom(match: re.Match[str], today: date, lang: str) -> _Days:
    """"Lundi 7": the next Monday the 7th (the next 7th if none within 28 months)."""
    weekday, day = WEEKDAYS[lang].index(match["wd"]), int(match["d"])
    found = _next_dom(today, day)
    for _ in range(28):
        if found is None or found.weekday() == weekday:
            break
        found = _next_dom(found + timedelta(days=1), day)
    return _one(found if found and found.weekday() == weekday else _next_dom(today, day))


def _week_of(match: re.Match[str], today: date, lang: str) -> _Days:
    mo, day = match["mo"], int(match["d"])
    found = _next_date(today, MONTHS[lang][mo], day) if mo else _next_dom(today, day)
    return (max(_monday(found), today), _monday(found) + timedelta(days=6)) if found else None


def _dom(match: re.Match[str], today: date, lang: str) -> _Days:
    return _one(_next_dom(today, int(match["d"])))


def _two_weeks_on(match: re.Match[str], today: date, lang: str) -> _Days:
    return _monday(today, 2), _monday(today, 2) + timedelta(days=6)


def _weekend(match: re.Match[str], today: date, lang: str) -> _Days:
    if match.groupdict().get("x"):
        return _monday(today, 1) + timedelta(days=5), _monday(today, 1) + timedelta(days=6)
    return _week((5, 6))(match, today, lang)


_WD = {lang: "|".join(names) for lang, names in WEEKDAYS.items()}
_MO = {lang: _alternation(names) for lang, names in MONTHS.items()}
_UNITS = r"h\b|h\d|heures?|:|jours?|semaines?|mois|ans?|min|days?|weeks?|months?|hours?|years?|people"
_DOM = (r"(?:(?<=\ble )|(?<=\bdu )|(?<=\bau )|(?<=\bthe )|(?<=\bon ))(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?\b"
        rf"(?![/:.]\d)(?!\s*(?:{_UNITS}))")
_NUMERIC = r"\b(?:(?P<wd>{wd}) )?(?P<d>\d{{1,2}})/(?P<mo>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?\b"
_DAY_RULES: dict[str, list[tuple[str, _Rule]]] = {
    "fr": [
        (r"\baujourd hui(?: en (?P<x>8|15))?\b", _days_after(0)),
        (r"\bapres demain(?: en (?P<x>8|15))?\b", _days_after(2)),
        (r"\bdemain(?: en (?P<x>8|15))?\b", _days_after(1)),
        (r"\b(?:dans|d ici) (?:(?P<n>\d+|un|une) )?(?P<u>jours?|semaines?|mois|quinzaine)(?: de jours)?\b", _in),
        (r"\b(?:en |au |tout au |vers le )?debut (?:de )?(?:la )?semaine(?P<x> prochaine| d apres)?\b",
         _week((0, 1))),
        (r"\b(?:en |au |vers le )?milieu (?:de )?(?:la )?semaine(?P<x> prochaine| d apres)?\b", _week((1, 3))),
        (r"\b(?:en |a la |vers la )?fin (?:de )?(?:la )?semaine(?P<x> prochaine| d apres)?\b", _week((3, 5))),
        (r"\b(?:la |dans la |pour la )?semaine (?P<x>prochaine|d apres|suivante)\b", _week((0, 6))),
        (r"\b(?:cette semaine(?: ci)?|dans la semaine)\b", _week((0, 6))),
        (r"\b(?:ce |le )?week end(?P<x> prochain)?\b", _weekend),
        (r"\bla semaine du (?P<d>\d{{1,2}})(?:er)?(?: (?P<mo>{mo}))?\b", _week_of),
        (r"\b(?:le )?mois (?:prochain|d apres)\b", _next_month),
        (r"\b(?:ce mois ci|ce mois|dans le mois|(?:a la |en |vers la )?fin du mois)\b", _this_month),
        (r"\b(?P<p>debut|fin|mi|courant|en|au mois de|au mois d|a la mi|vers la mi|vers la fin|vers le debut)"
         r" (?P<mo>{mo})(?: (?P<y>\d{{4}}))?\b", _month),
        (r"\b(?:(?P<wd>{wd}) )?(?P<d>\d{{1,2}})(?:er|ere|e|eme)? (?P<mo>{mo})(?: (?P<y>\d{{4}}))?\b", _date),
        (_NUMERIC, _date),
        (rf"\b(?P<wd>{{wd}}) (?:le )?(?P<d>\d{{{{1,2}}}})(?:er)?\b(?![/:.]\d)(?!\s*(?:{_UNITS}))", _weekday_dom),
        (r"\b(?:ce |cette )?(?P<wd>{wd})(?: (?P<x>prochain|qui vient|en 8|en 15|de la semaine prochaine))?\b",
         _weekday),
    ],
    "en": [
        (r"\ba week (?:today|(?P<x>tomorrow))\b", _days_after(7, (1, 1))),
        (r"\btoday\b", _days_after(0)),
        (r"\b(?:the )?day after tomorrow\b", _days_after(2)),
        (r"\btomorrow\b", _days_after(1)),
        (r"\b(?:in (?:(?P<n>\d+|a|an) )?(?P<u>days?|weeks?|months?|fortnight)|(?P<n2>\d+|a|an) "
         r"(?P<u2>days?|weeks?|months?) (?:from (?:now|today)|time))\b", _in),
        (r"\b(?:early|beginning of|start of|the start of|the beginning of)(?: the| this)? (?P<x>next )?week\b",
         _week((0, 1))),
        (r"\b(?:midweek|mid week|(?:the )?middle of (?:the |this )?(?P<x>next )?week)\b", _week((1, 3))),
        (r"\b(?:late|later|end of|the end of|towards the end of)(?: the| this)? (?P<x>next )?week\b",
         _week((3, 5))),
        (r"\bthe week after next\b", _two_weeks_on),
        (r"\b(?P<x>next|the following) week\b", _week((0, 6))),
        (r"\bthis week\b", _week((0, 6))),
        (r"\b(?:(?:this|the|at the|on the|over the) weekend|(?P<x>next) weekend)\b", _weekend),
        (r"\bthe week of (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: of)?(?: (?P<mo>{mo}))?\b", _week_of),
        (r"\bnext month\b", _next_month),
        (r"\b(?:(?:later )?this month|(?:the )?end of the month)\b", _this_month),
        (r"\b(?P<p>early|late|mid|in|beginning of|start of|end of|the end of|the beginning of|middle of)"
         r" (?P<mo>{mo})(?: (?P<y>\d{{4}}))?\b", _month),
        (r"\b(?:(?P<wd>{wd}) (?:the )?)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<mo>{mo})"
         r"(?: (?P<y>\d{{4}}))?\b", _date),
        (rf"\b(?:(?P<wd>{{wd}}) )?(?P<mo>{{mo}}) (?:the )?(?P<d>\d{{{{1,2}}}})(?:st|nd|rd|th)?(?: (?P<y>\d{{{{4}}}}))?"
         rf"\b(?!\s*(?:{_UNITS}))", _date),
        (_NUMERIC, _date),
        (r"\b(?P<wd>{wd}) (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)\b", _weekday_dom),
        (r"\b(?:this coming |this |next |coming |on )?(?P<wd>{wd})(?: (?P<x>after next|week))?\b", _weekday),
    ],
}
_COMPILED = {lang: [(re.compile(p.format(wd=_WD[lang], mo=_MO[lang])), r) for p, r in [*rules, (_DOM, _dom)]]
             for lang, rules in _DAY_RULES.items()}
_DAY_PREFIXES = {
    "fr": {"a partir d": "from", "a partir de": "from", "a partir": "from", "des": "from", "pas avant": "from",
           "apres": "after", "avant": "before", "jusqu": "until", "jusqu a": "until", "d ici": "until",
           "pas apres": "until", "au plus tard": "until", "entre": "between", "du": "between", "de": "between",
           "pas": "not", "sauf": "not", "mais pas": "not", "surtout pas": "not", "non pas": "not"},
    "en": {"from": "from", "starting": "from", "starting from": "from", "not before": "from",
           "no earlier than": "from", "after": "after", "before": "before", "until": "until", "till": "until",
           "by": "until", "no later than": "until", "not after": "until", "through": "until", "between": "between",
           "not": "not", "except": "not", "but not": "not", "apart from": "not", "other than": "not"},
}
_DAY_TAIL = {lang: re.compile(rf"(?:^|\s)(?P<p>{_alternation(words)})(?:\s+(?:le|la|l|du|au|the|on|on the))?\s*$")
             for lang, words in _DAY_PREFIXES.items()}
_CONNECTORS = frozenset({"au", "a", "et", "et le", "jusqu au", "jusqu a", "to", "and", "to the", "and the",
                         "until", "till", "through", "until the"})


def _scan_days(text: _Text, lang: str, today: date) -> list[_Span]:
    spans = []
    for pattern, rule in _COMPILED[lang]:
        for match in list(pattern.finditer(text.text)):
            found = rule(match, today, lang)
            if found is None:
                continue
            tail = _DAY_TAIL[lang].search(text.original[: match.start()])
            kind = _DAY_PREFIXES[lang][tail["p"]] if tail else "on"
            dom = int(match["d"]) if rule is _dom else None
            spans.append(_Span(found[0], found[1], match.start(), match.end(), kind, dom))
            text.blank(match.start(), match.end())
    return sorted(spans, key=lambda s: s.start)


def _pair(spans: list[_Span], original: str) -> list[_Span]:
    """Join range ends: "du 3 au 5 décembre", "entre lundi et mercredi", "from Monday to Wednesday"."""
    paired: list[_Span] = []
    for span in spans:
        start = paired[-1] if paired else None
        if start and start.kind in ("between", "from") and original[start.end:span.start].strip() in _CONNECTORS:
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


def _combine(spans: list[_Span], original: str) -> tuple[date | None, date | None]:
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
    scan = _Text(prepare(text, lang))
    clocks, asap, parts, today_implied = _scan_times(scan, lang)
    spans = _scan_days(scan, lang, now.date())
    clocks += _scan_bare(scan, lang)
    first, last = _combine(spans, scan.original)
    if today_implied and first is None and last is None:
        first = last = now.date()
    context = _context(parts)
    wished = [_resolve(c, context) for c in sorted(clocks, key=lambda c: c.start) if c.kind == "at"]
    moment = next((t for t in reversed(wished) if t is not None), None)
    windows = _windows(parts, clocks, context)
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
    prepared = prepare(text, lang)
    alone = re.fullmatch(r"(\d{1,2})(?:ish)?", prepared)
    scan = _Text(f"{_AT[lang][0]} {alone[1]}" if alone else prepared)
    clocks, _, parts, _ = _scan_times(scan, lang)
    clocks += _scan_bare(scan, lang)
    wished = [c for c in sorted(clocks, key=lambda c: c.start) if c.kind == "at"]
    return _resolve(wished[-1], _context(parts)) if wished else None


_YEAR = r"(?P<y>\d{4}|(?:19|20) \d{2}|\d{2})"
_BIRTH = {
    "fr": [re.compile(rf"\b(?P<d>\d{{1,2}})(?:er|ere)? (?P<mo>[a-z]+) {_YEAR}\b")],
    "en": [re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<mo>[a-z]+) {_YEAR}\b"),
           re.compile(rf"\b(?P<mo>[a-z]+) (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)? {_YEAR}\b")],
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
    prepared = prepare(text, lang)
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
