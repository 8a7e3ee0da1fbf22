"""Hostile SDP offers (issue 13): `read_sdp` and `negotiate` give a clean refusal (`None`, a 488) or a valid answer.

Never an exception, whatever the body: no audio, only unknown codecs, port 0 or 99999, hundreds of payload types,
IPv6, no c= line, garbage lines. What is accepted is usable as is: a real address and port, payload types in
0..127, one of our codecs, and an answer that reads back as what was chosen.

Hypothesis, derandomized and bounded: a few hundred examples per property.
"""

from __future__ import annotations

import ipaddress
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony.sip.sdp import Direction, RemoteMedia, build_answer, negotiate, read_sdp

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
OURS = ("PCMU", "PCMA")
T = TypeVar("T")


def mostly(good: st.SearchStrategy[T], bad: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`good` three times in four: offers that are mostly right reach the codec choice and the answer."""
    return st.one_of(good, good, good, bad)


HOSTS = mostly(
    st.one_of(st.sampled_from(["192.0.2.7", "0.0.0.0", "::", "::1", "2001:db8::7"]), st.ip_addresses().map(str)),
    st.one_of(
        st.sampled_from(["fe80::1%eth0", "224.0.0.1/127", "999.1.1.1", "example.com", "", "1.2.3", "[::1]"]),
        st.sampled_from(["0::0", "0:0:0:0:0:0:0:0", "2001:DB8::7"]),
        st.text(max_size=20),
    ),
)
PORTS = mostly(
    st.integers(min_value=1, max_value=65535),
    mostly(st.sampled_from([0, 65536, 99999, -1, 2**40]), st.text(max_size=6)),
)
CODEC_NAMES = mostly(
    st.sampled_from(["PCMU", "PCMA", "pcmu", "telephone-event", "TELEPHONE-EVENT", "G729", "opus"]),
    st.sampled_from(["G722", "", "PCMU/8000/2", "telephone-event/8000", " "]),
)
RATES = mostly(st.just("8000"), st.sampled_from(["16000", "48000", "0", "", "-8000", "abc", "8000/1"]))
PAYLOAD_TYPES = mostly(
    st.sampled_from([0, 8, 18, 96, 101, 127]),
    st.one_of(st.integers(min_value=0, max_value=127), st.integers(), st.text(max_size=4)),
)


@st.composite
def offers(draw: st.DrawFn) -> str:
    """An SDP offer built from plausible and hostile lines, mostly in the usual order."""
    host = draw(HOSTS)
    family = draw(mostly(st.just("IP6" if ":" in str(host) else "IP4"), st.sampled_from(["IP4", "IP6", "IPX", ""])))
    formats = draw(st.lists(PAYLOAD_TYPES, min_size=draw(st.sampled_from([0, 1, 1, 1, 300])), max_size=300))
    good_rtpmap = st.tuples(st.sampled_from([0, 8, 18, 96, 101]), CODEC_NAMES, st.just("8000"))
    rtpmaps = draw(st.lists(mostly(good_rtpmap, st.tuples(PAYLOAD_TYPES, CODEC_NAMES, RATES)), max_size=4))
    lines = ["v=0", f"o=- 1 1 IN {family} {host}", "s=-"]
    session_c = draw(mostly(st.just(True), st.just(False)))
    if session_c:
        lines.append(f"c=IN {family} {host}")
    lines.append("t=0 0")
    lines += draw(st.lists(st.sampled_from(["a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv"]), max_size=2))
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        lines.append(f"m=video {draw(PORTS)} RTP/AVP 96")
    media = draw(mostly(st.just("audio"), st.sampled_from(["video", "image", "AUDIO", ""])))
    proto = draw(
        mostly(st.just("RTP/AVP"), st.sampled_from(["RTP/SAVP", "UDP/TLS/RTP/SAVPF", "udptl", "RTP/AVPF", ""]))
    )
    lines.append(f"m={media} {draw(PORTS)} {proto} {' '.join(str(pt) for pt in formats)}".rstrip())
    if not session_c or draw(st.booleans()):
        lines.append(f"c=IN {family} {draw(HOSTS)}")
    lines += [f"a=rtpmap:{pt} {name}/{rate}" for pt, name, rate in rtpmaps]
    lines += draw(
        st.lists(
            mostly(
                st.sampled_from(["a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv", "a=ptime:20", "a=fmtp:101"]),
                st.text(max_size=40),
            ),
            max_size=4,
        )
    )
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        lines = draw(st.permutations(lines))
    return str(draw(st.sampled_from(["\r\n", "\r\n", "\n", "\r"]))).join(lines) + "\r\n"


@st.composite
def mutated_offers(draw: st.DrawFn) -> str:
    """A valid offer with none to three of the changes hostile or odd peers make."""
    host = draw(st.one_of(st.sampled_from(["192.0.2.7", "2001:db8::7", "::1"]), st.ip_addresses().map(str)))
    family = "IP6" if ":" in host else "IP4"
    codecs = draw(st.lists(st.sampled_from([(0, "PCMU"), (8, "PCMA"), (18, "G729"), (9, "G722")]), min_size=1))
    formats = [str(pt) for pt, _ in codecs] + ["101"]
    attributes = [f"a=rtpmap:{pt} {name}/8000" for pt, name in codecs] + ["a=rtpmap:101 telephone-event/8000"]
    media = f"m=audio {draw(st.integers(min_value=1, max_value=65535))} RTP/AVP"
    connection = f"c=IN {family} {host}"
    head = ["v=0", f"o=- 1 1 IN {family} {host}", "s=-", connection, "t=0 0"]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        change = draw(
            st.sampled_from(
                ["no_audio", "unknown_only", "port", "many_types", "no_c", "garbage", "direction", "drop", "fmtp"]
            )
        )
        if change == "no_audio":
            media = media.replace("m=audio", draw(st.sampled_from(["m=video", "m=image", "m=application"])))
        elif change == "unknown_only":
            formats = ["18", "9", "96"]
            attributes = ["a=rtpmap:96 opus/48000/2", "a=rtpmap:18 G729/8000"]
        elif change == "port":
            port = draw(st.one_of(st.sampled_from(["0", "65536", "99999", "-1", "4000/2", "x"]), st.text(max_size=5)))
            media = f"{media.split(' ', 1)[0]} {port} RTP/AVP"
        elif change == "many_types":
            formats += [
                str(draw(st.integers(min_value=0, max_value=300))) for _ in range(draw(st.sampled_from([50, 500])))
            ]
        elif change == "no_c":
            head = [line for line in head if not line.startswith("c=")]
        elif change == "garbage":
            attributes.insert(draw(st.integers(min_value=0, max_value=len(attributes))), draw(st.text(max_size=60)))
        elif change == "direction":
            attributes.append(draw(st.sampled_from(["a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv"])))
        elif change == "drop" and attributes:
            attributes.pop(draw(st.integers(min_value=0, max_value=len(attributes) - 1)))
        elif change == "fmtp":
            attributes.append(draw(st.sampled_from(["a=fmtp:101 0-16", "a=fmtp:101", "a=fmtp:x y", "a=fmtp:101 0-"])))
    return "\r\n".join([*head, f"{media} {' '.join(formats)}", *attributes]) + "\r\n"


BODIES = st.one_of(
    mutated_offers(),
    mutated_offers(),
    offers(),
    offers().map(lambda text: text.encode()),
    st.binary(max_size=600),
    st.text(max_size=300),
)


def assert_usable(remote: RemoteMedia) -> None:
    """What `read_sdp` accepts is a stream we can send to: an IP address, a port, payload types in 0..127."""
    address = ipaddress.ip_address(remote.host)  # raises if not an address
    assert 0 < remote.port < 65536
    assert isinstance(remote.direction, Direction)
    assert all(0 <= pt < 128 for pt in remote.payload_types.values())
    assert remote.dtmf_pt is None or 0 <= remote.dtmf_pt < 128
    assert all(name == name.upper() and name != "TELEPHONE-EVENT" for name in remote.payload_types)
    assert str(address) == remote.host  # canonical: "::" and "0.0.0.0" are recognised as a hold


@FUZZ
@given(BODIES)
def test_an_offer_is_refused_cleanly_or_answered_with_a_valid_answer(body: str | bytes) -> None:
    remote = read_sdp(body)  # any exception fails the test
    if remote is None:
        return
    assert_usable(remote)
    chosen = negotiate(remote, OURS)
    if chosen is None:  # a 488: none of our codecs
        assert not set(remote.payload_types) & set(OURS)
        return
    assert chosen.codec in OURS and remote.payload_types[chosen.codec] == chosen.payload_type
    assert chosen.remote == (remote.host, remote.port) and chosen.direction == remote.direction.opposite
    if ipaddress.ip_address(remote.host).is_unspecified:
        assert not chosen.sending
    answer = build_answer(chosen, "127.0.0.1", 30000)
    back = read_sdp(answer)
    assert back is not None, answer
    assert (back.host, back.port) == ("127.0.0.1", 30000)
    assert back.payload_types == {chosen.codec: chosen.payload_type} and back.dtmf_pt == chosen.dtmf_pt
    assert back.direction == chosen.direction


@FUZZ
@given(BODIES, st.booleans())
def test_negotiation_picks_only_our_codecs_in_either_order(body: str | bytes, prefer_ours: bool) -> None:
    remote = read_sdp(body)
    if remote is None:
        return
    chosen = negotiate(remote, ["pcma", "PCMU"], prefer_ours=prefer_ours)
    common = [name for name in remote.payload_types if name in OURS]
    assert (chosen is None) == (not common)
    if chosen is not None:
        assert chosen.codec == ("PCMA" if prefer_ours and "PCMA" in common else common[0])


UNSPECIFIED_IPV6 = st.sampled_from(["::", "0::0", "::0", "0:0:0:0:0:0:0:0", "0000::", "0:0::0:0"])


@FUZZ
@given(UNSPECIFIED_IPV6, st.sampled_from(["", "a=sendrecv\r\n"]))
def test_a_hold_to_the_unspecified_address_is_a_hold_however_it_is_written(host: str, attribute: str) -> None:
    """c=IN IP6 with any spelling of :: means "do not send to me" (as c=0.0.0.0 does), never RTP sent to ::."""
    offer = f"v=0\r\no=- 1 1 IN IP6 {host}\r\ns=-\r\nc=IN IP6 {host}\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n{attribute}"
    remote = read_sdp(offer)
    assert remote is not None and remote.direction is Direction.SENDONLY
    chosen = negotiate(remote)
    assert chosen is not None and not chosen.sending and chosen.receiving


def test_the_offer_strategy_reaches_answers_and_refusals() -> None:
    """The generated offers are not all garbage: a well-formed one built the same way is answered."""
    offer = "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\nc=IN IP6 ::1\r\n"
    remote = read_sdp(offer + "a=rtpmap:101 telephone-event/8000\r\n")
    assert remote is not None and remote.host == "::1" and remote.dtmf_pt == 101
    chosen = negotiate(remote)
    assert chosen is not None and chosen.sending
    assert read_sdp(offer.replace("40000", "0")) is None  # a declined stream
    assert read_sdp(offer.replace("40000", "99999")) is None
    assert read_sdp(offer.replace("c=IN IP6 ::1\r\n", "")) is None  # nowhere to send
