"""Common names as candidates when the recogniser writes a name as other words.

Whisper base writes a name it does not know as words it does ("Cloi petit" for "Chloé Petit", "Et mal le roi"
for "Emma Leroy"). `nearby_names` turns what it heard into the common names (`dialogue.understand.name_lists`)
that sound closest; the voice layer scores them against the audio and takes one only when it clearly wins, so
a rare name heard right stays as heard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process

from dialogue.understand.name_lists import first_names, surnames
from dialogue.understand.names import parse_person_name
from dialogue.understand.sounds import skeleton, sound
from dialogue.understand.text import fold, lang_of

GUESSES = 3
"""Names returned, closest-sounding first: each is one more decoder pass at the name turn (0.1-0.3 s on two busy
cores). On scripts/eval_names.py's French turns the right name, when among the candidates at all, came first 32
times in 39, second 5 times, third once."""
NEAR_PER_PART = 3
"""Common names kept per part of a name heard as such (first name, surname): the closest-sounding ones."""
_LIKENESS = 55
"""Least sound likeness (0-100, rapidfuzz's ratio on `sound`) for a common name to be a candidate."""
_SPLIT_LIKENESS = 70
"""Least likeness of each half when a hypothesis is cut in two ("etmalleroi": "ema" + "leroi")."""


@lru_cache(maxsize=4)
def _lexicon(lang: str, part: str) -> tuple[tuple[str, str], ...]:
    """(name, its sound) for every common first name or surname of `lang`."""
    names = first_names(lang) if part == "first" else surnames(lang)
    return tuple((n, _sound(n)) for n in names)


def _sound(text: str) -> str:
    """The letters of `text` as they sound, spaces and punctuation left out ("Le Roux" -> "leroux")."""
    return sound(re.sub(r"[^a-z]", "", fold(text)))


@lru_cache(maxsize=4096)
def _closest(heard: str, lang: str, part: str) -> tuple[tuple[float, str], ...]:
    """The common names of one kind that sound most like `heard` (a `_sound`), best first, with likeness."""
    found = process.extract(heard, [said for _, said in _lexicon(lang, part)], scorer=fuzz.ratio, limit=NEAR_PER_PART)
    names = _lexicon(lang, part)
    return tuple((score, names[index][0]) for _, score, index in found)


def _as_parts(text: str, locale: str, lang: str) -> list[tuple[float, str]]:
    """Candidates from `text` read as a name: each part paired with the common names closest to it."""
    parsed = parse_person_name(text, locale)
    if parsed is None:
        return []
    first, last = parsed
    if not first:  # one word: a surname of about its length (a first name alone is `nearby_first_names`)
        return [(s, n) for s, n in _closest(_sound(last), lang, "last") if s >= _SPLIT_LIKENESS]
    lasts = [(s, n) for s, n in _closest(_sound(last), lang, "last") if s >= _LIKENESS]
    firsts = [(s, n) for s, n in _closest(_sound(first), lang, "first") if s >= _LIKENESS]
    return [(min(fs, ls), f"{f} {n}") for fs, f in firsts for ls, n in lasts]


def _as_cut(text: str, lang: str) -> list[tuple[float, str]]:
    """Candidates from `text` cut in two anywhere, whatever its words ("Et mal le roi" -> "Emma Leroy")."""
    heard = _sound(text)
    found = []
    for cut in range(2, len(heard) - 1):
        head, tail = _closest(heard[:cut], lang, "first"), _closest(heard[cut:], lang, "last")
        if head and tail and min(head[0][0], tail[0][0]) >= _SPLIT_LIKENESS:
            found.append((min(head[0][0], tail[0][0]), f"{head[0][1]} {tail[0][1]}"))
    return found


def _likeness(heard: str, name: str) -> float:
    """How alike a hypothesis and a name sound as wholes: their sounds, and their consonants (vowels are what
    Whisper gets wrong most: "Lombard" for "Lambert").
    """
    said, named = _sound(heard), _sound(name)
    return (fuzz.ratio(said, named) + fuzz.ratio(skeleton(said), skeleton(named))) / 2


def nearby_names(heard: Sequence[str], locale: str, limit: int = GUESSES) -> list[str]:
    """Common names ("Chloé Petit") that sound like the name in the recogniser's hypotheses `heard`.

    Each hypothesis is read as a name (its first name and surname each paired with the closest common names
    of their kind) and also cut in two anywhere, for names heard as other words ("Et mal le roi"). The
    closest-sounding to a whole hypothesis come first; at most `limit`.
    """
    lang = lang_of(locale)
    found: dict[str, float] = {}
    for text in heard:
        for _, name in [*_as_parts(text, locale, lang), *_as_cut(text, lang)]:
            found[name] = max(_likeness(text, name), found.get(name, 0.0))
    ranked = sorted(found, key=lambda name: -found[name])
    return ranked[:limit]


def nearby_first_names(heard: Sequence[str], locale: str, limit: int = GUESSES) -> list[str]:
    """Common first names that sound like a first name said alone ("Cloi." -> "Chloé"), closest first."""
    lang = lang_of(locale)
    found: dict[str, float] = {}
    for text in heard:
        words = re.sub(r"[^\w\s'-]", " ", text).split()
        if len(words) != 1:
            continue
        for score, name in _closest(_sound(words[0]), lang, "first"):
            if score >= _SPLIT_LIKENESS:
                found[name] = max(score, found.get(name, 0.0))
    return sorted(found, key=lambda name: -found[name])[:limit]


_LEADING_NO = {"fr": re.compile(r"^\W*(?:non|nan)\b[\W_]*", re.I), "en": re.compile(r"^\W*(?:no|nope)\b[\W_]*", re.I)}


def corrected_names(heard: Sequence[str], locale: str, refused: Sequence[str] = (), limit: int = GUESSES) -> list[str]:
    """A correction of a name said back ("non, Chloé Petit"): `nearby_names` of the hypotheses that begin with
    a no, written with it ("non, Chloé Petit"); none when no hypothesis begins with one (the caller answered).
    The `refused` names (the one said back among them) are left out.
    """
    lang = lang_of(locale)
    no = _LEADING_NO[lang]
    rests = [text[match.end() :] for text in heard if (match := no.match(text)) and match.end() < len(text)]
    word = "non" if lang == "fr" else "no"
    gone = {_sound(name) for name in refused}
    names = [name for name in nearby_names(rests, locale, limit + len(gone)) if _sound(name) not in gone]
    return [f"{word}, {name}" for name in names[:limit]] if rests else []


_SILENT = (
    (r"eau|au", "o"),
    (r"ai|ei", "e"),
    (r"bv", "v"),
    (r"ol[td]$", "o"),
    (r"er$|ez$|et$", "e"),
    (r"[sxtdz]+$", ""),
)
"""Spellings that sound the same at the end of a French name ("Renaud", "Renault"; "Gautier", "Gauthier")."""


def sound_alike(left: str, right: str) -> bool:
    """Whether two names would be heard the same ("Paul Renaud", "Paul Renault"; "Maxime Colin", "Collin")."""

    def heard(name: str) -> str:
        words = []
        for word in fold(name).split():
            spoken = sound(re.sub(r"[^a-z]", "", word))
            for pattern, replacement in _SILENT:
                spoken = re.sub(pattern, replacement, spoken)
            words.append(spoken)
        return " ".join(words)

    return heard(left) == heard(right)


SPELLING_GUESSES = 6
"""Surnames whose spelling is scored at the spelling question: each is one decoder pass over a long text
(0.25-0.35 s on two cores), and the turn is asked once in a call at most."""


def spelled_letters(name: str) -> str:
    """A name's letters as spelled aloud: upper case, without accents, spaces, hyphens or apostrophes."""
    return re.sub(r"[^A-Z]", "", fold(name).upper())


def spelling_names(
    letters: Sequence[str], refused: Sequence[str], locale: str, limit: int = SPELLING_GUESSES
) -> list[str]:
    """Common surnames a caller may be spelling: those that sound like the names refused in the call (the
    misheard name came near the real one: "Lombard" for "Lambert"), then those written most like the letters
    the recogniser made of the spelling (`letters`, best first: "LMBRT"). The refused surnames themselves are
    candidates too: a name is often refused for its first name ("Cloi Petit" for Chloé Petit), and a surname
    spelled as the refused one has the first name asked again (`dialogue.flows.spelling`).

    Args:
        letters: Letter readings of the spelling ("GERDEN"), best first.
        refused: Names the caller refused in the call ("Paul Girard").
        locale: "fr" or "en".
        limit: Most names returned.
    """
    lang = lang_of(locale)
    found: list[str] = []
    for name in refused:
        surname = (parse_person_name(name, locale) or (None, name))[1]
        found += [n for s, n in _closest(_sound(surname), lang, "last") if s >= _LIKENESS]
    spelled = [spelled_letters(n) for n, _ in _lexicon(lang, "last")]
    for heard in letters[:2]:
        if heard:
            near = process.extract(spelled_letters(heard), spelled, scorer=fuzz.ratio, limit=limit)
            found += [_lexicon(lang, "last")[index][0] for _, score, index in near if score >= _LIKENESS]
    return list(dict.fromkeys(found))[:limit]
