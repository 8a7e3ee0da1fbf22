"""Understanding the dialogue needs beyond the shared NLU modules.

Phone numbers, keypad menus, "another day", what the caller wants corrected, tidy names: plain functions
returning a value or `None`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date

from dialogue.text import words_to_digits

_OTHER_DAY: Mapping[str, tuple[str, ...]] = {
    "fr": ("autre jour", "un autre jour", "jour suivant", "lendemain", "autre date"),
    "en": ("another day", "different day", "other day", "next day", "another date", "different date"),
}

_CORRECTION_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "fr": {
        "abandon": (
            "laisse tomber",
            "laissez tomber",
            "abandonne",
            "plus besoin",
            "rien du tout",
            "annule tout",
        ),
        "birth": ("naissance",),
        "phone": ("telephone", "numero", "portable"),
        "practitioner": ("medecin", "docteur", "praticien", "sage-femme", "sage femme"),
        "name": ("nom", "prenom", "orthographe", "epel*"),
        "motif": ("motif", "raison", "type de rendez-vous"),
        "when": ("jour", "date", "heure", "horaire", "moment", "creneau"),
    },
    "en": {
        "abandon": ("forget it", "never mind", "nevermind", "don't bother", "cancel everything", "leave it"),
        "birth": ("birth", "born"),
        "phone": ("phone", "number", "mobile"),
        "practitioner": ("doctor", "gp", "nurse", "practitioner", "clinician"),
        "name": ("name", "surname", "spelling", "spelt", "spelled", "spell*"),
        "motif": ("reason", "type of appointment", "kind of appointment"),
        "when": ("day", "date", "time", "slot"),
    },
}


def fold(text: str) -> str:
    """Lower case without accents, punctuation reduced to spaces (for keyword and name comparisons)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w'\- ]+", " ", plain).split())


def same_name(left: str | None, right: str | None) -> bool:
    """Whether two names are the same once case, accents, hyphens and spaces are ignored."""
    if left is None or right is None:
        return False
    return re.sub(r"[\W_]+", "", fold(left)) == re.sub(r"[\W_]+", "", fold(right))


def tidy_name(name: str) -> str:
    """A name as it is written on a file: "jean-pierre le gall" -> "Jean-Pierre Le Gall"."""
    words = []
    for word in name.split():
        if word.islower() or word.isupper():
            word = "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        words.append(word)
    return " ".join(words)


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


def parse_menu_key(digits: str | None, count: int) -> int | None:
    """A keypad answer to a numbered menu: the 0-based index of the option, or `None`."""
    if digits is None:
        return None
    keys = digits.strip().rstrip("#")
    if len(keys) == 1 and keys.isdigit() and 1 <= int(keys) <= count:
        return int(keys) - 1
    return None


def wants_other_day(text: str, locale: str) -> bool:
    """Whether the caller asks for another day ("un autre jour", "another day")."""
    folded = fold(text)
    return any(phrase in folded for phrase in _OTHER_DAY.get(locale, ()))


def correction_target(text: str, locale: str) -> str | None:
    """What the caller wants to change after a read-back.

    Returns one of "when", "practitioner", "motif", "birth", "phone", "name", "abandon", or `None`.
    """
    folded = " " + fold(text).replace("'", " ") + " "
    for target, words in _CORRECTION_WORDS.get(locale, {}).items():
        for word in words:
            found = f" {word[:-1]}" in folded if word.endswith("*") else f" {word} " in folded
            if found:
                return target
    return None


_ORDINALS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "fr": (
        ("premier", "premiere", "1er", "un"),
        ("deuxieme", "second", "seconde", "deux"),
        ("troisieme", "trois"),
        ("quatrieme", "quatre"),
    ),
    "en": (
        ("first", "1st", "one"),
        ("second", "2nd", "two"),
        ("third", "3rd", "three"),
        ("fourth", "4th", "four"),
    ),
}


def parse_ordinal(text: str, locale: str, count: int) -> int | None:
    """An ordinal ("le deuxième", "the first one"): the 0-based index among `count` options, or `None`."""
    words = set(fold(text).replace("-", " ").split())
    found = [i for i, forms in enumerate(_ORDINALS.get(locale, ())[:count]) if words & set(forms)]
    return found[0] if len(found) == 1 else None


def parse_keyed_day(digits: str | None, today: date) -> date | None:
    """A day keyed in as DDMM ("0312" -> the next 3 December from `today` on); `None` if not a date."""
    keys = (digits or "").strip().rstrip("#")
    if len(keys) != 4 or not keys.isdigit():
        return None
    day, month = int(keys[:2]), int(keys[2:])
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    return None
