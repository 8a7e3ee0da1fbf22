"""RTP pieces without a network: packets and G.711 (aiortp), a small jitter buffer, RFC 4733 digits.

The jitter buffer and the digit de-duplication are ours: aiortp's JitterBuffer works on whole encoded frames with
its own playout policy, and its DtmfReceiver reports a digit at its end packet only.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from aiortp.codecs.g711 import PcmaCodec, PcmuCodec
from aiortp.dtmf import DTMF_EVENTS, EVENT_TO_DIGIT, DtmfEvent
from aiortp.packet import RtpPacket

from telephony.g711 import FRAME_SAMPLES

FRAME_PCM_BYTES = 2 * FRAME_SAMPLES
"""One 20 ms frame decoded: 16-bit PCM."""
SILENCE_PCM = bytes(FRAME_PCM_BYTES)
_CODECS = {"PCMU": PcmuCodec(), "PCMA": PcmaCodec()}

__all__ = [
    "DTMF_EVENTS",
    "FRAME_PCM_BYTES",
    "SILENCE_PCM",
    "DigitDetector",
    "JitterBuffer",
    "Playout",
    "Received",
    "decode",
    "dtmf_payload",
    "encode",
    "parse_packet",
    "seq_diff",
]


@dataclass(frozen=True)
class Received:
    """The useful part of an RTP packet."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes


def parse_packet(data: bytes) -> Received | None:
    """An RTP packet (version 2, CSRCs, extension and padding handled); `None` for anything else or RTCP."""
    if len(data) < 12 or data[0] >> 6 != 2 or 72 <= (data[1] & 0x7F) <= 76:
        return None
    try:
        packet = RtpPacket.parse(data)
    except Exception:  # noqa: BLE001 - a hostile datagram can break any parser
        return None
    return Received(
        packet.payload_type,
        packet.sequence_number,
        packet.timestamp,
        packet.ssrc,
        bool(packet.marker),
        bytes(packet.payload),
    )


def build_packet(
    payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, *, marker: bool = False
) -> bytes:
    """The wire bytes of an RTP packet."""
    return RtpPacket(
        payload_type=payload_type,
        marker=int(marker),
        sequence_number=sequence & 0xFFFF,
        timestamp=timestamp & 0xFFFFFFFF,
        ssrc=ssrc,
        payload=payload,
    ).serialize()


def encode(codec: str, pcm: bytes) -> bytes:
    """8 kHz s16le PCM to PCMU or PCMA bytes."""
    return _CODECS[codec].encode(pcm)


def decode(codec: str, payload: bytes) -> bytes:
    """PCMU or PCMA bytes to 8 kHz s16le PCM."""
    return _CODECS[codec].decode(payload)


def dtmf_payload(digit: str, *, end: bool, duration: int, volume: int = 10) -> bytes:
    """The 4-byte RFC 4733 payload of a key press."""
    return DtmfEvent(event=DTMF_EVENTS[digit.upper()], end=end, volume=volume, duration=duration).serialize()


def seq_diff(a: int, b: int) -> int:
    """The difference a - b of 16-bit RTP sequence numbers, with wrap-around (in -32768..32767)."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


def _attenuate(pcm: bytes, factor: float) -> bytes:
    count = len(pcm) // 2
    samples = struct.unpack(f"<{count}h", pcm[: count * 2])
    return struct.pack(f"<{count}h", *(int(s * factor) for s in samples))


class Playout(StrEnum):
    """What a frame out of the jitter buffer is."""

    AUDIO = "audio"
    """A frame the peer sent."""
    CONCEALED = "concealed"
    """A stand-in for a lost frame: the last one, fading, then silence."""
    SILENCE = "silence"
    """Nothing to play: the buffer is filling up (at the start, after an underrun)."""


class JitterBuffer:
    """Reorders 20 ms frames by sequence number, drops late and duplicate ones, conceals a lost one.

    `push` takes decoded frames as they arrive; `pop`, called every 20 ms, returns the next frame in order.
    Playout starts (and restarts after an underrun) once `depth` frames are buffered; until then, silence.
    A lost frame is concealed by the last good one at half level, then silence.
    """

    def __init__(self, depth: int = 3, max_frames: int = 12) -> None:
        self.depth = depth
        self.max_frames = max_frames
        self._frames: dict[int, bytes] = {}
        self._next: int | None = None
        """The sequence number to play next (None until playout starts); older ones are late."""
        self._playing = False
        self._last = SILENCE_PCM
        self._lost_run = 0
        self.late = 0
        self.duplicates = 0
        self.concealed = 0

    def __len__(self) -> int:
        return len(self._frames)

    def push(self, sequence: int, pcm: bytes) -> None:
        """Store one decoded frame (late, duplicate or absurdly far frames are counted and dropped)."""
        if self._next is not None:
            ahead = seq_diff(sequence, self._next)
            if ahead < 0:
                self.late += 1
                return
            if ahead > 50 * self.max_frames:  # a new stream (restarted sender): start over from it
                self._frames.clear()
                self._next, self._playing = None, False
        if sequence in self._frames:
            self.duplicates += 1
            return
        self._frames[sequence] = pcm
        while len(self._frames) > self.max_frames:  # the sender runs fast, or a jump: skip the oldest
            oldest = self._oldest()
            del self._frames[oldest]
            if self._next is not None and seq_diff(oldest, self._next) >= 0:
                self._next = (oldest + 1) & 0xFFFF

    def _oldest(self) -> int:
        reference = next(iter(self._frames))
        return min(self._frames, key=lambda seq: seq_diff(seq, reference))

    def pop(self) -> tuple[bytes, Playout]:
        """The next 20 ms of PCM and what it is."""
        if not self._playing:
            if len(self._frames) < self.depth:
                return SILENCE_PCM, Playout.SILENCE
            self._playing, self._next = True, self._oldest()
        assert self._next is not None
        frame = self._frames.pop(self._next, None)
        if frame is not None:
            self._next = (self._next + 1) & 0xFFFF
            self._last, self._lost_run = frame, 0
            return frame, Playout.AUDIO
        if not self._frames:  # underrun: wait for `depth` frames again
            self._playing = False
            self._last, self._lost_run = SILENCE_PCM, 0
            return SILENCE_PCM, Playout.SILENCE
        self._next = (self._next + 1) & 0xFFFF
        self._lost_run += 1
        self.concealed += 1
        if self._lost_run > 2:
            return SILENCE_PCM, Playout.CONCEALED
        return _attenuate(self._last, 0.5**self._lost_run), Playout.CONCEALED


class DigitDetector:
    """RFC 4733 telephone-events to key presses: one digit per event, at its first packet.

    An event is identified by its RTP timestamp (all its packets, the three end packets included, share it).
    """

    def __init__(self, memory: int = 32) -> None:
        self._seen: deque[tuple[int, int]] = deque(maxlen=memory)

    def feed(self, timestamp: int, payload: bytes) -> str | None:
        """The digit when this packet starts a new event, else `None` (continuation, end, repeat or garbage)."""
        if len(payload) < 4:
            return None
        event = DtmfEvent.parse(payload)
        digit = EVENT_TO_DIGIT.get(event.event)
        key = (timestamp, event.event)
        if digit is None or key in self._seen:
            return None
        self._seen.append(key)
        return digit
