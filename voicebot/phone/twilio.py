"""The voice pipeline as the Twilio gateway's call handler.

`PipelineCallHandler` takes the media-stream websocket the gateway has validated (signature, token, `start`
read) and runs one call's pipecat pipeline on it: `FastAPIWebsocketTransport` with pipecat's
`TwilioFrameSerializer` (caller audio resampled to 16 kHz for recognition, the bot's audio sent as 8 kHz
mu-law), the process's shared speech engines, the booking service, the server's clock.

End of call, in order:

* the bot says goodbye: the dialogue waits until the goodbye was played out (`BotStoppedSpeakingFrame`: the
  output transport paces audio in real time, so little is left in Twilio's buffer), then ends the worker; the
  `EndFrame` drains the output and closes the socket, and only then is the call hung up through Twilio's REST
  API (`Status=completed`). The serializer's own `auto_hang_up` is off: it would also fire on a transfer (a
  `CancelFrame` or `EndFrame` after the redirect), hanging up the caller on the way to the staff phone;
* a transfer: the dialogue redirects the call (`call.transfer`) after its last words, then ends the worker;
* the caller hangs up or the socket vanishes: the transport's `on_client_disconnected` cancels the worker at
  once (the dialogue books nothing half-way), and no REST call is made;
* the server drains (`close`, on SIGTERM): the caller is no longer listened to (audio and keys dropped, the
  recogniser muted, so no half-heard answer reaches the dialogue), interruptible speech is cut, a short
  non-interruptible goodbye in the call's language is spoken after any non-interruptible prompt under way,
  and the worker ends like after the dialogue's own goodbye (`EndFrame` drains the audio, then the REST
  hang-up). The dialogue sees the end as the caller hanging up: nothing half-done is kept. Recorded `closed`;
* the handler's task is cancelled (server shutdown): the runner cancels the worker before the task ends.

Barge-in and muting live in the transport, `telephony.twilio.transport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.workers.runner import WorkerRunner

from dialogue.port import BookingPort
from telephony.errors import TelephonyError
from telephony.twilio.call import TwilioCall
from telephony.twilio.settings import TwilioSettings
from telephony.twilio.transport import CallTwilioSerializer, CallWebsocketTransport
from voicebot.phone.calls import CallRecord, call_outcome, closing_frames, closing_words, remember
from voicebot.pipeline.builder import CallPipeline, build_pipeline
from voicebot.pipeline.engines import Engines

log = logging.getLogger(__name__)

__all__ = ["PipelineCallHandler"]


class PipelineCallHandler:
    """Runs each Twilio call through the voice pipeline.

    Args:
        settings: The Twilio account, token and REST API root (hang-ups go there).
        port: The booking service.
        clock: The server's now (real or frozen).
        engines: The process's speech engines, or a function returning them (called once per call:
            `voicebot.pipeline.shared_engines`).
        locale: The calls' language; `None` = the practice's.
        keep: How many finished calls to remember in `finished`.
        pipeline_options: More keyword arguments for `build_pipeline` (VAD stop, barge-in words...).
    """

    takes_socket = True
    """The gateway hands over the websocket: pipecat's transport reads it."""

    def __init__(
        self,
        settings: TwilioSettings,
        port: BookingPort,
        clock: Callable[[], datetime],
        engines: Engines | Callable[[], Engines],
        *,
        locale: str | None = None,
        keep: int = 20,
        pipeline_options: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.port = port
        self.clock = clock
        self._engines = engines
        self.locale = locale
        self.keep = keep
        self.pipeline_options = dict(pipeline_options or {})
        self.finished: list[CallRecord] = []
        """The last `keep` calls, oldest first."""
        self.active: dict[str, CallPipeline] = {}
        """The calls in progress' pipelines, by call SID."""
        self._serializers: dict[str, CallTwilioSerializer] = {}
        self._closing: set[str] = set()

    def engines(self) -> Engines:
        """The speech engines calls use."""
        return self._engines if isinstance(self._engines, Engines) else self._engines()

    def transport(self, call: TwilioCall) -> FastAPIWebsocketTransport:
        """Pipecat's transport on the call's websocket, speaking Twilio's media-stream protocol."""
        serializer = CallTwilioSerializer(
            call.stream_sid,
            call.call_sid,
            self.settings.account_sid,
            self.settings.auth_token,
            base_url=self.settings.api_base_url,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
        )
        self._serializers[call.call_sid] = serializer
        params = FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=serializer
        )
        return CallWebsocketTransport(call.websocket, params)

    def build(self, call: TwilioCall, transport: FastAPIWebsocketTransport) -> CallPipeline:
        """The call's pipeline (transfers redirect the call to the staff number the dialogue gives)."""

        async def transfer(target: str) -> None:
            await call.transfer(target)

        return build_pipeline(
            transport,
            self.engines(),
            self.port,
            self.clock,
            self.locale,
            call.caller,
            on_transfer=transfer,
            **self.pipeline_options,
        )

    async def handle(self, call: TwilioCall) -> None:
        """Talk with the caller until the dialogue ends the call or the caller leaves."""
        transport = self.transport(call)
        built = self.build(call, transport)
        runner = WorkerRunner(handle_sigint=False)
        gone = False

        @transport.event_handler("on_client_disconnected")
        async def _caller_left(_transport: FastAPIWebsocketTransport, _websocket: object) -> None:
            nonlocal gone
            gone = True
            log.info("call %s: the caller left, cancelling the pipeline", call.call_sid)
            await built.worker.cancel(reason="caller hung up")

        await runner.add_workers(built.worker)
        task = asyncio.current_task()
        self.active[call.call_sid] = built
        try:
            await runner.run()
        finally:
            del self.active[call.call_sid]
            self._serializers.pop(call.call_sid, None)
            closed = call.call_sid in self._closing
            self._closing.discard(call.call_sid)
            cancelled = task is not None and task.cancelling() > 0
            status = call_outcome(cancelled=cancelled, gone=gone, closed=closed, outcome=built.dialogue.outcome)
            self._remember(CallRecord(call.call_sid, status, list(built.dialogue.transcript)))
        if status in ("completed", "closed"):
            await self._hang_up(call)

    def closing_words(self) -> str:
        """What a call hears when the server closes it (`closing.goodbye` in the calls' language)."""
        return closing_words(self.port, self.locale)

    async def close(self, call_sid: str) -> bool:
        """Close a call in progress politely (the server is draining); its `handle` then ends by itself.

        Returns:
            Whether the call was still in progress here. A call whose dialogue has already ended (its own
            goodbye or transfer under way) is left to finish.
        """
        built = self.active.get(call_sid)
        if built is None or call_sid in self._closing:
            return built is not None
        if built.dialogue.outcome is not None:
            return True
        self._closing.add(call_sid)
        serializer = self._serializers.get(call_sid)
        if serializer is not None:
            serializer.muted = True
        log.info("call %s: the server is closing, saying goodbye", call_sid)
        await built.worker.queue_frames(closing_frames(self.closing_words()))
        return True

    async def _hang_up(self, call: TwilioCall) -> None:
        """End the call through Twilio's REST API, once the goodbye was played and the stream closed."""
        with contextlib.suppress(TelephonyError, OSError):
            result = await call.hang_up()
            log.info("call %s: hung up (%s)", call.call_sid, result)
            return
        log.warning("call %s: the REST hang-up failed", call.call_sid)

    def _remember(self, record: CallRecord) -> None:
        self.finished = remember(self.finished, record, self.keep)
