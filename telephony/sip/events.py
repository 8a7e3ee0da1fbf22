"""What a SIP call reports: caller audio and digits (`CallEvent`), their queue, and why the call ended."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum

MAX_PENDING_EVENTS = 1_500
"""30 s of caller audio waits for a slow consumer at most (older frames are dropped, digits kept)."""


class EndReason(StrEnum):
    """Why a SIP call ended (`SipCall.end_reason`); a `str`, so "remote_bye" compares equal to its member."""

    REMOTE_BYE = "remote_bye"
    """The peer hung up (its BYE)."""
    LOCAL_BYE = "local_bye"
    """We hung up (our BYE: the handler, a missing ACK, an ACK without a usable answer)."""
    TRANSFERRED = "transferred"
    """A REFER was accepted, then the call ended (their BYE, our BYE on their NOTIFY or after a grace)."""
    CLOSED = "closed"
    """The server closed while the call was up (our BYE)."""
    MEDIA_TIMEOUT = "media_timeout"
    """No RTP came for too long (our BYE)."""


@dataclass(frozen=True)
class Audio:
    """20 ms of caller audio: 8 kHz mono signed 16-bit little-endian PCM (320 bytes)."""

    pcm: bytes
    """Decoded from PCMU/PCMA after the jitter buffer (concealed frames included)."""


@dataclass(frozen=True)
class Digit:
    """One RFC 4733 key press, reported once (at its first packet)."""

    digit: str
    """One of 0-9, *, #, A-D."""


CallEvent = Audio | Digit


class CallEvents:
    """The events of one call not yet read, until it is closed; audio beyond `MAX_PENDING_EVENTS` is dropped."""

    def __init__(self) -> None:
        self._events: deque[CallEvent] = deque()
        self._ready = asyncio.Event()
        self.closed = False

    def put(self, event: CallEvent) -> None:
        """Queue one event (ignored once closed); when too many wait, the oldest 100 lose their audio."""
        if self.closed:
            return
        self._events.append(event)
        if isinstance(event, Audio) and len(self._events) > MAX_PENDING_EVENTS:
            kept = [old for old in list(self._events)[:100] if isinstance(old, Digit)]
            for _ in range(100):
                self._events.popleft()
            self._events.extendleft(reversed(kept))
        self._ready.set()

    def close(self) -> None:
        """No more events: the iterator ends once the queued ones are read."""
        self.closed = True
        self._ready.set()

    async def read(self) -> AsyncIterator[CallEvent]:
        """The events in order, waiting for more, until closed and read out."""
        while True:
            if self._events:
                yield self._events.popleft()
                continue
            if self.closed:
                return
            self._ready.clear()
            await self._ready.wait()
