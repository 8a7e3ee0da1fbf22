"""SDP offer/answer for one audio stream (RFC 3264): G.711 (PCMU, PCMA) and RFC 4733 telephone-event.

aiosipua parses the text; the choice of codec, the telephone-event payload type and the hold directions are ours.
Pure functions, no network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from aiosipua.sdp import parse_sdp

from telephony.g711 import PHONE_RATE

STATIC_PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}
"""RFC 3551 static payload types of the codecs we speak."""
DEFAULT_DTMF_PT = 101


class Direction(StrEnum):
    """An SDP media direction attribute (RFC 3264 §5.1); a `str`, written as is into `a=`."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def opposite(self) -> Direction:
        """The direction that answers this one: sendonly and recvonly swap, the others stay."""
        return _OPPOSITE.get(self, self)


_OPPOSITE = {Direction.SENDONLY: Direction.RECVONLY, Direction.RECVONLY: Direction.SENDONLY}
_DIRECTIONS = frozenset(Direction)


@dataclass(frozen=True)
class RemoteMedia:
    """What the peer's SDP says about its audio stream."""

    host: str
    """Where it wants our RTP ("0.0.0.0" for the old hold style)."""
    port: int
    direction: Direction
    """Its direction (c=0.0.0.0 counts as sendonly)."""
    payload_types: dict[str, int]
    """Codec name (upper case) → payload type, in the peer's order of preference, 8 kHz audio codecs only."""
    dtmf_pt: int | None
    """The payload type of its telephone-event/8000, if it offers one."""


@dataclass(frozen=True)
class Negotiated:
    """The outcome of offer/answer for our side."""

    codec: str
    payload_type: int
    dtmf_pt: int | None
    remote: tuple[str, int]
    direction: Direction
    """Our direction: may we send (sendrecv, sendonly), do we expect RTP (sendrecv, recvonly)."""

    @property
    def sending(self) -> bool:
        """True when we send RTP (not on hold, the peer gave a real address)."""
        return self.direction in (Direction.SENDRECV, Direction.SENDONLY) and self.remote[0] not in ("0.0.0.0", "::")

    @property
    def receiving(self) -> bool:
        """True when the peer is expected to send RTP (the media timeout applies)."""
        return self.direction in (Direction.SENDRECV, Direction.RECVONLY)


def read_sdp(body: bytes | str) -> RemoteMedia | None:
    """The audio stream of an SDP body; `None` when the body is not usable SDP with an active audio stream.

    The address comes back in its canonical spelling, so that a hold to "0:0::0" is seen as one to "::" (it used
    to be taken for an address to send RTP to).
    """
    try:
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        if not text.lstrip().startswith("v="):
            return None
        sdp = parse_sdp(text)
        audio = sdp.audio
        if audio is None or not 0 < audio.port < 65536 or "RTP/AVP" not in audio.proto.upper():
            return None
        connection = audio.connection or sdp.connection
        if connection is None:
            return None
        host = str(ipaddress.ip_address(connection.address.split("/", 1)[0]))  # "0::0" is "::", a hold
    except Exception:  # noqa: BLE001 - a hostile body can break any parser
        return None
    payload_types: dict[str, int] = {}
    dtmf_pt = None
    for codec in audio.codecs:
        name = codec.encoding_name.upper()
        rate = codec.clock_rate or PHONE_RATE
        if not name or rate != PHONE_RATE or not 0 <= codec.payload_type < 128:
            continue
        if name == "TELEPHONE-EVENT":
            dtmf_pt = dtmf_pt if dtmf_pt is not None else codec.payload_type
        else:
            payload_types.setdefault(name, codec.payload_type)
    direction = Direction(audio.direction) if audio.direction in _DIRECTIONS else Direction.SENDRECV
    if Direction.SENDRECV not in audio.attributes and audio.direction == Direction.SENDRECV:
        direction = next((d for d in Direction if d in sdp.attributes), Direction.SENDRECV)  # a session-level one
    if host in ("0.0.0.0", "::") and direction is Direction.SENDRECV:
        direction = Direction.SENDONLY
    return RemoteMedia(host, audio.port, direction, payload_types, dtmf_pt)


def negotiate(
    remote: RemoteMedia, codecs: tuple[str, ...] | list[str] = ("PCMU", "PCMA"), *, prefer_ours: bool = True
) -> Negotiated | None:
    """Pick the codec (our order when `prefer_ours`, else the peer's); `None` when none matches (→ 488)."""
    ours = [name.upper() for name in codecs]
    order = ours if prefer_ours else [name for name in remote.payload_types if name in ours]
    for name in order:
        if name in remote.payload_types:
            return Negotiated(
                name,
                remote.payload_types[name],
                remote.dtmf_pt,
                (remote.host, remote.port),
                remote.direction.opposite,
            )
    return None


def build_sdp(
    host: str,
    port: int,
    codecs: list[tuple[str, int]],
    dtmf_pt: int | None,
    *,
    direction: Direction = Direction.SENDRECV,
    session_id: int = 1,
    version: int = 1,
    user: str = "voicebot",
) -> bytes:
    """An SDP offer or answer for one audio stream: `codecs` as (name, payload type), ptime 20."""
    family = "IP6" if ":" in host else "IP4"
    formats = [str(pt) for _, pt in codecs] + ([str(dtmf_pt)] if dtmf_pt is not None else [])
    lines = [
        "v=0",
        f"o={user} {session_id} {version} IN {family} {host}",
        "s=voicebot",
        f"c=IN {family} {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(formats)}",
    ]
    lines += [f"a=rtpmap:{pt} {name}/{PHONE_RATE}" for name, pt in codecs]
    if dtmf_pt is not None:
        lines += [f"a=rtpmap:{dtmf_pt} telephone-event/{PHONE_RATE}", f"a=fmtp:{dtmf_pt} 0-15"]
    lines += ["a=ptime:20", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def build_answer(negotiated: Negotiated, host: str, port: int, *, session_id: int = 1, version: int = 1) -> bytes:
    """Our SDP answer: the chosen codec and the offerer's telephone-event payload type."""
    return build_sdp(
        host,
        port,
        [(negotiated.codec, negotiated.payload_type)],
        negotiated.dtmf_pt,
        direction=negotiated.direction,
        session_id=session_id,
        version=version,
    )


def build_offer(
    host: str,
    port: int,
    codecs: tuple[str, ...] | list[str],
    *,
    session_id: int = 1,
    version: int = 1,
    user: str = "patient",
) -> bytes:
    """An SDP offer with `codecs` (of PCMU, PCMA) and telephone-event 101."""
    pairs = [
        (name.upper(), STATIC_PAYLOAD_TYPES[name.upper()]) for name in codecs if name.upper() in STATIC_PAYLOAD_TYPES
    ]
    return build_sdp(host, port, pairs, DEFAULT_DTMF_PT, session_id=session_id, version=version, user=user)
