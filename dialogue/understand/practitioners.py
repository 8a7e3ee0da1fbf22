"""Which practitioner a caller asks for: by name (misspelt or sound-alike), by specialty, or anyone.

Names are compared on `plain` words, in three tiers:

* same spelling: the word is a roster first or last name;
* same sound: it sounds the same (same spelling once "ph"/"f", "c"/"k", "y"/"i"... are unified: "Sofie" ->
  Sophie, "Jonson" -> Johnson), or has the same skeleton of at least 3 consonants, as many syllables
  (vowel groups, a final mute "e" left out: "Bernardeau" has one more than Bernard) *and* sounds close
  (rapidfuzz ratio of the sounds 80 or more for words of 5 letters or fewer, 70 above: "Gérard"/"Jirard"
  -> Girard);
* close: one roster name really close (Jaro-Winkler 88 or more, and ratio 85 or more for words of 5 letters
  or fewer, above 80 for longer ones: "Marin", "Patell"), then every roster name within 16 Jaro-Winkler
  points of the best (80 at least) is returned, so an unclear "Bertran" or "Bérard" gives Bertrand and
  Bernard.

Everyday words of the locale (`dialogue.understand.lexicon`: "mari", "matin", "merci", "clair", "morning", "son") never
match by sound or closeness, whatever the roster. When a roster name *is* an everyday word ("Petit",
"Young"), the word counts only when marked as a name: after a title or "avec"/"chez"/"with" ("le docteur
Petit"), next to another name of the same practitioner ("Paul Petit"), or said alone ("Petit."); so "un
petit rendez-vous" names nobody. Titles never match; words of 1 or 2 letters match only as spelled.

The best tier wins, word by word and then over a whole mention: a word spelled as a roster name never also
counts as a sound-alike or close name of another ("Bernard" is Bernard alone, even next to a Bernardeau),
and more words spelled beat more words sounded. Among equals, one whose whole last name was said beats one
of whose last name only a part, or whose first name, was ("Dr Gall", not Le Gall; "Martin", Sophie Martin
before Martin Petit), and a title said right before the name drops those of the other sex ("madame Martin"
with a Mme and a M. Martin); a title never overrides a better name ("monsieur Bernardeau" is still Mme
Bernardeau). Names after a negation ("pas Bernard", "not Jones") are ignored and the last name said wins
("Bernard... non, Bertrand"). `match_title` reads a title alone ("la dame", "le docteur") for the which-one
question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from booking.clinic import Practitioner
from dialogue.understand.lexicon import COMMON_WORDS, TITLE_KINDS
from dialogue.understand.sounds import is_short, skeleton, sounds_like
from dialogue.understand.text import lang_of, plain


@dataclass(frozen=True)
class PractitionerMatch:
    """The practitioner(s) a caller asked for."""

    ids: tuple[str, ...]
    """Candidates, best first. Several by name = ambiguous (ask which); several by specialty = any of them."""
    anyone: bool = False
    """"N'importe lequel", "le premier disponible", "any doctor": `ids` is empty, or the roster minus the
    practitioners the caller excluded ("n'importe qui sauf Bernard")."""
    specialty: str | None = None
    """The roster's specialty, when matched by it ("un pédiatre", "a GP", "la sage-femme")."""


_TITLES = (
    "docteur|doc|dr|doctor|docteure|madame|mme|monsieur|m|mr|mrs|ms|miss|mademoiselle|nurse|sister"
    "|professeur|pr|sage femme"
)
_NEGATION = {
    "fr": re.compile(
        rf"\b(?:pas|non pas|sauf|plutot que|mais pas|surtout pas)\s+(?:avec\s+|chez\s+|voir\s+)?"
        rf"(?:(?:le|la|l)\s+)?(?:(?:{_TITLES})\s+)?$"
    ),
    "en": re.compile(
        rf"\b(?:not|except|rather than|instead of|but not|apart from)\s+(?:with\s+|see\s+)?"
        rf"(?:the\s+)?(?:(?:{_TITLES})\s+)?$"
    ),
}
_ANYONE = {
    "fr": re.compile(
        r"\b(?:n importe (?:lequel|laquelle|quel(?:le)? (?:medecin|docteur|praticien|praticienne|doc))"
        r"|n importe qui|peu importe"
        r"|(?:le|la) (?:premier|premiere|1er|1ere) (?:disponible|dispo|libre)"
        r"|qui (?:est|sera) (?:disponible|libre)|ca m est (?:egal|indifferent)|"
        r"(?:pas de|aucune) preference|indifferent|l un ou l autre|peu m importe)\b"
    ),
    "en": re.compile(
        r"\b(?:any(?:one| one| doctor| gp| of them|body)|whoever|whichever|doesn t matter|don t mind|"
        r"no preference|(?:1st|first) (?:available|free)|don t care|either (?:one|of them|is fine))\b"
    ),
}
_SPECIALTIES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(rf"\b(?:{said})\b"), roster)
    for said, roster in (
        (
            r"pediatre|pediatrie|(?:docteur|medecin) (?:pour|des) (?:les )?(?:enfants|petits|bebes)|pa?ediatrician|"
            r"children s doctor|(?:doctor|gp) for (?:my )?(?:children|kids|baby)",
            ("pediatr", "paediatr"),
        ),
        (r"sage femme|maieuticien(?:ne)?|midwife", ("sage femme", "midwife")),
        (r"infirmier|infirmiere|nurse", ("infirmi", "nurse")),
        (r"gyneco(?:logue)?|gynaecologist|gynecologist", ("gyneco", "gynaeco", "gyneco")),
        (
            r"generaliste|medecin traitant|medecin de famille|mon medecin|g ?p|general practitioner|family doctor|"
            r"family physician|my doctor",
            ("generaliste", "general practitioner", "gp"),
        ),
    )
)
_TITLE_WORDS = frozenset(word for title in _TITLES.split("|") for word in title.split())
_NAME_CUES = _TITLE_WORDS | {"avec", "chez", "with"}
"""A word right after one of these is meant as a name ("le docteur Petit", "avec Young")."""
_FRAMING = _NAME_CUES | frozenset("le la l the please svp s il vous plait merci thanks thank you oui yes".split())
"""Words that may surround a name said alone ("Petit, s'il vous plaît", "Young please")."""


def exclude_negated(text: str, locale: str) -> str:
    """`plain` text without the words the caller rules out ("pas Bernard, Bertrand" -> "bertrand").

    Only the word right after the negation goes ("pas le docteur Bernard", "not Jones"); use
    `match_practitioner` to drop a negated full name.

    Args:
        text: The caller's words.
        locale: "fr" or "en".

    Returns:
        The plain text without negations and the words they rule out.
    """
    lang = lang_of(locale)
    cue = _NEGATION[lang].pattern.removesuffix("$")
    negated = re.compile(cue + r"[a-z0-9]+\b")
    return " ".join(" ".join(negated.sub(" ", " ".join(clause)).split()) for clause in _clauses(text)).strip()


def _clauses(text: str) -> list[list[str]]:
    return [plain(part).split() for part in re.split(r"[,;.!?:]", text) if plain(part)]


_Scores = dict[str, tuple[int, float]]
"""Per practitioner id: (tier or count of exact words, score)."""


@lru_cache(maxsize=1024)
def _names(first: str, last: str) -> tuple[str, ...]:
    return tuple(plain(f"{first} {last}").split())


def _token_scores(word: str, roster: Sequence[Practitioner], fuzzy: bool = True) -> _Scores:
    """Per practitioner id: (tier, score) of the word's best tier only; 2 = same spelling, 1 = same sound, 0 = close.

    Close names count only when one of them is really close (Jaro-Winkler 88 or more and a high ratio);
    then every name with Jaro-Winkler 80 or more is kept, for `_ranked` to report an ambiguity. Without
    `fuzzy` (everyday words) and for words of 1 or 2 letters, only the same spelling counts.
    """
    scores: _Scores = {}
    fuzzy = fuzzy and len(word) >= 3
    bones = skeleton(word)
    really_close = False
    for practitioner in roster:
        for name in _names(practitioner.first_name, practitioner.last_name):
            if word == name:
                found = (2, 100.0)
            elif not fuzzy:
                continue
            elif sounds_like(word, name):
                found = (1, 100.0)
            elif len(word) >= 4 and (word[0] == name[0] or bones[:1] == skeleton(name)[:1]):
                found = (0, 100 * JaroWinkler.normalized_similarity(word, name))
                if found[1] < 80:
                    continue
                ratio = fuzz.ratio(word, name)
                high = ratio >= 85 if is_short(word, name) else ratio > 80
                really_close = really_close or (found[1] >= 88 and high)
            else:
                continue
            scores[practitioner.id] = max(scores.get(practitioner.id, found), found)
    if not scores or (not really_close and all(tier == 0 for tier, _ in scores.values())):
        return {}
    best = max(tier for tier, _ in scores.values())
    return {pid: found for pid, found in scores.items() if found[0] == best}


def _word_scores(clause: list[str], index: int, roster: Sequence[Practitioner], lang: str) -> _Scores:
    """`_token_scores` of clause[index], for an everyday word only when it is marked as a name."""
    word = clause[index]
    if word in _TITLE_WORDS:
        return {}
    if word not in COMMON_WORDS[lang]:
        return _token_scores(word, roster)
    scores = _token_scores(word, roster, fuzzy=False)
    if not scores or (index > 0 and clause[index - 1] in _NAME_CUES):
        return scores
    for neighbour in (*clause[max(index - 1, 0) : index], *clause[index + 1 : index + 2]):
        if neighbour not in _TITLE_WORDS and set(_token_scores(neighbour, roster, fuzzy=False)) & set(scores):
            return scores
    alone = all(other in _FRAMING for position, other in enumerate(clause) if position != index)
    return scores if alone else {}


@dataclass
class _Mention:
    """Adjacent words naming the same practitioner(s) ("Claire Bertrand", "le docteur Le Gall")."""

    negated: bool
    title: str | None
    """The kind (`TITLE_KINDS`) of the title said right before ("madame" -> "f"), if any."""
    words: set[str]
    scores: dict[str, tuple[int, int, float]]
    """Per practitioner id: (words spelled, words sounded, total score)."""
    adjacent: bool = False
    """Said right after another mention, with no word between ("monsieur Petitjean Martin", "Petitjean, Martin")."""


def _mentions(text: str, lang: str, roster: Sequence[Practitioner]) -> list[_Mention]:
    """Names said, in order; adjacent words naming the same practitioner form one mention."""
    mentions: list[_Mention] = []
    ended_on_name = False  # the clause before ended on a name: one opening the next is adjacent ("Petitjean, Martin")
    for clause in _clauses(text):
        previous: _Scores = {}
        for index, word in enumerate(clause):
            scores = _word_scores(clause, index, roster, lang)
            if not scores:
                previous = {}
                continue
            if not set(previous) & set(scores):
                negated = bool(_NEGATION[lang].search(" ".join(clause[:index]) + " "))
                title = TITLE_KINDS.get(clause[index - 1]) if index else None
                adjacent = bool(previous) or (index == 0 and ended_on_name)
                mentions.append(_Mention(negated, title, set(), {}, adjacent=adjacent))
            mention = mentions[-1]
            mention.words.add(word)
            for pid, (tier, score) in scores.items():
                spelled, sounded, total = mention.scores.get(pid, (0, 0, 0.0))
                mention.scores[pid] = (spelled + (tier == 2), sounded + (tier == 1), total + score)
            previous = scores
        ended_on_name = bool(previous)
    return mentions


def _kind(practitioner: Practitioner) -> str | None:
    return TITLE_KINDS.get(plain(practitioner.title))


def _fitting(ids: tuple[str, ...], kind: str | None, roster: Sequence[Practitioner]) -> tuple[str, ...]:
    """`ids` without those a title of `kind` ("f", "m") does not fit, unless that leaves none."""
    other = {"f": "m", "m": "f"}.get(kind or "")
    kept = tuple(p.id for p in roster if p.id in ids and _kind(p) != other)
    return tuple(i for i in ids if i in kept) or ids


def _ranked(mention: _Mention, roster: Sequence[Practitioner]) -> tuple[str, ...]:
    """Best first (ties in roster order): the most words spelled, then sounded, then whole last names;
    all as good as the best, within 16 points when only close; then `_fitting` the title said.
    """
    people = {p.id: (index, set(plain(p.last_name).split())) for index, p in enumerate(roster)}

    def key(pid: str) -> tuple[int, int, bool]:
        spelled, sounded, _ = mention.scores[pid]
        return spelled, sounded, people[pid][1] <= mention.words

    best = max(key(pid) for pid in mention.scores)
    candidates = sorted(
        ((pid, total) for pid, (_, _, total) in mention.scores.items() if key(pid) == best),
        key=lambda item: (-item[1], people[item[0]][0]),
    )
    margin = 0.0 if best[0] or best[1] else 16.0
    ranked = tuple(pid for pid, total in candidates if total >= candidates[0][1] - margin)
    return _fitting(ranked, mention.title, roster)


def match_title(text: str, roster: Sequence[Practitioner]) -> tuple[str, ...]:
    """The practitioners a title said alone points to ("madame", "la dame", "le docteur", "the lady").

    Those with a title of that kind ("madame" -> Mme, Mrs...), else those it fits ("madame" -> a Dr, not a
    M.); nothing when no title, or titles of several kinds, are said.

    Args:
        text: The caller's words.
        roster: The practitioners to choose among.

    Returns:
        Their ids, in roster order (all of them when the title does not tell them apart).
    """
    kinds = {TITLE_KINDS[word] for word in plain(text).split() if word in TITLE_KINDS and word != "m"}
    if len(kinds) != 1:
        return ()
    kind = kinds.pop()
    same = tuple(p.id for p in roster if _kind(p) == kind)
    return same or _fitting(tuple(p.id for p in roster), kind, roster)


def _by_specialty(words: str, roster: Sequence[Practitioner]) -> tuple[str, tuple[str, ...]] | None:
    for said, in_roster in _SPECIALTIES:
        if not said.search(words):
            continue
        for practitioner in roster:
            specialty = plain(practitioner.specialty)
            if any(re.search(rf"\b{key}", specialty) for key in in_roster):
                same = tuple(p.id for p in roster if plain(p.specialty) == specialty)
                return practitioner.specialty, same
    return None


def match_practitioner(text: str, roster: Sequence[Practitioner], locale: str) -> PractitionerMatch | None:
    """Find the practitioner(s) a caller asks for.

    Args:
        text: The caller's words ("le docteur Martin", "Gérard", "un pédiatre", "any doctor").
        roster: The practice's practitioners.
        locale: "fr" or "en".

    Returns:
        The match, or `None` when no roster name, known specialty of the roster or "anyone" is said.
    """
    lang = lang_of(locale)
    mentions = _mentions(text, lang, roster)
    said = [mention for mention in mentions if not mention.negated]
    if said:
        last = said[-1]
        if len(said) > 1 and last.adjacent and last.title is None and said[-2].title is not None:
            last = said[-2]  # "monsieur Petitjean Martin-Matta" (Whisper's "mardi matin"): the titled name was meant
        return PractitionerMatch(_ranked(last, roster))
    whole = plain(text)
    if _ANYONE[lang].search(whole):
        excluded = {pid for mention in mentions if mention.negated for pid in _ranked(mention, roster)}
        return PractitionerMatch(tuple(p.id for p in roster if p.id not in excluded) if excluded else (), True)
    specialty = _by_specialty(exclude_negated(text, lang), roster)
    if specialty:
        return PractitionerMatch(specialty[1], specialty=specialty[0])
    return None
