"""Text as it must be spoken: numbers, times, dates, phone numbers and abbreviations written out in words.

Text-to-speech front ends read "10 h 30" as "dix ache trente" and "Dr" as "der"; this module rewrites the
agent's sentences first ("dix heures trente", "docteur"). Pure functions, French and English, built on
num2words. Digits meant one by one (references, keypad keys) stay separated by commas so they are read
one at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words

_FR_LETTERS = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            "a",
            "bé",
            "cé",
            "dé",
            "e",
            "effe",
            "gé",
            "ache",
            "i",
            "ji",
            "ka",
            "elle",
            "emme",
            "enne",
            "o",
            "pé",
            "ku",
            "erre",
            "esse",
            "té",
            "u",
            "vé",
            "double vé",
            "ixe",
            "i grec",
            "zède",
        ),
        strict=True,
    )
)
_EN_LETTERS = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            "ay",
            "bee",
            "see",
            "dee",
            "ee",
            "eff",
            "gee",
            "aitch",
            "eye",
            "jay",
            "kay",
            "el",
            "em",
            "en",
            "oh",
            "pee",
            "queue",
            "ar",
            "ess",
            "tee",
            "you",
            "vee",
            "double you",
            "ex",
            "why",
            "zed",
        ),
        strict=True,
    )
)
_FR_ABBREVIATIONS = {
    r"Dr\.?": "docteur",
    r"Dre": "docteure",
    r"Drs": "docteurs",
    r"Pr\.?": "professeur",
    r"Pre": "professeure",
    r"Mme\.?": "madame",
    r"Mmes": "mesdames",
    r"Mlle": "mademoiselle",
    r"M\.(?= [A-ZÉ])": "monsieur",
    r"MM\.": "messieurs",
    r"n°": "numéro",
    r"N°": "numéro",
    r"tél\.": "téléphone",
    r"Tél\.": "téléphone",
    r"bd": "boulevard",
    r"av\.": "avenue",
    r"St": "saint",
    r"Ste": "sainte",
    r"rdv": "rendez-vous",
    r"RDV": "rendez-vous",
    r"etc\.": "et cetera",
    r"env\.": "environ",
    r"min": "minutes",
    r"CHU": "C H U",
}
_EN_ABBREVIATIONS = {
    r"Dr\.?": "Doctor",
    r"Mr\.?": "Mister",
    r"Mrs\.?": "Missus",
    r"Ms\.?": "Miz",
    r"Prof\.?": "Professor",
    r"No\.(?= ?\d)": "number",
    r"e\.g\.": "for example",
    r"i\.e\.": "that is",
    r"approx\.": "approximately",
    r"GP": "G P",
    r"NHS": "N H S",
    r"A&E": "A and E",
    r"mins?": "minutes",
}
_SYMBOLS = {
    "fr": {"%": " pour cent", "€": " euros", "&": " et ", "«": "", "»": "", "“": "", "”": ""},
    "en": {"%": " percent", "£": " pounds", "€": " euros", "&": " and ", "“": "", "”": ""},
}
_EMERGENCY = {"15", "17", "18", "112", "114", "115", "119", "196", "999", "911", "111", "116117"}
"""Short numbers said digit by digit in English ("nine nine nine"); French says "le cent douze"."""
_ENUMERATION = r"(?<![\w,])(\w)(?:, \w)+(?![\w])"


def speakable(text: str, language: str) -> str:
    """The text with everything a synthesiser would misread written out in words.

    Args:
        text: A sentence (or several) as the dialogue writes it.
        language: "fr" or "en" (a "fr-FR"/"en-GB" style tag works too).
    """
    lang = language[:2].lower()
    for symbol, words in _SYMBOLS.get(lang, {}).items():
        text = text.replace(symbol, words)
    text = (_french if lang == "fr" else _english)(text)
    return re.sub(
        r"\s+([,.;:!?])",
        lambda m: m.group(1) if m.group(1) in ",." else f" {m.group(1)}",
        re.sub(r"[ \t]{2,}", " ", text),
    ).strip()


def _sub(pattern: str, replace: Callable[[re.Match[str]], str], text: str) -> str:
    return re.sub(pattern, replace, text)


def _fr_number(value: str | int) -> str:
    return str(num2words(int(value), lang="fr"))


def _fr_feminine(value: str | int) -> str:
    """A feminine French number: "une" for "un" at the end ("vingt et une heures", "une heure")."""
    return re.sub(r"\bun$", "une", _fr_number(value))


def _fr_digits_group(group: str) -> str:
    """A group of a phone number or postal code: "06" → "zéro six", "00" → "zéro zéro", "84" → "quatre-vingt-quatre"."""
    zeros = len(group) - len(group.lstrip("0"))
    rest = group.lstrip("0")
    return " ".join(["zéro"] * zeros + ([_fr_number(rest)] if rest else []))


def _fr_time(hours: str, minutes: str | None) -> str:
    hour = int(hours)
    said = f"{_fr_feminine(hour)} heure{'s' if hour > 1 else ''}"
    if minutes and int(minutes):
        said += f" {_fr_number(minutes)}"
    return said


def _french(text: str) -> str:
    text = _sub(
        r"\+(\d{1,3})((?:[ .]\d{1,4})+)",
        lambda m: (
            "plus "
            + ", ".join([_fr_number(m.group(1))] + [_fr_digits_group(g) for g in re.split(r"[ .]", m.group(2).strip())])
        ),
        text,
    )
    text = _sub(
        r"\b0\d(?:[ .]\d\d){4}\b", lambda m: ", ".join(_fr_digits_group(g) for g in re.split(r"[ .]", m[0])), text
    )
    text = _sub(r"\b(\d\d)(\d{3})(?= [A-ZÉ])", lambda m: f"{_fr_number(m[1])} {_fr_digits_group(m[2])}", text)
    text = _sub(r"\b(\d{1,2}) ?(?:h|H|:)(?: ?(\d\d))?\b(?!\w)", lambda m: _fr_time(m[1], m[2]), text)
    text = _sub(r"\b(\d{1,2}) (heures?)\b", lambda m: f"{_fr_feminine(m[1])} {m[2]}", text)
    text = _sub(r"\b1(er|re|ère)\b", lambda m: "premier" if m[1] == "er" else "première", text)
    text = _sub(r"\b(\d+)(?:e|ème|eme)\b", lambda m: str(num2words(int(m[1]), lang="fr", to="ordinal")), text)
    for pattern, words in _FR_ABBREVIATIONS.items():
        text = re.sub(rf"(?<![\w.]){pattern}(?![\w])", words, text)
    text = _sub(
        _ENUMERATION,
        lambda m: (
            ", ".join(_FR_LETTERS.get(c, c) for c in m[0].split(", "))
            if all(c.isupper() for c in m[0].split(", "))
            else m[0]
        ),
        text,
    )
    return _sub(r"\d+", lambda m: _fr_number(m[0]), text)


def _en_number(value: str | int) -> str:
    return str(num2words(int(value), lang="en")).replace(",", "")


def _en_digits(digits: str) -> str:
    return " ".join("oh" if d == "0" else _en_number(d) for d in digits)


def _en_time(hours: str, minutes: str | None, suffix: str | None) -> str:
    said = _en_number(hours)
    if minutes and int(minutes):
        said += f" {'oh ' if minutes[0] == '0' else ''}{_en_number(minutes)}"
    elif minutes and not suffix:
        said += " o'clock"
    if suffix:
        said += " " + " ".join(suffix.replace(".", "").lower())
    return said


def _english(text: str) -> str:
    text = _sub(
        r"\+(\d{1,3})((?:[ .]\d{1,5})+)",
        lambda m: "plus " + ", ".join(_en_digits(g) for g in [m[1], *re.split(r"[ .]", m[2].strip())]),
        text,
    )
    text = _sub(r"\b0\d{3,4}(?: \d{3,6}){1,2}\b", lambda m: ", ".join(_en_digits(g) for g in m[0].split()), text)
    text = _sub(
        r"\b([A-Z]{1,2}\d[A-Z\d]?) (\d[A-Z]{2})\b",
        lambda m: ", ".join(
            " ".join(_EN_LETTERS[c] if c.isalpha() else _en_number(c) for c in part) for part in (m[1], m[2])
        ),
        text,
    )
    text = _sub(r"\b(\d{1,2})(?::(\d\d))?\s?([ap](?:\.m\.|m))(?![\w])", lambda m: _en_time(m[1], m[2], m[3]), text)
    text = _sub(r"\b(\d{1,2}):(\d\d)\b", lambda m: _en_time(m[1], m[2], None), text)
    text = _sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: str(num2words(int(m[1]), lang="en", to="ordinal")), text)
    text = _sub(
        r"\b(1[89]\d\d|20\d\d)\b(?! (?:days|weeks|pounds|minutes))",
        lambda m: str(num2words(int(m[1]), lang="en", to="year")),
        text,
    )
    text = _sub(r"\b\d{2,6}\b", lambda m: _en_digits(m[0]) if m[0] in _EMERGENCY and len(m[0]) > 2 else m[0], text)
    for pattern, words in _EN_ABBREVIATIONS.items():
        text = re.sub(rf"(?<![\w.]){pattern}(?![\w])", words, text)
    text = _sub(
        _ENUMERATION,
        lambda m: (
            ", ".join(_EN_LETTERS.get(c, c) for c in m[0].split(", "))
            if all(c.isupper() for c in m[0].split(", "))
            else m[0]
        ),
        text,
    )
    return _sub(r"\d+", lambda m: _en_number(m[0]), text)


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[^\s])")
_CLAUSE_END = re.compile(r"(?<=[:;])\s+")
_COMMA = re.compile(r"(?<=,)\s+")


def _merge(fragments: list[str], minimum: int) -> list[str]:
    """Join consecutive fragments until each piece has at least `minimum` characters."""
    pieces: list[str] = []
    current = ""
    for fragment in fragments:
        current = f"{current} {fragment}".strip()
        if len(current) >= minimum:
            pieces.append(current)
            current = ""
    if current:
        if pieces and len(current) < minimum:
            pieces[-1] = f"{pieces[-1]} {current}"
        else:
            pieces.append(current)
    return pieces


LEAD_INS: dict[str, tuple[str, ...]] = {
    "fr": ("J'ai de la place", "J'ai une place", "Je peux vous proposer", "Je n'ai plus de place"),
    "en": ("I have", "I can offer"),
}
"""Fixed openings of the agent's variable sentences (slot offers), in their spoken form: spoken as pieces of
their own, they come from the synthesizer's cache and play while the rest of the sentence is synthesised."""


def split_lead_in(pieces: list[str], language: str) -> list[str]:
    """`pieces` with a known opening of the first one (`LEAD_INS`) cut off as a piece of its own.

    Args:
        pieces: Pieces from `split_sentences`.
        language: "fr" or "en".
    """
    if not pieces:
        return pieces
    first = pieces[0]
    for lead in LEAD_INS.get(language[:2], ()):
        rest = first[len(lead) :]
        if first.startswith(lead) and rest[:1] == " " and len(rest.strip()) > 1:
            return [lead, rest.strip(), *pieces[1:]]
    return pieces


def split_sentences(text: str, clause_chars: int = 60, min_chars: int = 30) -> list[str]:
    """Sentences, and the clauses of long ones, each ready to synthesise on its own.

    A sentence longer than `clause_chars` is cut after its colons and semicolons, and a clause still longer
    after its commas, into pieces of at least `min_chars`: the first words are then spoken while the rest is
    synthesised ("Je récapitule :" plays during the recap's synthesis).

    Args:
        text: The text to speak.
        clause_chars: Longest piece left whole.
        min_chars: Shortest piece a comma cut may leave.
    """
    pieces: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text.strip())):
        if len(sentence) <= clause_chars:
            pieces.extend([sentence] if sentence else [])
            continue
        for clause in (c.strip() for c in _CLAUSE_END.split(sentence) if c.strip()):
            long = len(clause) > clause_chars
            pieces.extend(_merge(_COMMA.split(clause), min_chars) if long else [clause])
    return pieces
