"""A line as the pseudonymiser reads it: lower case, no accents, numbers in words written as digits, each
character of the view tied to the characters of the line it came from, so that what is found in the view is
replaced in the line itself.

"Le quatorze juillet mille neuf cent quatre-vingt-deux" reads "le 14 juillet 1982"; "Zéro six, douze" reads
"0 6, 12"; a placeholder already put in ("⟨NAME⟩") reads as one character that is neither a letter nor a digit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from text_to_num import alpha2digit

from dialogue.understand.phone import english_digit_words

PLACEHOLDER = re.compile(r"⟨[A-Z_]+⟩")
"""A typed placeholder (⟨NAME⟩, ⟨BIRTH_DATE⟩, ⟨PHONE⟩, ⟨REFERENCE⟩, ⟨NUMBER⟩)."""
HIDDEN = "\ue000"
"""How a placeholder reads in the view."""

_NUMBER_WORDS = {
    "fr": "zero un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "vingt vingts trente quarante cinquante soixante cent cents mille mil premier premiere",
    "en": "zero oh o one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "double triple first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth",
}
_JOINERS = {"fr": "et", "en": "and"}
_RUNS = {
    lang: re.compile(
        rf"(?<![a-z0-9])(?:{alternatives})(?:[\s-]+(?:{_JOINERS[lang]}[\s-]+)?(?:{alternatives}))*(?![a-z0-9])"
    )
    for lang, words in _NUMBER_WORDS.items()
    for alternatives in ["|".join(sorted(words.split(), key=len, reverse=True))]
}
_LONE_WORDS = frozenset("un une o oh one".split())
"""Number words left as words when they stand alone (articles, the letter o)."""
_TRANSLATE = str.maketrans(
    {**{c: "'" for c in "’‘‛`´ʼʹ′＇"}, **{c: "-" for c in "‐‑‒–—―−﹣－"}, "œ": "oe", "æ": "ae", "ß": "ss"}
)


@dataclass(frozen=True)
class View:
    """The text read, and for each of its characters the span of the line it stands for."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the line behind the view's characters `start` to `end` (exclusive, not empty)."""
        return self.starts[start], self.ends[end - 1]


def _fold(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char.lower().translate(_TRANSLATE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _folded(line: str) -> list[tuple[int, int, str]]:
    """(start, end, text) pieces: each character folded, each placeholder one hidden character."""
    pieces: list[tuple[int, int, str]] = []
    index = 0
    while index < len(line):
        found = PLACEHOLDER.match(line, index)
        if found is not None:
            pieces.append((index, found.end(), HIDDEN))
            index = found.end()
            continue
        pieces.append((index, index + 1, _fold(line[index])))
        index += 1
    return pieces


def _digits(words: str, lang: str) -> str:
    """A run of number words as digits ("quatre-vingt-deux" -> "82", "oh seven double oh" -> "7 0 0")."""
    if lang == "fr":
        words = re.sub(r"\bzero\b", "zéro", words)
    elif re.search(r"\b(?:oh|o|double|triple)\b", words):
        words = english_digit_words(words)
    try:
        return str(alpha2digit(words, lang, threshold=0))
    except Exception:  # text2num may fail on odd input: the words stay words
        return words


def view_of(line: str, locale: str) -> View:
    """The view of `line` (see the module's docstring)."""
    lang = "fr" if locale.lower().startswith("fr") else "en"
    pieces = _folded(line)
    text, starts, ends = _flatten(pieces)
    out: list[tuple[int, int, str]] = []
    done = 0
    for run in _RUNS[lang].finditer(text):
        if run.group() in _LONE_WORDS:
            continue
        out.extend(_pieces_between(text, starts, ends, done, run.start()))
        converted = _digits(run.group(), lang)
        first, last = starts[run.start()], ends[run.end() - 1]
        out.extend((first, last, c) for c in _fold(converted))
        done = run.end()
    out.extend(_pieces_between(text, starts, ends, done, len(text)))
    text, starts, ends = _flatten(out)
    return View(text, tuple(starts), tuple(ends))


def _flatten(pieces: list[tuple[int, int, str]]) -> tuple[str, list[int], list[int]]:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end, piece in pieces:
        for char in piece:
            chars.append(char)
            starts.append(start)
            ends.append(end)
    return "".join(chars), starts, ends


def _pieces_between(text: str, starts: list[int], ends: list[int], low: int, high: int) -> list[tuple[int, int, str]]:
    return [(starts[i], ends[i], text[i]) for i in range(low, high)]


def replace_spans(line: str, spans: list[tuple[int, int, str]]) -> str:
    """`line` with each (start, end, placeholder) put in; overlapping spans are joined under the first one's kind."""
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            first, last, first_kind = merged[-1]
            merged[-1] = (first, max(last, end), first_kind)
        else:
            merged.append((start, end, kind))
    for start, end, kind in reversed(merged):
        line = f"{line[:start]}{kind}{line[end:]}"
    return line
