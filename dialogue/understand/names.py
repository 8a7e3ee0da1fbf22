"""People's names: spelled letter by letter ("M A R T I N", "B comme Bernard") or said ("je m'appelle Jean Dupont").

`parse_spelled` keeps the longest run of letters, so a preamble ("c'est Martin, ça s'écrit M A R T I N") is
ignored. `parse_person_name` assumes "first last" order, except "Dupont, Jean" (a comma: last, first, unless only
the word before it is a common first name: "Chloé, petit");
a single word is a last name.
"""

from __future__ import annotations

import re

from dialogue.understand.name_lists import is_first_name
from dialogue.understand.text import fold, lang_of, normalize, plain

_LETTERS = {
    "fr": {
        "a": "a ah",
        "b": "b be bey",
        "c": "c ce ces ses",
        "d": "d de des",
        "e": "e eu",
        "f": "f ef effe",
        "g": "g ge gee",
        "h": "h ache hache ach",
        "i": "i",
        "j": "j ji gi jee",
        "k": "k ka ca",
        "l": "l el elle",
        "m": "m em emme aime",
        "n": "n en enne",
        "o": "o oh eau au",
        "p": "p pe pee",
        "q": "q ku qu cu",
        "r": "r er erre air aire",
        "s": "s es esse",
        "t": "t te the tee",
        "u": "u hu",
        "v": "v ve vee",
        "w": "w",
        "x": "x ix iks ics",
        "y": "y igrec",
        "z": "z zed zede",
    },
    "en": {
        "a": "a ay eh",
        "b": "b bee be",
        "c": "c see sea cee",
        "d": "d dee",
        "e": "e ee",
        "f": "f ef eff",
        "g": "g gee jee",
        "h": "h aitch haitch",
        "i": "i eye",
        "j": "j jay",
        "k": "k kay",
        "l": "l el ell",
        "m": "m em",
        "n": "n en",
        "o": "o oh",
        "p": "p pee",
        "q": "q cue queue",
        "r": "r ar are",
        "s": "s es ess",
        "t": "t tee tea",
        "u": "u you",
        "v": "v vee",
        "w": "w",
        "x": "x ex",
        "y": "y why wye",
        "z": "z zed zee",
    },
}
_LETTER_OF = {
    lang: {name: letter for letter, names in table.items() for name in names.split()}
    for lang, table in _LETTERS.items()
}
_PHRASES = {
    "fr": (
        (r"\bdouble (?:v|ve|vee)\b", " w "),
        (r"\bi grec\b", " y "),
        (r"\btrait d union\b", " - "),
        (r"\b(?:ca |c )?(?:s ecrit|s epelle)\b|\bje (?:vous )?(?:l )?epelle\b|\bc est\b", " ; "),
    ),
    "en": (
        (r"\bdouble (?:u|you)\b", " w "),
        (r"\bspelt\b|\bspelled\b|\bthat s\b|\bit s\b|\bi ll spell it\b", " ; "),
    ),
}
_SYMBOLS = {"tiret": "-", "hyphen": "-", "dash": "-", "apostrophe": "'", "espace": " ", "space": " "}
_SKIPPED = frozenset(
    "accent aigu grave circonflexe trema cedille majuscule minuscule capital euh um uh et puis and then".split()
)
_AS_IN = {"fr": ("comme",), "en": ("as", "for", "like")}


def letter_names(locale: str) -> dict[str, tuple[str, ...]]:
    """How each letter may be said when a name is spelled ("m": "m", "em", "emme", "aime"), without accents."""
    return {letter: tuple(names.split()) for letter, names in _LETTERS[lang_of(locale)].items()}


def parse_spelled(text: str, locale: str) -> str | None:
    """Read a name spelled letter by letter.

    Understands single letters ("m a r t i n", "M.A.R.T.I.N", "m-a-r-t-i-n"), letter names ("emme a erre té
    i enne", "dee oh ee"), "B comme Bernard" / "T as in Tango" / "S for Sugar", "double v"/"double u" (W),
    "double n" or "deux n" (NN), "tiret"/"hyphen" and "apostrophe".

    Args:
        text: The caller's words.
        locale: "fr" or "en".

    Returns:
        The upper-case name ("MARTIN", "JEAN-PIERRE"), or `None` when fewer than two letters are spelled.
    """
    lang = lang_of(locale)
    words = plain(normalize(text).replace("'", " apostrophe "))
    for pattern, replacement in _PHRASES[lang]:
        words = re.sub(pattern, replacement, words)
    tokens = words.split()
    runs: list[list[str]] = [[]]
    index = 0
    while index < len(tokens):
        token, following = tokens[index], tokens[index + 1] if index + 1 < len(tokens) else ""
        letter = _LETTER_OF[lang].get(token)
        if token in _AS_IN[lang] or (token == "as" and following == "in"):
            index += 3 if following == "in" else 2
            if not runs[-1] or runs[-1][-1] in "-' ":
                runs[-1].append((tokens[index - 1] if index - 1 < len(tokens) else "")[:1])
            continue
        if token in ("double", "deux", "2") and _LETTER_OF[lang].get(following):
            runs[-1].extend([_LETTER_OF[lang][following]] * 2)
            index += 2
            continue
        if letter:
            runs[-1].append(letter)
        elif token in _SYMBOLS:
            runs[-1].append(_SYMBOLS[token])
        elif token not in _SKIPPED:
            runs.append([])
        index += 1
    best = max(reversed(runs), key=lambda run: sum(c.isalpha() for c in run))
    spelled = "".join(best).strip("-' ").upper()
    return spelled if sum(c.isalpha() for c in spelled) >= 2 else None


_CUES = {
    "fr": r"je m_appelle|je me nomme|mon nom (?:de famille )?(?:est|c_est)|moi c_est|c_est|je suis|au nom de|"
    r"de la part de|nom",
    "en": r"my name is|my name_s|i_m|i am|this is|it_s me|it is me|it_s|it is|the name is|name_s|under the name|"
    r"call me",
}
_RELATIONS = {
    "fr": r"(?:c_est )?(?:pour )?(?:mon|ma) (?:fils|fille|enfant|mari|femme|epouse|pere|mere|bebe|conjoint|"
    r"compagnon|compagne|frere|soeur|petit fils|petite fille|fiston)"
    r"|(?:c_est )?pour moi(?:[\s-]meme)?|c_est moi|moi(?:[\s-]meme)?",
    "en": r"(?:it_s )?(?:for )?my (?:son|daughter|husband|wife|child|kid|baby|father|mother|dad|mum|mom|partner|"
    r"brother|sister)|(?:it_s )?for me|(?:it_s )?for myself|it_s me",
}
_TITLES = r"(?:monsieur|madame|mademoiselle|mme|mlle|mr|mrs|ms|miss|mister|dr|docteur|doctor)"
_PARTICLES = frozenset("de du des la le van von der den da di del della st".split())
_COMMON = frozenset(
    "oui non merci bonjour bonsoir allo euh je j voudrais veux un une rendez vous rdv pour avec et est c ce "
    "demain aujourd hui matin soir s il plait svp appelle suis nom prenom ne nee qui que qu quoi mais donc alors "
    "pas a au le la les mon ma "
    "yes no thanks thank hello hi please appointment my name is i m am for and the a an to with this it "
    "booking book today tomorrow morning moi meme me myself".split()
)
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['-][^\W\d_]+)*$")


def parse_person_name(text: str, locale: str) -> tuple[str | None, str] | None:
    """Read a person's name: (first name or `None`, last name), title-cased.

    Args:
        text: "je m'appelle Jean Dupont", "Dupont, Jean", "c'est pour ma fille Léa Dupont", "my name is
            John Smith", "Smith".
        locale: "fr" or "en".

    Returns:
        The name, or `None` when no name is found.
    """
    lang = lang_of(locale)
    said = normalize(text)
    folded = fold(text)
    if len(said) != len(folded):
        said = folded
    cue = (rf"(?:^|\b)(?:(?:{_CUES[lang]}) )?(?:{_RELATIONS[lang]} )?(?:{_TITLES} )?").replace("_", "['\\s]")
    match = None
    for candidate in re.finditer(cue, folded):
        if candidate.end() > candidate.start():
            match = candidate
    rest = said[match.end() :] if match else said
    if match is None and any(w in _COMMON - _PARTICLES for w in plain(said).split()):
        return None
    words: list[str] = []
    for word in rest.split():
        if not _NAME_WORD.match(word) or plain(word) in _COMMON - _PARTICLES or len(words) == 4:
            break
        words.append(word)
    if not words or len(words) > 4 or all(len(w) == 1 for w in words):
        return None
    comma = re.search(r"([^\W\d_][\w'-]*)\s*,\s*([^\W\d_][\w'-]*)", text)
    if (
        comma
        and len(words) == 2
        and plain(comma[1]) == plain(words[0])
        and not _first_then_last(words[0], words[1], locale)
    ):
        return _title(words[1]), _title(words[0])
    cut = next((i for i, w in enumerate(words) if i and plain(w) in _PARTICLES), len(words) - 1)
    first = " ".join(words[:cut]) or None
    return (_title(first) if first else None), _title(" ".join(words[cut:]))


def _first_then_last(before: str, after: str, locale: str) -> bool:
    """Whether "Chloé, Petit" is still first name then surname: the recogniser writes a pause as a comma, so
    only a common first name before the comma and none after it keeps the order ("Dupont, Jean" is turned).
    """
    return is_first_name(before, locale) and not is_first_name(after, locale)


def _title(name: str) -> str:
    parts = re.split(r"([\s'-])", name)
    out = []
    for index, part in enumerate(parts):
        elided = len(part) == 1 and part in "dl" and parts[index + 1 : index + 2] == ["'"]
        if (part in _PARTICLES and len(parts) > 1) or elided:
            out.append(part)
        else:
            out.append(part[:1].upper() + part[1:])
    return "".join(out)


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
