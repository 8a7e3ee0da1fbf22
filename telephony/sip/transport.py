"""A pipecat transport over one SIP call (`telephony.sip.SipCall`).

Input: the caller's 20 ms of 8 kHz audio, resampled to the pipeline's input rate (16 kHz: Whisper misreads 8 kHz)
and pushed as `InputAudioRawFrame` through the base transport's audio queue, as pipecat's websocket transports
do; RFC 4733 key presses as `InputDTMFFrame`. When the call's events end (the caller hung up, the media timed
out), the transport's `on_call_ended` handlers run, once.

Output: the bot's 8 kHz audio, in 20 ms chunks, queued on the call (`call.play`), which sends it as paced RTP.
Each write waits until no more than `lead` seconds are queued, so the pipeline's "bot speaking" timing follows
what the caller actually hears (barge-in, idle timers, the goodbye heard before the BYE). An interruption drops
the queued audio (`call.clear()`) only when the audio last written was interruptible: a non-interruptible prompt
(the data notice) is never cut, as on the Twilio line.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.audio.utils import create_stream_resampler
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    StartFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams

from telephony.g711 import PHONE_RATE
from telephony.sip.call import SipCall
from telephony.sip.events import Audio, Digit

LEAD_SECONDS = 0.1
"""How much of the bot's audio may wait on the call, not yet sent, before a write blocks."""


def sip_params() -> TransportParams:
    """The transport's parameters: audio both ways, 8 kHz out in 20 ms chunks (one RTP packet each), no
    trailing silence after the end (the handler waits until the call's queue is played out before the BYE).
    """
    return TransportParams(
        audio_in_enabled=True,
        audio_out_enabled=True,
        audio_out_sample_rate=PHONE_RATE,
        audio_out_10ms_chunks=2,
        audio_out_end_silence_secs=0,
    )


class SipInputTransport(BaseInputTransport):
    """The caller's audio and keys, from the call's events."""

    def __init__(self, transport: SipTransport, call: SipCall, params: TransportParams, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self._transport = transport
        self._call = call
        self._resampler = create_stream_resampler()
        self._receive_task: asyncio.Task[None] | None = None
        self.muted = False
        """Set when the server closes the call: the caller's audio and keys are dropped."""

    async def start(self, frame: StartFrame) -> None:
        """Start reading the call's events once the pipeline has started."""
        await super().start(frame)
        await self.set_transport_ready(frame)
        if self._receive_task is None:
            self._receive_task = self.create_task(self._receive(), name=f"sip-in-{self._call.call_id}")

    async def stop(self, frame: EndFrame) -> None:
        """Stop reading (the pipeline ends)."""
        await super().stop(frame)
        await self._stop_receiving()

    async def cancel(self, frame: CancelFrame) -> None:
        """Stop reading (the pipeline is cancelled)."""
        await super().cancel(frame)
        await self._stop_receiving()

    async def cleanup(self) -> None:
        """Stop reading, whatever ended the pipeline."""
        await super().cleanup()  # type: ignore[no-untyped-call]  # pipecat's `cleanup` has no annotations
        await self._stop_receiving()

    async def _stop_receiving(self) -> None:
        if self._receive_task is not None:
            task, self._receive_task = self._receive_task, None
            await self.cancel_task(task)

    async def _receive(self) -> None:
        async for event in self._call.events():
            if self.muted:
                continue
            if isinstance(event, Audio):
                pcm = await self._resampler.resample(event.pcm, PHONE_RATE, self.sample_rate)
                if pcm:
                    await self.push_audio_frame(InputAudioRawFrame(pcm, self.sample_rate, 1))
            elif isinstance(event, Digit):
                try:
                    entry = KeypadEntry(event.digit)
                except ValueError:  # A-D: no keypad entry in pipecat, and nothing the dialogue asks for
                    continue
                await self.push_frame(InputDTMFFrame(entry))
        self._receive_task = None  # the call ended by itself: nothing to cancel any more
        await self._transport.call_ended()


class SipOutputTransport(BaseOutputTransport):
    """The bot's audio onto the call, paced by what the call has still to send."""

    def __init__(self, call: SipCall, params: TransportParams, lead: float = LEAD_SECONDS, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self._call = call
        self._lead = lead
        self._uninterruptible = False
        self.barge_ins: list[tuple[float, float]] = []
        """When (`time.monotonic()`) each interruption cleared the call's queue, and how many seconds of audio
        were still queued then (0 while the bot was silent)."""

    async def start(self, frame: StartFrame) -> None:
        """Ready to play once the pipeline has started."""
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        """Queue the chunk on the call, then wait until at most `lead` seconds are left to send."""
        if self._call.ended.is_set():
            return False
        self._uninterruptible = not frame.interruptible
        self._call.play(frame.audio)
        while not self._call.ended.is_set():
            excess = self._call.queued_seconds - self._lead
            if excess <= 0:
                break
            await asyncio.sleep(excess)
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """On an interruption, drop the queued audio unless the audio last written was non-interruptible."""
        await super().process_frame(frame, direction)
        if isinstance(frame, InterruptionFrame) and not self._uninterruptible:
            self.barge_ins.append((time.monotonic(), self._call.queued_seconds))
            self._call.clear()


class SipTransport(BaseTransport):
    """pipecat's transport for one SIP call.

    Event handlers: `on_call_ended(transport, reason)` when the call's events ended by themselves (the caller hung
    up, the media timed out, or the call was ended elsewhere); `reason` is the call's `end_reason`.

    Args:
        call: The established call.
        params: The transport's parameters (default `sip_params()`).
        lead: Seconds of the bot's audio the call may hold, not yet sent.
    """

    def __init__(
        self,
        call: SipCall,
        params: TransportParams | None = None,
        *,
        lead: float = LEAD_SECONDS,
        input_name: str | None = None,
        output_name: str | None = None,
    ) -> None:
        super().__init__(input_name=input_name, output_name=output_name)
        self.call = call
        self._params = params or sip_params()
        self._input = SipInputTransport(self, call, self._params, name=self._input_name)
        self._output = SipOutputTransport(call, self._params, lead, name=self._output_name)
        self._ended = False
        self._register_event_handler("on_call_ended")

    def input(self) -> SipInputTransport:
        """The caller's side."""
        return self._input

    def output(self) -> SipOutputTransport:
        """The bot's side."""
        return self._output

    @property
    def muted(self) -> bool:
        """Whether the caller's audio and keys are dropped."""
        return self._input.muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self._input.muted = value

    async def call_ended(self) -> None:
        """Run the `on_call_ended` handlers (once)."""
        if not self._ended:
            self._ended = True
            await self._call_event_handler("on_call_ended", self.call.end_reason)
