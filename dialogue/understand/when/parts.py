"""Parts of the day and "as soon as possible" in callers' words, for `dialogue.understand.when`: "en fin de matinée",
"early afternoon", "le plus tôt possible". Negated parts ("pas le matin") give the rest of the day.
"""

from __future__ import annotations

import re
from datetime import time

from booking.slots import AFTERNOON, EVENING, MORNING, TimeWindow
from dialogue.understand.when.clock import Clock, Text, scan_clocks

_ASAP = {
    "fr": re.compile(
        r"\b(?:le plus tot(?: possible| que (?:possible|vous pouvez))?|au plus tot|des que possible|au plus vite|"
        r"le plus (?:rapidement|vite) possible|en urgence|le plus proche|des que vous (?:pouvez|avez)|rapidement|"
        r"(?:le |la )?(?:1er|1ere|premier|premiere) (?:creneau|rendez vous|rdv|date|place|moment|disponibilite|"
        r"dispo)(?: (?:disponible|libre|possible))?|n importe quand|quand vous voulez)\b"
    ),
    "en": re.compile(
        r"\b(?:as soon as (?:possible|you can)|asap|a s a p|as early as possible|whenever|"
        r"(?:the )?(?:earliest|soonest)(?: (?:possible|available|slot|appointment|time|one))?|"
        r"(?:the )?(?:1st|first|next) (?:available|free|possible|opening)(?: (?:slot|appointment|one|time))?)\b"
    ),
}
_EARLY_MORNING, _LATE_MORNING = TimeWindow(None, time(10)), TimeWindow(time(10, 30), time(12))
_MID_MORNING, _LUNCH = TimeWindow(time(9, 30), time(11)), TimeWindow(time(12), time(14))
_EARLY_AFTERNOON, _MID_AFTERNOON = TimeWindow(time(13), time(15)), TimeWindow(time(14), time(16))
_LATE_AFTERNOON = TimeWindow(time(16), None)
_PARTS: dict[str, list[tuple[re.Pattern[str], TimeWindow]]] = {
    "fr": [
        (re.compile(rf"\b(?:{p})\b"), w)
        for p, w in (
            (
                r"(?:en |au |tout au |vers le )?(?:tout )?debut (?:de )?(?:la )?matinee|tot le matin|de bon matin|"
                r"de bonne heure|a la (?:premiere|1ere) heure",
                _EARLY_MORNING,
            ),
            (r"(?:en |a la |vers la )?fin (?:de )?(?:la )?matinee|tard (?:le matin|dans la matinee)", _LATE_MORNING),
            (r"(?:en |au |vers le )?milieu (?:de )?(?:la )?matinee", _MID_MORNING),
            (r"(?:en |au |vers le )?debut (?:d |de l )?(?:apres midi|aprem)", _EARLY_AFTERNOON),
            (r"(?:en |au |vers le )?milieu (?:d |de l )?apres midi", _MID_AFTERNOON),
            (
                r"(?:en |a la |vers la )?fin (?:d |de l )?(?:apres midi|aprem)|tard (?:dans )?l apres midi",
                _LATE_AFTERNOON,
            ),
            (
                r"entre midi et (?:2|deux)(?: heures| h)?|(?:a |pendant )?(?:l heure du|la pause) (?:dejeuner|de midi)"
                r"|(?:a |pendant )?(?:la )?pause dejeuner",
                _LUNCH,
            ),
            (
                r"(?:en |a la |vers la )?fin (?:de )?(?:la )?journee|(?:en |dans la )?soiree|(?:le |ce |au |du )?soir"
                r"|(?:apres|en sortant du) (?:le )?(?:travail|boulot)",
                EVENING,
            ),
            (r"(?:dans la |en )?matinee|(?:le |ce |au |du |dans le )?matin", MORNING),
            (r"(?:l |cet |cette |dans l |en )?(?:apres midi|aprem)", AFTERNOON),
        )
    ],
    "en": [
        (re.compile(rf"\b(?:{p})\b"), w)
        for p, w in (
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
        )
    ],
}
_TODAY_PART = re.compile(r"^(?:ce|cet|cette|this)\b|^(?:tonight|ce soir)")
_NEGATED_PART = re.compile(
    r"(?:^|\s)(?:pas|not|sauf|except|mais pas|but not|surtout pas|no)"
    r"(?:\s+(?:le|la|l|en|dans la|in|in the|the|on))?\s*$"
)


def _scan_parts(text: Text, lang: str) -> tuple[list[TimeWindow], bool]:
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


def scan_times(text: Text, lang: str) -> tuple[list[Clock], bool, list[TimeWindow], bool]:
    """Clock times, "as soon as possible", parts of the day, and whether a part implies today."""
    clocks = scan_clocks(text, lang)
    asap = False
    for match in list(_ASAP[lang].finditer(text.text)):
        asap = True
        text.blank(match.start(), match.end())
    parts, today = _scan_parts(text, lang)
    return clocks, asap, parts, today


def context_of(parts: list[TimeWindow]) -> str | None:
    """The half of the day: "am" when each part said is in the morning, "pm" when all are in the afternoon."""
    if parts and all(p.latest is not None and p.latest <= time(12) for p in parts):
        return "am"
    if parts and all(p.earliest is not None and p.earliest >= time(12) for p in parts):
        return "pm"
    return None
