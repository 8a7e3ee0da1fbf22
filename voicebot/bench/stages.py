"""Where the time of a reply goes, measured inside the server's pipeline (`voicebot bench voice`).

A pipecat observer per call follows each caller turn through the frames the pipeline's processors push, with
the pipeline clock's timestamps: the VAD's end of speech, the transcription, the end-of-turn decision, the
dialogue's first `TTSSpeakFrame`, the first synthesised audio, and the output transport's "bot started
speaking". `BenchCallHandler` is the gateway's usual pipeline handler with that observer added; with `stock` set,
it builds the calls on pipecat's stock parts instead (`voicebot.bench.baseline`, `--baseline`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    UserStoppedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.transports.websocket.fastapi import FastAPIWebsocketTransport

from dialogue.port import BookingPort
from telephony.twilio.call import TwilioCall
from voicebot.phone.twilio import PipelineCallHandler
from voicebot.pipeline.builder import VAD_STOP_SECS, CallPipeline, build_pipeline
from voicebot.pipeline.engines import Engines
from voicebot.settings import TwilioSettings

STAGES = (
    "end_of_turn",
    "recognition",
    "recognition_compute",
    "turn_and_text",
    "dialogue",
    "first_audio",
    "playout",
    "server_reply",
)
"""The intervals of `TurnStages`, in milliseconds."""


@dataclass(frozen=True)
class TurnStages:
    """One caller turn and the bot's reply, seen from the server (milliseconds)."""

    call_sid: str
    end_of_turn: float
    """VAD end of speech to the turn strategy's `UserStoppedSpeakingFrame` (its patience for this answer)."""
    recognition: float
    """VAD end of speech to the transcription (Whisper runs during the end-of-turn wait, queued behind others)."""
    recognition_compute: float
    """Whisper's own compute time for the last segment."""
    turn_and_text: float
    """VAD end of speech to the later of the two above: when the dialogue can step. The VAD's `stop_secs`,
    this, `dialogue`, `first_audio` and `playout` add up to `server_reply`."""
    dialogue: float
    """The turn over and its text known, to the dialogue's first `TTSSpeakFrame` (the step, database included)."""
    first_audio: float
    """`TTSSpeakFrame` to the first synthesised audio frame (cached prompts come at once)."""
    playout: float
    """First audio frame to the output transport's "bot started speaking" (audio sent on the socket)."""
    server_reply: float
    """The caller's end of speech (VAD stop minus its `stop_secs`) to "bot started speaking"."""


class StageObserver(BaseObserver):
    """Follows one call's turns and hands each finished reply's `TurnStages` to `sink`.

    Args:
        call_sid: The call, named in each record.
        sink: Receives each turn's record.
        vad_stop_secs: The VAD's silence before it reports the end of speech (when its frame does not say).
    """

    def __init__(self, call_sid: str, sink: Callable[[TurnStages], None], vad_stop_secs: float) -> None:
        super().__init__(observe_every_push=False)
        self.call_sid = call_sid
        self.sink = sink
        self.vad_stop_secs = vad_stop_secs
        self._reset()

    def _reset(self) -> None:
        self._vad_stop: float | None = None
        self._transcript: float | None = None
        self._compute: float = 0.0
        self._turn_end: float | None = None
        self._speak: float | None = None
        self._audio: float | None = None
        self._stop_secs = self.vad_stop_secs

    async def on_push_frame(self, data: FramePushed) -> None:
        """Note the moments of the turn under way (first push of each frame only)."""
        frame, now = data.frame, data.timestamp / 1e9
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            self._reset()  # a new segment: the turn's end is the last one's
            self._vad_stop = now
            self._stop_secs = frame.stop_secs or self.vad_stop_secs
        elif self._vad_stop is None:
            return
        elif isinstance(frame, TranscriptionFrame) and self._transcript is None:
            self._transcript = now
            self._compute = float(getattr(frame.result, "seconds", 0.0) or 0.0)
        elif isinstance(frame, UserStoppedSpeakingFrame) and self._turn_end is None:
            self._turn_end = now
        elif isinstance(frame, TTSSpeakFrame) and self._turn_end is not None and self._speak is None:
            self._speak = now
        elif isinstance(frame, TTSAudioRawFrame) and self._speak is not None and self._audio is None:
            self._audio = now
        elif isinstance(frame, BotStartedSpeakingFrame) and self._audio is not None:
            self.sink(self._record(now))
            self._reset()

    def _record(self, bot_started: float) -> TurnStages:
        assert self._vad_stop is not None and self._turn_end is not None
        assert self._speak is not None and self._audio is not None
        heard = max(self._turn_end, self._transcript or self._turn_end)

        def ms(seconds: float) -> float:
            return round(seconds * 1000, 1)

        return TurnStages(
            call_sid=self.call_sid,
            end_of_turn=ms(self._turn_end - self._vad_stop),
            recognition=ms((self._transcript or self._vad_stop) - self._vad_stop),
            recognition_compute=ms(self._compute),
            turn_and_text=ms(heard - self._vad_stop),
            dialogue=ms(self._speak - heard),
            first_audio=ms(self._audio - self._speak),
            playout=ms(bot_started - self._audio),
            server_reply=ms(bot_started - self._vad_stop + self._stop_secs),
        )


class BenchCallHandler(PipelineCallHandler):
    """`PipelineCallHandler` whose pipelines carry a `StageObserver`; the records go to `turns`, each pipeline's
    construction time (the stock one loads its models then) to `build_seconds`. `stock`: the next calls are built
    of pipecat's stock parts (`voicebot.bench.baseline.build_stock_pipeline`).

    Args:
        settings: As `PipelineCallHandler`.
        port: As `PipelineCallHandler`.
        clock: As `PipelineCallHandler`.
        engines: As `PipelineCallHandler`.
        vad_stop_secs: The pipeline's VAD stop (passed to `build_pipeline`).
    """

    def __init__(
        self,
        settings: TwilioSettings,
        port: BookingPort,
        clock: Callable[[], datetime],
        engines: Engines,
        *,
        vad_stop_secs: float = VAD_STOP_SECS,
    ) -> None:
        super().__init__(settings, port, clock, engines)
        self.vad_stop_secs = vad_stop_secs
        self.turns: list[TurnStages] = []
        self.build_seconds: list[float] = []
        self.stock = False

    def build(self, call: TwilioCall, transport: FastAPIWebsocketTransport) -> CallPipeline:
        """The usual call pipeline (or the stock one), observed."""
        started = time.perf_counter()
        try:
            return self._build(call, transport)
        finally:
            self.build_seconds.append(time.perf_counter() - started)

    def _build(self, call: TwilioCall, transport: FastAPIWebsocketTransport) -> CallPipeline:
        async def transfer(target: str) -> None:
            await call.transfer(target)

        if self.stock:
            from voicebot.bench.baseline import STOCK_VAD_STOP_SECS, build_stock_pipeline

            observer = StageObserver(call.call_sid, self.turns.append, STOCK_VAD_STOP_SECS)
            return build_stock_pipeline(
                transport,
                self.port,
                self.clock,
                self.locale,
                call.caller,
                on_transfer=transfer,
                observers=[observer],
            )
        observer = StageObserver(call.call_sid, self.turns.append, self.vad_stop_secs)
        return build_pipeline(
            transport,
            self.engines(),
            self.port,
            self.clock,
            self.locale,
            call.caller,
            on_transfer=transfer,
            vad_stop_secs=self.vad_stop_secs,
            observers=[observer],
            **self.pipeline_options,
        )
