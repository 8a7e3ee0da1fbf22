"""Speech synthesis in the pipeline: pipecat's TTS service over the process's shared synthesizer.

The synthesizer normalises the text, splits it into sentences and yields each sentence's audio as soon as it
is ready (cached sentences at once); each sentence is computed in a worker thread and resampled to the
transport's output rate by pipecat, so the first words play while the rest is still being synthesised.

A short lead-in ("Je récapitule :", "J'ai de la place", cached and ready at once) is held until the next
sentence is ready (`LEAD_IN_SECONDS`): played alone, it was followed by the seconds the long clause takes to
synthesise on busy cores, a pause in which callers answer (and a yes over the read-back has it read again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any, Protocol

from pipecat.frames.frames import ErrorFrame, Frame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService

from voicebot.speech.tts import AudioChunk

log = logging.getLogger(__name__)

LEAD_IN_SECONDS = 1.5
"""Audio shorter than this is not played before the next sentence is ready (unless it is the last)."""


class StreamingSynthesizer(Protocol):
    """What the service needs of `voicebot.speech.tts.CachingSynthesizer`."""

    sample_rate: int

    def stream(self, text: str) -> Iterator[AudioChunk]:
        """`text` sentence by sentence (blocking per sentence)."""
        ...


def _next_chunk(chunks: Iterator[AudioChunk]) -> AudioChunk | None:
    return next(chunks, None)


class SynthesizerTTSService(TTSService):
    """Speaks `TTSSpeakFrame`s with a shared synthesizer, one sentence at a time, off the event loop.

    Args:
        synthesizer: The process's synthesizer for the call's language (never loaded per call).
        **kwargs: Passed to `TTSService` (e.g. `sample_rate`; default: the transport's output rate).
    """

    def __init__(self, synthesizer: StreamingSynthesizer, **kwargs: Any) -> None:
        # pipecat ends a sentence that gives no audio for `stop_frame_timeout_s` (3 s by default) and, after a few,
        # gives up on the service: Kokoro on two busy cores may need longer for a long clause.
        kwargs.setdefault("stop_frame_timeout_s", 15.0)
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            settings=TTSSettings(model=None, voice=None, language=None),
            **kwargs,
        )
        self._synthesizer = synthesizer

    def can_generate_metrics(self) -> bool:
        """Time to first audio is measured."""
        return True

    async def _chunks(self, text: str) -> AsyncIterator[bytes]:
        chunks = self._synthesizer.stream(text)
        held = b""
        lead_in_bytes = int(LEAD_IN_SECONDS * self._synthesizer.sample_rate) * 2  # int16 mono
        while True:
            chunk = await asyncio.to_thread(_next_chunk, chunks)
            if chunk is None:
                if held:
                    yield held
                return
            held += chunk.pcm
            if len(held) >= lead_in_bytes:
                yield held
                held = b""

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        """Synthesise `text` sentence by sentence and yield audio frames at the output rate."""
        try:
            await self.start_tts_usage_metrics(text)
            async for frame in self._stream_audio_frames_from_iterator(
                self._chunks(text), in_sample_rate=self._synthesizer.sample_rate, context_id=context_id
            ):
                await self.stop_ttfb_metrics()
                yield frame
        except Exception as error:
            log.exception("%s: synthesis failed", self)
            yield ErrorFrame(error=f"synthesis failed: {error}")
        finally:
            await self.stop_ttfb_metrics()
