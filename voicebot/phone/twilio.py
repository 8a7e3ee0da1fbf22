"""The voice pipeline as the Twilio gateway's call handler.

`PipelineCallHandler` takes the media-stream websocket the gateway has validated (signature, token, `start`
read) and runs one call's pipecat pipeline on it: `FastAPIWebsocketTransport` with pipecat's
`TwilioFrameSerializer` (caller audio resampled to 16 kHz for recognition, the bot's audio sent as 8 kHz
mu-law), the process's shared speech engines, the booking service, the server's clock.

End of call, in order:

* the bot says goodbye: the dialogue waits until the goodbye was played out (`BotStoppedSpeakingFrame`: the
  output transport paces audio in real time, so little is left in Twilio's buffer), then ends the worker; the
  `EndFrame` drains the output and closes the socket, and only then is the call hung up through Twilio's REST
  API (`Status=completed`; an API down, silent or refusing is one warning, the call being over here anyway).
  The serializer's own `auto_hang_up` is off: it would also fire on a transfer (a `CancelFrame` or `EndFrame`
  after the redirect), hanging up the caller on the way to the staff phone;
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

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams

from booking.phones import to_e164
from booking.records import CallChannel
from dialogue.port import BookingPort
from telephony.errors import TelephonyError
from telephony.twilio.call import TwilioCall
from telephony.twilio.settings import TwilioSettings
from telephony.twilio.transport import CallTwilioSerializer, CallWebsocketTransport
from voicebot.phone.call_log import mask_phone
from voicebot.phone.calls import CallInProgress, CallOutcome, PipelineHandler
from voicebot.pipeline.builder import CallPipeline, build_pipeline
from voicebot.pipeline.engines import Engines

if TYPE_CHECKING:
    from booking.calls import CallLog
    from voicebot.metrics import Metrics

log = logging.getLogger(__name__)

__all__ = ["PipelineCallHandler", "TwilioCallTransport"]


class TwilioCallTransport(CallWebsocketTransport):
    """The call's websocket transport, which can stop listening to the caller (`muted`, its serializer's)."""

    def __init__(self, websocket: Any, params: FastAPIWebsocketParams, serializer: CallTwilioSerializer) -> None:
        super().__init__(websocket, params)
        self.serializer = serializer

    @property
    def muted(self) -> bool:
        """Whether the caller's audio and keys are dropped."""
        return self.serializer.muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self.serializer.muted = value


class PipelineCallHandler(PipelineHandler[TwilioCall, TwilioCallTransport]):
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
        call_log: Where each finished call is written (`None`: nowhere).
        metrics: The server's metrics (`None`: none).
    """

    takes_socket = True
    """The gateway hands over the websocket: pipecat's transport reads it."""
    channel = CallChannel.TWILIO

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
        call_log: CallLog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(
            port,
            clock,
            engines,
            locale=locale,
            keep=keep,
            pipeline_options=pipeline_options,
            call_log=call_log,
            metrics=metrics,
        )
        self.settings = settings

    def call_id(self, call: TwilioCall) -> str:
        """The call's CallSid."""
        return call.call_sid

    def caller(self, call: TwilioCall) -> str | None:
        """Twilio's `From`, when it is a phone number in E.164 (not "anonymous" nor a client's name)."""
        return to_e164(call.caller, "") if call.caller and call.caller.startswith("+") else None

    def transport(self, call: TwilioCall) -> TwilioCallTransport:
        """Pipecat's transport on the call's websocket, speaking Twilio's media-stream protocol."""
        serializer = CallTwilioSerializer(
            call.stream_sid,
            call.call_sid,
            self.settings.account_sid,
            self.settings.auth_token,
            base_url=self.settings.api_base_url,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
        )
        params = FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=serializer
        )
        return TwilioCallTransport(call.websocket, params, serializer)

    def build(self, call: TwilioCall, transport: TwilioCallTransport) -> CallPipeline:
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

    def watch(self, call: TwilioCall, progress: CallInProgress[TwilioCallTransport]) -> None:
        """The socket's end (`on_client_disconnected`) is the caller leaving."""

        async def caller_left(_transport: TwilioCallTransport, _websocket: object) -> None:
            await progress.end(gone=True, reason="caller hung up")

        progress.transport.add_event_handler("on_client_disconnected", caller_left)

    async def wrap_up(self, call: TwilioCall, outcome: CallOutcome) -> None:
        """Hang up through Twilio's REST API after the bot's goodbye or the server's (the stream is closed)."""
        if outcome in (CallOutcome.COMPLETED, CallOutcome.CLOSED):
            await self._hang_up(call)

    async def _hang_up(self, call: TwilioCall) -> None:
        """End the call through Twilio's REST API, once the goodbye was played and the stream closed.

        Whatever Twilio answers, nothing is raised: the call is over on our side (stream closed, call logged).
        The wait is bounded by the REST client's timeout; an unreachable, silent or refusing API is one warning,
        worded without the caller's number (Twilio's own message is masked: it may quote numbers).
        """
        try:
            result = await call.hang_up()
        except (TelephonyError, OSError) as error:
            reason = mask_phone(str(error))
        else:
            if result.ok or result.already_ended:
                log.info("call %s: hung up through Twilio's REST API (%s)", call.call_sid, result.call_status or "gone")
                return
            reason = mask_phone(result.describe())
        log.warning("call %s: the hang-up through Twilio's REST API failed (%s)", call.call_sid, reason)
