"""The RTP side of a call: one UDP socket, a 20 ms clock that sends and plays out, latching, media timeout."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Callable
from typing import cast

from telephony.g711 import FRAME_SAMPLES, FRAME_SECONDS, PHONE_RATE
from telephony.sip.errors import SipError
from telephony.sip.rtp import (
    FRAME_PCM_BYTES,
    SILENCE_PCM,
    DigitDetector,
    JitterBuffer,
    build_packet,
    decode,
    dtmf_payload,
    encode,
    parse_packet,
)
from telephony.sip.sdp import Negotiated

logger = logging.getLogger(__name__)

MAX_QUEUED_BYTES = 16_000 * 600
"""Ten minutes of queued audio at most (older audio is dropped beyond it)."""
_COMFORT_NOISE_PT = 13


class MediaSession(asyncio.DatagramProtocol):
    """Sends queued audio as paced RTP, receives and reorders the peer's, reports audio frames and digits.

    `on_audio` gets 320 bytes of 8 kHz s16le every 20 ms (silence before the first packet, concealment for losses);
    `on_digit` gets each RFC 4733 key press once; `on_timeout` is called once when no RTP came for
    `media_timeout` seconds while the peer is supposed to send.
    """

    def __init__(
        self,
        *,
        on_audio: Callable[[bytes], None],
        on_digit: Callable[[str], None],
        on_timeout: Callable[[], None],
        media_timeout: float = 30.0,
    ) -> None:
        self.on_audio, self.on_digit, self.on_timeout = on_audio, on_digit, on_timeout
        self.media_timeout = media_timeout
        self.transport: asyncio.DatagramTransport | None = None
        self.local: tuple[str, int] = ("127.0.0.1", 0)
        self.negotiated: Negotiated | None = None
        self.latched: tuple[str, int] | None = None
        self._stale: tuple[str, int] | None = None
        self._sdp_remote: tuple[str, int] | None = None
        self._trusted: set[str] = set()
        """Hosts we latch onto: the SDP's and the signalling peer's (no RTP injection from elsewhere)."""
        self._first = True
        self._jitter = JitterBuffer()
        self._digits = DigitDetector()
        self._audio_ssrc: int | None = None
        self._queue = bytearray()
        self._drained = asyncio.Event()
        self._drained.set()
        self._dtmf: deque[tuple[bytes, bool]] = deque()
        self._dtmf_done: asyncio.Future[None] | None = None
        self._dtmf_timestamp = 0
        self._ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._timestamp = secrets.randbits(32)
        self._talking = False
        self._last_rx = 0.0
        self._timed_out = False
        self._task: asyncio.Task[None] | None = None
        self.packets_sent = 0
        self.packets_received = 0

    async def bind(self, host: str) -> None:
        """Open the RTP socket on `host`, ephemeral port."""
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: self, local_addr=(host, 0))
        except OSError as error:
            raise SipError(f"cannot bind RTP on {host}: {error}") from error
        assert self.transport is not None
        self.local = self.transport.get_extra_info("sockname")[:2]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = cast(asyncio.DatagramTransport, transport)  # 3.11's selector one is no subclass of it

    def error_received(self, exc: Exception) -> None:  # noqa: D102
        logger.debug("RTP socket error: %s", exc)

    def trust(self, host: str) -> None:
        """Also latch onto RTP from `host` (the address the signalling came from)."""
        self._trusted.add(host)

    def configure(self, negotiated: Negotiated) -> None:
        """Apply the outcome of an offer/answer (a re-INVITE may move the peer: latch again then)."""
        previous = self.negotiated
        if negotiated.remote[0] not in ("0.0.0.0", "::"):  # c=0.0.0.0 is a hold, not a move
            if self._sdp_remote is not None and self._sdp_remote != negotiated.remote:
                self._stale, self.latched = self.latched, None  # the peer moved: its old address no longer counts
            self._sdp_remote = negotiated.remote
        if previous is not None and previous.payload_type != negotiated.payload_type:
            self._jitter = JitterBuffer()
        self.negotiated = negotiated
        self._trusted.add(negotiated.remote[0])
        self._last_rx = asyncio.get_running_loop().time()
        self._timed_out = False

    def start(self) -> None:
        """Start the 20 ms clock."""
        if self._task is None:
            self._last_rx = asyncio.get_running_loop().time()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="rtp-clock")

    def close(self) -> None:
        """Stop the clock and close the socket (idempotent)."""
        if self._task is not None:
            self._task.cancel()
        if self.transport is not None:
            self.transport.close()
        if self._dtmf_done is not None and not self._dtmf_done.done():
            self._dtmf_done.set_result(None)
        self._queue.clear()
        self._drained.set()

    # --- playing ---

    def play(self, pcm: bytes) -> None:
        """Queue 8 kHz s16le mono audio."""
        if not pcm:
            return
        self._queue += pcm[: len(pcm) // 2 * 2]
        if len(self._queue) > MAX_QUEUED_BYTES:
            del self._queue[: len(self._queue) - MAX_QUEUED_BYTES]
        self._drained.clear()

    def clear(self) -> None:
        """Drop queued audio not sent yet."""
        self._queue.clear()
        self._drained.set()

    @property
    def queued_seconds(self) -> float:
        """Queued audio, in seconds."""
        return len(self._queue) / 16_000

    async def drained(self) -> None:
        """Return once the queue is empty."""
        await self._drained.wait()

    async def send_digit(self, digit: str, duration_ms: int = 160) -> None:
        """Send one RFC 4733 event (packets every 20 ms, three end packets), audio paused meanwhile."""
        negotiated = self.negotiated
        if negotiated is None or negotiated.dtmf_pt is None or self.transport is None or self.transport.is_closing():
            logger.warning("cannot send digit %r: no telephone-event negotiated", digit)
            return
        while self._dtmf_done is not None and not self._dtmf_done.done():
            await asyncio.shield(self._dtmf_done)
        total = max(FRAME_SAMPLES, duration_ms * PHONE_RATE // 1000)
        packets = [
            (dtmf_payload(digit, end=False, duration=d), d == FRAME_SAMPLES)
            for d in range(FRAME_SAMPLES, total, FRAME_SAMPLES)
        ]
        packets += [(dtmf_payload(digit, end=True, duration=total), not packets)] * 3
        self._dtmf.extend(packets)
        self._dtmf_done = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._dtmf_done)

    # --- the clock ---

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start, ticks = loop.time(), 0
        while True:
            ticks += 1
            delay = start + ticks * FRAME_SECONDS - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.2:  # the loop stalled: resynchronise rather than burst
                start, ticks = loop.time(), 0
                self._talking = False
            try:
                self._tick(loop.time())
            except Exception:  # noqa: BLE001 - one bad frame must not stop the call's audio
                logger.exception("RTP tick failed")

    def _tick(self, now: float) -> None:
        self._send_frame()
        pcm, _kind = self._jitter.pop()
        self.on_audio(pcm)
        negotiated = self.negotiated
        if (
            negotiated is not None
            and negotiated.receiving
            and not self._timed_out
            and now - self._last_rx > self.media_timeout
        ):
            self._timed_out = True
            self.on_timeout()

    def _send_frame(self) -> None:
        negotiated = self.negotiated
        target = self.latched or (negotiated.remote if negotiated else None)
        sending = negotiated is not None and negotiated.sending and target is not None
        if self._dtmf:
            payload, first = self._dtmf.popleft()
            if first:
                self._dtmf_timestamp = self._timestamp
            if sending and negotiated is not None and negotiated.dtmf_pt is not None and target is not None:
                self._sendto(
                    build_packet(
                        negotiated.dtmf_pt, self._sequence, self._dtmf_timestamp, self._ssrc, payload, marker=first
                    ),
                    target,
                )
            self._sequence += 1
            self._timestamp += FRAME_SAMPLES
            if not self._dtmf and self._dtmf_done is not None and not self._dtmf_done.done():
                self._dtmf_done.set_result(None)
            return
        frame = bytes(self._queue[:FRAME_PCM_BYTES])
        del self._queue[:FRAME_PCM_BYTES]
        if not self._queue:
            self._drained.set()
        marker = (bool(frame) and not self._talking) or self._first
        self._talking, self._first = bool(frame), False
        frame = frame.ljust(FRAME_PCM_BYTES, b"\0") if frame else SILENCE_PCM
        if sending and negotiated is not None and target is not None:
            self._sendto(
                build_packet(
                    negotiated.payload_type,
                    self._sequence,
                    self._timestamp,
                    self._ssrc,
                    encode(negotiated.codec, frame),
                    marker=marker,
                ),
                target,
            )
        self._sequence += 1
        self._timestamp += FRAME_SAMPLES

    def _sendto(self, data: bytes, target: tuple[str, int]) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        try:
            self.transport.sendto(data, target)
            self.packets_sent += 1
        except OSError as error:
            logger.debug("RTP send to %s failed: %s", target, error)

    # --- receiving ---

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # noqa: D102
        try:
            self._received(data, (addr[0], addr[1]))
        except Exception:  # noqa: BLE001 - a hostile packet must not break the call
            logger.exception("dropped an RTP packet from %s that broke its handler", addr)

    def _received(self, data: bytes, addr: tuple[str, int]) -> None:
        negotiated = self.negotiated
        if negotiated is None or len(data) > 1500 or addr != (self.latched or addr) or addr == self._stale:
            return
        if self.latched is None and addr[0] not in self._trusted:
            return
        packet = parse_packet(data)
        if packet is None:
            return
        if packet.payload_type == negotiated.payload_type:
            if self._audio_ssrc != packet.ssrc:
                self._audio_ssrc, self._jitter = packet.ssrc, JitterBuffer()
            if packet.payload:
                pcm = decode(negotiated.codec, packet.payload[:FRAME_SAMPLES])  # ptime 20 asked: one frame
                self._jitter.push(packet.sequence, pcm.ljust(FRAME_PCM_BYTES, b"\0"))
        elif negotiated.dtmf_pt is not None and packet.payload_type == negotiated.dtmf_pt:
            digit = self._digits.feed(packet.timestamp, packet.payload)
            if digit is not None:
                self.on_digit(digit)
        elif packet.payload_type != _COMFORT_NOISE_PT:
            return
        if self.latched is None:
            self.latched = addr
        self._last_rx = asyncio.get_running_loop().time()
        self.packets_received += 1
