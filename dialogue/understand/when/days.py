"""Days in callers' words, for `dialogue.understand.when`: "mardi prochain", "le 3/12", "dans quinze jours",
"early next week".

A weekday is the next one after today ("mardi", "mardi prochain", "next Tuesday" on a Saturday are the
coming Tuesday; said on a Tuesday, the one a week later). "Mardi en huit" / "Tuesday week" is "huit jours"
(a week, counting both ends) after the named day, taken from today on, today included: on a Monday the
Tuesday of next week (Larousse's « le jeudi de la semaine prochaine », said before that day), on a Tuesday
a week today (not two weeks), on a Saturday or a Wednesday the Tuesday after the coming one; "en quinze" is
a week later still. A date without a year is the next one from today on. "En début de semaine" is
Monday-Tuesday, "milieu" Tuesday-Thursday, "fin" Thursday-Saturday, never before today. "Dans 8 / 15 jours"
is 7 / 14 days.
`scan_days` returns each day or range said as a `Span`, with the word before it ("à partir du", "pas").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from dialogue.understand.text import MONTHS, WEEKDAYS
from dialogue.understand.when.clock import Text, alternation

_Days = tuple[date, date] | None
_Rule = Callable[[re.Match[str], date, str], _Days]


@dataclass(frozen=True)
class Span:
    """A day or range of days said, where it was said, and the word before it."""

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


_MONTH_PARTS = {
    "debut": (1, 10),
    "early": (1, 10),
    "beginning": (1, 10),
    "start": (1, 10),
    "mi": (11, 20),
    "mid": (11, 20),
    "middle": (11, 20),
    "fin": (21, 31),
    "late": (21, 31),
    "end": (21, 31),
}


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
    if extra in ("en 8", "en 15", "week"):  # from the named day, today included
        return _one(today + timedelta(days=(weekday - today.weekday()) % 7 + (14 if "15" in extra else 7)))
    return _one(_coming(today, weekday) + timedelta(days=7 if extra == "after next" else 0))


def _weekday_dom(match: re.Match[str], today: date, lang: str) -> _Days:
    """A weekday and a day of the month ("lundi 7"): the next Monday the 7th (the next 7th if none within 28 months)."""
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
_MO = {lang: alternation(names) for lang, names in MONTHS.items()}
_UNITS = r"h\b|h\d|heures?|:|jours?|semaines?|mois|ans?|min|days?|weeks?|months?|hours?|years?|people"
_DOM = (
    r"(?:(?<=\ble )|(?<=\bdu )|(?<=\bau )|(?<=\bthe )|(?<=\bon ))(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?\b"
    rf"(?![/:.]\d)(?!\s*(?:{_UNITS}))"
)
_NUMERIC = r"\b(?:(?P<wd>{wd}) )?(?P<d>\d{{1,2}})/(?P<mo>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?\b"
_DAY_RULES: dict[str, list[tuple[str, _Rule]]] = {
    "fr": [
        (r"\baujourd hui(?: en (?P<x>8|15))?\b", _days_after(0)),
        (r"\bapres demain(?: en (?P<x>8|15))?\b", _days_after(2)),
        (r"\bdemain(?: en (?P<x>8|15))?\b", _days_after(1)),
        (r"\b(?:dans|d ici) (?:(?P<n>\d+|un|une) )?(?P<u>jours?|semaines?|mois|quinzaine)(?: de jours)?\b", _in),
        (r"\b(?:en |au |tout au |vers le )?debut (?:de )?(?:la )?semaine(?P<x> prochaine| d apres)?\b", _week((0, 1))),
        (r"\b(?:en |au |vers le )?milieu (?:de )?(?:la )?semaine(?P<x> prochaine| d apres)?\b", _week((1, 3))),
        (r"\b(?:en |a la |vers la )?fin (?:de )?(?:la )?semaine(?P<x> prochaine| d apres)?\b", _week((3, 5))),
        (r"\b(?:la |dans la |pour la )?semaine (?P<x>prochaine|d apres|suivante)\b", _week((0, 6))),
        (r"\b(?:cette semaine(?: ci)?|dans la semaine)\b", _week((0, 6))),
        (r"\b(?:ce |le )?week end(?P<x> prochain)?\b", _weekend),
        (r"\bla semaine du (?P<d>\d{{1,2}})(?:er)?(?: (?P<mo>{mo}))?\b", _week_of),
        (r"\b(?:le )?mois (?:prochain|d apres)\b", _next_month),
        (r"\b(?:ce mois ci|ce mois|dans le mois|(?:a la |en |vers la )?fin du mois)\b", _this_month),
        (
            r"\b(?P<p>debut|fin|mi|courant|en|au mois de|au mois d|a la mi|vers la mi|vers la fin|vers le debut)"
            r" (?P<mo>{mo})(?: (?P<y>\d{{4}}))?\b",
            _month,
        ),
        (r"\b(?:(?P<wd>{wd}) )?(?P<d>\d{{1,2}})(?:er|ere|e|eme)? (?P<mo>{mo})(?: (?P<y>\d{{4}}))?\b", _date),
        (_NUMERIC, _date),
        (rf"\b(?P<wd>{{wd}}) (?:le )?(?P<d>\d{{{{1,2}}}})(?:er)?\b(?![/:.]\d)(?!\s*(?:{_UNITS}))", _weekday_dom),
        (
            r"\b(?:ce |cette )?(?P<wd>{wd})(?: (?P<x>prochain|qui vient|en 8|en 15|de la semaine prochaine))?\b",
            _weekday,
        ),
    ],
    "en": [
        (r"\ba week (?:today|(?P<x>tomorrow))\b", _days_after(7, (1, 1))),
        (r"\btoday\b", _days_after(0)),
        (r"\b(?:the )?day after tomorrow\b", _days_after(2)),
        (r"\btomorrow\b", _days_after(1)),
        (
            r"\b(?:in (?:(?P<n>\d+|a|an) )?(?P<u>days?|weeks?|months?|fortnight)|(?P<n2>\d+|a|an) "
            r"(?P<u2>days?|weeks?|months?) (?:from (?:now|today)|time))\b",
            _in,
        ),
        (
            r"\b(?:early|beginning of|start of|the start of|the beginning of)(?: the| this)? (?P<x>next )?week\b",
            _week((0, 1)),
        ),
        (r"\b(?:midweek|mid week|(?:the )?middle of (?:the |this )?(?P<x>next )?week)\b", _week((1, 3))),
        (r"\b(?:late|later|end of|the end of|towards the end of)(?: the| this)? (?P<x>next )?week\b", _week((3, 5))),
        (r"\bthe week after next\b", _two_weeks_on),
        (r"\b(?P<x>next|the following) week\b", _week((0, 6))),
        (r"\bthis week\b", _week((0, 6))),
        (r"\b(?:(?:this|the|at the|on the|over the) weekend|(?P<x>next) weekend)\b", _weekend),
        (r"\bthe week of (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: of)?(?: (?P<mo>{mo}))?\b", _week_of),
        (r"\bnext month\b", _next_month),
        (r"\b(?:(?:later )?this month|(?:the )?end of the month)\b", _this_month),
        (
            r"\b(?P<p>early|late|mid|in|beginning of|start of|end of|the end of|the beginning of|middle of)"
            r" (?P<mo>{mo})(?: (?P<y>\d{{4}}))?\b",
            _month,
        ),
        (
            r"\b(?:(?P<wd>{wd}) (?:the )?)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<mo>{mo})"
            r"(?: (?P<y>\d{{4}}))?\b",
            _date,
        ),
        (
            rf"\b(?:(?P<wd>{{wd}}) )?(?P<mo>{{mo}}) (?:the )?(?P<d>\d{{{{1,2}}}})(?:st|nd|rd|th)?"
            rf"(?: (?P<y>\d{{{{4}}}}))?\b(?!\s*(?:{_UNITS}))",
            _date,
        ),
        (_NUMERIC, _date),
        (r"\b(?P<wd>{wd}) (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)\b", _weekday_dom),
        (r"\b(?:this coming |this |next |coming |on )?(?P<wd>{wd})(?: (?P<x>after next|week))?\b", _weekday),
    ],
}
_COMPILED = {
    lang: [(re.compile(p.format(wd=_WD[lang], mo=_MO[lang])), r) for p, r in [*rules, (_DOM, _dom)]]
    for lang, rules in _DAY_RULES.items()
}
_DAY_PREFIXES = {
    "fr": {
        "a partir d": "from",
        "a partir de": "from",
        "a partir": "from",
        "des": "from",
        "pas avant": "from",
        "apres": "after",
        "avant": "before",
        "jusqu": "until",
        "jusqu a": "until",
        "d ici": "until",
        "pas apres": "until",
        "au plus tard": "until",
        "entre": "between",
        "du": "between",
        "de": "between",
        "pas": "not",
        "sauf": "not",
        "mais pas": "not",
        "surtout pas": "not",
        "non pas": "not",
    },
    "en": {
        "from": "from",
        "starting": "from",
        "starting from": "from",
        "not before": "from",
        "no earlier than": "from",
        "after": "after",
        "before": "before",
        "until": "until",
        "till": "until",
        "by": "until",
        "no later than": "until",
        "not after": "until",
        "through": "until",
        "between": "between",
        "not": "not",
        "except": "not",
        "but not": "not",
        "apart from": "not",
        "other than": "not",
    },
}
_DAY_TAIL = {
    lang: re.compile(rf"(?:^|\s)(?P<p>{alternation(words)})(?:\s+(?:le|la|l|du|au|the|on|on the))?\s*$")
    for lang, words in _DAY_PREFIXES.items()
}


def scan_days(text: Text, lang: str, today: date) -> list[Span]:
    """Every day or range said (blanked), in the order said, with its kind ("on", "from", "not"...)."""
    spans = []
    for pattern, rule in _COMPILED[lang]:
        for match in list(pattern.finditer(text.text)):
            found = rule(match, today, lang)
            if found is None:
                continue
            tail = _DAY_TAIL[lang].search(text.original[: match.start()])
            kind = _DAY_PREFIXES[lang][tail["p"]] if tail else "on"
            dom = int(match["d"]) if rule is _dom else None
            spans.append(Span(found[0], found[1], match.start(), match.end(), kind, dom))
            text.blank(match.start(), match.end())
    return sorted(spans, key=lambda s: s.start)
