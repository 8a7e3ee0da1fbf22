"""The simulated caller's ear over the phone line: the bot's words as Whisper wrote them on the caller's side
("que puis je faire pour vous.", "at 810am", "8.30 a.m.", "à 9h45", "mardi, le 1er"), respelled the way the
patient (`voicebot.bench.patient`, `voicebot.bench.offers`) reads the bot's own words, so that the simulated
caller understands what a person would, and the benchmark measures the bot, not the caller's transcription;
and `LineCall`, the caller's side of a call over the line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

from voicebot.bench.conversation import TIMEOUT_S, TURN_CAP, Call
from voicebot.bench.patient import Persona
from voicebot.bench.questions import QUESTIONS, classify

WAITS = 2
"""Bot turns in a row without a question that the caller waits through before answering anyway: a read-back
("Je récapitule :", the appointment, "C'est bien ça ?") can pause twice on busy cores. A question the caller's
ear misheard is waited through too, until the bot's no-input re-prompt 7 s later."""
PHRASES = tuple(dict.fromkeys(phrase for _kind, phrases in QUESTIONS for phrase in phrases))
"""The words the patient tells questions apart by."""
_DAYS = {
    "fr": "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche",
    "en": "monday|tuesday|wednesday|thursday|friday|saturday|sunday",
}
_MONTHS = {
    "fr": "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre",
    "en": "january|february|march|april|may|june|july|august|september|october|november|december",
}
_FR_PHRASES = (
    (re.compile(r"\bet (?:son|sont|sans) pr[ée]n\w*", re.IGNORECASE), "et son prénom"),  # "et sont prénents"
    (re.compile(r"\bse terminent par\b", re.IGNORECASE), "se termine par"),
)
"""Whisper's spellings of the bot's question words, as the patient reads them."""
_EN_MERIDIEM = re.compile(r"(\d)\s*([ap])\s*\.?\s*m\b\.?", re.IGNORECASE)
_EN_CLOCK = re.compile(r"\b(\d{1,2})[.,:]?(\d{2}) (am|pm)\b")
_FR_CLOCK = re.compile(r"\b(\d{1,2}) ?(?:heures?|h)(?: ?(\d{2})\b)?", re.IGNORECASE)


def fold(text: str) -> str:
    """`text` without case, accents, hyphens, apostrophes nor punctuation, for loose comparisons."""
    plain = "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def respell(text: str, language: str) -> str:
    """A bot line as the caller's ear wrote it, with its days and times in the bot's spelling, and the
    patient's phrases it holds loosely ("que puis je faire" for "que puis-je faire", missing accents) added
    at the end in the patient's spelling.
    """
    text = fixed = respell_times(text, language)
    for pattern, phrase in _FR_PHRASES if language == "fr" else ():
        fixed = pattern.sub(phrase, fixed)
    heard, folded = text.casefold(), f" {fold(fixed)} "
    missing = [p for p in PHRASES if p not in heard and f" {fold(p)} " in folded]
    return " ".join([text, *missing])


def respell_times(text: str, language: str) -> str:
    """Days and times as the bot writes them: "Tuesday the 1st of December at 8:10 am", "mardi 1er décembre à
    9 h 45" (Whisper writes "Tuesday, the 1st", "810am", "8.30 a.m.", "9h45", "mardi premier décembre").
    """
    days, months = _DAYS[language], _MONTHS[language]
    text = re.sub(rf"\b({days}),\s+", r"\1 ", text, flags=re.IGNORECASE)
    if language == "en":
        text = _EN_MERIDIEM.sub(lambda m: f"{m.group(1)} {m.group(2).lower()}m", text)
        return _EN_CLOCK.sub(r"\1:\2 \3", text)
    text = _fr_numbers(text)
    text = re.sub(r"\bje dis\b(?=[\s,]+(?:\d|premier|1er))", "jeudi", text, flags=re.IGNORECASE)  # "jeudi 3"
    text = re.sub(rf"\b({months})s\b", r"\1", text, flags=re.IGNORECASE)  # "4 décembres"
    text = re.sub(rf"\b({days}) (?:le )?(premier|1er|1)\s+({months})", r"\1 1er \3", text, flags=re.IGNORECASE)
    text = re.sub(rf"\b({days}) (?:de|deux) ({months})", r"\1 2 \2", text, flags=re.IGNORECASE)
    text = re.sub(rf"\b({days}) le (\d{{1,2}}) ({months})", r"\1 \2 \3", text, flags=re.IGNORECASE)
    text = re.sub(
        r"\b(\d{1,2}) ?(?:heures?|h) et (quart|demie?)\b",
        lambda m: f"{m.group(1)} h {'15' if m.group(2).casefold() == 'quart' else '30'}",
        text,
        flags=re.IGNORECASE,
    )
    # "9,40", "14.30", "9,30h", "11, 15h", "8 h45", "10 heures 15": Whisper's ways of writing "9 h 40"
    text = re.sub(r"\b(\d{1,2})(?:[.,] ?| ?(?:heures?|h) ?)(\d{2})(?: ?h\b)?", r"\1 h \2", text, flags=re.IGNORECASE)
    text = _FR_CLOCK.sub(lambda m: f"{m.group(1)} h" + (f" {m.group(2)}" if m.group(2) else ""), text)
    text = re.sub(r"(?:\ba|à) (?=\d{1,2} h\b)", "à ", text)  # "a 8 h": the accent lost
    text = re.sub(rf"\b({months}),? (?=\d{{1,2}} h\b)", r"\1 à ", text, flags=re.IGNORECASE)  # "4 décembre 9 h"
    # A practice is not open at 1 h 30: "1h30" is Whisper's "13 h 30"
    return re.sub(r"\bà ([1-6]) h\b", lambda m: f"à {int(m.group(1)) + 12} h", text)


_FR_UNITS = "un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize".split()
_FR_NUMBERS = {word: str(n) for n, word in enumerate(_FR_UNITS, start=1)} | {
    "une": "1",
    "dix-sept": "17",
    "dix-huit": "18",
    "dix-neuf": "19",
    "vingt": "20",
    "vingt-cinq": "25",
    "trente": "30",
    "trente-cinq": "35",
    "quarante": "40",
    "quarante-cinq": "45",
    "quarente-cinq": "45",
    "cinquante": "50",
    "cinquante-cinq": "55",
}
_FR_NUMBER = "|".join(sorted(_FR_NUMBERS, key=len, reverse=True))
_FR_WORD_CLOCK = re.compile(
    rf"\b(?:h?)({_FR_NUMBER})[ -]?(?:heures?|eures?|eurs?|h)\b(?: (?:et )?({_FR_NUMBER}|quart|demie?)\b)?",
    re.IGNORECASE,
)
_FR_WORD_DAY = re.compile(rf"\b({_FR_NUMBER}) (?=(?:{_MONTHS['fr']})\b)", re.IGNORECASE)


def _fr_numbers(text: str) -> str:
    """Times and days in words as digits: "huit heures trente" (also Whisper's "hhuiteurs trente") is "8 h 30",
    "neuf heures et quart" "9 h 15", "quatre décembre" "4 décembre".
    """

    def clock(match: re.Match[str]) -> str:
        hour, minutes = _FR_NUMBERS[match.group(1).casefold()], (match.group(2) or "").casefold()
        minute = {"quart": "15", "demi": "30", "demie": "30"}.get(minutes) or _FR_NUMBERS.get(minutes, "")
        return f"{hour} h {int(minute):02d}" if minute else f"{hour} h"

    text = _FR_WORD_CLOCK.sub(clock, text)
    return _FR_WORD_DAY.sub(lambda m: f"{_FR_NUMBERS[m.group(1).casefold()]} ", text)


class LineCall(Call):
    """`Call` for the phone line, where the caller hears the bot's turns as the line cuts them and as Whisper
    writes them: the patient reads each line respelled (`voicebot.bench.ear.respell`), and a turn with no
    question that the caller cannot place (the bot paused between two sentences, "Très bien." before a search)
    is waited through in silence, up to `WAITS` turns in a row; a wait is not a caller turn. The transcript
    keeps the lines as heard.
    """

    def __init__(
        self,
        persona: Persona,
        today: date,
        *,
        turn_cap: int = TURN_CAP,
        timeout_s: float = TIMEOUT_S,
        send: Callable[[str], str] = lambda line: line,
    ) -> None:
        super().__init__(persona, today, turn_cap=turn_cap, timeout_s=timeout_s)
        self.waits = 0
        self.send = send
        """The caller line sent for the patient's line (`CallerLines.line`: a WAV spoken beforehand)."""

    def understood(self, says: list[str]) -> list[str]:
        """The lines respelled."""
        return [respell(text, self.patient.persona.language) for text in says]

    def hear(self, messages: list[dict[str, Any]]) -> str | None:
        """As `Call.hear`, with the waits."""
        listen = bool(messages) and messages[-1]["type"] == "listen"
        if listen and self._waits(messages[:-1]):
            super().hear(messages[:-1])
            self.waits += 1
            self.transcript.append("[caller waits: no question heard]")
            return "silence"
        self.waits = 0 if listen else self.waits
        answer = super().hear(messages)
        return None if answer is None else self.send(answer)

    def _waits(self, before: list[dict[str, Any]]) -> bool:
        says = self.understood(self.says + [m["text"] for m in before if m["type"] == "say"])
        text = " ".join(says).strip()
        return bool(text) and "?" not in text and self.waits < WAITS and classify(says, None) == "unknown"
