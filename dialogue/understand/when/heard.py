"""How speech recognition writes dates and times on the phone line, put back into the words `parse_when` reads.

Whisper base on 8 kHz French audio (Kokoro voices through the phone band, checked in December 2026) writes
"quatorze heures trente" as "14,30", "en fin de matinée" as "Enfin de matinée", "midi et demi" as
"Midi Adamie" or "Medi-ademi", "demain matin" as "De ma matin", "jeudi matin" as "Je dis matin", and years
said in full ("mille neuf cent quatre-vingt-deux") as "1999-82", "1969-1975" or "1900 82"; in a birth date,
"le 8 août 1968" as "le 8 ou 1978" (the month said /u/). `respell` rewrites
the first ones before `prepare`; `join_year` the years, in `prepare`d birth dates.
"""

from __future__ import annotations

import re

from dialogue.understand.text import MONTHS
from dialogue.understand.when.clock import alternation

_FLAGS = re.IGNORECASE
_COMMA_TIME = re.compile(r"(?<![\d,.])(?<!\ble )(?<!\bdu )([01]?\d|2[0-3]),([0-5]\d)(?![\d,])", _FLAGS)
""" "14,30": the hour and minutes written as a decimal number (no space after the comma)."""
_ENFIN = re.compile(
    r"\benfin\s+(?=(?:de|d'|d’|du)\s*(?:la\s+)?(?:matin|journ|semaine|mois|apr[eè]s|aprem|soir))", _FLAGS
)
""""Enfin de matinée": "en fin de" heard as the adverb "enfin"."""
_DEMAIN = re.compile(r"\bde\s?ma(?:in)?[\s-]+(?=matin|soir|apr[eè]s[\s-]midi)", _FLAGS)
""""De ma matin": "demain" cut in two."""
_HALF = re.compile(
    r"\b(m[ei]di|minuit|\d{1,2}\s?h(?:eures?)?)[\s-]+(?:et\s+|e\s+|a\s?|à\s?)?(?:a|e)?d[ae]mi(?:e|es|s)?\b", _FLAGS
)
""""Midi Adamie", "Medi-ademi", "9 heures a demi": "et demi" run into "ademi"."""
_SPLIT_YEAR = {
    lang: re.compile(rf"\b(?P<mo>{alternation(months)}) (?P<c>19|20)\d\d (?P<y>\d{{2}}|(?:19|20)\d{{2}})\b")
    for lang, months in MONTHS.items()
}
"""After a month, a year said in full and written as two: "1999-82" (1982), "1969-1975" (1975), "1900 82"
(1982): the second part is what was said last."""


_AOUT = re.compile(r"\b(1er|premier|[0-3]?\d)\s+(?:ou|houx|hou|oût|out)\s+(?=(?:19|20)\d\d\b)", _FLAGS)
""""Le 8 ou 1978": "août", said /u/, heard as "ou" (or "houx") between a day and a year, in a birth date."""

_JEUDI = re.compile(
    r"\bje dis\b(?=[\s,]+(?:matin|apr[eè]s|aprem|soir|prochain|en huit|premier|1er|\d|vers|dans|à|a\b))", _FLAGS
)
""""Je dis matin", "je dis 3 décembre": "jeudi" heard as "je dis" before a part of the day or a date."""


def _half(match: re.Match[str]) -> str:
    hour = match[1]
    return f"{'midi' if hour.lower() in ('midi', 'medi') else hour} et demie"


def _year(match: re.Match[str]) -> str:
    later = match["y"]
    return f"{match['mo']} {later if len(later) == 4 else match['c'] + later}"


def respell(text: str, lang: str, *, birth: bool = False) -> str:
    """`text` with the recogniser's known spellings of French dates and times undone (English is unchanged).

    Args:
        text: The transcript, as the recogniser wrote it (before `prepare`: the comma of "14,30" matters).
        lang: "fr" or "en".
        birth: A birth date is expected: no "14,30" times (the comma separates day and month there).

    Returns:
        The text to `prepare` ("Enfin de matinée" -> "en fin de matinée", "14,30" -> "14h30").
    """
    if lang != "fr":
        return text
    if not birth:
        text = _COMMA_TIME.sub(r"\1h\2", text)
    else:
        text = _AOUT.sub(r"\1 août ", text)
    text = _JEUDI.sub("jeudi", text)
    text = _ENFIN.sub("en fin ", text)
    text = _DEMAIN.sub("demain ", text)
    return _HALF.sub(_half, text)


def join_year(prepared: str, lang: str) -> str:
    """`prepare`d text with a year split in two after a month joined again ("juillet 1999 82" -> "juillet 1982")."""
    return _SPLIT_YEAR[lang].sub(_year, prepared)
