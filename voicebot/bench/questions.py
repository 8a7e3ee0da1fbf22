"""What the simulated caller makes of the bot's words: the class of the question asked, and names compared by
their letters.
"""

from __future__ import annotations

import unicodedata

# Question classes, first match wins: (class, words of the question in French and English, casefolded).
QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("confirm", ("c'est bien ça", "is that right")),
    ("fix", ("que faut-il changer", "what should i change")),
    ("cancel_confirm", ("voulez-vous l'annuler", "would you like to cancel it")),
    ("pick", ("lequel voulez-vous", "which one would you like to")),
    ("retry", ("réessayer", "try again")),
    ("transfer", ("vous passe", "put you through")),
    ("known", ("déjà suivi", "registered here", "registered with the surgery")),
    ("alt_motif", ("proposer plutôt", "instead")),
    ("motif", ("quel motif", "autre motif", "what is the appointment for", "else would you like")),
    (
        "is_patient",
        ("le rendez-vous est-il pour", "is the appointment for", "la demande est-elle pour", "is the request for"),
    ),
    ("topic", ("à quel sujet", "what is it about", "what's it about")),
    ("phone_confirm", ("se termine par", "ending in")),
    ("phone", ("à quel numéro", "what number")),
    ("first_name", ("et son prénom", "and the first name")),
    ("name", ("prénom et le nom", "first name and surname")),
    (
        "spell",
        (
            "lettre par lettre",
            "épeler le nom",
            "letter by letter",
            "spell the surname for me",
            # the caller's Whisper on the line: "m'épler le nom de famille ? L'être par l'être."
            "l'être par l'être",
            "épler le nom",
            "lettres une à une",
        ),
    ),
    ("birth", ("date de naissance", "date of birth")),
    (
        "offer",
        (
            "préférez-vous",
            "vous convient",
            "choisissez-vous",
            "would you prefer",
            "would that suit you",
            "one would you",
        ),
    ),
    ("when", ("quel jour", "autre moment", "quel moment", "which day", "what other time", "when would you like")),
    ("practitioner", ("quel praticien", "who would you like to see")),
    ("more", ("autre chose", "anything else")),
    ("open", ("que puis-je faire", "how can i help", "je vous écoute", "i'm listening")),
)
BY_EXPECT = {"yes_no": "yes_no", "name": "name", "spelling": "spell", "date": "when", "digits": "phone", "free": "open"}


def classify(says: list[str], expect: str | None) -> str:
    """The question's class: from the bot's last words, the `expect` hint when the words are not known."""
    lines = [s.casefold() for s in says if s.strip()]
    for text in (lines[-1:], lines[-2:], lines):
        joined = " ".join(text)
        for kind, words in QUESTIONS:
            if any(word in joined for word in words):
                if kind == "motif" and expect == "date":
                    continue
                return kind
    last = lines[-1] if lines else ""
    if last.endswith("?") and (" ou " in last or " or " in last):
        return "which"
    return BY_EXPECT.get(expect or "", "unknown")


def letters(text: str) -> str:
    """Letters only, without case or accents: how alike two names sound, roughly."""
    plain = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in plain if c.isalpha() and not unicodedata.combining(c))
