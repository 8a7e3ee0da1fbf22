"""Which appointment type (motif) a caller asks for, from the clinic's labels and aliases.

Each motif's vocabulary is its label, its aliases and its id, and the everyday words of its kinds
(`motif_kinds`: "piqûre" for a vaccination, "mon fils" for a paediatric one, "une consultation" for a
general one), which count a little less than the practice's own; all as `plain` words without little words
("de", "pour", "a"...). A caller's word matches a vocabulary word when equal, equal without a final "s",
or close (rapidfuzz ratio >= 85 for words of 5 letters or more: "vacciner" ~ "vaccin"). A multi-word
keyword ("flu shot", "repeat prescription") counts when all its words are said, or half its weight when
only some are, provided one of those is not generic: "Doctor Jones please" says nothing of "see a doctor"
(a title or a name alone is not a motif). Words several motifs share count less (a third for three
motifs), generic words ("rendez-vous", "consultation", "appointment", "doctor") count little, so "un
rendez-vous pour un vaccin" is a vaccination and "une consultation pour mon bébé" a paediatric one. Words
saying who the patient is ("enfant", "bébé", "my son") count half: the act beats the patient's age, so
"vacciner mon enfant" is a vaccination, while "pour mon enfant" alone is still a paediatric consultation.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from booking.clinic import Motif, Practitioner
from dialogue.understand.motif_kinds import kind_words
from dialogue.understand.text import plain

_LITTLE = frozenset(
    "le la les l un une des de du d a au aux en et ou pour mon ma mes son sa ses votre vos ce cette c est je j "
    "voudrais veux faire prendre avoir il me m vous nous the a an of for to my your i d like need want get have "
    "do with and or please some".split()
)
_GENERIC = frozenset(
    "rendez vous rdv consultation consulter consult visite visit appointment see doctor docteur medecin "
    "seance session dr doc gp nurse infirmier infirmiere madame monsieur".split()
)
_PATIENT = frozenset(
    "enfant enfants bebe bebes nourrisson nourrissons fils fille filles garcon petit petite ado adolescent "
    "child children kid kids baby babies son daughter toddler infant newborn boy girl".split()
)
"""Words that say who the patient is rather than what the appointment is for."""


_TITLES = frozenset("doctor docteur docteure doctoresse dr doc".split())
_INDEFINITE = frozenset("a an un une".split())
_KIND_FACTOR = 0.9
"""How much a kind's everyday word counts beside the practice's own words for a motif."""


def _little(locale: str) -> frozenset[str]:
    return _LITTLE - {"son"} if locale == "en" else _LITTLE  # "my son", but "son fils"


@lru_cache(maxsize=4096)
def _words(text: str, locale: str) -> tuple[str, ...]:
    little = _little(locale)
    return tuple(w for w in plain(text).split() if w not in little)


def _said(text: str, locale: str) -> list[str]:
    """The caller's words as `_words`, without titles before a name: "see Doctor Patel" names a person, "see a
    doctor" asks for a consultation.
    """
    raw = plain(text).split()
    little = _little(locale)
    said = []
    for i, word in enumerate(raw):
        titled = (
            word in _TITLES
            and i + 1 < len(raw)
            and raw[i + 1] not in little
            and (i == 0 or raw[i - 1] not in _INDEFINITE)
        )
        if not titled and word not in little:
            said.append(word)
    return said


def _same(said: str, known: str) -> float:
    if said == known or said.rstrip("sx") == known.rstrip("sx"):
        return 1.0
    if min(len(said), len(known)) >= 5:
        score = fuzz.ratio(said, known)
        return score / 100 if score >= 85 else 0.0
    return 0.0


def _phrases(motif: Motif, everyday: Sequence[str], locale: str) -> list[tuple[tuple[str, ...], float]]:
    """The motif's phrases as words, each with how much it counts (the practice's own words first)."""
    own = [motif.label, *motif.aliases, motif.id.replace("_", " ")]
    phrases = [(_words(p, locale), 1.0) for p in own] + [(_words(p, locale), _KIND_FACTOR) for p in everyday]
    return [(words, factor) for words, factor in phrases if words]


def match_motif(
    text: str, motifs: Sequence[Motif], locale: str, practitioners: Sequence[Practitioner] = ()
) -> str | None:
    """Find the appointment type a caller asks for.

    Args:
        text: The caller's words ("un vaccin", "pour mon bébé", "renouvellement d'ordonnance", "flu jab").
        motifs: The motifs the caller may mean (the clinic's, or those a practitioner offers).
        locale: "fr" or "en" (the clinic's words are in its language; the everyday words in `locale`).
        practitioners: Who offers them (a pédiatre's consultation is meant by "pour mon fils").

    Returns:
        The best motif's id, or `None` when no motif's words are said (or two motifs tie).
    """
    said = _said(text, locale)
    if not said or not motifs:
        return None
    everyday = kind_words(motifs, locale, practitioners)
    vocabulary = {motif.id: _phrases(motif, everyday[motif.id], locale) for motif in motifs}
    sharing: dict[str, int] = {}
    for phrases in vocabulary.values():
        for word in {w for phrase, _ in phrases for w in phrase}:
            sharing[word] = sharing.get(word, 0) + 1
    scores: dict[str, float] = {}
    for motif_id, phrases in vocabulary.items():
        seen: set[str] = set()
        total = 0.0
        for phrase, factor in phrases:
            matched = [max((_same(s, w) for s in said), default=0.0) for w in phrase]
            if not any(matched) or " ".join(phrase) in seen:
                continue
            if not all(matched) and all(w in _GENERIC for m, w in zip(matched, phrase, strict=True) if m):
                continue
            seen.add(" ".join(phrase))
            weight = factor * sum(m * _weight(w, sharing) for m, w in zip(matched, phrase, strict=True)) / len(phrase)
            total = max(total, weight if all(matched) else weight / 2) + 0.01 * len(seen)
        if total:
            scores[motif_id] = total
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and abs(ranked[0][1] - ranked[1][1]) < 1e-9:
        return None
    return ranked[0][0]


def _weight(word: str, sharing: dict[str, int]) -> float:
    kind = 0.3 if word in _GENERIC else 0.5 if word in _PATIENT else 1.0
    return kind / sharing.get(word, 1)
