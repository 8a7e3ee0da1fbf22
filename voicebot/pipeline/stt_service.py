"""Speech recognition in the pipeline: pipecat's segmented STT over the process's shared `Recognizer`.

The VAD cuts the caller's speech into segments; each segment (16 kHz int16 PCM) is transcribed in a worker
thread with a decoder prompt biased toward what the dialogue expects next (`CallHints`), so the event loop
keeps serving audio while Whisper works. The `TranscriptionFrame` carries the `Transcript` as its `result`
(the dialogue adapter reads its confidence).

Early recognition: the VAD reports the end of speech after half a second of silence, and Whisper then needs
0.3 to 0.6 s more. When the caller has been quiet for `early_after` seconds (the VAD's own pause count), the
segment so far is transcribed at once, in the background; if the VAD then ends the segment without having heard
the voice again, that transcript is the segment's, ready or nearly. If the caller speaks again, it is dropped.
It only starts while the shared recognizer is idle, so busy servers do not pay for guesses, and the recognizer
refuses a guess that would still find a turn waiting (`SlotRefused`): the segment then takes the final path. A
dropped guess is not one of the segment's alternatives: it heard other audio (the segment without its end); a kept
guess is the segment's transcript, alternatives and all. A guess that finished while the caller stayed quiet is
handed to `on_early_transcript`, which may prepare the reply (`voicebot.pipeline.speculation`). When that guess
already is a complete answer to the question, the VAD ends the pause at `MEANING_STOP` (turn ends by meaning).

Each segment's recognition carries the time its turn ended as its priority: the turns of all calls take the shared
model oldest first (`voicebot.speech.fair_queue`).

The recognizer scores the answers the dialogue expects (`CallHints.answers`) against each segment. Each
transcription carries the number of its voice (`VOICE_METADATA`: the VAD starts counted in the call), so the
dialogue adapter knows whether its words barged in on the bot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from dialogue.actions import Detail, ExpectKind
from dialogue.understand.common_names import (
    corrected_names,
    nearby_first_names,
    nearby_names,
    sound_alike,
    spelling_names,
)
from dialogue.understand.names import same_name
from dialogue.understand.turn_end import complete_answer
from voicebot.pipeline.dialogue_processor import VOICE_METADATA, CallHints
from voicebot.speech.candidates import GUESS_MARGIN, GUESS_SLACK, Rule
from voicebot.speech.expect import expectation_prompt
from voicebot.speech.fair_queue import SlotRefused
from voicebot.speech.stt import Transcript

log = logging.getLogger(__name__)

NAME_RULE = Rule(GUESS_SLACK, GUESS_MARGIN, sound_alike)
"""At a name question, the common names near what was heard are scored too (`nearby_names`), more loosely:
the name taken is said back ("Chloé Petit, c'est noté"), and homophones ("Renaud", "Renault") are not rivals."""

MEANING_STOP = 0.3
"""Seconds of quiet that end the caller's turn when the early transcript already is a complete answer to the
question (`dialogue.understand.turn_end.complete_answer`: "oui", "le deuxième", "Jean Dupont", "mardi 8
décembre"), instead of the VAD's `stop_secs` (0.5 s): the bot answers 0.2 s sooner; digits, spellings and
unfinished phrases keep the full pause."""

STT_SAMPLE_RATE = 16000
"""Whisper's rate, and the pipeline's input rate (8 kHz audio into Whisper gives garbage)."""


class SpeechRecognizer(Protocol):
    """What the service needs of `voicebot.speech.stt.Recognizer`."""

    def transcribe(
        self,
        pcm: bytes,
        language: str,
        prompt: str | None = None,
        hotwords: Sequence[str] = (),
        *,
        sample_rate: int = STT_SAMPLE_RATE,
        candidates: Sequence[str] = (),
        nearby: Callable[[Sequence[str]], Sequence[str]] | None = None,
        rule: Rule | None = None,
        spelled: Callable[[Sequence[str]], Sequence[str]] | None = None,
        priority: float | None = None,
        early: bool = False,
    ) -> Transcript:
        """Transcribe one caller turn (blocking), scoring `candidates` (the expected answers), the `nearby`
        common names of a name heard and the `spelled` surnames of a spelling on its audio; turns wait oldest
        `priority` (`time.monotonic()` of the turn's end) first, and an `early` guess raises `SlotRefused`
        rather than wait.
        """
        ...


class SilenceGauge(Protocol):
    """What early recognition reads of the VAD (`voicebot.pipeline.vad.PhoneVADAnalyzer`)."""

    @property
    def silence_seconds(self) -> float:
        """Seconds since the voice stopped, while the VAD still counts the caller as speaking."""
        ...

    @property
    def speaking(self) -> bool:
        """Whether a voice is heard now."""
        ...

    def end_soon(self, quiet: float) -> None:
        """End the current pause as the end of speech once it lasts `quiet` seconds."""
        ...


@dataclass
class _Early:
    """A transcription started before the VAD's end of speech."""

    audio: bytes
    """The padded segment as it was when it started."""
    task: asyncio.Task[Transcript | None]
    """None when the recognizer refused the guess (or it failed, logged by pipecat's task manager)."""
    valid: bool = True
    """False once the caller spoke again: the segment goes on past this audio."""


def _without(
    heard: Sequence[str], guesses: Callable[[Sequence[str]], Sequence[str]], refused: Sequence[str]
) -> list[str]:
    """`guesses` of `heard` but those that are a refused name."""
    return [g for g in guesses(heard) if not any(same_name(g, name) for name in refused)]


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
        vad: The pipeline's VAD, read for early recognition; `None` turns it off.
        early_after: Seconds of the caller's silence before early recognition starts.
        **kwargs: Passed to `SegmentedSTTService`.
    """

    def __init__(
        self,
        recognizer: SpeechRecognizer,
        *,
        language: str,
        hints: CallHints | None = None,
        vocabulary: Sequence[str] = (),
        sample_rate: int = STT_SAMPLE_RATE,
        ttfs_p99_latency: float = 1.5,
        vad: SilenceGauge | None = None,
        early_after: float = 0.15,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            sample_rate=sample_rate,
            settings=STTSettings(model=None, language=language),
            ttfs_p99_latency=ttfs_p99_latency,
            **kwargs,
        )
        self._recognizer = recognizer
        self._language = language
        self.hints = hints if hints is not None else CallHints()
        self._vocabulary = list(vocabulary)
        self.transcripts: list[Transcript] = []
        """Every transcript of the call, in order (for timing and diagnostics)."""
        self._vad = vad
        self._early_after = early_after
        self._early: _Early | None = None
        self._ready: dict[int, _Early] = {}
        """Early transcripts taken as their segment's, by the id of the audio queued for it."""
        self.early_used = 0
        """Segments whose transcript was started before the VAD's end of speech (diagnostics)."""
        self.early_refused = 0
        """Early guesses the recognizer refused because a turn was waiting or being recognized (diagnostics)."""
        self.ended_by_meaning = 0
        """Pauses cut to `MEANING_STOP` because the early transcript was a complete answer (diagnostics)."""
        self._voices = 0
        self._queued_voices: deque[tuple[int, float]] = deque()
        """The voice number and end time (`time.monotonic()`) of each segment queued for recognition, in the
        queue's order."""
        self._recognizing = 0
        self.on_early_transcript: Callable[[Transcript], None] | None = None
        """Called (on the event loop) with each early transcript still valid: the caller has not spoken since."""

    @property
    def pending(self) -> int:
        """This call's segments waiting for the recogniser or being recognised (the server's metrics)."""
        return len(self._queued_voices) + self._recognizing

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

    def _nearby(self) -> Callable[[Sequence[str]], Sequence[str]] | None:
        """The common names to score on this turn: near a name asked for, or after the "non" of a correction
        of the name just said back; never a name refused (`CallHints.refused`).
        """
        language, refused = self._language, self.hints.refused
        if self.hints.guess is Detail.NAME:
            guesses = partial(nearby_names, locale=language)
        elif self.hints.guess is Detail.FIRST_NAME:
            guesses = partial(nearby_first_names, locale=language)
        elif self.hints.corrects is Detail.NAME:
            guesses = partial(corrected_names, locale=language, refused=refused)
        else:
            return None
        return partial(_without, guesses=guesses, refused=refused)

    def _spelled(self) -> Callable[[Sequence[str]], Sequence[str]] | None:
        """At the spelling question, the common surnames the caller may be spelling, from the turn's letter
        readings: near the names refused in the call, or written like the letters; None at other questions.
        """
        if self.hints.expect is not ExpectKind.SPELLING:
            return None
        return partial(spelling_names, refused=self.hints.refused, locale=self._language)

    def _transcribe(self, audio: bytes, priority: float | None = None, early: bool = False) -> Transcript:
        nearby = self._nearby()
        return self._recognizer.transcribe(
            audio,
            self._language,
            self.prompt(),
            sample_rate=self.sample_rate,
            candidates=self.hints.answers,
            nearby=nearby,
            rule=NAME_RULE if nearby is not None else None,
            spelled=self._spelled(),
            priority=priority,
            early=early,
        )

    async def _guess(self, audio: bytes) -> Transcript | None:
        """The early transcript of `audio`, or None when the recognizer refused the guess (counted, logged)."""
        try:
            return await asyncio.to_thread(self._transcribe, audio, early=True)
        except SlotRefused:
            self.early_refused += 1
            log.debug("%s: early recognition refused: a turn is waiting for the recognizer", self)
            return None

    async def process_audio_frame(self, frame: InputAudioRawFrame, direction: FrameDirection) -> None:
        """Buffer the caller's audio; start recognition early once the caller went quiet (see the module)."""
        await super().process_audio_frame(frame, direction)
        vad, early = self._vad, self._early
        if vad is None or not self._user_speaking:
            return
        if early is not None and early.valid:
            if vad.speaking:
                early.valid = False  # the caller goes on: this guess is not the segment
            return
        if vad.silence_seconds >= self._early_after and not getattr(self._recognizer, "busy", False):
            await self._drop_early()
            audio = bytes(self._audio_buffer) + self._trailing_silence()
            early = self._early = _Early(audio, self.create_task(self._guess(audio)))
            early.task.add_done_callback(partial(self._guessed, early))

    def _guessed(self, early: _Early, task: asyncio.Task[Transcript | None]) -> None:
        """Hand a finished guess to `on_early_transcript`, unless the caller spoke again since it started."""
        if task.cancelled() or task.exception() is not None:
            return
        transcript = task.result()
        if not early.valid or transcript is None or not transcript.text:
            return
        offered = transcript.candidate is not None and not transcript.guessed
        if self._vad is not None and complete_answer(
            transcript.text, self.hints.expect, self._language, offered=offered
        ):
            self._vad.end_soon(MEANING_STOP)  # a whole answer: the turn ends by its meaning (see MEANING_STOP)
            self.ended_by_meaning += 1
        if self.on_early_transcript is not None:
            self.on_early_transcript(transcript)

    async def _handle_user_started_speaking(self, frame: VADUserStartedSpeakingFrame) -> None:
        self._voices += 1
        await self._drop_early()
        await super()._handle_user_started_speaking(frame)

    async def _handle_user_stopped_speaking(self, frame: VADUserStoppedSpeakingFrame) -> None:
        early = self._early
        if early is None or not early.valid or not self.is_usable:
            await self._drop_early()
            if self.is_usable:  # the base queues the segment
                self._queued_voices.append((self._voices, time.monotonic()))
            await super()._handle_user_stopped_speaking(frame)
            return
        # The voice did not come back since the guess started: its audio is the segment (the rest is silence)
        self._user_speaking = False
        self._audio_buffer.clear()
        self._early = None
        self._ready[id(early.audio)] = early
        self.early_used += 1
        self._queued_voices.append((self._voices, time.monotonic()))
        await self._segment_queue.put(early.audio)

    async def _drop_early(self) -> None:
        early, self._early = self._early, None
        if early is None:
            return
        early.valid = False  # not the segment's: no one is told of it
        if not early.task.done():
            early.task.add_done_callback(lambda task: task.cancelled() or task.exception())  # no warning later

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        """Transcribe one segment in a worker thread (or take its early transcript, unless the recognizer refused
        the guess); yield its transcription when anything was said.
        """
        await self.start_processing_metrics()
        voice, ended = self._queued_voices.popleft() if self._queued_voices else (None, time.monotonic())
        early = self._ready.pop(id(audio), None)
        self._recognizing += 1
        try:
            transcript = None
            if early is not None and early.audio is audio:
                transcript = await early.task
                if transcript is None:  # no guess after all: the segment waits its turn as any other
                    self.early_used -= 1
            if transcript is None:
                transcript = await asyncio.to_thread(self._transcribe, audio, ended)
        except Exception as error:
            log.exception("%s: recognition failed", self)
            yield ErrorFrame(error=f"recognition failed: {error}")
            return
        finally:
            self._recognizing -= 1
            await self.stop_processing_metrics()
        self.transcripts.append(transcript)
        log.debug("%s: heard %r in %.2f s", self, transcript.text, transcript.seconds)
        if transcript.text:
            frame = TranscriptionFrame(
                transcript.text,
                self._user_id,
                time_now_iso8601(),
                Language(self._language),
                result=transcript,
                finalized=True,
            )  # one transcript per segment
            if voice is not None:
                frame.metadata[VOICE_METADATA] = voice
            # The transcription itself starts the caller's turn (`MinWordsUserTurnStartStrategy`), and that
            # start broadcasts an interruption: it must not drop this very text, still queued downstream.
            frame.interruptible = False
            yield frame
