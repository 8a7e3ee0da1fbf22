"""Hostile RTP (issue 13): packets and RFC 4733 key presses from any bytes, never an exception.

`parse_packet` returns `None` for what is not a consistent RTP packet (short header, CSRC count beyond the length,
an extension longer than the packet, a padding length of 0 or beyond the payload) and the exact fields otherwise.
`DigitDetector` and the call's receive path report a key at most once per event (an RTP timestamp and its event
code), whatever the payloads: events above 15, zero durations, end packets repeated, timestamps out of order.

Hypothesis, derandomized and bounded: a few hundred examples per property.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony.sip.media import MediaSession
from telephony.sip.rtp import (
    FRAME_PCM_BYTES,
    DigitDetector,
    JitterBuffer,
    Received,
    build_packet,
    dtmf_payload,
    parse_packet,
)
from telephony.sip.sdp import Direction, Negotiated

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
DIGITS = "0123456789*#ABCD"
_RFC5285_PROFILES = (0xBEDE, 0x1000)
"""Extension profiles whose elements aiortp reads (and refuses when truncated)."""


@st.composite
def rtp_like(draw: st.DrawFn) -> bytes:
    """A version-2 header with any flags, CSRC count, extension and padding, over a body of any length."""
    padding, extension = draw(st.booleans()), draw(st.booleans())
    csrc_count = draw(st.integers(min_value=0, max_value=15))
    first = 0x80 | padding << 5 | extension << 4 | csrc_count
    second = draw(st.one_of(st.integers(0, 255), st.sampled_from([0, 0x80 | 101, 72, 76, 200, 201, 204])))  # RTCP
    header = struct.pack("!BBHII", first, second, draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 2**32 - 1)), 0x1234)
    csrcs = draw(st.binary(max_size=4 * csrc_count + 4))
    ext = b""
    if extension:
        profile = draw(st.one_of(st.sampled_from(_RFC5285_PROFILES), st.integers(0, 0xFFFF)))
        words = draw(st.integers(min_value=0, max_value=0xFFFF))
        ext = struct.pack("!HH", profile, words) + draw(st.binary(max_size=4 * min(words, 8) + 4))
        ext = ext[: draw(st.integers(min_value=0, max_value=len(ext)))]  # maybe cut anywhere
    payload = draw(st.binary(max_size=200))
    tail = bytes([draw(st.integers(min_value=0, max_value=255))]) if padding else b""
    return header + csrcs + ext + payload + tail


def expected(data: bytes) -> Received | None:
    """What RFC 3550 §5.1 makes of `data`, written independently of the parser (`None`: not a usable packet)."""
    if len(data) < 12 or data[0] >> 6 != 2 or 72 <= data[1] & 0x7F <= 76:
        return None
    position = 12 + 4 * (data[0] & 0x0F)
    if len(data) < position:
        return None
    if data[0] & 0x10:
        if len(data) < position + 4:
            return None
        position += 4 + 4 * struct.unpack_from("!H", data, position + 2)[0]
        if len(data) < position:
            return None
    end = len(data)
    if data[0] & 0x20:
        if not 1 <= data[-1] <= len(data) - position:
            return None
        end -= data[-1]
    sequence, timestamp, ssrc = struct.unpack_from("!HII", data, 2)
    return Received(data[1] & 0x7F, sequence, timestamp, ssrc, bool(data[1] & 0x80), data[position:end])


def has_rfc5285_extension(data: bytes) -> bool:
    position = 12 + 4 * (data[0] & 0x0F)
    return bool(data[0] & 0x10) and struct.unpack_from("!H", data, position)[0] in _RFC5285_PROFILES


@FUZZ
@given(st.one_of(rtp_like(), st.binary(max_size=300)))
def test_a_packet_is_parsed_exactly_or_refused(data: bytes) -> None:
    received = parse_packet(data)  # any exception fails the test
    wanted = expected(data)
    if wanted is not None and received is None and has_rfc5285_extension(data):
        return  # its one- or two-byte extension elements are malformed: dropping the packet is a clean refusal
    assert received == wanted


@FUZZ
@given(
    st.integers(0, 127).filter(lambda pt: not 72 <= pt <= 76),
    st.integers(0, 0xFFFF),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.binary(max_size=320),
    st.booleans(),
)
def test_what_we_send_reads_back(pt: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, mark: bool) -> None:
    received = parse_packet(build_packet(pt, sequence, timestamp, ssrc, payload, marker=mark))
    assert received == Received(pt, sequence, timestamp, ssrc, mark, payload)


def event_payloads(events: st.SearchStrategy[int]) -> st.SearchStrategy[bytes]:
    """RFC 4733 payloads of these event codes (any end bit, volume, duration, zero included), or any bytes."""
    return st.one_of(
        st.builds(
            lambda event, end, volume, duration, extra: struct.pack("!BBH", event, end << 7 | volume, duration) + extra,
            events,
            st.booleans(),
            st.integers(0, 63),
            st.one_of(st.just(0), st.integers(0, 0xFFFF)),
            st.one_of(st.just(b""), st.binary(max_size=8)),
        ),
        st.binary(max_size=12),
    )


EVENT_PAYLOADS = event_payloads(st.one_of(st.integers(0, 15), st.integers(0, 255)))
# 8 timestamps x 4 keys: 32 events, what the detector remembers (beyond it, the oldest is forgotten)
PACKETS = st.lists(
    st.tuples(st.integers(0, 7).map(lambda n: n * 160), event_payloads(st.sampled_from([0, 1, 11, 15, 16, 200]))),
    max_size=80,
)


@FUZZ
@given(PACKETS)
def test_a_key_is_reported_at_most_once_per_event(packets: list[tuple[int, bytes]]) -> None:
    """An event is a timestamp and its code; events 16 and above (flash, tones) are no keys."""
    detector = DigitDetector()
    reported: Counter[tuple[int, int]] = Counter()
    for timestamp, payload in packets:
        digit = detector.feed(timestamp, payload)
        if digit is not None:
            assert digit in DIGITS and len(payload) >= 4 and payload[0] == DIGITS.index(digit)
            reported[(timestamp, payload[0])] += 1
    assert all(count == 1 for count in reported.values()), reported


@st.composite
def key_presses(draw: st.DrawFn) -> tuple[list[str], list[tuple[int, bytes]]]:
    """Key presses as a sender writes them (start, updates, three end packets), then duplicated and reordered."""
    digits = draw(st.lists(st.sampled_from(DIGITS), min_size=1, max_size=8))
    packets = []
    for index, digit in enumerate(digits):
        timestamp = 8000 * index + draw(st.integers(0, 7000))
        durations = list(range(0, draw(st.integers(0, 1600)), 160))  # zero durations too
        packets += [(timestamp, dtmf_payload(digit, end=False, duration=d)) for d in durations]
        packets += [(timestamp, dtmf_payload(digit, end=True, duration=durations[-1] if durations else 0))] * 3
    packets += draw(st.lists(st.sampled_from(packets), max_size=10))  # duplicates
    return digits, draw(st.permutations(packets))  # late, early, end before start


@FUZZ
@given(key_presses())
def test_each_key_press_is_reported_exactly_once_whatever_the_order(
    presses: tuple[list[str], list[tuple[int, bytes]]],
) -> None:
    digits, packets = presses
    detector = DigitDetector()
    heard = [digit for timestamp, payload in packets if (digit := detector.feed(timestamp, payload)) is not None]
    assert sorted(heard) == sorted(digits)


@FUZZ
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 0xFFFF)), max_size=80))
def test_the_jitter_buffer_always_plays_a_frame(steps: list[tuple[bool, int]]) -> None:
    buffer = JitterBuffer()
    for push, sequence in steps:
        if push:
            buffer.push(sequence, bytes([sequence & 0xFF]) * FRAME_PCM_BYTES)
            assert len(buffer) <= buffer.max_frames
        else:
            pcm, _kind = buffer.pop()
            assert len(pcm) == FRAME_PCM_BYTES


PEER = ("127.0.0.1", 40000)
NEGOTIATED = Negotiated("PCMU", 0, 101, PEER, Direction.SENDRECV)
DATAGRAMS = st.one_of(
    st.binary(max_size=200),
    rtp_like(),
    st.builds(
        lambda pt, seq, ts, payload: build_packet(pt, seq, ts, 0x99, payload),
        st.sampled_from([0, 101, 13, 8, 96]),
        st.integers(0, 0xFFFF),
        st.integers(0, 10).map(lambda n: n * 160),
        st.one_of(EVENT_PAYLOADS, st.binary(max_size=400)),
    ),
)


@FUZZ
@given(st.lists(DATAGRAMS, max_size=30))  # fewer events than the detector remembers
def test_a_call_survives_any_rtp_and_reports_each_key_once(datagrams: list[bytes]) -> None:
    """The call's receive path and its 20 ms playout, fed hostile datagrams from the peer's address."""
    digits: list[str] = []
    frames: list[bytes] = []

    async def main() -> None:
        media = MediaSession(on_audio=frames.append, on_digit=digits.append, on_timeout=lambda: None)
        media.configure(NEGOTIATED)
        loop = asyncio.get_running_loop()
        for data in datagrams:
            media._received(data, PEER)  # not datagram_received: an exception must fail the test, not be logged
            media._tick(loop.time())
        media.close()

    asyncio.run(main())
    assert all(len(frame) == FRAME_PCM_BYTES for frame in frames) and len(frames) == len(datagrams)
    events = [
        (packet.timestamp, packet.payload[0])
        for data in datagrams
        if (packet := parse_packet(data)) is not None and packet.payload_type == 101 and len(packet.payload) >= 4
        if packet.payload[0] < 16
    ]
    assert len(digits) == len(set(events)), (digits, events)


@pytest.mark.parametrize(
    "data", [b"\x80" * 11, b"\x8f" + bytes(20), b"\x90" + bytes(11) + b"\x00\x00\xff\xff", b"\xa0" + bytes(11)]
)
def test_the_named_hostile_packets_are_refused(data: bytes) -> None:
    """Short header, 15 CSRCs in 21 bytes, an extension of 65535 words, a padding length of 0."""
    assert parse_packet(data) is None


def test_no_rtp_error_is_logged_for_hostile_datagrams(caplog: pytest.LogCaptureFixture) -> None:
    """Through `datagram_received` (what the socket calls), nothing reaches the 'broke its handler' log."""

    async def main() -> None:
        media = MediaSession(on_audio=lambda _: None, on_digit=lambda _: None, on_timeout=lambda: None)
        media.configure(NEGOTIATED)
        for data in (b"", b"\x80", b"\x80\x65" + bytes(10) + b"\x0b", bytes(range(256)), b"\xbf" * 1500):
            media.datagram_received(data, PEER)
        media.close()

    with caplog.at_level(logging.DEBUG, logger="telephony.sip.media"):
        asyncio.run(main())
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
