"""The data notice stays short: at most 8 s of French audio in the voice the bot speaks on calls (issue 11).

Measured in the agent's French voice (`synthesizer_for("fr")`: Kokoro ff_siwis, or a French Piper voice when one
was fetched), with the pauses the bot leaves between its sentences. Needs `voicebot models install`.
"""

from __future__ import annotations

import pytest

from dialogue.wording.phrases import load_phrases
from voicebot.speech.tts import synthesizer_for

pytestmark = pytest.mark.models
LONGEST_SECONDS = 8.0


def test_the_french_notice_lasts_at_most_eight_seconds() -> None:
    notice = load_phrases("fr").get("greeting.notice")
    voice = synthesizer_for("fr", noise=False)
    audio = voice.synthesize(notice)
    print(f"\nfrench notice: {audio.seconds:.2f} s in {type(voice).__name__} ({notice})")
    assert audio.pcm and audio.sample_rate == voice.sample_rate
    assert 2.0 < audio.seconds <= LONGEST_SECONDS, f"{audio.seconds:.2f} s: {notice}"
