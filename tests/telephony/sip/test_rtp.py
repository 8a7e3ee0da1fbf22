"""RTP without a network: the jitter buffer (reorder, late, duplicate, conceal) and RFC 4733 de-duplication."""

from __future__ import annotations

import struct

from telephony.sip.rtp import (
    SILENCE_PCM,
    DigitDetector,
    JitterBuffer,
    build_packet,
    decode,
    dtmf_payload,
    encode,
    parse_packet,
    seq_diff,
)


def frame(value: int) -> bytes:
    return struct.pack("<160h", *([value] * 160))


def test_frames_come_out_in_order_after_the_buffer_fills() -> None:
    buffer = JitterBuffer(depth=3)
    for seq in (10, 12, 11):
        buffer.push(seq, frame(seq))
    assert [buffer.pop() for _ in range(4)] == [
        (frame(10), "audio"),
        (frame(11), "audio"),
        (frame(12), "audio"),
        (SILENCE_PCM, "silence"),
    ]


def test_silence_until_depth_frames_are_buffered() -> None:
    buffer = JitterBuffer(depth=3)
    buffer.push(1, frame(1))
    assert buffer.pop() == (SILENCE_PCM, "silence")


def test_late_and_duplicate_frames_are_dropped() -> None:
    buffer = JitterBuffer(depth=2)
    buffer.push(5, frame(5))
    buffer.push(6, frame(6))
    buffer.push(6, frame(66))
    assert buffer.pop() == (frame(5), "audio")
    buffer.push(5, frame(55))
    buffer.push(4, frame(44))
    assert buffer.pop() == (frame(6), "audio")
    assert (buffer.late, buffer.duplicates) == (2, 1)


def test_a_lost_frame_is_concealed_by_the_last_one_attenuated() -> None:
    buffer = JitterBuffer(depth=2)
    for seq in (1, 2, 4):
        buffer.push(seq, frame(1000))
    assert buffer.pop()[1] == buffer.pop()[1] == "audio"
    assert buffer.pop() == (frame(500), "concealed")
    assert buffer.pop() == (frame(1000), "audio")
    assert buffer.concealed == 1


def test_a_long_loss_fades_to_silence() -> None:
    buffer = JitterBuffer(depth=1)
    buffer.push(1, frame(800))
    buffer.push(6, frame(800))
    kinds = [buffer.pop() for _ in range(6)]
    assert [pcm for pcm, _ in kinds] == [frame(800), frame(400), frame(200), SILENCE_PCM, SILENCE_PCM, frame(800)]


def test_sequence_numbers_wrap_around() -> None:
    assert seq_diff(2, 65534) == 4 and seq_diff(65534, 2) == -4
    buffer = JitterBuffer(depth=3)
    for seq in (65535, 1, 0):
        buffer.push(seq, frame(seq % 7))
    assert [buffer.pop()[0] for _ in range(3)] == [frame(65535 % 7), frame(0), frame(1)]


def test_a_fast_sender_cannot_grow_the_buffer_without_bound() -> None:
    buffer = JitterBuffer(depth=3, max_frames=12)
    for seq in range(100):
        buffer.push(seq, frame(seq))
    assert len(buffer) == 12
    assert buffer.pop() == (frame(88), "audio")


def test_one_digit_per_event_despite_three_end_packets() -> None:
    detector = DigitDetector()
    packets = [dtmf_payload("5", end=False, duration=d) for d in (160, 320, 480)]
    packets += [dtmf_payload("5", end=True, duration=640)] * 3
    assert [detector.feed(8000, p) for p in packets] == ["5", None, None, None, None, None]
    assert detector.feed(9600, dtmf_payload("5", end=False, duration=160)) == "5"
    assert detector.feed(9600, b"\x01") is None
    assert detector.feed(12000, bytes([99, 0x80, 0, 160])) is None


def test_an_event_seen_only_by_its_end_packets_counts_once() -> None:
    detector = DigitDetector()
    assert [detector.feed(100, dtmf_payload("#", end=True, duration=800)) for _ in range(3)] == ["#", None, None]


def test_packets_round_trip_and_garbage_is_refused() -> None:
    data = build_packet(0, 65536 + 7, 2**32 + 5, 42, encode("PCMU", frame(3000)), marker=True)
    packet = parse_packet(data)
    assert packet is not None and (packet.sequence, packet.timestamp, packet.ssrc, packet.marker) == (7, 5, 42, True)
    assert abs(struct.unpack("<h", decode("PCMU", packet.payload)[:2])[0] - 3000) < 100
    assert parse_packet(b"\x00" * 20) is None
    assert parse_packet(b"\x80\x00") is None
    assert parse_packet(b"\xbf\x00" + b"\x00" * 10) is None  # 15 CSRCs announced, none there
    assert parse_packet(b"\x80\xc8" + b"\x00" * 30) is None  # RTCP sender report
    assert abs(struct.unpack("<h", decode("PCMA", encode("PCMA", frame(-3000)))[:2])[0] + 3000) < 100
