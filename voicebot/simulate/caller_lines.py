"""What a simulated caller says, line by line, and the phone line it says it on.

Caller lines (typed, from a script, or from stdin in JSON mode) are parsed by `parse_line` and read one ahead by
`Lines`; `CarrierCall` is the caller's side of a call as `voicebot.simulate.carrier.CallerScript` drives it (a simulated
Twilio call, a SIP softphone call). The line syntax is in `voicebot.simulate.carrier`'s docstring.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

OVER = re.compile(r"over:\s*(\d+(?:\.\d+)?)\s+(\S.*)$", re.IGNORECASE)


class CarrierCall(Protocol):
    """The caller's side of a phone line, as `CallerScript` drives it (`SimulatedTwilioCall`, `SoftphoneCall`)."""

    on_tick: Callable[[bytes], None] | None
    """Called every 20 ms with the bot's audio just played (8 kHz mu-law; empty when none)."""
    ended: asyncio.Event
    """Set once the call is over, whoever ended it."""
    end_reason: str | None
    """Why it ended: a key of `OUTCOMES`."""
    transfer_to: str | None
    """Where the bot transferred the call, when it did."""
    clears: int
    """How many times the bot's audio was cut off (barge-in), as far as the line tells."""

    async def start(self) -> None:
        """Place the call; raises `TelephonyError` when it cannot be placed."""
        ...

    def say(self, ulaw: bytes) -> None:
        """Queue the caller's audio (8 kHz mu-law), sent in real time."""
        ...

    async def wait_said(self) -> None:
        """Return once the queued caller audio has been sent (or the call ended)."""
        ...

    async def send_dtmf(self, digit: str) -> None:
        """Press one key."""
        ...

    async def hang_up(self) -> None:
        """The caller hangs up."""
        ...

    async def close(self) -> None:
        """Stop everything (idempotent); hangs up when the call is still going."""
        ...


@dataclass(frozen=True)
class CallerLine:
    """One parsed caller line."""

    kind: str
    """`say`, `wav`, `human` (Asterisk's recordings of the text), `dtmf`, `silence` or `hangup`."""
    value: str = ""
    over: float | None = None
    """For a line said over the bot: seconds after the start of the bot's turn."""


def parse_line(line: str, *, comments: bool = True) -> CallerLine | None:
    """A caller line (see the module docstring); `None` for a comment ("# ...") when `comments` (script files):
    without, a line starting with "#" is said like any other (stdin in JSON mode is all caller input).
    """
    text = line.strip()
    folded = text.casefold()
    if comments and text.startswith("#"):
        return None
    if (over := OVER.match(text)) is not None:
        inner = parse_line(over.group(2))
        if inner is not None and inner.kind in ("say", "wav", "human", "dtmf"):
            return CallerLine(inner.kind, inner.value, float(over.group(1)))
    for prefix in ("dtmf", "wav", "human"):
        if folded.startswith(prefix + ":"):
            return CallerLine(prefix, text[len(prefix) + 1 :].strip())
    if folded in ("", "silence"):
        return CallerLine("silence")
    if folded == "hangup":
        return CallerLine("hangup")
    return CallerLine("say", text)


class Lines:
    """The caller's lines, read one ahead in the background (so that a line said over the bot is seen while the
    bot speaks); the end of the input reads as `hangup`.
    """

    def __init__(self, lines: AsyncIterator[str], *, comments: bool = True) -> None:
        self._lines = lines
        self._comments = comments
        self._task: asyncio.Task[CallerLine] | None = None
        self._head: CallerLine | None = None
        self.taken = False
        """An `over:` line was taken (it is being said, or was)."""

    async def _read(self) -> CallerLine:
        while True:
            text = await anext(self._lines, None)
            line = CallerLine("hangup") if text is None else parse_line(text, comments=self._comments)
            if line is not None:
                return line

    async def peek(self) -> CallerLine:
        """The next line, waiting for it if needed (not taken)."""
        if self._head is None:
            if self._task is None:
                self._task = asyncio.ensure_future(self._read())
            self._head = await asyncio.shield(self._task)
            self._task = None
        return self._head

    def pop(self) -> CallerLine:
        """Take the line `peek` returned."""
        line, self._head = self._head, None
        assert line is not None
        if line.over is not None:
            self.taken = True
        return line

    async def close(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def caller_lines(script: list[str] | None) -> AsyncIterator[str]:
    """The caller's lines: the script's, else stdin's (`CallerScript` prompts, below the bot's lines).

    Stdin is read by a daemon thread: the carrier reads one line ahead (a line typed while the bot speaks may be
    an `over:` line), and a read still pending when the call ends must not keep the process alive.
    """
    if script is not None:
        for line in script:
            yield line
        return
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        while True:
            line = sys.stdin.readline()
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n") if line else None)
            if not line:
                return

    threading.Thread(target=read, name="caller-stdin", daemon=True).start()
    while (typed := await queue.get()) is not None:
        yield typed
