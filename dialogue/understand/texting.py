"""Whether the caller goes without a text message ("pas de SMS", "je n'ai pas de portable", "no text").

Read at the question that asks a caller on a landline for a mobile number; a plain "non" is read as a no by
`yesno`, this module reads the answers that name the text or the mobile they do without.
"""

from __future__ import annotations

import re

from dialogue.understand.text import lang_of, plain

_TEXT = {
    "fr": r"(?:sms|texto|textos|message|messages|portable|mobile|telephone portable)",
    "en": r"(?:texts?|sms|mobile|cell|cell phone|mobile phone|messages?)",
}
_DECLINES = {
    "fr": re.compile(
        rf"\b(?:pas de|pas d|sans|aucun|aucune|jamais de|point de|non au) (?:un |une |de |mon |ma )?{_TEXT['fr']}\b"
        rf"|\bje n ai pas de {_TEXT['fr']}\b|\bj ai pas de {_TEXT['fr']}\b|\bpas besoin\b|\bca ira\b"
        rf"|\bje n en ai pas\b|\bj en ai pas\b|\bje ne veux pas\b|\bje veux pas\b|\bcontinuer sans\b"
    ),
    "en": re.compile(
        rf"\b(?:no|without|without a|not a|don t want a|don t need a|no need for a) {_TEXT['en']}\b"
        rf"|\bi (?:don t|do not) have (?:a |any )?{_TEXT['en']}\b|\bno need\b|\bnot needed\b"
        rf"|\bi don t want (?:one|it)\b|\bgo on without\b|\bcarry on without\b|\bdon t bother\b"
    ),
}


def declines_text(text: str, locale: str) -> bool:
    """Whether `text` says the caller does without a text message (or has no mobile to get one on).

    "S.M.S." and "SMS" read alike; a number said in the same breath is no refusal (the caller of "pas de
    souci, c'est le 06..." gives the number): the flow reads the number first.
    """
    said = plain(text.replace(".", " ").replace("S M S", "SMS"))
    said = re.sub(r"\bs m s\b", "sms", said)
    return _DECLINES[lang_of(locale)].search(said) is not None
