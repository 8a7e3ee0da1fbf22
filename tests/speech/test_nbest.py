"""The recognizer's n-best: beam hypotheses, best first, and when a transcript counts as unsure.

Rates over many turns (n-best oracle, cost of the beam): bench/recognition.md (scripts/eval_candidates.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.speech.shared import recognizer
from tests.speech.test_candidates import on_the_line
from voicebot.speech.audio import WHISPER_RATE
from voicebot.speech.candidates import comparable
from voicebot.speech.stt import UNSURE_LOGPROB, UNSURE_MARGIN, Transcript


def transcript(margin: float | None, avg_logprob: float = -0.2, candidate: str | None = None) -> Transcript:
    return Transcript(
        "Mardi.", avg_logprob, 0.01, 0.1, 1.0, alternatives=("Marty.",), margin=margin, candidate=candidate
    )


def test_a_close_second_hypothesis_makes_a_transcript_unsure() -> None:
    assert transcript(UNSURE_MARGIN / 2).unsure
    assert not transcript(UNSURE_MARGIN * 2).unsure
    assert not transcript(None).unsure
    assert transcript(None, avg_logprob=UNSURE_LOGPROB - 0.1).unsure
    assert not transcript(UNSURE_MARGIN / 2, candidate="mardi").unsure  # an expected answer clearly won
    assert not Transcript("", -2.0, 0.9, 0.1, 1.0).unsure


@pytest.mark.models
def test_a_turn_comes_with_its_other_hypotheses_best_first() -> None:
    audio = on_the_line("je voudrais annuler mon rendez-vous")
    heard = recognizer().transcribe(audio, "fr")
    assert "rendez-vous" in heard.text
    assert heard.alternatives, "the beam gave no other reading"
    keys = [comparable(t) for t in (heard.text, *heard.alternatives)]
    assert len(set(keys)) == len(keys) and all(keys)  # distinct readings, none empty
    assert heard.margin is not None and heard.margin >= 0


@pytest.mark.models
def test_greedy_decoding_and_silence_have_no_alternatives() -> None:
    shared = recognizer()
    audio = on_the_line("je voudrais annuler mon rendez-vous")
    beam = shared.beam_size
    shared.beam_size = 1
    try:
        greedy = shared.transcribe(audio, "fr")
    finally:
        shared.beam_size = beam
    assert "rendez-vous" in greedy.text and greedy.alternatives == () and greedy.margin is None
    silence = shared.transcribe(np.zeros(2 * WHISPER_RATE, dtype=np.float32), "fr", candidates=["oui", "non"])
    assert silence.text == "" and silence.alternatives == () and silence.candidate is None
