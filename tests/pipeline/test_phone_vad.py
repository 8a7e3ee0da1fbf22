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


def quiet_after_voice(ulaw: bytes, end_soon: float | None) -> float:
    """Seconds of audio after the voice stopped (the VAD's "stopping") until it reports the end of speech;
    `end_soon` is called as soon as the pause begins when given."""

    async def run() -> float:
        resampler, vad = create_stream_resampler(), phone_vad(0.5)
        vad.set_sample_rate(16000)
        state, stopping_at = VADState.QUIET, None
        for at in range(0, len(ulaw) - FRAME + 1, FRAME):
            pcm = await resampler.resample(ulaw_decode(ulaw[at : at + FRAME]), 8000, 16000)
            new = vad._run_analyzer(pcm)
            if new is VADState.STOPPING and stopping_at is None:
                stopping_at = at
                if end_soon is not None:
                    vad.end_soon(end_soon)
            if new is VADState.SPEAKING:
                stopping_at = None
            if new is VADState.QUIET and state is not VADState.QUIET and stopping_at is not None:
                await vad.cleanup()
                return (at - stopping_at) / 8000
            state = new
        await vad.cleanup()
        raise AssertionError("the VAD never reported the end of speech")

    return asyncio.run(run())


def test_a_pause_ended_soon_reports_the_end_of_speech_earlier_then_the_next_waits_as_usual() -> None:
    said = SECOND + recording("8") + 2 * SECOND
    usual, soon = quiet_after_voice(said, None), quiet_after_voice(said, 0.25)
    assert 0.45 <= usual <= 0.6
    assert 0.2 <= soon <= 0.32  # counted in 32 ms analysis windows of audio, not in wall-clock time

    async def twice() -> list[float]:
        resampler, vad = create_stream_resampler(), phone_vad(0.5)
        vad.set_sample_rate(16000)
        ulaw, state, stopping_at, pauses, shortened = said + said, VADState.QUIET, 0, [], False
        for at in range(0, len(ulaw) - FRAME + 1, FRAME):
            new = vad._run_analyzer(await resampler.resample(ulaw_decode(ulaw[at : at + FRAME]), 8000, 16000))
            if new is VADState.STOPPING and state is not VADState.STOPPING:
                stopping_at = at
                if not shortened:
                    vad.end_soon(0.25)
                    shortened = True
            if new is VADState.QUIET and state is VADState.STOPPING:
                pauses.append((at - stopping_at) / 8000)
            state = new
        await vad.cleanup()
        return pauses

    first, second = asyncio.run(twice())
    assert first < 0.35 and second >= 0.45
