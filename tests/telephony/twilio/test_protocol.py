import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.twilio.buffers import MediaReorderBuffer, PlayoutBuffer
from telephony.twilio.protocol import (
    Clear,
    Connected,
    Dtmf,
    Mark,
    Media,
    MediaFormat,
    OutboundMark,
    OutboundMedia,
    Rejected,
    Start,
    Stop,
    encode_inbound,
    encode_outbound,
    parse_inbound,
    parse_outbound,
)

ULAW = bytes(range(160))
PAYLOAD = base64.b64encode(ULAW).decode()

# Messages as Twilio documents them (values are strings, as Twilio sends them).
TWILIO_START = {
    "event": "start",
    "sequenceNumber": "1",
    "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
    "start": {
        "accountSid": "AC123",
        "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
        "callSid": "CA123",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"token": "1.abc", "caller": "+33612345678"},
    },
}
TWILIO_MEDIA = {
    "event": "media",
    "sequenceNumber": "3",
    "streamSid": "MZ1",
    "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": PAYLOAD},
}


def test_parse_documented_messages() -> None:
    assert parse_inbound(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})) == Connected()
    start = parse_inbound(json.dumps(TWILIO_START))
    assert start == Start(
        "MZ18ad3ab5a668481ce02b83e7395059f0",
        "CA123",
        "AC123",
        {"token": "1.abc", "caller": "+33612345678"},
        MediaFormat(),
        ("inbound",),
        1,
    )
    assert parse_inbound(json.dumps(TWILIO_MEDIA)) == Media(ULAW, 1, 5, 3, "inbound")
    assert parse_inbound(
        '{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"}}'
    ) == Dtmf("1", 5)
    assert parse_inbound('{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"greeting"}}') == Mark(
        "greeting", 4
    )
    assert parse_inbound(
        '{"event":"stop","sequenceNumber":"5","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}'
    ) == Stop("CA1", "AC1", 5)
    assert parse_inbound(b'{"event":"stop"}') == Stop()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("", "malformed JSON"),
        ("{not json", "malformed JSON"),
        (b"\xff\xfe\x00garbage", "malformed JSON"),
        ("[1, 2]", "not a JSON object"),
        ('"media"', "not a JSON object"),
        ("{}", "missing 'event'"),
        ('{"event": 5}', "missing 'event'"),
        ('{"event": "hello"}', "unknown event"),
        ('{"event": "clear"}', "unknown event"),
        ('{"event": "media"}', "missing 'media'"),
        ('{"event": "media", "media": {}}', "missing media payload"),
        ('{"event": "media", "media": {"payload": "!!not base64!!"}}', "not base64"),
        ('{"event": "media", "media": {"payload": "AAA"}}', "not base64"),
        ('{"event": "media", "media": {"payload": 12}}', "missing media payload"),
        (json.dumps({**TWILIO_MEDIA, "sequenceNumber": "x"}), "sequenceNumber"),
        (json.dumps({**TWILIO_MEDIA, "media": {**TWILIO_MEDIA["media"], "chunk": "-1"}}), "chunk"),
        (json.dumps({**TWILIO_MEDIA, "media": {**TWILIO_MEDIA["media"], "timestamp": 1.5}}), "timestamp"),
        ('{"event": "dtmf", "dtmf": {"digit": "12"}}', "keypad"),
        ('{"event": "dtmf", "dtmf": {"digit": "x"}}', "keypad"),
        ('{"event": "dtmf", "dtmf": {}}', "keypad"),
        ('{"event": "dtmf"}', "missing 'dtmf'"),
        ('{"event": "mark", "mark": {"name": ""}}', "'name'"),
        ('{"event": "start", "start": {"streamSid": "MZ1"}}', "callSid"),
        (
            '{"event": "start", "start": {"callSid": "CA1", "streamSid": "MZ1", "customParameters": []}}',
            "customParameters",
        ),
        ('{"event": "start"}', "missing 'start'"),
        ("x" * 300_000, "too long"),
    ],
)
def test_malformed_inbound_messages_are_rejected_not_raised(data: str | bytes, reason: str) -> None:
    result = parse_inbound(data)
    assert isinstance(result, Rejected)
    assert reason in result.reason


def test_unknown_event_keeps_its_name() -> None:
    assert parse_inbound('{"event": "hello"}') == Rejected("unknown event 'hello'", "hello")


@pytest.mark.parametrize(
    "message",
    [
        Connected(),
        Start("MZ1", "CA1", "AC1", {"token": "t"}, sequence=1),
        Media(ULAW, 7, 120, 9),
        Dtmf("#", 3),
        Mark("m", 4),
        Stop("CA1", "AC1", 10),
    ],
)
def test_inbound_round_trip(message: object) -> None:
    assert parse_inbound(encode_inbound(message, "MZ1")) == message  # type: ignore[arg-type]


def test_inbound_messages_carry_strings_like_twilio() -> None:
    media = json.loads(encode_inbound(Media(ULAW, 7, 120, 9), "MZ1"))
    assert media["sequenceNumber"] == "9" and media["media"]["chunk"] == "7" and media["media"]["timestamp"] == "120"
    assert media["streamSid"] == "MZ1"


def test_outbound_messages_are_the_three_twilio_accepts() -> None:
    assert json.loads(encode_outbound(OutboundMedia(ULAW), "MZ1")) == {
        "event": "media",
        "streamSid": "MZ1",
        "media": {"payload": PAYLOAD},
    }
    assert json.loads(encode_outbound(OutboundMark("end"), "MZ1")) == {
        "event": "mark",
        "streamSid": "MZ1",
        "mark": {"name": "end"},
    }
    assert json.loads(encode_outbound(Clear(), "MZ1")) == {"event": "clear", "streamSid": "MZ1"}
    for message in (OutboundMedia(ULAW), OutboundMark("end"), Clear()):
        assert parse_outbound(encode_outbound(message, "MZ1")) == message


@pytest.mark.parametrize(
    "data",
    [
        '{"event": "start"}',
        '{"event": "stop"}',
        '{"event": "dtmf"}',
        "{oops",
        '{"event": "media", "media": {"payload": "%%"}}',
    ],
)
def test_outbound_anything_else_is_error_31924(data: str) -> None:
    assert isinstance(parse_outbound(data), Rejected)


def frames(*chunks: int) -> list[Media]:
    return [Media(bytes([c % 256]), chunk=c) for c in chunks]


def chunks_of(buffer: MediaReorderBuffer, *pushed: int) -> list[int]:
    out: list[int] = []
    for media in frames(*pushed):
        out += [m.chunk for m in buffer.push(media)]  # type: ignore[misc]
    return out


def test_reorder_in_order_passes_through() -> None:
    assert chunks_of(MediaReorderBuffer(), 1, 2, 3, 4) == [1, 2, 3, 4]


def test_reorder_swaps_back_and_drops_duplicates_and_late_frames() -> None:
    buffer = MediaReorderBuffer()
    assert chunks_of(buffer, 1, 3, 2, 2, 4, 1) == [1, 2, 3, 4]
    assert buffer.dropped == 2


def test_reorder_gives_up_a_lost_frame_after_the_window() -> None:
    buffer = MediaReorderBuffer(window=2)
    assert chunks_of(buffer, 1, 3, 4) == [1]
    assert chunks_of(buffer, 5) == [3, 4, 5]
    assert chunks_of(buffer, 2) == []  # too late now
    assert buffer.dropped == 1


def test_reorder_drops_wild_jumps_and_flushes() -> None:
    buffer = MediaReorderBuffer(max_jump=100)
    assert chunks_of(buffer, 1, 10_000, 2, 4) == [1, 2]
    assert [m.chunk for m in buffer.flush()] == [4]
    assert chunks_of(buffer, 5) == [5]


def test_reorder_frames_without_numbers_pass_through() -> None:
    assert MediaReorderBuffer().push(Media(ULAW)) == [Media(ULAW)]


@given(st.lists(st.integers(min_value=0, max_value=60), max_size=80))
def test_reorder_output_is_increasing_and_unique(pushed: list[int]) -> None:
    buffer = MediaReorderBuffer()
    out = chunks_of(buffer, *pushed) + [m.chunk for m in buffer.flush()]
    assert out == sorted(set(out))
    assert set(out) <= set(pushed)
    assert len(out) + buffer.dropped == len(pushed)


def test_playout_plays_in_order_and_reaches_marks_after_their_audio() -> None:
    playout = PlayoutBuffer()
    playout.add_mark("start")
    playout.add_audio(b"a" * 200)
    playout.add_mark("after-a")
    playout.add_audio(b"b" * 100)
    playout.add_mark("end")
    assert playout.buffered == 300
    assert playout.play() == (b"a" * 160, ["start"])
    assert playout.play() == (b"a" * 40 + b"b" * 100, ["after-a", "end"])
    assert playout.play() == (b"", [])
    assert playout.buffered == 0


def test_playout_clear_drops_audio_and_returns_pending_marks() -> None:
    playout = PlayoutBuffer()
    playout.add_audio(b"a" * 1000)
    playout.add_mark("one")
    playout.add_audio(b"b" * 1000)
    playout.add_mark("two")
    playout.play()
    assert playout.clear() == ["one", "two"]
    assert playout.play() == (b"", []) and playout.buffered == 0
