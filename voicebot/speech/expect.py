"""Expectation bias for recognition: a decoder prompt built from what the dialogue expects next.

Whisper reads its prompt as the transcript of what came just before. A prompt that looks like the question
just asked and a typical answer makes short, isolated answers ("mardi", "sept", "B") far likelier to come
out right. A few possible answers followed by the question works best (real French recordings of digits,
weekdays, months and letters: 43/73 right with the prompt, 30/73 without; see bench/recognition.md);
a prompt ending in a list invites Whisper to continue it ("mardi, mardi, mardi"). Pure functions; the expectation kinds
are the values of `dialogue.actions.ExpectKind`.
"""

from __future__ import annotations

from collections.abc import Sequence

EXPECT_KINDS = ("yes_no", "digits", "name", "date", "free", "spelling")

_FR_NUMBERS = (
    "zéro, un, deux, trois, quatre, cinq, six, sept, huit, neuf, dix, onze, douze, treize, quatorze, "
    "quinze, seize, vingt, trente, quarante, cinquante, soixante, soixante-dix, quatre-vingts, "
    "quatre-vingt-dix"
)
_EN_NUMBERS = (
    "zero, oh, one, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve, thirteen, "
    "fourteen, fifteen, sixteen, twenty, thirty, forty, fifty, sixty, seventy, eighty, ninety"
)
_FR_DATES = (
    "Les jours : lundi, mardi, mercredi, jeudi, vendredi, samedi, dimanche. Les mois : janvier, février, "
    "mars, avril, mai, juin, juillet, août, septembre, octobre, novembre, décembre."
)
_EN_DATES = (
    "The days: Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday. The months: January, "
    "February, March, April, May, June, July, August, September, October, November, December."
)

_PROMPTS: dict[str, dict[str, tuple[str, str]]] = {
    # (what the caller may say, as a short list; the default question, which ends the prompt)
    "fr": {
        "yes_no": ("Répondez par oui ou par non.", "C'est bien ça ?"),
        "digits": (f"Les chiffres : {_FR_NUMBERS}.", "Quel est votre numéro ?"),
        "date": (_FR_DATES, "Quel jour vous arrangerait ?"),
        "name": ("Jean Dupont. Marie Martin. Dupont : D, U, P, O, N, T.", "Quel est votre nom ?"),
        "spelling": ("Dupont : D, U, P, O, N, T.", "Épelez le nom, lettre par lettre."),
        "free": ("", "Que puis-je faire pour vous ?"),
    },
    "en": {
        "yes_no": ("Answer yes or no.", "Is that right?"),
        "digits": (f"The numbers: {_EN_NUMBERS}.", "What is your number?"),
        "date": (f"{_EN_DATES} The numbers: {_EN_NUMBERS}.", "Which day would suit you?"),
        "name": ("John Smith. Mary Jones. Smith: S, M, I, T, H.", "What is your name?"),
        "spelling": ("Smith: S, M, I, T, H.", "Spell the name, letter by letter."),
        "free": ("", "How can I help you?"),
    },
}
_VOCABULARY_LEAD = {"fr": "Au cabinet :", "en": "At the surgery:"}


def expectation_prompt(
    expect: str | None, language: str, vocabulary: Sequence[str] = (), question: str | None = None
) -> str | None:
    """The decoder prompt for the next caller turn.

    Args:
        expect: What the dialogue expects ("yes_no", "digits", "name", "date", "free", or "spelling");
            None or unknown: only the vocabulary and question are used.
        language: "fr" or "en" (other languages get only the vocabulary and question).
        vocabulary: Words the caller may use here: practitioner names, motifs (first ones win when long).
        question: What the agent just asked, if known; Whisper takes it as the preceding context.

    Returns:
        The prompt, or None when there is nothing to bias with.
    """
    choices, default_question = _PROMPTS.get(language, {}).get(expect or "", ("", ""))
    words = [w.strip() for w in vocabulary if w and w.strip()]
    parts = [choices]
    if words:
        parts.append(f"{_VOCABULARY_LEAD.get(language, '')} {', '.join(dict.fromkeys(words))}.".strip())
    # The prompt ends with a question: Whisper then expects a new answer, not more of a list it could continue
    parts.append((question or default_question).strip())
    prompt = " ".join(p for p in parts if p)
    return prompt[-800:] or None


def vocabulary_of(practitioners: Sequence[str] = (), motifs: Sequence[str] = (), locale: str = "fr") -> list[str]:
    """Words worth biasing toward in a practice: "docteur Martin", "Martin", motif labels.

    Args:
        practitioners: Last names (or "Dr Martin" style names) of the practice's practitioners.
        motifs: Motif labels and keywords.
        locale: "fr" or "en": how a doctor's title is said.
    """
    title = "docteur" if locale == "fr" else "Doctor"
    words: list[str] = []
    for name in practitioners:
        name = name.strip()
        if name:
            words.append(name if " " in name else f"{title} {name}")
    words.extend(m.strip() for m in motifs if m.strip())
    return list(dict.fromkeys(words))
