"""The RTP side of a call on real UDP sockets: packet fields, marker, RFC 4733 sending, latching."""

from __future__ import annotations

import asyncio
import socket

import pytest

from telephony.g711 import tone
from telephony.sip.media import MediaSession
from telephony.sip.rtp import DigitDetector, parse_packet
from telephony.sip.sdp import Direction, Negotiated
from tests.telephony.sip.peers import RawPeer, rtp


def run(main, limit: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async def bounded() -> None:
        await asyncio.wait_for(main(), limit)

    asyncio.run(bounded())


def session(audio: list[bytes] | None = None, digits: list[str] | None = None) -> MediaSession:
    return MediaSession(
        on_audio=(audio.append if audio is not None else lambda _: None),
        on_digit=(digits.append if digits is not None else lambda _: None),
        on_timeout=lambda: None,
    )


def negotiated(remote: tuple[str, int], direction: Direction = Direction.SENDRECV) -> Negotiated:
    return Negotiated("PCMU", 0, 101, remote, direction)


async def packets(peer: RawPeer, count: int) -> list:  # type: ignore[type-arg]
    return [parse_packet(await peer.next(2.0)) for _ in range(count)]


def test_rtp_out_sequence_timestamp_ssrc_and_marker() -> None:
    async def main() -> None:
        peer = await RawPeer.open()
        media = session()
        await media.bind("127.0.0.1")
        media.configure(negotiated(peer.address))
        media.play(tone(800, 0.1))
        media.start()
        sent = await packets(peer, 12)
        media.play(tone(800, 0.04))
        sent += await packets(peer, 6)
        media.close()
        peer.close()
        assert all(p is not None and p.payload_type == 0 and len(p.payload) == 160 for p in sent)
        assert len({p.ssrc for p in sent}) == 1
        assert [(b.sequence - a.sequence) & 0xFFFF for a, b in zip(sent, sent[1:], strict=False)] == [1] * 17
        assert [(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in zip(sent, sent[1:], strict=False)] == [160] * 17
        markers = [p.marker for p in sent]
        assert markers[0] and not any(markers[1:12])
        assert markers[12:].count(True) == 1  # the second talkspurt starts with a marker
        assert set(sent[7].payload) == {0xFF}  # silence between the talkspurts

    run(main)


def test_a_digit_is_sent_as_rfc4733_events() -> None:
    async def main() -> None:
        peer = await RawPeer.open()
        media = session()
        await media.bind("127.0.0.1")
        media.configure(negotiated(peer.address))
        media.start()
        await media.send_digit("9", duration_ms=100)
        received = [p for p in await packets(peer, 12) if p is not None and p.payload_type == 101]
        media.close()
        peer.close()
        assert len(received) == 7  # 4 progress packets (20..80 ms), 3 end packets at 100 ms
        assert len({p.timestamp for p in received}) == 1 and received[0].marker
        ends = [p for p in received if p.payload[1] & 0x80]
        assert len(ends) == 3 and all(int.from_bytes(p.payload[2:4], "big") == 800 for p in ends)
        detector = DigitDetector()
        assert [d for p in received if (d := detector.feed(p.timestamp, p.payload))] == ["9"]

    run(main)


def test_latching_follows_the_first_trusted_source_only() -> None:
    async def main() -> None:
        audio: list[bytes] = []
        digits: list[str] = []
        declared = await RawPeer.open()
        actual = await RawPeer.open()
        media = session(audio, digits)
        await media.bind("127.0.0.1")
        media.configure(negotiated(declared.address))
        media.start()
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            stranger.bind(("127.0.0.2", 0))
        except OSError:
            pytest.fail("127.0.0.2 cannot be bound: the loopback network is needed for this test")
        stranger.sendto(rtp(1, 160, b"\x00" * 160), media.local)
        await asyncio.sleep(0.1)
        assert media.latched is None
        for n in range(5):
            actual.send(rtp(10 + n, 1600 + 160 * n, b"\x00" * 160), media.local)
        actual.send(rtp(20, 5000, bytes([1, 0x80, 0, 160]), payload_type=101), media.local)
        await asyncio.sleep(0.15)
        assert media.latched == actual.address and digits == ["1"]
        declared.send(rtp(30, 8000, bytes([2, 0, 0, 160]), payload_type=101), media.local)
        await asyncio.sleep(0.1)
        assert digits == ["1"]
        actual.drain()
        assert parse_packet(await actual.next(1.0)) is not None  # our RTP now goes where theirs comes from
        assert any(max(pcm) > 100 for pcm in audio)  # mu-law 0x00 is a loud sample
        stranger.close()
        media.close()
        declared.close()
        actual.close()

    run(main)
