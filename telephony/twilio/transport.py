"""Twilio's media stream as a pipecat transport: pipecat's websocket transport and Twilio serializer, with two
changes a phone call needs.

* `CallTwilioSerializer` can stop listening to the caller (`muted`): the server mutes a call it is closing, so no
  half-heard answer reaches the dialogue.
* Barge-in: pipecat's websocket output sends Twilio a `clear` on every interruption, which would also drop the
  part of a non-interruptible prompt (the data notice) that Twilio has buffered; `CallWebsocketTransport` sends
  it only when the audio last written was interruptible.
"""

from __future__ import annotations

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

__all__ = ["CallTwilioSerializer", "CallWebsocketTransport"]


class CallTwilioSerializer(TwilioFrameSerializer):
    """pipecat's Twilio serializer that can stop listening to the caller (`muted`: audio and keys dropped)."""

    muted = False

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """Twilio's message as a frame; nothing from the caller once muted."""
        frame = await super().deserialize(data)
        if self.muted and isinstance(frame, InputAudioRawFrame | InputDTMFFrame):
            return None
        return frame


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
