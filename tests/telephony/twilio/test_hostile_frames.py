"""Hostile media-stream frames: `parse_inbound` never raises (whatever the text, bytes or JSON value, however deep),
and on a real gateway (127.0.0.1, real websockets) a frame nested 50,000 deep is refused before `start` with one
log line, skipped inside a call (the pump's and pipecat's readers alike), and the next call works."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pipecat.frames.frames import Frame, InputDTMFFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams
from pipecat.workers.runner import WorkerRunner
from websockets.asyncio.client import connect

from telephony.twilio import protocol as wire
from telephony.twilio.auth import SIGNATURE_HEADER, sign_websocket
from telephony.twilio.call import TwilioCall
from telephony.twilio.transport import CallTwilioSerializer, CallWebsocketTransport
from tests.telephony.twilio.live import PUBLIC, TOKEN, RecordingHandler, live_gateway, run

NESTED = "[" * 50_000 + "]" * 50_000
"""100,000 characters, under the size limit: Python's JSON decoder would recurse 50,000 deep."""
EVENTS = ["connected", "start", "media", "dtmf", "mark", "stop", "clear", "hello"]
SECTIONS = ["start", "media", "dtmf", "mark", "stop", "customParameters", "mediaFormat", "payload", "digit"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "AAAA", "%%%", "1", "-1", "99999999999999999999", "#", "audio/x-mulaw"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(SECTIONS) | st.text(max_size=8), inner),
    max_leaves=20,
)
"""Any JSON value, keyed now and then like Twilio's messages."""


def _messages(value: object) -> list[str]:
    """`value` alone, and in each place of a message shaped like Twilio's."""
    wrapped = [json.dumps(value)]
    for event in EVENTS:
        wrapped.append(json.dumps({"event": event, "sequenceNumber": value}))
        wrapped.append(json.dumps({"event": event, **dict.fromkeys(SECTIONS, value)}))
        wrapped.append(json.dumps({"event": event, event: {key: value for key in SECTIONS}}))
    return wrapped


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_parsed_or_rejected(text: str) -> None:
    for data in (text, "{" + text, '{"event": "media", "media": ' + text + "}"):
        assert isinstance(wire.parse_inbound(data), wire.InboundMessage | wire.Rejected)
        assert isinstance(wire.parse_outbound(data), wire.OutboundMessage | wire.Rejected)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_parsed_or_rejected(data: bytes) -> None:
    for message in (data, b'{"event": "' + data + b'"}', b"\xef\xbb\xbf" + data):
        assert isinstance(wire.parse_inbound(message), wire.InboundMessage | wire.Rejected)
        assert isinstance(wire.parse_outbound(message), wire.OutboundMessage | wire.Rejected)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_anywhere_in_a_message_is_parsed_or_rejected(value: object) -> None:
    for data in _messages(value):
        assert isinstance(wire.parse_inbound(data), wire.InboundMessage | wire.Rejected)
        assert isinstance(wire.parse_inbound(data.encode()), wire.InboundMessage | wire.Rejected)


@settings(max_examples=200, deadline=None)
@given(st.integers(wire.MAX_DEPTH + 1, 120_000), st.sampled_from(["[", "{"]), st.booleans())
def test_nesting_beyond_the_bound_is_rejected_unread(depth: int, opener: str, in_a_message: bool) -> None:
    inner = "[" * depth + "]" * depth if opener == "[" else '{"a":' * depth + "1" + "}" * depth
    data = '{"event": "media", "media": {"payload": "AAAA"}, "x": ' + inner + "}" if in_a_message else inner
    parsed = wire.parse_inbound(data if len(data) % 2 else data.encode())
    if len(data) > wire.MAX_MESSAGE_CHARS:
        assert parsed == wire.Rejected(f"message too long ({len(data)} characters)")
    else:
        assert parsed == wire.Rejected(f"JSON nested deeper than {wire.MAX_DEPTH} levels")
    assert isinstance(wire.parse_outbound(data), wire.Rejected)


def test_nesting_within_the_bound_and_brackets_in_strings_are_read() -> None:
    ok = wire.MAX_DEPTH - 1  # the message itself is the first level
    within = '{"event": "dtmf", "dtmf": {"digit": "1"}, "x": ' + "[" * ok + "]" * ok + "}"
    assert wire.parse_inbound(within) == wire.Dtmf("1")
    beyond = '{"event": "dtmf", "dtmf": {"digit": "1"}, "x": ' + "[" * (ok + 1) + "]" * (ok + 1) + "}"
    assert wire.parse_inbound(beyond) == wire.Rejected(f"JSON nested deeper than {wire.MAX_DEPTH} levels")
    in_strings = json.dumps({"event": "mark", "mark": {"name": "[{" * 5000 + '\\"['}, "y": ["]" * 9, '"{']})
    assert wire.parse_inbound(in_strings) == wire.Mark("[{" * 5000 + '\\"[')
    unterminated = '{"event": "mark", "mark": {"name": "' + "\\" + '"' * 60_000
    assert wire.parse_inbound(unterminated) == wire.Rejected("malformed JSON")


@pytest.mark.parametrize(
    "data",
    [
        NESTED,
        NESTED.encode(),
        '{"a":' * 30_000 + "1" + "}" * 30_000,
        '{"event": "media", "media": {"payload": "AAAA", "chunk": ' + "9" * 5000 + "}}",  # beyond int's digits
        '{"event": "media", "media": {"payload": "AAAA", "chunk": 1e999}}',
        '{"event": "media", "media": {"payload": "AAAA", "timestamp": NaN}}',
        '{"event": "start", "start": {"streamSid": "MZ", "callSid": "CA", "customParameters": {"x": -Infinity}}}',
        b'{"event": "dtmf", "dtmf": {"digit": "\xff"}}',  # invalid UTF-8
        b"\xff\xfe" + '{"event": "stop"}'.encode("utf-16-le"),
        '{"event": "' + "x" * 200_000 + '"}',
        "\ud800",
        "",
    ],
)
def test_hostile_messages_are_rejected_or_read_never_raised(data: str | bytes) -> None:
    parsed = wire.parse_inbound(data)
    assert isinstance(parsed, wire.InboundMessage | wire.Rejected)
    if isinstance(parsed, wire.Rejected):
        assert len(parsed.reason) < 80  # a reason names the problem, it never quotes the message


# -- on a real gateway ---------------------------------------------------------------------------------------


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


def test_a_nested_frame_before_start_is_refused_with_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    handler = RecordingHandler(until="#")
    codes: list[int | None] = []

    async def test() -> None:
        async with live_gateway(handler) as live:
            target = f"ws://{live.server_url.split('://')[1]}/twilio/stream"
            headers = {SIGNATURE_HEADER: sign_websocket(TOKEN, PUBLIC.replace("https", "wss") + "/twilio/stream")}
            for frames in ([NESTED], [wire.encode_inbound(wire.Connected(), "MZ1"), NESTED.encode()]):
                async with connect(target, additional_headers=headers, proxy=None, max_size=None) as socket:
                    for frame in frames:
                        await socket.send(frame)
                    await asyncio.wait_for(socket.wait_closed(), 3)
                    codes.append(socket.close_code)
            call = live.call()  # the server still answers, and the next call works
            await call.start()
            await call.send_dtmf("#")
            await asyncio.wait_for(call.ended.wait(), 3)

    with caplog.at_level(logging.WARNING, logger="telephony.twilio"):
        run(test)
    assert codes == [1008, 1008]
    assert handler.digits() == ["#"] and len(handler.calls) == 1
    refused = _logged(caplog, "unreadable message before start")
    assert len(refused) == 2
    assert all("nested deeper" in r.getMessage() and "100000 characters" in r.getMessage() for r in refused)
    assert "[[" not in caplog.text


def test_a_nested_frame_inside_a_call_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    handler = RecordingHandler(until="#")

    async def test() -> None:
        async with live_gateway(handler) as live:
            for _ in range(2):
                call = live.call()
                await call.start()
                await call.send_raw(NESTED)
                await call.send_raw(NESTED.encode())
                await call.send_dtmf("5")
                await call.send_dtmf("#")
                await asyncio.wait_for(call.ended.wait(), 3)
                assert call.end_reason == "server-closed"  # the handler returned on "#"

    with caplog.at_level(logging.WARNING, logger="telephony.twilio"):
        run(test)
    assert handler.digits() == ["5", "#", "5", "#"]
    assert [seen.rejected for seen in handler.calls] == [2, 2]
    skipped = _logged(caplog, "skipped a message (JSON nested deeper than 32 levels; 100000 characters)")
    assert len(skipped) == 2  # the first of each call; the second is counted, at debug level
    assert "[[" not in caplog.text and not _logged(caplog, "failed")


class _Keys(FrameProcessor):
    """Notes the keys pipecat's transport reads from the caller."""

    def __init__(self, keys: list[str], done: asyncio.Event) -> None:
        super().__init__()
        self.keys = keys
        self.done = done

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputDTMFFrame):
            self.keys.append(frame.button.value)
            if frame.button.value == "#":
                self.done.set()
        await self.push_frame(frame, direction)


class PipecatHandler:
    """Reads the socket through pipecat's transport with our serializer, as the voice pipeline does."""

    takes_socket = True

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.serializers: list[CallTwilioSerializer] = []

    async def handle(self, call: TwilioCall) -> None:
        serializer = CallTwilioSerializer(
            call.stream_sid, call.call_sid, params=TwilioFrameSerializer.InputParams(auto_hang_up=False)
        )
        self.serializers.append(serializer)
        params = FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=serializer
        )
        transport = CallWebsocketTransport(call.websocket, params)
        done = asyncio.Event()
        worker = PipelineWorker(
            Pipeline([transport.input(), _Keys(self.keys, done), transport.output()]), enable_rtvi=False
        )
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        running = asyncio.create_task(runner.run())
        try:
            await asyncio.wait_for(done.wait(), 10)
        finally:
            await worker.cancel()
            await asyncio.wait_for(running, 10)


@pytest.mark.slow
def test_pipecats_reader_skips_a_nested_frame_and_the_call_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    handler = PipecatHandler()

    async def test() -> None:
        async with live_gateway(handler) as live:
            for _ in range(2):
                call = live.call()
                await call.start()
                await call.send_raw(NESTED)
                await call.send_raw('{"event": "media", "media": {"payload": "%%%"}}')
                await call.send_dtmf("5")
                await call.send_dtmf("#")
                await asyncio.wait_for(call.ended.wait(), 15)

    with caplog.at_level(logging.WARNING, logger="telephony.twilio"):
        run(test, timeout=60)
    assert handler.keys == ["5", "#", "5", "#"]
    assert [serializer.rejected for serializer in handler.serializers] == [2, 2]
    assert len(_logged(caplog, "skipped a message (JSON nested deeper than 32 levels; 100000 characters)")) == 2
    assert "[[" not in caplog.text and "%%%" not in caplog.text
