"""How names sound, for `dialogue.understand.practitioners`: one spelling per sound, consonant skeletons.

"Sofie" and "Sophie" sound the same ("sofie"); "Gérard" and "Jirard" share the skeleton "jrd", two syllables
and close sounds; "Bernardeau" has the skeleton of "Bernard" but one syllable more, so it does not sound like it.
Sounds and skeletons are cached: a caller's words meet the same roster names again and again.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

_SOUNDS = (
    (r"ph", "f"),
    (r"qu|ck|q", "k"),
    (r"c(?=[eiy])", "s"),
    (r"c", "k"),
    (r"gu(?=[eiy])", "g"),
    (r"g(?=[eiy])", "j"),
    (r"h", ""),
    (r"y", "i"),
    (r"w", "v"),
    (r"z", "s"),
    (r"x", "ks"),
    (r"(?<=[aeiou])s(?=[aeiou])", "z"),
    (r"(.)\1+", r"\1"),
)


@lru_cache(maxsize=8192)
def sound(word: str) -> str:
    """How a word sounds, spelled one way ("sophie" and "sofie" -> "sofie")."""
    for pattern, replacement in _SOUNDS:
        word = re.sub(pattern, replacement, word)
    return word


def syllables(heard: str) -> int:
    """Vowel groups of a `sound`, a final mute "e" left out ("bernardeau" 3, "bernard" 2, "martine" 2)."""
    return len(re.findall(r"[aeiou]+", re.sub(r"e?s?$", "", heard)))


@lru_cache(maxsize=8192)
def skeleton(word: str) -> str:
    """The consonants a word sounds with ("gerard" and "jirard" -> "jrd")."""
    heard = sound(word)
    head, rest = heard[:1], re.sub(r"[aeiou]", "", heard[1:])
    return re.sub(r"(.)\1+", r"\1", head + rest)


def is_short(word: str, name: str) -> bool:
    """Whether the shorter of two words has 5 letters or fewer (closeness then asks more)."""
    return min(len(word), len(name)) <= 5


def sounds_like(word: str, name: str) -> bool:
    """Same sound ("sofie"/"sophie", "jonson"/"johnson"), or the same consonant skeleton and syllables with
    close sounds ("gerard"/"girard": "jerard"/"jirard"; not "mardi"/"martin", nor "bernardeau"/"bernard").
    """
    heard, other = sound(word), sound(name)
    if heard == other:
        return True
    bones = skeleton(word)
    return (
        len(bones) >= 3
        and bones == skeleton(name)
        and syllables(heard) == syllables(other)
        and fuzz.ratio(heard, other) >= (80 if is_short(word, name) else 70)
    )
