"""The tests' speech, the same on every run and loaded once per test process.

- `recognizer()`: one Whisper model for every test module of the process (loading it costs about a second).
- `caller_speech(text, voice, locale)`: a simulated caller's line in a Kokoro voice, synthesised once per
  process and replayed. Kokoro draws no noise: the same text gives the same samples in every process.
- `quiet_piper()`: Piper's voices without their sampling noise (`PIPER_NOISE = False`) for the rest of the process,
  so the bot's lines are the same on every run too; tests/conftest.py calls it, and `voicebot serve` under
  test runs as `python -m tests.speech.quiet_voicebot` to do the same.
- `heard(text, words, at_least)`: whether a transcript holds enough of the words that matter, so that one
  misheard word (Whisper base wrote "Docker Patel", "please call bat") does not fail a test that still
  proves the speech got through.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voicebot.simulate.caller_audio import KokoroVoice
    from voicebot.speech.stt import Recognizer

_lock = threading.Lock()
_speech: dict[tuple[str, str, str], tuple[bytes, int]] = {}


@functools.cache
def recognizer() -> Recognizer:
    """The process's Whisper base recognizer, warmed up."""
    from voicebot.speech.stt import Recognizer

    shared = Recognizer()
    shared.warm_up()
    return shared


@functools.cache
def kokoro_voice(voice: str, locale: str) -> KokoroVoice:
    """The simulated caller's voice `voice` speaking `locale`, loaded once."""
    from voicebot.simulate.caller_audio import KokoroVoice

    return KokoroVoice(voice, locale)


def caller_speech(text: str, voice: str, locale: str) -> tuple[bytes, int]:
    """`text` in the Kokoro voice `voice` (mono int16 PCM, its rate), synthesised once per process."""
    key = (voice, locale, text)
    with _lock:
        if key not in _speech:
            _speech[key] = kokoro_voice(voice, locale).speak(text)
        return _speech[key]


def quiet_piper() -> None:
    """Make every Piper voice built from now on in this process synthesise without noise (`noise=False`)."""
    from voicebot.speech import tts

    tts.PIPER_NOISE = False


def words(text: str) -> list[str]:
    """The lower-cased words of a transcript, without punctuation."""
    return re.findall(r"[\w']+", text.lower())


def heard(text: str, expected: Sequence[str], at_least: int) -> bool:
    """Whether at least `at_least` of the `expected` words (lower case) are words of `text`.

    A word matches a word of the transcript that starts with it ("patel" matches "patel's"), so plurals and
    possessives count; a word Whisper misheard ("bat" for "back") does not.
    """
    said = words(text)
    found = sum(1 for word in expected if any(w.startswith(word) for w in said))
    return found >= at_least
