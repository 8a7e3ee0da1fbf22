"""Hostile SIP datagrams (issue 13): `messages.parse` never raises, whatever the bytes.

Its documented contract: `None` for what is not worth an answer, `Malformed` for a request whose Via, From, To,
Call-ID and CSeq are there (the peer gets a 400), else the message. Every request it returns can be answered
(`build_response` → bytes → parsed back as that response), and an accepted message survives its own serialisation.

Hypothesis, derandomized and bounded: a few hundred examples per property.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from telephony.sip.messages import (
    MAX_DATAGRAM,
    Malformed,
    SipMessage,
    SipRequest,
    SipResponse,
    build_response,
    parse,
)

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
METHODS = ("INVITE", "ACK", "BYE", "OPTIONS", "REGISTER")
ANSWER_HEADERS = ("Via", "From", "To", "Call-ID", "CSeq")
SDP = b"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


def base_headers(method: str, body: bytes) -> list[tuple[str, bytes]]:
    """The headers of a valid request of `method` from 127.0.0.1:5061 (Content-Length exact)."""
    headers = [
        ("Via", b"SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-fuzz;rport"),
        ("Max-Forwards", b"70"),
        ("From", b'"Patient" <sip:+33612345678@127.0.0.1:5061>;tag=abc'),
        ("To", b"<sip:bot@127.0.0.1:5060>"),
        ("Call-ID", b"fuzz-1@127.0.0.1"),
        ("CSeq", f"1 {method}".encode()),
        ("Contact", b"<sip:patient@127.0.0.1:5061>"),
        ("User-Agent", b"fuzzer/1.0"),
    ]
    if body:
        headers.append(("Content-Type", b"application/sdp"))
    headers.append(("Content-Length", str(len(body)).encode()))
    return headers


def assemble(start: bytes, headers: list[tuple[str, bytes]], body: bytes, eol: bytes = b"\r\n") -> bytes:
    """Wire bytes of a start line, header lines and a body."""
    lines = [start] + [name.encode() + b": " + value for name, value in headers]
    return eol.join(lines) + eol + eol + body


@st.composite
def valid_requests(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
    """(start line, headers, body) of a valid INVITE, ACK, BYE, OPTIONS or REGISTER."""
    method = draw(st.sampled_from(METHODS))
    body = SDP if method == "INVITE" else b""
    uri = b"sip:127.0.0.1" if method == "REGISTER" else b"sip:bot@127.0.0.1:5060"
    return method.encode() + b" " + uri + b" SIP/2.0", base_headers(method, body), body


GARBAGE_TEXT = st.text(max_size=80).map(lambda text: text.encode("utf-8", errors="surrogatepass"))
GARBAGE_BYTES = st.binary(max_size=80)
INVALID_UTF8 = st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80\x80"])
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: str(n).encode()),
    st.sampled_from([b"", b" ", b"lots", b"1e3", b"0x10", b"+4", b"4_0", b"\xc2\xb2", b"\xd9\xa4", b"9" * 5000]),
    GARBAGE_TEXT,
)


@st.composite
def mutated_requests(draw: st.DrawFn) -> bytes:
    """A valid request with one to four mutations of the kinds hostile probes send."""
    start, headers, body = draw(valid_requests())
    eol = b"\r\n"
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(
            st.sampled_from(
                [
                    "garbage_value",
                    "drop_header",
                    "number",
                    "fold",
                    "nul",
                    "invalid_utf8",
                    "long_line",
                    "truncate_body",
                    "duplicate",
                    "start_line",
                    "line_endings",
                ]
            )
        )
        index = draw(st.integers(min_value=0, max_value=max(0, len(headers) - 1)))
        if kind == "garbage_value" and headers:
            name, _ = headers[index]
            headers[index] = (name, draw(st.one_of(GARBAGE_TEXT, GARBAGE_BYTES)))
        elif kind == "drop_header" and headers:
            del headers[index]
        elif kind == "number":
            name = draw(st.sampled_from(["Content-Length", "CSeq", "Max-Forwards"]))
            number = draw(NUMBERS)
            method = start.split(b" ", 1)[0]
            value = number + b" " + method if name == "CSeq" else number
            headers = [(n, value if n == name else v) for n, v in headers]
        elif kind == "fold" and headers:
            name, value = headers[index]
            headers[index] = (name, value.replace(b" ", b"\r\n ", 1).replace(b";", b"\r\n\t;", 1))
        elif kind == "nul":
            position = draw(st.integers(min_value=0, max_value=len(start)))
            start = start[:position] + b"\x00" + start[position:]
        elif kind == "invalid_utf8" and headers:
            name, value = headers[index]
            headers[index] = (name, value + draw(INVALID_UTF8))
        elif kind == "long_line":
            size = draw(st.sampled_from([1_000, 15_000, 64 * 1024]))
            headers.append(("X-Long", b"a" * size))
        elif kind == "truncate_body":
            body = body[: draw(st.integers(min_value=0, max_value=len(body)))]
        elif kind == "duplicate" and headers:
            headers += [headers[index]] * draw(st.integers(min_value=1, max_value=300))
        elif kind == "start_line":
            start = draw(st.sampled_from([b"", b"INVITE", b"INVITE sip:bot", b"SIP/2.0", b"SIP/2.0 abc"]))
        elif kind == "line_endings":
            eol = draw(st.sampled_from([b"\n", b"\r", b"\r\r\n"]))
    return assemble(start, headers, body, eol)


RESPONSES = st.builds(
    lambda status, cseq, rest: (
        f"SIP/2.0 {status} Whatever\r\n".encode()
        + assemble(b"", base_headers("INVITE", b""), b"")[2:].replace(b"1 INVITE", cseq)
        + rest
    ),
    st.one_of(st.integers(min_value=-1000, max_value=10_000), st.just("2_00"), st.just("abc")),
    st.sampled_from([b"1 INVITE", b"x INVITE", b"-5 INVITE", b"1", b""]),
    st.binary(max_size=40),
)
DATAGRAMS = st.one_of(st.binary(max_size=2_000), mutated_requests(), RESPONSES)


def assert_answerable(request: SipRequest) -> None:
    """The server can answer `request`: its 400 is built, serialised and parsed back as the same transaction's."""
    response = build_response(request, 400, "Bad Request", to_tag="fuzz")
    again = SipMessage.parse(bytes(response))  # a "Bad CSeq" request gets its CSeq back as it came
    assert isinstance(again, SipResponse), bytes(response)
    assert again.status_code == 400
    cseq = (again.get_header("cseq") or "").split(None, 1)
    assert len(cseq) == 2, "a response without a CSeq method cannot be matched to its request"
    assert again.get_header_values("via") == request.get_header_values("via")
    for name in ("call-id", "cseq", "from"):
        assert again.get_header(name) == request.get_header(name)


@FUZZ
@given(DATAGRAMS)
@example(
    b"AA\t\x00\t\x00\rVia:;branch=\x00\rFrom:\x00\rT:\x00\rCall-ID:\x00\rCSeq:\x00"
)  # found: a 400 without CSeq method
@example(b"AA\t\x00\t\x00\rVia:;branch=\x00\rFrom:\x00\rT:\x00\rCall-ID:\x00\rCSeq:\x00\t\x00\rFrom:")  # and two From
def test_parse_never_raises_and_what_it_returns_can_be_answered(data: bytes) -> None:
    result = parse(data)  # any exception here fails the test: the contract is "never raises"
    assert result is None or isinstance(result, SipRequest | SipResponse | Malformed)
    if len(data) > MAX_DATAGRAM:
        assert result is None
    if isinstance(result, Malformed):
        assert result.why and "\n" not in result.why
        assert_answerable(result.request)
    elif isinstance(result, SipRequest):
        assert_answerable(result)
        assert isinstance(parse(bytes(build_response(result, 200, "OK", to_tag="fuzz"))), SipResponse)


@FUZZ
@given(DATAGRAMS)
def test_an_accepted_message_survives_its_own_serialisation(data: bytes) -> None:
    result = parse(data)
    if not isinstance(result, SipRequest | SipResponse):
        return
    wire = bytes(result)
    again = parse(wire)
    assert type(again) is type(result), wire
    assert isinstance(again, SipRequest | SipResponse)
    assert list(again.headers.items()) == list(result.headers.items())
    assert again.body == result.body
    if isinstance(result, SipRequest):
        assert isinstance(again, SipRequest)
        assert (again.method, again.uri) == (result.method, result.uri)
    else:
        assert isinstance(again, SipResponse)
        assert again.status_code == result.status_code
    assert bytes(again) == wire


NOT_ANSWER_HEADERS = ("Max-Forwards", "Contact", "User-Agent", "Content-Type")


@st.composite
def answerable_requests(draw: st.DrawFn) -> bytes:
    """A request whose five answer headers are intact, with a garbage CSeq number, Content-Length or other value."""
    start, headers, body = draw(valid_requests())
    method = start.split(b" ", 1)[0]
    one_line = st.one_of(NUMBERS, GARBAGE_TEXT, GARBAGE_BYTES).filter(lambda v: b"\r" not in v and b"\n" not in v)
    target = draw(st.sampled_from(["CSeq", "Content-Length", *NOT_ANSWER_HEADERS]))
    value = draw(one_line)
    if target == "CSeq":  # a number of garbage, but a number there ("CSeq: INVITE" alone cannot be answered)
        value = draw(one_line.filter(lambda v: v.decode("utf-8", errors="replace").strip() != "")) + b" " + method
    return assemble(start, [(n, value if n == target else v) for n, v in headers], body)


@FUZZ
@given(answerable_requests())
def test_a_request_that_can_be_answered_is_never_dropped_in_silence(data: bytes) -> None:
    """With Via, From, To, Call-ID and CSeq present, the peer gets its message handled or a 400 — not silence."""
    result = parse(data)
    assert isinstance(result, SipRequest | Malformed), data


@FUZZ
@given(
    valid_requests(),
    st.sampled_from(["Content-Length", "CSeq"]),
    st.one_of(NUMBERS, st.integers(min_value=2**31, max_value=10**40).map(lambda n: str(n).encode())),
)
def test_a_bad_number_is_refused_with_a_400(
    request: tuple[bytes, list[tuple[str, bytes]], bytes], name: str, number: bytes
) -> None:
    """Content-Length: ASCII digits, at most the body; CSeq: ASCII digits below 2**31 (RFC 3261 §8.1.1.5)."""
    start, headers, body = request
    method = start.split(b" ", 1)[0]
    value = number if name == "Content-Length" else number + b" " + method
    assume(b"\r" not in value and b"\n" not in value)
    text = value.decode("utf-8", errors="replace").strip()  # as the parser reads a header value
    if name == "CSeq":
        parts = text.split(None, 1)
        assume(len(parts) == 2)  # "CSeq: INVITE" has no number at all: no response could be matched, dropped
        text = parts[0] if parts[1] == method.decode() else "not the method"
    limit = len(body) if name == "Content-Length" else 2**31 - 1
    good = text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 20 and int(text) <= limit
    result = parse(assemble(start, [(n, value if n == name else v) for n, v in headers], body))
    if good:
        assert isinstance(result, SipRequest), (value, result)
    else:
        assert isinstance(result, Malformed), (value, result)
        assert result.why == ("Bad Content-Length" if name == "Content-Length" else "Bad CSeq")


@FUZZ
@given(
    valid_requests(),
    st.sampled_from(["From", "To", "Call-ID", "CSeq", "Content-Length", "f", "t", "i", "l"]),
    st.booleans(),
    st.integers(min_value=0, max_value=20),
)
def test_a_header_that_must_be_single_is_refused_when_doubled(
    request: tuple[bytes, list[tuple[str, bytes]], bytes], name: str, same: bool, where: int
) -> None:
    """Two From, To, Call-ID, CSeq or Content-Length headers (compact forms too) are ambiguous: a 400."""
    start, headers, body = request
    full = {"f": "From", "t": "To", "i": "Call-ID", "l": "Content-Length"}.get(name, name)
    value = dict(headers)[full] if same else b"0" if full == "Content-Length" else dict(headers)[full] + b"x"
    headers.insert(min(where, len(headers)), (name, value))
    result = parse(assemble(start, headers, body))
    assert isinstance(result, Malformed) and result.why == "Duplicate Header", result


@FUZZ
@given(valid_requests(), st.sampled_from(["Via", "From"]), st.data())
def test_a_folded_header_reads_as_the_unfolded_one(
    request: tuple[bytes, list[tuple[str, bytes]], bytes], name: str, data: st.DataObject
) -> None:
    """RFC 3261 §7.3.1: a header line continued on the next one (after whitespace) is the same header."""
    start, headers, body = request
    value = dict(headers)[name]
    spaces = [i for i, byte in enumerate(value) if byte in b" ;"]
    at = data.draw(st.sampled_from(spaces))
    fold = data.draw(st.sampled_from([b"\r\n ", b"\r\n\t", b"\r\n   "]))
    folded_value = value[:at] + fold + value[at:].lstrip(b" ")
    plain = parse(assemble(start, headers, body))
    folded = parse(assemble(start, [(n, folded_value if n == name else v) for n, v in headers], body))
    assert isinstance(plain, SipRequest) and isinstance(folded, SipRequest)
    assert (folded.get_header(name) or "").replace(" ", "") == (plain.get_header(name) or "").replace(" ", "")
    assert folded.call_id == plain.call_id and folded.body == plain.body


def test_the_base_requests_are_valid() -> None:
    """The seeds of the mutations parse as themselves (else the mutations would prove little)."""
    for method in METHODS:
        body = SDP if method == "INVITE" else b""
        request = parse(assemble(f"{method} sip:bot@127.0.0.1 SIP/2.0".encode(), base_headers(method, body), body))
        assert isinstance(request, SipRequest) and request.method == method and request.body == body
