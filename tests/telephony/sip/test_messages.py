"""The SIP message wrapper: strict parsing that never raises, and the responses we build."""

from __future__ import annotations

import random

import pytest

from telephony.sip.messages import (
    Malformed,
    SipRequest,
    SipResponse,
    build_response,
    parse,
    tag_of,
    uri_of,
    user_of,
)

INVITE = (
    "INVITE sip:bot@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1\r\n"
    'From: "Patient" <sip:+33612345678@127.0.0.1:5061>;tag=abc\r\n'
    "To: <sip:bot@127.0.0.1:5060>\r\n"
    "Call-ID: 1@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n\r\nv=0\n"
)


def test_a_valid_invite_parses() -> None:
    message = parse(INVITE.encode())
    assert isinstance(message, SipRequest)
    assert message.method == "INVITE" and message.call_id == "1@127.0.0.1" and message.body == b"v=0\n"


def test_compact_headers_are_understood() -> None:
    compact = INVITE.replace("Via:", "v:").replace("From:", "f:").replace("To:", "t:").replace("Call-ID:", "i:")
    assert isinstance(parse(compact.encode()), SipRequest)


@pytest.mark.parametrize(
    ("mutation", "why"),
    [
        (("Content-Length: 4", "Content-Length: 999999"), "Bad Content-Length"),
        (("Content-Length: 4", "Content-Length: -1"), "Bad Content-Length"),
        (("Content-Length: 4", "Content-Length: lots"), "Bad Content-Length"),
        (("CSeq: 1 INVITE", "CSeq: 1 BYE"), "Bad CSeq"),
        (("INVITE sip:bot", "INVITE http://bot"), "Bad Request-URI"),
        (('"Patient" <sip:+33612345678@127.0.0.1:5061>', "<>"), "Bad From header"),
    ],
)
def test_answerable_garbage_is_malformed(mutation: tuple[str, str], why: str) -> None:
    message = parse(INVITE.replace(*mutation).encode())
    assert isinstance(message, Malformed)
    assert message.why == why


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n\r\n",
        b"\x00\xff" * 40,
        b"INVITE\r\n\r\n",
        b"SIP/2.0 999 Odd\r\n\r\n",
        INVITE.replace("Call-ID: 1@127.0.0.1\r\n", "").encode(),
        INVITE.replace(";branch=z9hG4bK-1", "").encode(),
        INVITE.replace("INVITE sip", "inv!te sip", 1).encode(),
        b"A" * 20_000,
    ],
)
def test_unanswerable_garbage_is_dropped(data: bytes) -> None:
    assert parse(data) is None


def test_random_bytes_never_raise() -> None:
    rng = random.Random(4733)
    raw = INVITE.encode()
    for _ in range(2000):
        cut = raw[: rng.randrange(len(raw))]
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        parse(cut)
        parse(cut + noise)
        parse(noise)


def test_a_response_copies_the_transaction_headers_and_adds_our_tag() -> None:
    request = parse(INVITE.encode())
    assert isinstance(request, SipRequest)
    response = build_response(request, 180, "Ringing", to_tag="xyz", headers={"Server": "voicebot"})
    again = parse(bytes(response))
    assert isinstance(again, SipResponse)
    assert again.status_code == 180 and tag_of(again.get_header("to")) == "xyz"
    assert again.get_header("via") == request.get_header("via") and again.get_header("cseq") == "1 INVITE"
    trying = build_response(request, 100, "Trying", to_tag="xyz")
    assert tag_of(trying.get_header("to")) is None


@pytest.mark.parametrize(
    ("header", "user"),
    [
        ('"Patient" <sip:+33612345678@example.com;user=phone>;tag=1', "+33612345678"),
        ("sip:patient@127.0.0.1:5061;tag=2", "patient"),
        ('"Anonymous" <sip:anonymous@anonymous.invalid>;tag=3', None),
        ("<sip:127.0.0.1:5060>", None),
        (None, None),
    ],
)
def test_user_of(header: str | None, user: str | None) -> None:
    assert user_of(header) == user


def test_uri_of() -> None:
    assert uri_of('"Bob" <sip:bob@host:5060;transport=udp>;tag=1') == "sip:bob@host:5060;transport=udp"
    assert uri_of("sip:bob@host;tag=1") == "sip:bob@host"
