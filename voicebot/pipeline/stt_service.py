"""Speech recognition in the pipeline: pipecat's segmented STT over the process's shared `Recognizer`.

The VAD cuts the caller's speech into segments; each segment (16 kHz int16 PCM) is transcribed in a worker
thread with a decoder prompt biased toward what the dialogue expects next (`CallHints`), so the event loop
keeps serving audio while Whisper works. The `TranscriptionFrame` carries the `Transcript` as its `result`
(the dialogue adapter reads its confidence).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Protocol

from loguru import logger
from pipecat.frames.frames import ErrorFrame, Frame, TranscriptionFrame
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from voicebot.pipeline.dialogue_processor import CallHints
from voicebot.speech.expect import expectation_prompt
from voicebot.speech.stt import Transcript

STT_SAMPLE_RATE = 16000
"""Whisper's rate, and the pipeline's input rate (8 kHz audio into Whisper gives garbage)."""


class SpeechRecognizer(Protocol):
    """What the service needs of `voicebot.speech.stt.Recognizer`."""

    def transcribe(self, pcm: bytes, language: str, prompt: str | None = None, hotwords: Sequence[str] = (), *,
                   sample_rate: int = STT_SAMPLE_RATE) -> Transcript:
        """Transcribe one caller turn (blocking)."""
        ...


class RecognizerSTTService(SegmentedSTTService):
    """Transcribes VAD segments with a shared recognizer, off the event loop.

    Args:
        recognizer: The process's recognizer (never loaded per call).
        language: "fr" or "en".
        hints: The call's expectation hints, read at each segment.
        vocabulary: Words of the practice worth biasing toward (practitioners, motifs).
        sample_rate: Input rate; the pipeline should deliver 16 kHz.
        ttfs_p99_latency: Seconds from the end of speech to the transcript, worst case (the turn strategy's
            safety net; a finalized transcript ends the wait earlier).
        **kwargs: Passed to `SegmentedSTTService`.
    """

    def __init__(self, recognizer: SpeechRecognizer, *, language: str, hints: CallHints | None = None,
                 vocabulary: Sequence[str] = (), sample_rate: int = STT_SAMPLE_RATE, ttfs_p99_latency: float = 1.5,
                 **kwargs: Any) -> None:
        super().__init__(sample_rate=sample_rate, settings=STTSettings(model=None, language=language),
                         ttfs_p99_latency=ttfs_p99_latency, **kwargs)
        self._recognizer = recognizer
        self._language = language
        self.hints = hints if hints is not None else CallHints()
        self._vocabulary = list(vocabulary)
        self.transcripts: list[Transcript] = []
        """Every transcript of the call, in order (for timing and diagnostics)."""

    @property
    def wants_wav_segments(self) -> bool:
        """Segments arrive as raw 16-bit PCM: the recognizer reads it directly."""
        return False

    def can_generate_metrics(self) -> bool:
        """Processing time is measured."""
        return True

    def prompt(self) -> str | None:
        """The decoder prompt for the next segment, from the current hints."""
        expect = self.hints.expect.value if self.hints.expect is not None else None
        return expectation_prompt(expect, self._language, self._vocabulary, self.hints.question)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        """Transcribe one segment in a worker thread; yield its transcription when anything was said."""
        await self.start_processing_metrics()
        try:
            transcript = await asyncio.to_thread(
                self._recognizer.transcribe, audio, self._language, self.prompt(), sample_rate=self.sample_rate)
        except Exception as error:
            logger.exception(f"{self}: recognition failed")
            yield ErrorFrame(error=f"recognition failed: {error}")
            return
        finally:
            await self.stop_processing_metrics()
        self.transcripts.append(transcript)
        logger.debug(f"{self}: heard {transcript.text!r} in {transcript.seconds:.2f} s")
        if transcript.text:
            frame = TranscriptionFrame(transcript.text, self._user_id, time_now_iso8601(), Language(self._language),
                                       result=transcript, finalized=True)  # one transcript per segment
            # The transcription itself starts the caller's turn (`MinWordsUserTurnStartStrategy`), and that
            # start broadcasts an interruption: it must not drop this very text, still queued downstream.
            frame.interruptible = False
            yield frame
