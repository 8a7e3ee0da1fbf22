"""What both gateways share: the calls in progress, the task running each, and draining them on SIGTERM.

Draining refuses new calls (the gateway checks `draining`), lets the calls in progress go on for a grace period,
then asks each remaining one to close politely (the handler's `close(call_id)`: a goodbye, then the hang-up),
gives them a while to do it, and cancels the tasks of the calls still there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

CallT = TypeVar("CallT")
HandlerT = TypeVar("HandlerT")
CANCEL_WAIT = 5.0
"""How long drain waits, at most, for the cancelled calls to be gone."""


class CallsInProgress(Generic[CallT]):
    """The calls a gateway runs, by call id, and the task to cancel for each when draining runs out of time.

    Args:
        line: The line's name in the log ("Twilio", "SIP").
    """

    def __init__(self, line: str) -> None:
        self.line = line
        self.draining = False
        """Set by `drain`: the gateway refuses new calls."""
        self.active: dict[str, CallT] = {}
        """The calls in progress, by call id."""
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def running(self, call_id: str, call: CallT, task: asyncio.Task[Any] | None = None) -> Iterator[None]:
        """Count `call` in progress for the duration of the block (`task` is what drain cancels: see `attach`)."""
        self.active[call_id] = call
        self._idle.clear()
        if task is not None:
            self._tasks[call_id] = task
        try:
            yield
        finally:
            self.active.pop(call_id, None)
            self._tasks.pop(call_id, None)
            if not self.active:
                self._idle.set()

    def attach(self, call_id: str, task: asyncio.Task[Any]) -> None:
        """The task running the call in progress `call_id`: cancelled when draining runs out of time."""
        if call_id in self.active:
            self._tasks[call_id] = task

    def detach(self, call_id: str) -> None:
        """The call's task is over (the call may still be counted until its `running` block ends)."""
        self._tasks.pop(call_id, None)

    async def drain(
        self, grace: float, closing: float, close: Callable[[str], Awaitable[object]] | None = None
    ) -> None:
        """Refuse new calls, let the calls in progress go on for `grace` seconds, then (when there is a `close`)
        call `close(call_id)` for each remaining one and give them `closing` seconds to end; cancel what is left.
        """
        self.draining = True
        log.info("draining %s: %d call(s) in progress, %.0f s to finish", self.line, len(self.active), grace)
        await self._until_idle(grace)
        if self.active and close is not None:
            log.info("draining %s: closing %d call(s) politely", self.line, len(self.active))
            for call_id in list(self.active):
                await close(call_id)
        await self._until_idle(closing if close is not None else 0)
        for call_id, task in list(self._tasks.items()):
            log.warning("draining %s: call %s did not end in time, cancelled", self.line, call_id)
            task.cancel()
        await self._until_idle(CANCEL_WAIT)

    async def _until_idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._idle.wait()


class DrainingGateway(Generic[CallT, HandlerT]):
    """What both gateways offer of their calls in progress: `draining`, `active` and `drain`.

    Args:
        line: The line's name in the log ("Twilio", "SIP").
    """

    handler: HandlerT
    """Runs each call; `handler.close(call_id)`, when it has one, closes a call politely (a goodbye, then the
    hang-up)."""

    def __init__(self, line: str) -> None:
        self.calls: CallsInProgress[CallT] = CallsInProgress(line)
        """The calls in progress (by call id) and the tasks running them."""

    @property
    def draining(self) -> bool:
        """Set by `drain`: new calls are refused."""
        return self.calls.draining

    @draining.setter
    def draining(self, value: bool) -> None:
        self.calls.draining = value

    @property
    def active(self) -> dict[str, CallT]:
        """The calls in progress, by call id (CallSid, Call-ID)."""
        return self.calls.active

    async def drain(self, grace: float, closing: float = 20.0) -> None:
        """Refuse new calls, let the calls in progress go on for `grace` seconds, then ask the handler to close
        each remaining one politely (`handler.close(call_id)`, when it has one) and give them `closing` seconds
        to say goodbye and hang up; cancel what is left after that.
        """
        close: Callable[[str], Awaitable[object]] | None = getattr(self.handler, "close", None)
        await self.calls.drain(grace, closing, close)
