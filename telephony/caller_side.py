"""The caller's side of a simulated phone line: what the simulated Twilio carrier and the SIP softphone share.

`CallerSide` queues the caller's audio (`say`, 8 kHz mu-law) and runs a 20 ms clock on the monotonic clock (no
drift; a stalled loop starts again from now rather than burst a backlog). Each tick a subclass hands the caller's
next frame to its line and plays the bot's (`_tick`); both sides are kept for recording. Pure asyncio over
`telephony.g711`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from telephony.g711 import FRAME_BYTES, FRAME_SECONDS

STALL_SECONDS = 1.0
"""How late a tick may be before the clock starts again from now instead of catching up."""


class CallerSide(ABC):
    """The caller's end of a call: the outgoing audio queue, the 20 ms clock, both sides' tracks.

    A subclass starts `_clock()` as a task (kept in `_tasks`) once its line is up, and says what one tick does.

    Args:
        on_tick: Called every 20 ms with the bot audio just played (mu-law; empty when none), e.g. to detect turns.
        monotonic: The pacing clock.
    """

    def __init__(
        self,
        *,
        on_tick: Callable[[bytes], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_tick = on_tick
        self._monotonic = monotonic
        self.ended = asyncio.Event()
        """Set once the call is over, whoever ended it."""
        self.end_reason: str | None = None
        self.transfer_to: str | None = None
        """Where the bot transferred the call, when it did."""
        self.clears = 0
        """How many times the bot's audio was cut off (barge-in), as far as the line tells."""
        self.caller_track = bytearray()
        """The caller's audio as handed to the line, mu-law at 8 kHz (silence where none)."""
        self.bot_track = bytearray()
        """The bot's audio as played, aligned with `caller_track` (silence where nothing played)."""
        self._outgoing = bytearray()
        self._sent = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def say(self, ulaw: bytes) -> None:
        """Queue caller audio (mu-law, 8 kHz); the clock sends it in real time."""
        self._outgoing += ulaw
        self._sent.clear()

    async def wait_said(self) -> None:
        """Wait until all queued caller audio has been taken by the clock (or the call ended)."""
        while self._outgoing and not self.ended.is_set():
            self._sent.clear()
            await wait_first(self._sent.wait(), self.ended.wait())

    @property
    def _caller_queued(self) -> bool:
        """Whether caller audio is waiting to be sent."""
        return bool(self._outgoing)

    def _next_caller_frame(self) -> bytes:
        """Take the caller's next 20 ms of queued audio (shorter, or empty, when less is queued)."""
        frame = bytes(self._outgoing[:FRAME_BYTES])
        del self._outgoing[:FRAME_BYTES]
        if not self._outgoing:
            self._sent.set()
        return frame

    @abstractmethod
    async def _tick(self) -> bool:
        """One 20 ms tick on the line: send the caller's audio, play the bot's; `False` stops the clock."""

    async def _clock(self) -> None:
        """Run `_tick` every 20 ms until the call ends (monotonic pacing, no drift)."""
        started = self._monotonic()
        tick = 0
        while not self.ended.is_set():
            delay = started + tick * FRAME_SECONDS - self._monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -STALL_SECONDS:  # the loop stalled: start again from now rather than burst a backlog
                started, tick = self._monotonic(), 0
            if not await self._tick():
                return
            tick += 1

    async def _cancel_tasks(self) -> None:
        """Cancel the call's tasks (but the one running this) and wait for them."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_first(*awaitables: Awaitable[object]) -> None:
    """Wait for the first of some awaitables; cancel the others."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
