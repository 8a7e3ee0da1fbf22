"""The whole pipeline with the real models: a synthesized caller sentence in, the bot's spoken answer out."""

from __future__ import annotations

import asyncio
from datetime import datetime

import numpy as np
import pytest
from pipecat.frames.frames import Frame, InputAudioRawFrame, TranscriptionFrame, TTSAudioRawFrame
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.filters.identity_filter import IdentityFilter
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.transports.base_transport import BaseTransport

from booking.service import BookingService
from voicebot.pipeline import build_pipeline, shared_engines
from voicebot.speech.audio import resample, to_float32, to_int16

pytestmark = pytest.mark.models


class LoopbackTransport(BaseTransport):
    """Input and output are plain pass-through processors: the test feeds and reads the frames itself."""

    def __init__(self) -> None:
        super().__init__()
        self._input = IdentityFilter(name="test-input")
        self._output = IdentityFilter(name="test-output")

    def input(self) -> FrameProcessor:
        return self._input

    def output(self) -> FrameProcessor:
        return self._output


def caller_audio(text: str) -> list[Frame]:
    """`text` spoken by the English voice, as 20 ms frames of 16 kHz audio, then two seconds of silence."""
    voice = shared_engines().synthesizer("en")
    pcm = b"".join(chunk.pcm for chunk in voice.stream(text))
    samples = resample(to_float32(pcm), voice.sample_rate, 16000)
    samples = np.concatenate([np.zeros(8000, np.float32), samples, np.zeros(32000, np.float32)])
    data = to_int16(samples).tobytes()
    frames: list[Frame] = []
    for start in range(0, len(data) - 639, 640):
        frames += [InputAudioRawFrame(data[start : start + 640], 16000, 1), SleepFrame(0.01)]
    return frames


def test_bot_answers_a_spoken_request(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    call = build_pipeline(LoopbackTransport(), shared_engines(), service, lambda: now, "en", "+447700900555")
    frames = [
        SleepFrame(0.5),
        *caller_audio("I'd like to see Doctor Patel on Tuesday morning for a flu jab."),
        SleepFrame(4.0),
    ]
    params = PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=8000)
    down, _ = asyncio.run(run_test(call.pipeline, frames_to_send=frames, pipeline_params=params, start_timeout=15.0))
    heard = [f.text for f in down if isinstance(f, TranscriptionFrame)]
    caller = [text for who, text in call.dialogue.transcript if who == "caller"]
    bot = [text for who, text in call.dialogue.transcript if who == "bot"]
    assert caller, f"no caller turn reached the dialogue (transcriptions: {heard})"
    assert "patel" in caller[0].lower()
    assert any("Tuesday" in line for line in bot), bot
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert audio and {f.sample_rate for f in audio} == {8000}
    assert sum(len(f.audio) for f in audio) / 2 / 8000 > 3.0  # the greeting and the answer were synthesised
