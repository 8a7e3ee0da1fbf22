"""SIP messages: a strict wrapper around aiosipua's parser, and builders for the requests and responses we send.

`parse` never raises: a datagram that is not a usable SIP message gives `None` (dropped in silence) or a
`Malformed` (the headers needed to answer are there, so the peer gets a 400).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass

from aiosipua.headers import parse_address, parse_cseq, parse_uri
from aiosipua.message import SipMessage, SipRequest, SipResponse

logger = logging.getLogger(__name__)


def _not_about_length(record: logging.LogRecord) -> bool:
    return "Content-Length" not in record.getMessage()


# aiosipua warns about every Content-Length mismatch; we answer those with a 400 (or drop them) instead of logging.
logging.getLogger("aiosipua.message").addFilter(_not_about_length)

MAX_DATAGRAM = 16_384
"""Larger datagrams are dropped unread (a real INVITE with SDP is about 1 kB)."""
MAX_BODY = 8_192
_MAX_CSEQ = 2**31 - 1
"""RFC 3261 §8.1.1.5: a CSeq number is below 2**31."""
_METHOD = re.compile(r"[A-Z]{2,16}")
_ANSWER_HEADERS = ("via", "from", "to", "call-id", "cseq")
_SINGLE_HEADERS = ("from", "to", "call-id", "cseq", "content-length")
"""Headers a request carries once (RFC 3261 §7.3.1): two of them are ambiguous, refused with a 400."""
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, INFO"

__all__ = [
    "ALLOW",
    "Malformed",
    "SipMessage",
    "SipRequest",
    "SipResponse",
    "branch_of",
    "build_request",
    "build_response",
    "cseq_of",
    "dtmf_relay_digit",
    "new_branch",
    "new_tag",
    "parse",
    "sipfrag_status",
    "tag_of",
    "uri_of",
    "user_of",
]


@dataclass(frozen=True)
class Malformed:
    """A request we can answer (Via, From, To, Call-ID and CSeq are there) but must refuse with a 400."""

    request: SipRequest
    why: str
    """What is wrong, for the reason phrase and the log."""


def new_tag() -> str:
    """A random From/To tag."""
    return secrets.token_hex(6)


def new_branch() -> str:
    """A random RFC 3261 Via branch (with the magic cookie)."""
    return "z9hG4bK" + secrets.token_hex(8)


def parse(data: bytes) -> SipRequest | SipResponse | Malformed | None:
    """Parse one datagram; `None` for anything not worth an answer, `Malformed` for a request worth a 400."""
    if len(data) > MAX_DATAGRAM or not data.strip():
        return None
    try:
        message = SipMessage.parse(data)
    except Exception:  # noqa: BLE001 - hostile bytes can break any parser: drop them
        return None
    try:
        return _check(message, data)
    except Exception:  # noqa: BLE001
        return None


def _check(message: SipRequest | SipResponse, data: bytes) -> SipRequest | SipResponse | Malformed | None:
    if any(not message.get_header(name) for name in _ANSWER_HEADERS):
        return None
    if isinstance(message, SipResponse):
        cseq = parse_cseq(message.get_header("cseq") or "")
        if not 100 <= message.status_code <= 699 or not cseq.method:
            return None
        return message
    if not _METHOD.fullmatch(message.method) or not branch_of(message):
        return None
    number_and_method = (message.get_header("cseq") or "").split(None, 1)
    if len(number_and_method) != 2:  # no method: a response could not be matched to the request
        return None
    if not message.uri.lower().startswith(("sip:", "sips:", "tel:")):
        return Malformed(message, "Bad Request-URI")
    if any(len(message.get_header_values(name)) > 1 for name in _SINGLE_HEADERS):
        return Malformed(message, "Duplicate Header")
    number, method = number_and_method
    if not _is_number(number, _MAX_CSEQ) or method != message.method:
        return Malformed(message, "Bad CSeq")
    raw_length = message.get_header("content-length")
    if raw_length is not None:
        if not _is_number(raw_length.strip(), min(MAX_BODY, len(message.body))):
            return Malformed(message, "Bad Content-Length")
    if len(message.body) > MAX_BODY:
        return Malformed(message, "Body Too Large")
    for name in ("from", "to"):
        address = parse_address(message.get_header(name) or "")
        if not address.uri.host:
            return Malformed(message, f"Bad {name.title()} header")
    return message


def _is_number(text: str, limit: int) -> bool:
    """Whether `text` is ASCII digits worth at most `limit`.

    Refused now: Unicode digits ("²", "٤"), signs and underscores that `int` would take or choke on, and numbers
    too long to convert (these used to be dropped in silence instead of getting their 400).
    """
    return text.isascii() and text.isdigit() and len(text.lstrip("0")) <= len(str(limit)) and int(text) <= limit


def branch_of(message: SipMessage) -> str:
    """The branch of the top Via ('' when there is none)."""
    try:
        vias = message.via
    except Exception:  # noqa: BLE001
        return ""
    return (vias[0].branch or "") if vias else ""


def cseq_of(message: SipMessage) -> tuple[int, str]:
    """(number, method) of the CSeq header."""
    cseq = parse_cseq(message.get_header("cseq") or "0 X")
    return cseq.seq, cseq.method.upper()


def tag_of(header: str | None) -> str | None:
    """The tag parameter of a From/To header value."""
    if not header:
        return None
    try:
        return parse_address(header).tag
    except Exception:  # noqa: BLE001
        return None


def uri_of(header: str) -> str:
    """The URI inside a From/To/Contact/Refer-To value, without display name or header parameters."""
    header = header.strip()
    if "<" in header and ">" in header.split("<", 1)[1]:
        return header.split("<", 1)[1].split(">", 1)[0].strip()
    return header.split(";", 1)[0].strip()


def user_of(header: str | None) -> str | None:
    """The user part of a From/To value or URI; `None` for an absent or anonymous user."""
    if not header:
        return None
    try:
        user = parse_uri(uri_of(header)).user
    except Exception:  # noqa: BLE001
        return None
    if not user or user.lower() in ("anonymous", "unknown"):
        return None
    return user


def build_response(
    request: SipRequest,
    status: int,
    reason: str,
    *,
    to_tag: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    content_type: str = "application/sdp",
) -> SipResponse:
    """A response to `request`: Via, From, To (plus our tag when it has none), Call-ID and CSeq copied over."""
    response = SipResponse(status_code=status, reason_phrase=reason)
    for via in request.get_header_values("via"):
        response.add_header("Via", via)
    response.set_header("From", request.get_header("from") or "")
    to = request.get_header("to") or ""
    if to_tag and status != 100 and tag_of(to) is None:
        to = f"{to};tag={to_tag}"
    response.set_header("To", to)
    response.set_header("Call-ID", request.get_header("call-id") or "")
    response.set_header("CSeq", request.get_header("cseq") or "")
    for name, value in (headers or {}).items():
        response.set_header(name, value)
    if body:
        response.set_header("Content-Type", content_type)
        response.body = body
    return response


def build_request(
    method: str,
    uri: str,
    *,
    via_host: str,
    via_port: int,
    branch: str,
    from_: str,
    to: str,
    call_id: str,
    cseq: int,
    contact: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    content_type: str = "application/sdp",
    cseq_method: str | None = None,
) -> bytes:
    """The wire bytes of a request (Max-Forwards 70, Content-Length exact)."""
    request = SipRequest(method=method, uri=uri)
    request.set_header("Via", f"SIP/2.0/UDP {via_host}:{via_port};branch={branch};rport")
    request.set_header("Max-Forwards", "70")
    request.set_header("From", from_)
    request.set_header("To", to)
    request.set_header("Call-ID", call_id)
    request.set_header("CSeq", f"{cseq} {cseq_method or method}")
    if contact:
        request.set_header("Contact", contact)
    for name, value in (headers or {}).items():
        request.set_header(name, value)
    if body:
        request.set_header("Content-Type", content_type)
        request.body = body
    return bytes(request)


def sipfrag_status(body: str) -> int | None:
    """The status code of a message/sipfrag body ("SIP/2.0 200 OK")."""
    parts = body.strip().split(None, 2)
    if len(parts) >= 2 and parts[0].upper().startswith("SIP/") and parts[1].isdigit():
        return int(parts[1])
    return None


def dtmf_relay_digit(body: str) -> str | None:
    """The key of an application/dtmf-relay INFO body ("Signal=5")."""
    for line in body.splitlines():
        name, _, value = line.partition("=")
        value = value.strip().upper()
        if name.strip().lower() == "signal" and len(value) == 1 and value in "0123456789*#ABCD":
            return value
    return None
