"""A surname spelled letter by letter through the phone line, read with the real Whisper base
(`voicebot.speech.spelling`): Whisper alone writes the letters as words; the common surnames near the name the
caller refused are scored on the audio, and one that clearly wins is written spelled."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from dialogue.understand.common_names import spelling_names
from dialogue.understand.names import parse_spelled
from tests.speech.shared import caller_speech, recognizer
from voicebot.speech.audio import phone_roundtrip
from voicebot.speech.expect import expectation_prompt
from voicebot.speech.stt import Transcript

QUESTION = "Pouvez-vous m'épeler le nom de famille, lettre par lettre ?"


def spelled_on_the_line(letters: str, refused: str) -> Transcript:
    """`letters` said by the French Kokoro caller through the line, at the spelling question after `refused`."""
    pcm, rate = caller_speech(letters, "ff_siwis", "fr")
    audio = phone_roundtrip(np.frombuffer(pcm, dtype="<i2"), rate)
    prompt = expectation_prompt("spelling", "fr", (), QUESTION)
    names = partial(spelling_names, refused=(refused,), locale="fr")
    return recognizer().transcribe(audio, "fr", prompt, spelled=names)


@pytest.mark.models
def test_a_common_surname_spelled_is_recovered_near_the_misheard_one() -> None:
    heard = spelled_on_the_line("L, A, M, B, E, R, T", refused="Marie Lombard")
    assert parse_spelled(heard.text, "fr") == "LAMBERT"
    assert heard.guessed and heard.candidate == heard.text  # said back spelled, so a "non" corrects it
    assert heard.alternatives and parse_spelled(heard.alternatives[0], "fr") != "LAMBERT"  # Whisper alone


@pytest.mark.models
def test_a_rare_surname_spelled_is_not_replaced_by_a_common_one() -> None:
    heard = spelled_on_the_line("K, E, R, B, R, A, T", refused="Solène Kerbra")
    assert not heard.guessed and heard.candidate is None
