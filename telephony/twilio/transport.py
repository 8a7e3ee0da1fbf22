"""Twilio's media stream as a pipecat transport: pipecat's websocket transport and Twilio serializer, with two
changes a phone call needs.

* `CallTwilioSerializer` reads each message with `protocol.parse_inbound` first, so that a malformed one (deep
  nesting, bad JSON, bad base64...) is skipped and logged by its reason only; pipecat's own parser would end the
  call's input on it, or log the whole message. It can also stop listening to the caller (`muted`): the server
  mutes a call it is closing, so no half-heard answer reaches the dialogue.
* Barge-in: pipecat's websocket output sends Twilio a `clear` on every interruption, which would also drop the
  part of a non-interruptible prompt (the data notice) that Twilio has buffered; `CallWebsocketTransport` sends
  it only when the audio last written was interruptible.
"""

from __future__ import annotations

import logging
from typing import Any

from pipecat.frames.frames import Frame, InputAudioRawFrame, InputDTMFFrame, InterruptionFrame, OutputAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketOutputTransport,
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

from telephony.twilio import protocol as wire

__all__ = ["CallTwilioSerializer", "CallWebsocketTransport"]

log = logging.getLogger(__name__)


class CallTwilioSerializer(TwilioFrameSerializer):
    """pipecat's Twilio serializer that skips malformed messages (counted in `rejected`) and can stop listening
    to the caller (`muted`: audio and keys dropped).
    """

    muted = False
    rejected = 0
    """Messages from Twilio that could not be used, skipped (the first one logged as a warning)."""

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """Twilio's message as a frame (`None`: nothing for the pipeline, or muted); never raises."""
        parsed = wire.parse_inbound(data)
        if isinstance(parsed, wire.Rejected):
            self._skip(parsed.reason, data)
            return None
        if not isinstance(parsed, wire.Media | wire.Dtmf):
            return None  # connected, start, mark, stop: nothing pipecat's serializer makes a frame of
        try:
            frame = await super().deserialize(data)
        except Exception as error:  # a checked message pipecat still fails on must not end the call's input
            self._skip(type(error).__name__, data)
            return None
        if self.muted and isinstance(frame, InputAudioRawFrame | InputDTMFFrame):
            return None
        return frame

    def _skip(self, reason: str, data: str | bytes) -> None:
        self.rejected += 1
        level = logging.WARNING if self.rejected == 1 else logging.DEBUG
        log.log(level, "call %s: skipped a message (%s; %d characters)", self._call_sid, reason, len(data))


class _CallOutputTransport(FastAPIWebsocketOutputTransport):
    """Sends `clear` on an interruption only when the audio last written was interruptible."""

    _uninterruptible = False

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        self._uninterruptible = not frame.interruptible
        return await super().write_audio_frame(frame)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, InterruptionFrame) and self._uninterruptible:
            # The base drops the interruptible audio still queued and keeps the rest; no `clear`, which would
            # also drop the non-interruptible prompt Twilio is playing.
            await BaseOutputTransport.process_frame(self, frame, direction)
            return
        await super().process_frame(frame, direction)


class CallWebsocketTransport(FastAPIWebsocketTransport):
    """`FastAPIWebsocketTransport` whose output never cuts a non-interruptible prompt with `clear`."""

    def __init__(self, websocket: Any, params: FastAPIWebsocketParams) -> None:
        super().__init__(websocket, params)
        self._output = _CallOutputTransport(self, self._client, self._params, name=self._output_name)
