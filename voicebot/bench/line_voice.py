"""The caller's likely lines spoken beforehand, for `voicebot bench line`.

`voicebot call` synthesises a text line when the caller says it: on two busy cores a long opening takes seconds,
and past 7 s the bot re-prompts ("Je ne vous entends pas") while the caller has not yet spoken, which no real
caller makes it do. So the lines a persona will likely say (its opening, day, name, birth date, yes and no, the
ordinals…) are spoken by the same Kokoro voice before the call, kept as WAV files across calls, and sent as
`wav:PATH` lines; any other line is sent as text, synthesised by `voicebot call` as before.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.bench.talk import WORDS, chat_up

if TYPE_CHECKING:
    from voicebot.bench.patient import Persona
    from voicebot.simulate.caller_audio import KokoroVoice

TASKS = ("book", "cancel", "move")
PLAIN_VOICE = re.compile(r"[a-z]{2}_[a-z0-9]+")
"""A single Kokoro voice ("ff_siwis"); mixes and blends are left to `voicebot call`."""


def _chatty(persona: Persona, name: str) -> list[tuple[str, str]]:
    """The persona's answers a chatty caller wraps, with their question classes."""
    return [
        (persona.when, "when"),
        (persona.practitioner, "practitioner"),
        (persona.motif, "motif"),
        (name, "name"),
        (persona.birth, "birth"),
        (persona.phone, "phone"),
    ]


def expected_lines(persona: Persona) -> list[str]:
    """What this persona will likely say, as the patient words it (keys and silences left out)."""
    words = WORDS[persona.language]
    said = [
        persona.opening,
        persona.when,
        *persona.first_when,
        persona.practitioner,
        persona.motif,
        persona.which,
        persona.pick,
        persona.request,
        persona.fix_at_recap,
        f"{persona.first_name} {persona.last_name}",
        persona.first_name,
        persona.birth,
        persona.phone,
        *(f"{words['no']}, {wish}" for wish in (persona.when, persona.fix_at_recap, words["day"]) if wish),
        *(v for k, v in words.items() if isinstance(v, str) and (k not in TASKS or k == persona.task)),
        *words["ordinals"],
    ]
    if persona.chatty:
        language, name = persona.language, f"{persona.first_name} {persona.last_name}"
        said += [chat_up(line, kind, language) for line, kind in _chatty(persona, name) if line]
        said += [chat_up(str(words[key]), key, language) for key in ("yes", "no")]
        said += [chat_up(ordinal, "offer", language) for ordinal in words["ordinals"]]
    return [line for line in dict.fromkeys(said) if line and not line.startswith("dtmf:")]


class CallerLines:
    """Caller lines spoken beforehand, one WAV file per voice, language and text, kept in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._voices: dict[tuple[str, str], KokoroVoice] = {}
        self._paths: dict[tuple[str, str, str], Path] = {}

    def prepare(self, persona: Persona, voice: str) -> float:
        """Speak the persona's likely lines with `voice` (those not spoken yet); the seconds it took."""
        if not PLAIN_VOICE.fullmatch(voice):
            return 0.0
        from voicebot.simulate.caller_audio import KokoroVoice
        from voicebot.speech.audio import write_wav

        began = time.monotonic()
        language = persona.language
        if (voice, language) not in self._voices:
            self._voices[voice, language] = KokoroVoice(voice, language)
        for text in expected_lines(persona):
            key = (voice, language, text)
            if key not in self._paths:
                pcm, rate = self._voices[voice, language].speak(text)
                path = self.folder / f"caller-{len(self._paths)}.wav"
                write_wav(path, pcm, rate)
                self._paths[key] = path
        return time.monotonic() - began

    def line(self, text: str, voice: str, language: str) -> str:
        """The caller line to send for `text`: `wav:PATH` when it was spoken beforehand, else `text`."""
        path = self._paths.get((voice, language, text))
        return f"wav:{path}" if path is not None else text
