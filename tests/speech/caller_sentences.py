"""Synthesized callers: what they say, in which voice, at which question, and what the dialogue must get out of it.

Each row is one caller turn. `asked` names the question it answers (`ASKED` gives the dialogue's expectation
kind there and the question's phrase key: the recognizer is prompted with both, as the pipeline does), `want`
the entities the dialogue's understanding must extract from the recognized text, nothing more and nothing
less. Entities:

| key | value | read by |
|---|---|---|
| `task` | "book", "cancel", "move", "info_hours", "info_address" | `on_open`: `detect_intent`, else a booking wish |
| `practitioner` | one id, or a tuple of ids when ambiguous | `absorb` (`match_practitioner`) |
| `anyone` | True | `absorb` ("n'importe lequel") |
| `specialty` | the roster's specialty, when several share it | `absorb` |
| `motif` | a motif id | `absorb` (`match_motif`) |
| `day` / `days` | a date, or (first, last) when a range | `absorb` (`parse_when`) |
| `time` | a wished time | `absorb` (`parse_when`) |
| `windows` | a tuple of `TimeWindow` | `absorb` (`parse_when`) |
| `asap` | True | `absorb` (`parse_when`) |
| `birth` | a date | `read_birth` |
| `name` | (first name or None, last name), compared without case or accents | `read_name` |
| `yes` | True or False | `yes_no` |
| `choice` | 0-based index into `OFFERED` | `parse_choice` |
| `phone` | E.164 | `parse_phone` |

Days are relative to the tests' frozen clock, Saturday 28 November 2026 at 10:00 in Paris (09:00 in London).
Names avoid those of the recognizer's name prompt ("Jean Dupont", "John Smith"): it would read them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from booking.slots import AFTERNOON, MORNING, TimeWindow
from dialogue.actions import ExpectKind


@dataclass(frozen=True)
class CallerVoice:
    """How a simulated caller sounds."""

    engine: str
    """"kokoro" or "piper"."""
    voice: str
    """The Kokoro voice vector or the Piper voice name."""
    speed: float = 1.0
    """Kokoro's speaking rate."""
    blend: tuple[str, float] | None = None
    """A second Kokoro voice mixed into `voice`, with its weight (a new speaker)."""


@dataclass(frozen=True)
class CallerSentence:
    """One caller turn and what the dialogue must understand from it."""

    text: str
    """What the caller says, written as Whisper would write it if it heard perfectly ("Doctor", not "Dr"; the
    synthesizer spells numbers out)."""
    asked: str
    """The question answered: a key of `ASKED`."""
    want: Mapping[str, object]
    """The entities the dialogue must extract (see the module's table)."""
    voice: str
    """A key of `VOICES[language]`."""
    gap: str = ""
    """Why the dialogue misreads even the written sentence today (an understanding gap, not a recognition
    error); empty when it reads it right."""


ASKED: dict[str, tuple[ExpectKind, str]] = {
    "open": (ExpectKind.FREE, "open.question"),
    "when": (ExpectKind.DATE, "when.question"),
    "practitioner": (ExpectKind.NAME, "practitioner.question"),
    "motif": (ExpectKind.FREE, "motif.question"),
    "birth": (ExpectKind.DATE, "identity.birth_question"),
    "name": (ExpectKind.NAME, "identity.name_question"),
    "yes_no": (ExpectKind.YES_NO, "confirm.question"),
    "offer": (ExpectKind.FREE, "offer.many_question"),
    "phone": (ExpectKind.DIGITS, "identity.phone_question"),
}
"""Question answered -> (what the dialogue expects there, the phrase key of the question it asked)."""

VOICES: dict[str, dict[str, CallerVoice]] = {
    "fr": {
        "siwis": CallerVoice("kokoro", "ff_siwis"),
        "siwis_fast": CallerVoice("kokoro", "ff_siwis", 1.2),
        # A lower voice: ff_siwis mixed with the male pm_alex. pm_alex alone reads French through espeak's phonemes
        # with a strong accent that garbles one sentence in two (bench/recognition.md: a stress figure, not a caller)
        "deep": CallerVoice("kokoro", "ff_siwis", blend=("pm_alex", 0.4)),
    },
    "en": {
        "joe": CallerVoice("piper", "en_US-joe-medium"),
        "heart": CallerVoice("kokoro", "af_heart"),
        "george": CallerVoice("kokoro", "bm_george", 1.1),
    },
}

PARIS, LONDON = ZoneInfo("Europe/Paris"), ZoneInfo("Europe/London")
OFFERED = {
    "fr": (
        datetime(2026, 12, 1, 9, 0, tzinfo=PARIS),
        datetime(2026, 12, 1, 10, 30, tzinfo=PARIS),
        datetime(2026, 12, 3, 14, 0, tzinfo=PARIS),
    ),
    "en": (
        datetime(2026, 12, 1, 9, 0, tzinfo=LONDON),
        datetime(2026, 12, 1, 10, 30, tzinfo=LONDON),
        datetime(2026, 12, 3, 14, 0, tzinfo=LONDON),
    ),
}
"""The slots just read out when `asked` is "offer": Tuesday 9:00 and 10:30, Thursday 14:00."""

NEXT_WEEK = (date(2026, 11, 30), date(2026, 12, 6))
LATE_MORNING, LATE_AFTERNOON = TimeWindow(time(10, 30), time(12)), TimeWindow(time(16), None)
TUE, WED, THU, FRI, MON, SUN = (
    date(2026, 12, 1),
    date(2026, 12, 2),
    date(2026, 12, 3),
    date(2026, 12, 4),
    date(2026, 11, 30),
    date(2026, 11, 29),
)

S = CallerSentence
SENTENCES: dict[str, list[CallerSentence]] = {
    "fr": [
        # The open question: a request, often with details
        S(
            "Je voudrais voir le docteur Martin mardi prochain vers 10 h.",
            "open",
            {"task": "book", "practitioner": "martin", "day": TUE, "time": time(10)},
            "siwis",
        ),
        S(
            "Bonjour, j'aimerais prendre rendez-vous avec le docteur Bernard.",
            "open",
            {"task": "book", "practitioner": "bernard", "motif": "consultation"},
            "deep",
        ),
        S("C'est pour un vaccin contre la grippe.", "open", {"task": "book", "motif": "vaccination"}, "siwis_fast"),
        S("Je voudrais annuler mon rendez-vous.", "open", {"task": "cancel"}, "siwis"),
        S("Il faudrait déplacer mon rendez-vous de jeudi.", "open", {"task": "move"}, "deep"),
        S(
            "Ma fille a de la fièvre, il faudrait qu'elle voie la pédiatre.",
            "open",
            {"task": "book", "practitioner": "bertrand", "motif": "pediatrie"},
            "siwis_fast",
        ),
        S(
            "Un rendez-vous avec la sage-femme le plus tôt possible.",
            "open",
            {"task": "book", "practitioner": "girard", "motif": "consultation", "asap": True},
            "siwis",
        ),
        S("Quels sont vos horaires d'ouverture ?", "open", {"task": "info_hours"}, "deep"),
        # "Quel jour vous arrangerait ?"
        S("Plutôt jeudi après-midi.", "when", {"day": THU, "windows": (AFTERNOON,)}, "siwis"),
        S("Demain matin si possible.", "when", {"day": SUN, "windows": (MORNING,)}, "deep"),
        S("Le 15 décembre vers 14 h 30.", "when", {"day": date(2026, 12, 15), "time": time(14, 30)}, "siwis_fast"),
        S("Lundi en fin de matinée.", "when", {"day": MON, "windows": (LATE_MORNING,)}, "siwis"),
        S("La semaine prochaine, n'importe quel jour.", "when", {"days": NEXT_WEEK}, "deep"),
        S("Vendredi à 9 h.", "when", {"day": FRI, "time": time(9)}, "siwis_fast"),
        S("Le plus tôt possible.", "when", {"asap": True}, "siwis"),
        S(
            "Mercredi 9 décembre dans l'après-midi.",
            "when",
            {"day": date(2026, 12, 9), "windows": (AFTERNOON,)},
            "deep",
        ),
        S("Pas avant 17 h.", "when", {"windows": (TimeWindow(time(17), None),)}, "siwis"),
        # "Avec quel praticien ?" and "C'est pour quel motif ?"
        S("Avec le docteur Bertrand.", "practitioner", {"practitioner": "bertrand"}, "deep"),
        S("Madame Girard, la sage-femme.", "practitioner", {"practitioner": "girard"}, "siwis_fast"),
        S("N'importe lequel, ça m'est égal.", "practitioner", {"anyone": True}, "siwis"),
        S("Pour un renouvellement d'ordonnance.", "motif", {"motif": "suivi"}, "deep"),
        S("Un frottis.", "motif", {"motif": "frottis"}, "siwis"),
        # The patient: birth date and name
        S("Le 3 février 1980.", "birth", {"birth": date(1980, 2, 3)}, "siwis"),
        S("Elle est née le 12 mars 1975.", "birth", {"birth": date(1975, 3, 12)}, "deep"),
        S("Le 25 décembre 2019.", "birth", {"birth": date(2019, 12, 25)}, "siwis_fast"),
        S("Marc Dubois.", "name", {"name": ("Marc", "Dubois")}, "siwis"),
        S("Je m'appelle Camille Rousseau.", "name", {"name": ("Camille", "Rousseau")}, "deep"),
        S("Isabelle Fontaine.", "name", {"name": ("Isabelle", "Fontaine")}, "siwis_fast"),
        # Read-back, slot choice, phone number
        S("Oui, c'est parfait.", "yes_no", {"yes": True}, "siwis"),
        S("Non, ce n'est pas ça.", "yes_no", {"yes": False}, "deep"),
        S("Le deuxième.", "offer", {"choice": 1}, "siwis_fast"),
        S("Celui de jeudi.", "offer", {"choice": 2}, "siwis"),
        S("06 12 34 56 78", "phone", {"phone": "+33612345678"}, "deep"),
    ],
    "en": [
        S(
            "I'd like to see Doctor Patel on Tuesday morning.",
            "open",
            {"task": "book", "practitioner": "patel", "day": TUE, "windows": (MORNING,)},
            "joe",
        ),
        S(
            "Can I book a flu jab with the nurse next week?",
            "open",
            {"task": "book", "practitioner": "okafor", "motif": "vaccination", "days": NEXT_WEEK},
            "heart",
        ),
        S("I need to cancel my appointment.", "open", {"task": "cancel"}, "george"),
        S("I'd like to move my appointment to another day.", "open", {"task": "move"}, "joe"),
        S("I need to book a smear test.", "open", {"task": "book", "motif": "smear"}, "heart"),
        S("What are your opening hours?", "open", {"task": "info_hours"}, "joe"),
        S(
            "Could I see Doctor Jones as soon as possible?",
            "open",
            {"task": "book", "practitioner": "jones", "asap": True},
            "george",
        ),
        S(
            "An appointment with Doctor Johnson on Friday at 10.",
            "open",
            {"task": "book", "practitioner": "johnson", "motif": "consultation", "day": FRI, "time": time(10)},
            "joe",
        ),
        S("Tuesday morning.", "when", {"day": TUE, "windows": (MORNING,)}, "heart"),
        S("Tomorrow afternoon, please.", "when", {"day": SUN, "windows": (AFTERNOON,)}, "joe"),
        S("Next Wednesday at half past two.", "when", {"day": WED, "time": time(14, 30)}, "george"),
        S("The 15th of December at 11 am.", "when", {"day": date(2026, 12, 15), "time": time(11)}, "joe"),
        S("Thursday, any time after 3 pm.", "when", {"day": THU, "windows": (TimeWindow(time(15), None),)}, "heart"),
        S("Monday, late in the afternoon.", "when", {"day": MON, "windows": (LATE_AFTERNOON,)}, "joe"),
        S("The earliest you have.", "when", {"asap": True}, "george"),
        S("Not before 10 o'clock.", "when", {"windows": (TimeWindow(time(10), None),)}, "joe"),
        S("Friday the 11th of December around noon.", "when", {"day": date(2026, 12, 11), "time": time(12)}, "heart"),
        S("Nurse Okafor, please.", "practitioner", {"practitioner": "okafor"}, "joe"),
        S("Doctor Patel.", "practitioner", {"practitioner": "patel"}, "george"),
        S("Anyone is fine.", "practitioner", {"anyone": True}, "joe"),
        S("It's for a medication review.", "motif", {"motif": "review"}, "heart"),
        S("A vaccination.", "motif", {"motif": "vaccination"}, "joe"),
        S("My date of birth is the 4th of July 1975.", "birth", {"birth": date(1975, 7, 4)}, "george"),
        S("The 21st of March 1990.", "birth", {"birth": date(1990, 3, 21)}, "joe"),
        S("November the 2nd, 1958.", "birth", {"birth": date(1958, 11, 2)}, "heart"),
        S("My name is Sarah Thompson.", "name", {"name": ("Sarah", "Thompson")}, "joe"),
        S("David Wilson.", "name", {"name": ("David", "Wilson")}, "george"),
        S("It's Emily Clarke.", "name", {"name": ("Emily", "Clarke")}, "heart"),
        S("Yes, that's right.", "yes_no", {"yes": True}, "joe"),
        S("No, that's wrong.", "yes_no", {"yes": False}, "george"),
        S("The second one.", "offer", {"choice": 1}, "joe"),
        S("The Thursday one, please.", "offer", {"choice": 2}, "heart"),
        S("Oh seven seven oh oh, nine oh oh, one two three.", "phone", {"phone": "+447700900123"}, "joe"),
    ],
}
