"""The caller's refusal of any reuse of the call: "je refuse", "je refuse que mes données soient utilisées",
"I refuse", "I object".

Only the first person counts ("il refuse de venir" is not the caller's refusal), never a negation ("je ne
refuse pas", "I don't object") or a question ("si je refuse ?"), and only when what follows in the same clause
is nothing, a polite word, or is about the call or its data: "je refuse ce créneau" declines a slot, it does
not refuse reuse.
"""

from __future__ import annotations

import re
import unicodedata

_CLAUSE_END = re.compile(r"[.,;:!?…]")
_REFUSE = {
    "fr": re.compile(
        r"(?<!\bsi )\b(?:je|j)\s*'?\s*(?:le |la |les |l ' ?)?(?:refuse|m ?' ?y oppose|m ?' ?oppose)\b(?! pas\b)"
    ),
    "en": re.compile(r"(?<!\bif )\bi (?:refuse|object)\b"),
}
_POLITE = {
    "fr": frozenset("merci monsieur madame bien alors donc voila oui non absolument completement".split()),
    "en": frozenset("thanks thank you sir madam please then yes no absolutely completely".split()),
}
_ABOUT_DATA = {
    "fr": re.compile(
        r"\b(?:donnee|donnees|information|informations|utilis\w*|reutilis\w*|enregistr\w*|usage|conserv\w*|"
        r"exploit\w*|traitement|appel|conversation|transcription)\b"
    ),
    "en": re.compile(
        r"\b(?:data|information|details|use|used|using|reuse\w*|record\w*|stor\w*|kept|keep\w*|process\w*|call|"
        r"conversation|transcript\w*)\b"
    ),
}


def _clauses(text: str) -> list[str]:
    """Lower-case clauses without accents, one apostrophe, single spaces."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("’", "'"))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    clauses = (re.sub(r"[^\w']+", " ", part).strip() for part in _CLAUSE_END.split(folded))
    return [c for c in clauses if c]


def is_refusal(text: str, locale: str) -> bool:
    """Whether the caller refuses any reuse of the call in `text` (a whole turn).

    Args:
        text: The caller's words, as the recogniser wrote them ("Je refuse !").
        locale: "fr" or "en".
    """
    lang = "fr" if locale.lower().startswith("fr") else "en"
    for clause in _clauses(text):
        found = _REFUSE[lang].search(clause)  # "je ne refuse pas", "I don't refuse" never match
        if found is None:
            continue
        rest = clause[found.end() :].split()
        if all(word in _POLITE[lang] for word in rest) or _ABOUT_DATA[lang].search(" ".join(rest)):
            return True
    return False
