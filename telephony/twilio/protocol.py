"""Twilio Media Streams messages: pure parsing and building, both directions.

Twilio sends `connected`, `start`, `media` (base64 mu-law at 8 kHz, 160 bytes = 20 ms), `dtmf`, `mark` (our
mark, echoed once the audio before it was played) and `stop`; sequence numbers, chunks and timestamps are
strings of digits. We may send only `media`, `mark` and `clear` (anything else is Twilio error 31924).

Parsing never raises: malformed JSON, bad base64, unknown events and missing fields come back as `Rejected`,
so that one bad message does not end a call; so does JSON nested deeper than `MAX_DEPTH`, refused before it is
decoded (Python's decoder recurses once per level). A rejection's reason never quotes the message. The same
parsers serve pipecat's `TwilioFrameSerializer` wire format (identical JSON, read through `transport.py`), and
the simulated carrier uses the builders of the other direction.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from telephony.g711 import PHONE_RATE

MAX_MESSAGE_CHARS = 256 * 1024
"""Longer messages are rejected unread (a media frame is about 300 characters)."""
MAX_DEPTH = 32
"""Deeper nesting of arrays and objects is rejected undecoded (Twilio's messages nest 3 deep)."""
DTMF_DIGITS = frozenset("0123456789*#ABCD")
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
"""A JSON string (or what is left of an unterminated one): its brackets do not nest. Possessive, so linear."""
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")


@dataclass(frozen=True)
class MediaFormat:
    """The audio format announced in `start`."""

    encoding: str = "audio/x-mulaw"
    sample_rate: int = PHONE_RATE
    channels: int = 1


@dataclass(frozen=True)
class Connected:
    """First message of a stream."""

    protocol: str = "Call"
    version: str = "1.0.0"


@dataclass(frozen=True)
class Start:
    """The stream started: identifiers, the `<Parameter>`s of our TwiML, the audio format."""

    stream_sid: str
    call_sid: str
    account_sid: str = ""
    custom_parameters: dict[str, str] = field(default_factory=dict)
    media_format: MediaFormat = field(default_factory=MediaFormat)
    tracks: tuple[str, ...] = ("inbound",)
    sequence: int | None = None


@dataclass(frozen=True)
class Media:
    """One frame of the caller's audio."""

    payload: bytes
    """mu-law bytes (160 per 20 ms frame)."""
    chunk: int | None = None
    """Counter of media messages, from 1: what reordering goes by."""
    timestamp: int | None = None
    """Milliseconds since the stream started."""
    sequence: int | None = None
    """Counter of all messages of the stream (media, dtmf, mark...)."""
    track: str = "inbound"


@dataclass(frozen=True)
class Dtmf:
    """A key pressed on the caller's keypad."""

    digit: str
    sequence: int | None = None


@dataclass(frozen=True)
class Mark:
    """Twilio finished playing the audio sent before our mark of this name (or dropped it on `clear`)."""

    name: str
    sequence: int | None = None


@dataclass(frozen=True)
class Stop:
    """The stream ended (the caller hung up, or the call was redirected or completed)."""

    call_sid: str = ""
    account_sid: str = ""
    sequence: int | None = None


@dataclass(frozen=True)
class OutboundMedia:
    """Audio for Twilio to play to the caller."""

    payload: bytes


@dataclass(frozen=True)
class OutboundMark:
    """Ask Twilio to echo this name once the audio sent so far has been played."""

    name: str


@dataclass(frozen=True)
class Clear:
    """Drop the audio Twilio has buffered (barge-in); pending marks come back at once."""


@dataclass(frozen=True)
class Rejected:
    """A message we could not use; the call goes on."""

    reason: str
    event: str | None = None


InboundMessage = Connected | Start | Media | Dtmf | Mark | Stop
OutboundMessage = OutboundMedia | OutboundMark | Clear


class _Bad(Exception):
    pass


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than `MAX_DEPTH` in `text` (without decoding it)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if brackets.count("[") + brackets.count("{") <= MAX_DEPTH:
        return False
    return max(accumulate(1 if bracket in "[{" else -1 for bracket in brackets)) > MAX_DEPTH


def _load(data: str | bytes) -> dict[str, Any]:
    if len(data) > MAX_MESSAGE_CHARS:
        raise _Bad(f"message too long ({len(data)} characters)")
    try:
        text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data
        if _too_deep(text):
            raise _Bad(f"JSON nested deeper than {MAX_DEPTH} levels")
        message = json.loads(text)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _Bad("malformed JSON") from error
    if not isinstance(message, dict):
        raise _Bad("not a JSON object")
    return message


def _section(message: dict[str, Any], name: str) -> dict[str, Any]:
    value = message.get(name)
    if not isinstance(value, dict):
        raise _Bad(f"missing '{name}' object")
    return value


def _number(value: Any, name: str) -> int | None:
    """Twilio's counters are strings of digits; absent is `None`, anything else is rejected."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise _Bad(f"'{name}' is not a non-negative integer")


def _text(value: Any, name: str, *, required: bool = True) -> str:
    if isinstance(value, str) and (value or not required):
        return value
    if value is None and not required:
        return ""
    raise _Bad(f"'{name}' missing or not a string")


def _payload(media: dict[str, Any]) -> bytes:
    text = media.get("payload")
    if not isinstance(text, str) or not text:
        raise _Bad("missing media payload")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise _Bad("media payload is not base64") from error


def _start(message: dict[str, Any], sequence: int | None) -> Start:
    start = _section(message, "start")
    params = start.get("customParameters", {}) if start.get("customParameters") is not None else {}
    if not isinstance(params, dict):
        raise _Bad("'customParameters' is not an object")
    fmt = start.get("mediaFormat") if start.get("mediaFormat") is not None else {}
    if not isinstance(fmt, dict):
        raise _Bad("'mediaFormat' is not an object")
    tracks = start.get("tracks") or ["inbound"]
    return Start(
        stream_sid=_text(start.get("streamSid", message.get("streamSid")), "streamSid"),
        call_sid=_text(start.get("callSid"), "callSid"),
        account_sid=_text(start.get("accountSid"), "accountSid", required=False),
        custom_parameters={str(k): str(v) for k, v in params.items() if isinstance(v, str | int | float)},
        media_format=MediaFormat(
            _text(fmt.get("encoding", "audio/x-mulaw"), "encoding"),
            _number(fmt.get("sampleRate", PHONE_RATE), "sampleRate") or 0,
            _number(fmt.get("channels", 1), "channels") or 0,
        ),
        tracks=tuple(str(t) for t in tracks) if isinstance(tracks, list) else ("inbound",),
        sequence=sequence,
    )


def _inbound(message: dict[str, Any], event: str) -> InboundMessage:
    sequence = _number(message.get("sequenceNumber"), "sequenceNumber")
    if event == "media":
        media = _section(message, "media")
        return Media(
            _payload(media),
            _number(media.get("chunk"), "chunk"),
            _number(media.get("timestamp"), "timestamp"),
            sequence,
            _text(media.get("track", "inbound"), "track"),
        )
    if event == "dtmf":
        digit = _section(message, "dtmf").get("digit")
        if not isinstance(digit, str) or digit not in DTMF_DIGITS or len(digit) != 1:
            raise _Bad("'digit' is not a keypad key")
        return Dtmf(digit, sequence)
    if event == "mark":
        return Mark(_text(_section(message, "mark").get("name"), "name"), sequence)
    if event == "start":
        return _start(message, sequence)
    if event == "stop":
        stop: dict[str, Any] = message["stop"] if isinstance(message.get("stop"), dict) else {}
        return Stop(
            _text(stop.get("callSid"), "callSid", required=False),
            _text(stop.get("accountSid"), "accountSid", required=False),
            sequence,
        )
    if event == "connected":
        return Connected(
            _text(message.get("protocol", "Call"), "protocol"), _text(message.get("version", "1.0.0"), "version")
        )
    raise _Bad(f"unknown event {event[:24]!r}")


def parse_inbound(data: str | bytes) -> InboundMessage | Rejected:
    """One message from Twilio, or `Rejected` with the reason; never raises."""
    event: str | None = None
    try:
        message = _load(data)
        event = message.get("event") if isinstance(message.get("event"), str) else None
        if event is None:
            raise _Bad("missing 'event'")
        return _inbound(message, event)
    except _Bad as error:
        return Rejected(str(error), event)


def parse_outbound(data: str | bytes) -> OutboundMessage | Rejected:
    """One message sent to Twilio (read by the simulated carrier), or `Rejected`: Twilio's error 31924."""
    event: str | None = None
    try:
        message = _load(data)
        event = message.get("event") if isinstance(message.get("event"), str) else None
        if event == "media":
            return OutboundMedia(_payload(_section(message, "media")))
        if event == "mark":
            return OutboundMark(_text(_section(message, "mark").get("name"), "name"))
        if event == "clear":
            return Clear()
        raise _Bad(f"31924: event {event and event[:24]!r} may not be sent to Twilio")
    except _Bad as error:
        return Rejected(str(error), event)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _seq(value: int | None) -> dict[str, str]:
    return {} if value is None else {"sequenceNumber": str(value)}


def encode_inbound(message: InboundMessage, stream_sid: str) -> str:
    """A message as Twilio sends it (for the simulated carrier and tests)."""
    body: dict[str, Any]
    if isinstance(message, Connected):
        return json.dumps({"event": "connected", "protocol": message.protocol, "version": message.version})
    if isinstance(message, Start):
        fmt = message.media_format
        body = {
            "event": "start",
            **_seq(message.sequence),
            "start": {
                "accountSid": message.account_sid,
                "streamSid": message.stream_sid,
                "callSid": message.call_sid,
                "tracks": list(message.tracks),
                "customParameters": dict(message.custom_parameters),
                "mediaFormat": {"encoding": fmt.encoding, "sampleRate": fmt.sample_rate, "channels": fmt.channels},
            },
        }
    elif isinstance(message, Media):
        media = {"track": message.track, "payload": _b64(message.payload)}
        media.update(
            {k: str(v) for k, v in (("chunk", message.chunk), ("timestamp", message.timestamp)) if v is not None}
        )
        body = {"event": "media", **_seq(message.sequence), "media": media}
    elif isinstance(message, Dtmf):
        body = {"event": "dtmf", **_seq(message.sequence), "dtmf": {"track": "inbound_track", "digit": message.digit}}
    elif isinstance(message, Mark):
        body = {"event": "mark", **_seq(message.sequence), "mark": {"name": message.name}}
    else:
        body = {
            "event": "stop",
            **_seq(message.sequence),
            "stop": {"accountSid": message.account_sid, "callSid": message.call_sid},
        }
    return json.dumps({**body, "streamSid": stream_sid})


def encode_outbound(message: OutboundMessage, stream_sid: str) -> str:
    """A message for Twilio: `media`, `mark` or `clear`."""
    if isinstance(message, OutboundMedia):
        return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": _b64(message.payload)}})
    if isinstance(message, OutboundMark):
        return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": message.name}})
    return json.dumps({"event": "clear", "streamSid": stream_sid})
