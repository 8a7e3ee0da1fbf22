"""The phone VAD hears short answers wherever its analysis windows fall, and not the line's hiss.

Real recordings (Debian's `asterisk-core-sounds-fr-wav`: one speaker saying digits), sent as on a call: 8 kHz
mu-law in 20 ms frames, resampled to 16 kHz by pipecat's stream resampler, into the pipeline's VAD. "Huit"
(0.56 s) was heard at 2 of 8 offsets under pipecat's default volume gate.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from pipecat.audio.utils import create_stream_resampler
from pipecat.audio.vad.vad_analyzer import VADState

from telephony.g711 import ULAW_SILENCE, ulaw_decode, ulaw_encode
from voicebot.pipeline.vad import phone_vad
from voicebot.simulate.caller_audio import to_phone
from voicebot.simulate.human_speech import sounds_folder
from voicebot.speech.audio import int16_bytes, read_wav

FRAME = 160
"""20 ms of 8 kHz mu-law."""
SECOND = bytes([ULAW_SILENCE]) * 8000


def speech_starts(ulaw: bytes) -> int:
    """How many times the call's VAD reports the start of speech in `ulaw`, fed as the pipeline feeds it."""

    async def run() -> int:
        resampler, vad = create_stream_resampler(), phone_vad(0.5)
        vad.set_sample_rate(16000)
        state, starts = VADState.QUIET, 0
        for at in range(0, len(ulaw) - FRAME + 1, FRAME):
            pcm = await resampler.resample(ulaw_decode(ulaw[at : at + FRAME]), 8000, 16000)
            new = vad._run_analyzer(pcm)
            if new in (VADState.SPEAKING, VADState.QUIET) and new is not state:
                starts += new is VADState.SPEAKING
                state = new
        await vad.cleanup()
        return starts

    return asyncio.run(run())


def recording(name: str) -> bytes:
    folder = sounds_folder("fr")
    if folder is None:
        pytest.fail("apt-get install asterisk-core-sounds-fr-wav (.ci/run installs it)")
    samples, rate = read_wav(str(folder / "digits" / f"{name}.wav"))
    return to_phone(int16_bytes(samples), rate)


@pytest.mark.parametrize("word", ["6", "8", "10"])
def test_a_short_answer_is_heard_wherever_the_vad_windows_fall(word: str) -> None:
    said = recording(word)
    for offset_ms in range(0, 40, 5):
        assert speech_starts(SECOND + SECOND[: offset_ms * 8] + said + 2 * SECOND) == 1, offset_ms


def test_the_hiss_of_a_line_is_not_speech() -> None:
    hiss = np.random.default_rng(7).normal(0, 150, 8000 * 4).clip(-32768, 32767).astype("<i2")
    assert speech_starts(ulaw_encode(hiss.tobytes())) == 0
