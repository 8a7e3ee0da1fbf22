"""Yes or no, in the caller's words ("ouais c'est ça", "non pas du tout", "yep", "that's wrong").

Rules, in order:

1. "I don't know" ("je ne sais pas", "not sure") is neither: `None`.
2. Phrases that contain a negation but mean yes ("pas de problème", "pourquoi pas", "no problem") count as yes.
3. Any no wins over a yes ("oui... enfin non", "non pas du tout").
4. A yes followed by "mais"/"but" ("oui mais plutôt mercredi", "yes but not at 9") is `None`: the caller is
   correcting something, and the dialogue should listen to the rest rather than take it as a plain yes.
"""

from __future__ import annotations

import re

from dialogue.understand.text import lang_of, plain


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + r")\b")


_UNSURE = {
    "fr": _words(
        "je ne sais pas",
        "je sais pas",
        "sais pas",
        "j en sais rien",
        "aucune idee",
        "je ne suis pas sur",
        "je suis pas sur",
        "peut etre",
        "je ne sais plus",
        "je sais plus",
    ),
    "en": _words(
        "i don t know",
        "i dunno",
        "dunno",
        "not sure",
        "i m not sure",
        "no idea",
        "maybe",
        "perhaps",
        "i can t remember",
        "i don t remember",
    ),
}
_YES_DESPITE_NEGATION = {
    "fr": _words(
        "pas de probleme",
        "pas de souci",
        "pas de soucis",
        "pourquoi pas",
        "ca ne me derange pas",
        "ca me derange pas",
        "sans probleme",
        "sans souci",
        "non non c est bon",
        "pas mal",
    ),
    "en": _words(
        "no problem",
        "not a problem",
        "no worries",
        "why not",
        "i don t mind",
        "don t mind",
        "no objection",
        "not at all a problem",
    ),
}
_NO = {
    "fr": _words(
        "non",
        "nan",
        "pas du tout",
        "absolument pas",
        "surtout pas",
        "pas vraiment",
        "pas ca",
        "c est pas ca",
        "ce n est pas ca",
        "c est faux",
        "faux",
        "negatif",
        "jamais",
        "pas possible",
        "impossible",
        "ca ne va pas",
        "ca va pas",
        "ca ne me va pas",
        "ca me va pas",
        "ca ne me convient pas",
        "ca me convient pas",
        "je ne peux pas",
        "je peux pas",
        "je ne veux pas",
        "je veux pas",
        "pas celui la",
        "pas celle la",
        "pas ce jour la",
        "pas ce jour",
        "c est pas",
        "n est pas",
        "pas bon",
        "pas d accord",
    ),
    "en": _words(
        "no",
        "nope",
        "nah",
        "not really",
        "that s wrong",
        "wrong",
        "incorrect",
        "that s not right",
        "not right",
        "that s not it",
        "not that",
        "negative",
        "no thanks",
        "no thank you",
        "not at all",
        "never",
        "that doesn t work",
        "doesn t work",
        "that won t work",
        "won t work",
        "can t make it",
        "i can t",
        "i cannot",
        "i don t want",
        "not that one",
        "absolutely not",
        "definitely not",
        "of course not",
        "certainly not",
        "it s not",
        "it is not",
        "isn t",
        "that isn t",
        "not correct",
        "not quite",
    ),
}
_YES = {
    "fr": _words(
        "oui",
        "ouais",
        "ouai",
        "ouaip",
        "ouep",
        "voila",
        "d accord",
        "dac",
        "c est ca",
        "c est bien ca",
        "c est exact",
        "c est correct",
        "c est bon",
        "exact",
        "exactement",
        "parfait",
        "tout a fait",
        "bien sur",
        "ok",
        "okay",
        "o k",
        "entendu",
        "absolument",
        "affirmatif",
        "ca marche",
        "ca me va",
        "ca me convient",
        "ca va",
        "tres bien",
        "impeccable",
        "volontiers",
        "je confirme",
        "correct",
        "si",
        "allez y",
        "va pour ca",
        "nickel",
        "super",
        "genial",
        "bien",
        "certainement",
        "evidemment",
        "carrement",
        "oui oui",
    ),
    "en": _words(
        "yes",
        "yeah",
        "yea",
        "yep",
        "yup",
        "ya",
        "aye",
        "sure",
        "correct",
        "that s right",
        "right",
        "that s correct",
        "exactly",
        "absolutely",
        "definitely",
        "of course",
        "ok",
        "okay",
        "o k",
        "fine",
        "perfect",
        "great",
        "sounds good",
        "that works",
        "that s fine",
        "please",
        "please do",
        "yes please",
        "go ahead",
        "confirm",
        "i confirm",
        "affirmative",
        "that s it",
        "alright",
        "all right",
        "certainly",
        "indeed",
        "lovely",
        "brilliant",
        "good",
        "that s good",
        "yes it is",
        "it is",
    ),
}
_POLITE_ONLY = {"fr": frozenset(), "en": frozenset({"please"})}
"""Words that are a yes only when nothing else is said ("please" alone; "11:15 please" is another answer)."""
_FILLERS = frozenset("um uh erm er oh well so thanks thank you".split())

_BUT = {
    "fr": re.compile(r"\b(?:mais|par contre|sauf que|plutot)\b"),
    "en": re.compile(r"\b(?:but|though|rather|instead)\b"),
}


def parse_yes_no(text: str, locale: str) -> bool | None:
    """Read a yes or a no.

    Args:
        text: The caller's answer ("oui c'est bien ça", "non merci", "yeah", "nope").
        locale: "fr" or "en".

    Returns:
        `True` for yes, `False` for no, `None` when neither is clear, when the caller does not know, or for
        a yes with a correction ("oui mais ...", "yes but ...").
    """
    lang = lang_of(locale)
    words = plain(text)
    if not words or _UNSURE[lang].search(words):
        return None
    yes = False
    if _YES_DESPITE_NEGATION[lang].search(words):
        yes = True
        words = _YES_DESPITE_NEGATION[lang].sub(" ", words)
    if _NO[lang].search(words):
        return False
    match = _YES[lang].search(words)
    if match and _BUT[lang].search(words[match.end() :]):
        return None
    if match and not yes and match.group(0) in _POLITE_ONLY[lang] and _other_words(words, match):
        return None
    return True if yes or match else None


def _other_words(words: str, match: re.Match[str]) -> bool:
    """Whether `words` says more than the matched phrase and fillers."""
    rest = (words[: match.start()] + " " + words[match.end() :]).split()
    return any(word not in _FILLERS for word in rest)
