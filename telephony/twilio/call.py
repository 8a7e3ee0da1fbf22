"""One call on a Twilio media stream, as the voice pipeline sees it, and the protocol of call handlers.

`TwilioCall` reads the websocket (`pump`, run by the gateway beside the handler), puts the caller's audio back
in order, and offers the handler an event iterator and senders. Sending on a closed stream raises `CallClosed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any, Protocol

from starlette.websockets import WebSocketDisconnect

from telephony.errors import CallClosed
from telephony.twilio import protocol as wire
from telephony.twilio.buffers import MediaReorderBuffer
from telephony.twilio.rest import CallUpdateResult, TwilioRestClient

log = logging.getLogger(__name__)

WITHHELD_NUMBERS = frozenset({"", "anonymous", "+266696687", "restricted", "unknown"})
"""What Twilio puts in `From` for a withheld number."""
InboundEvent = wire.Media | wire.Dtmf | wire.Mark | wire.Stop


class StreamEnd(StrEnum):
    """How a media stream ended (`TwilioCall.pump`)."""

    STOP = "stop"
    """Twilio's `stop` message: the caller hung up, or the call was redirected or completed."""
    DISCONNECT = "disconnect"
    """The socket closed without a `stop`."""


class MediaSocket(Protocol):
    """What a call needs of its websocket (Starlette's `WebSocket` is one)."""

    async def receive(self) -> Any:
        """The next ASGI message: `{"type": "websocket.receive", "text": ...}` or `websocket.disconnect`."""
        ...

    async def send_text(self, data: str) -> None:
        """Send one text message."""
        ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the socket."""
        ...


class CallHandler(Protocol):
    """Runs one call; returning ends the stream (Twilio then runs the TwiML after `<Connect>`: none, so the
    call ends). Cancelled when the caller hangs up or the socket vanishes.

    A handler whose class sets `takes_socket = True` reads `call.websocket` itself (e.g. pipecat's
    `FastAPIWebsocketTransport` with a `TwilioFrameSerializer`, given `call.stream_sid` and `call.call_sid`):
    the gateway then checks signature and token, reads `start`, and only awaits it.
    """

    async def handle(self, call: TwilioCall) -> None:
        """Talk with the caller until the call ends."""
        ...


class _Inbox:
    """Events for the handler; caller audio beyond `max_audio` frames not yet read is dropped."""

    def __init__(self, max_audio: int) -> None:
        self._items: deque[InboundEvent] = deque()
        self._audio = 0
        self._max_audio = max_audio
        self._ready = asyncio.Event()
        self.closed = False
        self.dropped_audio = 0

    def put(self, event: InboundEvent) -> None:
        if isinstance(event, wire.Media):
            if self._audio >= self._max_audio:
                self.dropped_audio += 1
                return
            self._audio += 1
        self._items.append(event)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get(self) -> InboundEvent | None:
        while not self._items:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        event = self._items.popleft()
        if isinstance(event, wire.Media):
            self._audio -= 1
        return event


class TwilioCall:
    """One call on the media stream, as handlers see it.

    Events (`events()`): `Media` (the caller's mu-law audio, in order), `Dtmf`, `Mark` (our mark played) and
    finally `Stop` when the caller hangs up.
    """

    def __init__(
        self,
        websocket: MediaSocket,
        start: wire.Start,
        rest: TwilioRestClient,
        staff_number: str | None,
        *,
        max_audio: int = 500,
    ) -> None:
        self.websocket = websocket
        self.start = start
        self.call_sid = start.call_sid
        self.stream_sid = start.stream_sid
        self.parameters = dict(start.custom_parameters)
        caller = self.parameters.get("caller", "").strip()
        self.caller: str | None = None if caller.lower() in WITHHELD_NUMBERS else caller
        """The caller's number (E.164), `None` when withheld."""
        self.staff_number = staff_number
        self.rejected = 0
        """Messages from Twilio that could not be used (malformed, unknown), skipped."""
        self.closed = False
        self._rest = rest
        self._inbox = _Inbox(max_audio)
        self._reorder = MediaReorderBuffer()
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}

    @property
    def dropped_audio(self) -> int:
        """Caller frames dropped: duplicates, late frames, and frames the handler did not read in time."""
        return self._reorder.dropped + self._inbox.dropped_audio

    async def events(self) -> AsyncIterator[InboundEvent]:
        """The caller's audio, keys, our played marks, then `Stop`; ends when the stream does."""
        while (event := await self._inbox.get()) is not None:
            yield event

    async def send_audio(self, ulaw: bytes) -> None:
        """Queue audio for the caller (mu-law, 8 kHz; Twilio buffers and plays it in order)."""
        if ulaw:
            await self._send(wire.encode_outbound(wire.OutboundMedia(ulaw), self.stream_sid))

    async def send_mark(self, name: str) -> None:
        """Ask Twilio to tell us (`Mark` event, `wait_played`) once the audio sent so far has been played."""
        await self._send(wire.encode_outbound(wire.OutboundMark(name), self.stream_sid))

    async def clear(self) -> None:
        """Drop the audio Twilio has not played yet (barge-in); pending marks come back at once."""
        await self._send(wire.encode_outbound(wire.Clear(), self.stream_sid))

    async def wait_played(self, name: str) -> None:
        """Wait for the echo of the mark `name` (or the end of the stream)."""
        if self.closed:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(name, []).append(future)
        await future

    async def hang_up(self) -> CallUpdateResult:
        """End the call through Twilio's REST API (`Status=completed`)."""
        return await self._rest.hang_up(self.call_sid)

    async def transfer(self, number: str | None = None) -> CallUpdateResult:
        """Redirect the call to `<Dial>number</Dial>` (default: the staff number)."""
        target = number or self.staff_number
        if not target:
            raise CallClosed("no staff number to transfer to")
        return await self._rest.transfer(self.call_sid, target)

    async def _send(self, text: str) -> None:
        if self.closed:
            raise CallClosed(f"call {self.call_sid}: the stream is closed")
        try:
            await self.websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError) as error:
            self.closed = True
            raise CallClosed(f"call {self.call_sid}: the stream is closed") from error

    def _resolve(self, name: str | None = None) -> None:
        names = list(self._waiting) if name is None else [name]
        for key in names:
            for future in self._waiting.pop(key, []):
                if not future.done():
                    future.set_result(None)

    async def pump(self) -> StreamEnd:
        """Read the socket until `stop` or disconnection (which is returned).

        After `stop` the event iterator ends; after a disconnection it stays open until `finish`, so that the
        gateway cancels the handler rather than letting it run on.
        """
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return StreamEnd.DISCONNECT
                data = message.get("text") or message.get("bytes") or ""
                parsed = wire.parse_inbound(data)
                if isinstance(parsed, wire.Rejected | wire.Connected | wire.Start):
                    self._skip(parsed, data)
                elif isinstance(parsed, wire.Media):
                    for media in self._reorder.push(parsed):
                        self._inbox.put(media)
                elif isinstance(parsed, wire.Stop):
                    for media in self._reorder.flush():
                        self._inbox.put(media)
                    self._inbox.put(parsed)
                    self.finish()
                    return StreamEnd.STOP
                else:
                    if isinstance(parsed, wire.Mark):
                        self._resolve(parsed.name)
                    self._inbox.put(parsed)
        finally:
            self.closed = True

    def _skip(self, parsed: wire.Rejected | wire.Connected | wire.Start, data: str | bytes) -> None:
        """Count a message the call cannot use; the first is logged as a warning, the others at debug level.

        Described by its reason and length only: a message may hold anything, the caller's number included.
        """
        self.rejected += 1
        reason = parsed.reason if isinstance(parsed, wire.Rejected) else f"unexpected {type(parsed).__name__.lower()}"
        level = logging.WARNING if self.rejected == 1 else logging.DEBUG
        log.log(level, "call %s: skipped a message (%s; %d characters)", self.call_sid, reason, len(data))

    def finish(self) -> None:
        """The stream is over: end the event iterator and release `wait_played` waiters."""
        self.closed = True
        self._inbox.close()
        self._resolve()
