"""Phone numbers spoken or keyed in ("06 12 34 56 78", "oh seven seven double oh...") as E.164."""

from __future__ import annotations

import re

from booking.phones import to_e164
from dialogue.understand.text import words_to_digits

_EN_DIGIT_WORDS = frozenset("zero oh o one two three four five six seven eight nine ten".split())
_REPEATS = {"double": 2, "triple": 3}


def english_digit_words(text: str) -> str:
    """How the British say phone numbers: "oh" is zero next to other digits, "double seven" is "seven seven",
    "nine hundred" is "nine oh oh" (a phone number is read digit by digit, never as an amount).
    """
    tokens = re.findall(r"[a-z]+|\d+|[^\sa-z\d]+", text.lower())

    def is_digit(i: int) -> bool:
        return 0 <= i < len(tokens) and (tokens[i].isdigit() or tokens[i] in _EN_DIGIT_WORDS or tokens[i] in _REPEATS)

    spoken: list[str] = []
    for i, token in enumerate(tokens):
        if token in ("oh", "o") and (is_digit(i - 1) or is_digit(i + 1)):
            token = "zero"
        if token == "hundred" and is_digit(i - 1):
            spoken.extend(("zero", "zero"))
            continue
        spoken.append(token)
    out: list[str] = []
    repeat = 1
    for token in spoken:
        if token in _REPEATS:
            repeat = _REPEATS[token]
            continue
        out.extend([token] * repeat)
        repeat = 1
    return " ".join(out)


def parse_phone(text: str, country: str, locale: str) -> str | None:
    """A phone number spoken or keyed in, as E.164 ("06 12 34 56 78" -> "+33612345678"); `None` if none.

    National numbers are read in the practice's country, by `booking.phones` (FR: "06 12 34 56 78", the leading
    zero may be left out; GB: "07700 900123"; the country code without "+" too: "33 6 12..."). In English
    "oh" next to digits is zero and "double"/"triple" repeat the next digit ("oh seven seven double oh"). French
    numbers are said in pairs, which recognition often writes apart ("trente, quatre" for "trente-quatre"): when
    the words as written do not make a number, they are read again without the commas ("trente quatre" = 34).
    """
    found = _read_phone(text, country, locale)
    if found is None and locale.lower().startswith("fr") and "," in text:
        found = _read_phone(re.sub(r"\s*,\s*", " ", text), country, locale)
    return found


def _read_phone(text: str, country: str, locale: str) -> str | None:
    """The digits said or keyed in `text`, handed to `booking.phones` for the numbering plan."""
    international = text.strip().startswith("+")
    if not locale.lower().startswith("fr") and not international:
        text = english_digit_words(text)
    digits = "".join(c for c in words_to_digits(text, locale) if c.isdigit())
    return to_e164(f"+{digits}" if international else digits, country) if digits else None
