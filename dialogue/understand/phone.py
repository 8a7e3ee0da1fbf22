"""Phone numbers spoken or keyed in ("06 12 34 56 78", "oh seven seven double oh...") as E.164."""

from __future__ import annotations

import re

from dialogue.understand.text import words_to_digits

_EN_DIGIT_WORDS = frozenset("zero oh o one two three four five six seven eight nine ten".split())
_REPEATS = {"double": 2, "triple": 3}


def _english_digit_words(text: str) -> str:
    """How the British say phone numbers: "oh" is zero next to other digits, "double seven" is "seven seven"."""
    tokens = re.findall(r"[a-z]+|\d+|[^\sa-z\d]+", text.lower())

    def is_digit(i: int) -> bool:
        return 0 <= i < len(tokens) and (tokens[i].isdigit() or tokens[i] in _EN_DIGIT_WORDS)

    spoken: list[str] = []
    for i, token in enumerate(tokens):
        if token in ("oh", "o") and (is_digit(i - 1) or is_digit(i + 1)):
            token = "zero"
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

    National numbers are read in the practice's country (FR: 10 digits from 0; GB: 11 digits from 0). In English
    "oh" next to digits is zero and "double"/"triple" repeat the next digit ("oh seven seven double oh"). French
    numbers are said in pairs, which recognition often writes apart ("trente, quatre" for "trente-quatre"): when
    the words as written do not make a number, they are read again without the commas ("trente quatre" = 34).
    """
    found = _read_phone(text, country, locale)
    if found is None and locale.lower().startswith("fr") and "," in text:
        found = _read_phone(re.sub(r"\s*,\s*", " ", text), country, locale)
    return found


def _read_phone(text: str, country: str, locale: str) -> str | None:
    if not locale.lower().startswith("fr"):
        text = _english_digit_words(text) if not text.strip().startswith("+") else text
    digits = "".join(c for c in words_to_digits(text, locale) if c.isdigit())
    if text.strip().startswith("+") or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        return f"+{digits}" if 8 <= len(digits) <= 15 else None
    national = {"FR": ("33", 10), "GB": ("44", 11)}.get(country.upper())
    if national is not None:
        code, length = national
        if len(digits) == length and digits.startswith("0"):
            return f"+{code}{digits[1:]}"
        if len(digits) == length + len(code) - 1 and digits.startswith(code):
            return f"+{digits}"
        return None
    return f"+{digits}" if 8 <= len(digits) <= 15 else None
