"""Text normalisation shared by the understanding functions, and the small lexicon they all use.

Three forms of a caller's words are used:

* `normalize`: lower case, one apostrophe ("'") and one hyphen ("-"), punctuation removed except inside
  words ("aujourd'hui", "Jean-Pierre") and between digits ("14:30", "3/12", "2.30"), single spaces;
  accents kept.
* `fold`: `normalize` without accents ("après-midi" -> "apres-midi", "cœur" -> "coeur").
* `plain`: `fold` with apostrophes and hyphens turned into spaces ("l apres midi"): what the matchers read.

`words_to_digits` turns spelled numbers into digits with text2num, keeping articles ("un rendez-vous",
"the first one") as words.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process
from text_to_num import alpha2digit

_TRANSLATE = str.maketrans(
    {**{c: "'" for c in "’‘‛`´ʼʹ′＇"}, **{c: "-" for c in "‐‑‒–—―−﹣－"}, "œ": "oe", "æ": "ae", "_": " "}
)
_NOT_KEPT = re.compile(r"[^\w\s'\-:/.]")
_LOOSE_SEPARATOR = re.compile(r"(?<!\d)[:/.]|[:/.](?!\d)")
_LOOSE_JOINER = re.compile(r"(?<!\w)['-]+|['-]+(?!\w)")
_SPACES = re.compile(r"\s+")

WEEKDAYS: dict[str, tuple[str, ...]] = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
}
"""Weekday names as `plain` writes them, Monday first (index = `date.weekday()`)."""

MONTHS: dict[str, dict[str, int]] = {
    "fr": {
        name: number
        for number, name in enumerate(
            "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split(), 1
        )
    },
    "en": {
        **{
            name: number
            for number, name in enumerate(
                "january february march april may june july august september october november december".split(),
                1,
            )
        },
        **{"jan": 1, "feb": 2, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10},
        **{"nov": 11, "dec": 12},
    },
}
"""Month names (and English abbreviations) as `plain` writes them."""

ORDINALS: dict[str, dict[str, int]] = {
    "fr": {
        "premier": 1,
        "premiere": 1,
        "1er": 1,
        "1ere": 1,
        "deuxieme": 2,
        "second": 2,
        "seconde": 2,
        "2eme": 2,
        "2e": 2,
        "troisieme": 3,
        "3eme": 3,
        "3e": 3,
        "quatrieme": 4,
        "4eme": 4,
        "4e": 4,
        "cinquieme": 5,
        "5eme": 5,
        "5e": 5,
        "dernier": -1,
        "derniere": -1,
    },
    "en": {
        "first": 1,
        "1st": 1,
        "second": 2,
        "2nd": 2,
        "third": 3,
        "3rd": 3,
        "fourth": 4,
        "4th": 4,
        "fifth": 5,
        "5th": 5,
        "last": -1,
        "final": -1,
    },
}
"""Ordinal words and their digit forms (`plain`, after `words_to_digits`); -1 means the last."""

_NUMBER_WORDS = frozenset(
    "zero un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "vingt trente quarante cinquante soixante cent cents mille "
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty hundred thousand oh".split()
)
_UNITS = frozenset(
    "heure heures h jour jours semaine semaines mois an ans annee annees minute minutes quart demi demie "
    "hour hours day days week weeks month months year years minute minutes oclock am pm half quarter".split()
)
_CONVERTING_BEFORE = frozenset("et moins a à vers at to past after before around about by till until from".split())


def normalize(text: str) -> str:
    """Lower-case `text`, unify apostrophes and hyphens, drop punctuation and extra spaces; keep accents.

    Args:
        text: Any text, typically a transcription.

    Returns:
        The normalised text ("" for blank input).
    """
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE).lower()
    text = _NOT_KEPT.sub(" ", text)
    text = _LOOSE_SEPARATOR.sub(" ", text)
    text = _LOOSE_JOINER.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """`normalize` then remove accents ("Gérard" -> "gerard", "cœur" -> "coeur").

    Args:
        text: Any text.

    Returns:
        The folded text.
    """
    decomposed = unicodedata.normalize("NFD", normalize(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain(text: str) -> str:
    """`fold` with apostrophes and hyphens as spaces ("L'après-midi" -> "l apres midi").

    Args:
        text: Any text.

    Returns:
        The plain text the matchers read.
    """
    return _SPACES.sub(" ", fold(text).replace("'", " ").replace("-", " ")).strip()


def _is_number(token: str) -> bool:
    return token.isdigit() or token in _NUMBER_WORDS


def _keeps_article(tokens: list[str], index: int, lang: str) -> bool:
    """Whether tokens[index] ("un", "une", "one") is an article or pronoun rather than the number 1."""
    token = tokens[index]
    if (lang == "fr" and token not in ("un", "une")) or (lang == "en" and token != "one"):
        return False
    if len(tokens) == 1:
        return False
    before = tokens[index - 1] if index > 0 else ""
    after = tokens[index + 1] if index + 1 < len(tokens) else ""
    if after in _UNITS or _is_number(after):
        return False
    if before == "et":
        return not (index > 1 and _is_number(tokens[index - 2]))
    return not (_is_number(before) or before in _CONVERTING_BEFORE)


def words_to_digits(text: str, locale: str) -> str:
    """Write spelled numbers as digits ("quatorze heures trente" -> "14 heures 30").

    Uses text2num's `alpha2digit` (every number, even small ones), but keeps articles and pronouns:
    "un rendez-vous", "une consultation", "the first one" are unchanged, while "une heure", "vingt et un",
    "at one", "one thirty" become digits. Ordinals become "1er", "2ème", "1st", "2nd".

    Args:
        text: Text, ideally `normalize`d.
        locale: "fr" or "en" (anything starting with "fr" is French, the rest English).

    Returns:
        The text with numbers as digits; the input unchanged if text2num fails.
    """
    lang = "fr" if locale.lower().startswith("fr") else "en"
    tokens = text.split()
    pieces: list[str] = []
    run: list[str] = []
    for index, token in enumerate(tokens):
        if _keeps_article(tokens, index, lang):
            pieces.extend((_convert(" ".join(run), lang), token) if run else (token,))
            run = []
        else:
            run.append(token)
    if run:
        pieces.append(_convert(" ".join(run), lang))
    return " ".join(piece for piece in pieces if piece)


def _convert(text: str, lang: str) -> str:
    try:
        return str(alpha2digit(text, lang, threshold=0))
    except Exception:  # text2num may fail on odd input; the words are still usable
        return text


def prepare(text: str, locale: str) -> str:
    """`plain` text with numbers as digits: what the date, time and choice parsers read.

    Args:
        text: The caller's words.
        locale: "fr" or "en".

    Returns:
        For example "À quatorze heures trente" -> "a 14 heures 30", "two o'clock" -> "2 oclock".
    """
    text = normalize(text)
    if not locale.lower().startswith("fr"):
        text = re.sub(r"\bo\s?'?\s?clock\b", "oclock", text)
    return plain(words_to_digits(text, locale))


def calendar_words(text: str, lang: str) -> str:
    """`plain` text with near-misses of weekday names written right ("ventredi" -> "vendredi", "wensday" ->
    "wednesday"): what speech recognition makes of them on a bad line. Only words of six letters or more, at
    least 87 % alike, are corrected (months are left alone: "Javier" is a name, not "janvier").

    Args:
        text: `plain` (or `prepare`d) text.
        lang: "fr" or "en".
    """
    names = WEEKDAYS[lang]
    known = {*names, *MONTHS[lang]}
    words = text.split()
    for index, word in enumerate(words):
        if len(word) >= 6 and word.isalpha() and word not in known:
            found = process.extractOne(word, names, scorer=fuzz.ratio, score_cutoff=87)
            if found is not None:
                words[index] = found[0]
    return " ".join(words)


def lang_of(locale: str) -> str:
    """The language of `locale`: "fr" for French locales ("fr", "fr-FR"), "en" otherwise."""
    return "fr" if locale.lower().startswith("fr") else "en"
