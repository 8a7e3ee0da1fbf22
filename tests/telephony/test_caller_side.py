"""`CallerSide`, the caller's end shared by the simulated Twilio carrier and the softphone: the queue and the clock."""

from __future__ import annotations

import asyncio
import time

from telephony.caller_side import CallerSide, wait_first
from telephony.g711 import FRAME_BYTES, FRAME_SECONDS


class RecordingSide(CallerSide):
    """Takes one caller frame a tick and keeps it; stops after `ticks` ticks."""

    def __init__(self, ticks: int) -> None:
        super().__init__()
        self.ticks = ticks
        self.frames: list[bytes] = []
        self.times: list[float] = []

    async def _tick(self) -> bool:
        self.frames.append(self._next_caller_frame())
        self.times.append(time.monotonic())
        return len(self.frames) < self.ticks


def test_audio_goes_a_frame_a_tick_in_real_time_and_the_clock_stops_when_told() -> None:
    async def test() -> None:
        side = RecordingSide(ticks=6)
        side.say(b"\x01" * (3 * FRAME_BYTES + 80))
        clock = asyncio.ensure_future(side._clock())
        await asyncio.wait_for(side.wait_said(), 1)
        assert [len(frame) for frame in side.frames] == [FRAME_BYTES] * 3 + [80]
        await asyncio.wait_for(clock, 1)
        assert [len(frame) for frame in side.frames] == [FRAME_BYTES] * 3 + [80, 0, 0]
        elapsed = side.times[-1] - side.times[0]
        assert elapsed > 5 * FRAME_SECONDS * 0.9  # paced on the clock, not a burst

    asyncio.run(test())


def test_wait_said_returns_when_the_call_ends_and_wait_first_cancels_the_rest() -> None:
    async def test() -> None:
        side = RecordingSide(ticks=1)
        side.say(b"\x01" * FRAME_BYTES * 10)
        asyncio.get_running_loop().call_later(0.05, side.ended.set)
        await asyncio.wait_for(side.wait_said(), 1)  # no clock: nothing was sent, the call ended
        never = asyncio.Event()
        other = asyncio.ensure_future(never.wait())
        await wait_first(asyncio.sleep(0), other)
        assert other.cancelled()

    asyncio.run(test())
