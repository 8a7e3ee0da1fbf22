"""How simulated callers word things: the bare answers of each language, and the everyday words a chatty
caller wraps them in ("oui, c'est ça, très bien", "my name's John Smith").
"""

from __future__ import annotations

WORDS = {
    "fr": {
        "yes": "oui",
        "no": "non",
        "book": "Bonjour, je voudrais prendre rendez-vous s'il vous plaît.",
        "cancel": "Bonjour, je voudrais annuler mon rendez-vous.",
        "move": "Bonjour, je voudrais déplacer mon rendez-vous.",
        "anyone": "n'importe lequel, le premier disponible",
        "motif": "une consultation",
        "asap": "le plus tôt possible",
        "later": "plus tard",
        "ordinals": ("le premier", "le deuxième", "le troisième"),
        "day": "le jour",
        "practitioner": "le praticien",
        "pardon": "pardon ?",
        "own_number": "06 12 34 56 78",
    },
    "en": {
        "yes": "yes",
        "no": "no",
        "book": "Hello, I'd like to book an appointment please.",
        "cancel": "Hello, I'd like to cancel my appointment.",
        "move": "Hello, I'd like to move my appointment.",
        "anyone": "anyone, the first available",
        "motif": "a GP appointment",
        "asap": "the earliest possible",
        "later": "later",
        "ordinals": ("the first one", "the second one", "the third one"),
        "day": "the day",
        "practitioner": "the doctor",
        "pardon": "sorry?",
        "own_number": "07700 900123",
    },
}
CHATTY = {
    "fr": {
        "yes": "oui, c'est ça, très bien",
        "no": "ah non, pas du tout",
        "name": "c'est pour moi, {}",
        "birth": "ma date de naissance, c'est {}",
        "offer": "{}, ça m'ira très bien",
        "when": "euh, alors, {} si c'est possible",
        "practitioner": "je vais d'habitude chez {}",
        "which": "je vais d'habitude chez {}",
        "motif": "alors voilà, {}",
        "phone": "oui alors c'est le {}",
    },
    "en": {
        "yes": "yeah, that's fine",
        "no": "no, sorry",
        "name": "my name's {}",
        "birth": "I was born on {}",
        "offer": "{} would be great",
        "when": "um, {} if possible",
        "practitioner": "I usually see {}",
        "which": "I usually see {}",
        "motif": "it's for {}",
        "phone": "it's {}",
    },
}


def chat_up(line: str, kind: str, language: str) -> str:
    """`line` (the answer to a question of class `kind`) as a chatty caller says it; keys and silence unchanged."""
    if line in ("silence", "hangup") or line.startswith("dtmf:"):
        return line
    words, plain = CHATTY[language], WORDS[language]
    if line == plain["yes"]:
        return words["yes"]
    if line == plain["no"]:
        return words["no"]
    if kind in ("practitioner", "which") and line == plain["anyone"]:
        return line
    if kind == "offer" and line not in plain["ordinals"] and not line.startswith(("celui de", "the ")):
        return line  # "plus tard", or the wish said again
    return words[kind].format(line) if kind in words else line
