"""Test-only helpers for the SIP tests: a recording call handler, audio measures, sipp runs, raw UDP peers."""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from telephony.g711 import tone
from telephony.sip import Audio, SipCall

SCENARIOS = Path(__file__).parent / "scenarios"
DTMF_1_PCAP = Path("/usr/share/sip-tester/dtmf_2833_1.pcap")


def require(program: str) -> str:
    """The path of a SIP test peer, or a clear failure (CI installs it: apt-get install sip-tester)."""
    path = shutil.which(program)
    assert path, (
        f"`{program}` is not installed: the SIP tests need real peers (apt-get install sip-tester baresip-core)"
    )
    return path


def level(pcm: bytes) -> float:
    """Peak absolute sample of 16-bit PCM, in [0, 1]."""
    samples = np.frombuffer(pcm, dtype="<i2")
    return float(np.abs(samples.astype(np.int32)).max() / 32768) if samples.size else 0.0


def dominant_hz(pcm: bytes, rate: int = 8000) -> float:
    """The strongest frequency of 16-bit PCM."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))])


@dataclass
class Recorder:
    """A test `on_call` handler: plays a short tone, collects the caller's audio and digits until the call ends."""

    greeting: bytes = field(default_factory=lambda: tone(440, 0.4))
    hold: float = 0.0
    """Seconds to keep the call before returning (0: until the caller hangs up)."""
    calls: list[SipCall] = field(default_factory=list)
    audio: dict[str, bytearray] = field(default_factory=dict)
    digits: dict[str, list[str]] = field(default_factory=dict)
    live: int = 0
    most_live: int = 0

    async def __call__(self, call: SipCall) -> None:
        self.calls.append(call)
        self.audio[call.call_id], self.digits[call.call_id] = bytearray(), []
        self.live += 1
        self.most_live = max(self.most_live, self.live)
        try:
            call.play(self.greeting)
            reader = asyncio.ensure_future(self._read(call))
            if self.hold:
                await asyncio.wait([reader], timeout=self.hold)
                reader.cancel()
            else:
                await reader
        finally:
            self.live -= 1

    async def _read(self, call: SipCall) -> None:
        async for event in call.events():
            if isinstance(event, Audio):
                assert len(event.pcm) == 320
                self.audio[call.call_id] += event.pcm
            else:
                self.digits[call.call_id].append(event.digit)

    def voiced(self, call_id: str, threshold: float = 0.05) -> bytes:
        """The caller's non-silent 20 ms frames, joined."""
        pcm = bytes(self.audio[call_id])
        frames = [pcm[i : i + 320] for i in range(0, len(pcm), 320)]
        return b"".join(frame for frame in frames if level(frame) > threshold)


def free_media_port() -> int:
    """An even UDP port p with p and p + 2 free (sipp binds both), for `-mp`."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1] & ~1
        try:
            with (
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
            ):
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 2))
            return port
        except OSError:
            continue
    raise AssertionError("no free UDP port pair for sipp's media")


@dataclass
class SippResult:
    returncode: int
    output: str


async def sipp(
    scenario: str,
    server: tuple[str, int],
    cwd: Path,
    *,
    calls: int = 1,
    rate: int = 10,
    limit: float = 20.0,
    extra: tuple[str, ...] = (),
) -> SippResult:
    """Run sipp (a UAC) once against `server` with a scenario of `SCENARIOS`; bounded by `limit` seconds."""
    program = require("sipp")
    args = [
        f"{server[0]}:{server[1]}",
        "-sf",
        str(SCENARIOS / scenario),
        "-m",
        str(calls),
        "-r",
        str(rate),
        "-l",
        str(max(calls, 1)),
        "-i",
        "127.0.0.1",
        "-mi",
        "127.0.0.1",
        "-mp",
        str(free_media_port()),
        "-s",
        "bot",
        "-nostdin",
        "-timeout",
        f"{int(limit)}s",
        "-timeout_error",
        "-trace_err",
        *extra,
    ]
    process = await asyncio.create_subprocess_exec(
        program,
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), limit + 10)
    except TimeoutError:
        process.kill()
        out, _ = await process.communicate()
    errors = "".join(_tail(path) for path in cwd.glob("*_errors.log"))  # noqa: ASYNC240 - a few small files
    return SippResult(process.returncode or 0, out.decode(errors="replace")[-3000:] + errors)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


class RawPeer(asyncio.DatagramProtocol):
    """A bare UDP socket that collects whatever it receives (a hand-made SIP or RTP peer)."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None
        self.address: tuple[str, int] = ("127.0.0.1", 0)

    @classmethod
    async def open(cls) -> RawPeer:
        peer = cls()
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: peer, local_addr=("127.0.0.1", 0)
        )
        peer.transport = transport
        peer.address = transport.get_extra_info("sockname")[:2]
        return peer

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait((data, addr))

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)

    async def next(self, limit: float = 3.0) -> bytes:
        data, _ = await asyncio.wait_for(self.received.get(), limit)
        return data

    async def response(self, status: int, limit: float = 3.0) -> bytes:
        """The next SIP message starting with `SIP/2.0 <status>` (others are skipped)."""
        async with asyncio.timeout(limit):
            while True:
                data = await self.next(limit)
                if data.startswith(f"SIP/2.0 {status} ".encode()):
                    return data

    def drain(self) -> list[bytes]:
        items = []
        while not self.received.empty():
            items.append(self.received.get_nowait()[0])
        return items

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def invite(
    peer: RawPeer,
    *,
    call_id: str,
    branch: str,
    sdp: str | None = None,
    to_tag: str | None = None,
    cseq: int = 1,
    method: str = "INVITE",
    extra: str = "",
) -> bytes:
    """A hand-written request from `peer` to a bot (PCMU + telephone-event offer by default)."""
    host, port = peer.address
    body = (
        sdp
        if sdp is not None
        else f"v=0\r\no=raw 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
    to = f"<sip:bot@127.0.0.1>{f';tag={to_tag}' if to_tag else ''}"
    head = (
        f"{method} sip:bot@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {host}:{port};branch={branch}\r\n"
        f"From: <sip:raw@{host}:{port}>;tag=rawtag\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\nContact: <sip:raw@{host}:{port}>\r\nMax-Forwards: 70\r\n{extra}"
    )
    if method in ("INVITE",) and body:
        head += "Content-Type: application/sdp\r\n"
    else:
        body = ""
    return f"{head}Content-Length: {len(body.encode())}\r\n\r\n{body}".encode()


def rtp(sequence: int, timestamp: int, payload: bytes, *, payload_type: int = 0, ssrc: int = 0x1234) -> bytes:
    """A minimal RTP packet."""
    return struct.pack("!BBHII", 0x80, payload_type, sequence & 0xFFFF, timestamp, ssrc) + payload
