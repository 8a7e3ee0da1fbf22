"""TwilioCall over a small in-memory socket: ordering, skipping, marks, the audio cap, closing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from telephony.errors import CallClosed
from telephony.twilio import protocol as wire
from telephony.twilio.call import StreamEnd, TwilioCall
from telephony.twilio.rest import TwilioRestClient

START = wire.Start("MZ1", "CA1", "AC1", {"caller": "+33612345678"})


class MemorySocket:
    """Feeds queued messages to `receive`, records `send_text`; a disconnect when told."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[str] = []
        self.closed = False

    def feed(self, *messages: wire.InboundMessage | str | bytes) -> None:
        for message in messages:
            if isinstance(message, bytes):
                self.incoming.put_nowait({"type": "websocket.receive", "bytes": message})
            else:
                text = message if isinstance(message, str) else wire.encode_inbound(message, "MZ1")
                self.incoming.put_nowait({"type": "websocket.receive", "text": text})

    def disconnect(self) -> None:
        self.incoming.put_nowait({"type": "websocket.disconnect", "code": 1006})

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send_text(self, data: str) -> None:
        if self.closed:
            raise RuntimeError('Cannot call "send" once a close message has been sent.')
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = True


def make_call(max_audio: int = 500) -> tuple[TwilioCall, MemorySocket]:
    socket = MemorySocket()
    return TwilioCall(socket, START, TwilioRestClient("AC1", "t"), None, max_audio=max_audio), socket


def media(chunk: int) -> wire.Media:
    return wire.Media(bytes([chunk]) * 160, chunk, (chunk - 1) * 20, chunk + 1)


async def collect(call: TwilioCall) -> list[object]:
    return [event async for event in call.events()]


def test_events_in_order_with_junk_skipped() -> None:
    async def main() -> None:
        call, socket = make_call()
        socket.feed(
            wire.Connected(),
            media(1),
            media(3),
            "{bad",
            media(2),
            b"\x00",
            wire.Dtmf("1", 9),
            '{"event": "nope"}',
            media(2),
            wire.Mark("greeting"),
            media(5),
            wire.Stop("CA1", "AC1"),
        )
        reason = await call.pump()
        events = await collect(call)
        assert reason == "stop" and reason is StreamEnd.STOP
        assert [type(e).__name__ for e in events] == ["Media"] * 3 + ["Dtmf", "Mark", "Media", "Stop"]
        assert [e.chunk for e in events if isinstance(e, wire.Media)] == [1, 2, 3, 5]  # 5 flushed at stop
        assert (call.rejected, call.dropped_audio) == (4, 1)
        assert call.caller == "+33612345678" and call.closed

    asyncio.run(main())


def test_senders_write_only_media_mark_clear() -> None:
    async def main() -> None:
        call, socket = make_call()
        await call.send_audio(b"\x01\x02")
        await call.send_audio(b"")
        await call.send_mark("end")
        await call.clear()
        assert [json.loads(m)["event"] for m in socket.sent] == ["media", "mark", "clear"]
        assert all(json.loads(m)["streamSid"] == "MZ1" for m in socket.sent)
        assert [wire.parse_outbound(m) for m in socket.sent] == [
            wire.OutboundMedia(b"\x01\x02"),
            wire.OutboundMark("end"),
            wire.Clear(),
        ]
        socket.closed = True
        with pytest.raises(CallClosed):
            await call.send_mark("late")
        with pytest.raises(CallClosed):
            await call.send_audio(b"\x01")

    asyncio.run(main())


def test_wait_played_returns_on_the_echo_or_at_the_end() -> None:
    async def main() -> None:
        call, socket = make_call()
        pump = asyncio.create_task(call.pump())
        waiter = asyncio.create_task(call.wait_played("one"))
        other = asyncio.create_task(call.wait_played("two"))
        await asyncio.sleep(0)
        socket.feed(wire.Mark("one"))
        await asyncio.wait_for(waiter, 1)
        assert not other.done()
        socket.disconnect()
        assert await asyncio.wait_for(pump, 1) == "disconnect"
        assert not other.done()  # a vanished socket: the gateway cancels the handler, then finishes the call
        call.finish()
        await asyncio.wait_for(other, 1)
        await call.wait_played("after the end")  # returns at once

    asyncio.run(main())


def test_unread_audio_is_capped_but_control_events_are_kept() -> None:
    async def main() -> None:
        call, socket = make_call(max_audio=3)
        socket.feed(*[media(c) for c in range(1, 8)], wire.Dtmf("7"), wire.Stop())
        await call.pump()
        events = await collect(call)
        assert [e.chunk for e in events if isinstance(e, wire.Media)] == [1, 2, 3]
        assert isinstance(events[-2], wire.Dtmf) and isinstance(events[-1], wire.Stop)
        assert call.dropped_audio == 4

    asyncio.run(main())


@pytest.mark.parametrize(
    ("caller", "expected"),
    [("+33612345678", "+33612345678"), ("anonymous", None), ("+266696687", None), ("", None), (None, None)],
)
def test_withheld_numbers(caller: str | None, expected: str | None) -> None:
    params = {} if caller is None else {"caller": caller}
    call = TwilioCall(
        MemorySocket(), wire.Start("MZ1", "CA1", custom_parameters=params), TwilioRestClient("A", "t"), None
    )
    assert call.caller == expected


def test_transfer_without_a_number_is_refused() -> None:
    call, _ = make_call()
    with pytest.raises(CallClosed):
        asyncio.run(call.transfer())
