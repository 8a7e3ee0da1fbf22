"""SDP offer/answer: codec choice, the offerer's telephone-event type, hold directions, 488, garbage."""

from __future__ import annotations

import pytest

from telephony.sip.sdp import Direction, build_answer, build_offer, negotiate, read_sdp


def offer(formats: str, rtpmaps: str = "", extra: str = "", host: str = "192.0.2.7") -> str:
    return (
        f"v=0\r\no=x 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio 40000 RTP/AVP {formats}\r\n{rtpmaps}{extra}"
    )


def test_pcmu_is_preferred_and_telephone_event_keeps_the_offerers_type() -> None:
    remote = read_sdp(offer("8 0 96", "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"))
    assert remote is not None
    chosen = negotiate(remote)
    assert chosen is not None
    assert (chosen.codec, chosen.payload_type, chosen.dtmf_pt) == ("PCMU", 0, 96)
    assert chosen.remote == ("192.0.2.7", 40000) and chosen.direction == "sendrecv"
    answer = build_answer(chosen, "127.0.0.1", 30000).decode()
    assert "m=audio 30000 RTP/AVP 0 96\r\n" in answer
    assert "a=rtpmap:96 telephone-event/8000" in answer and "a=ptime:20" in answer and "a=sendrecv" in answer


def test_pcma_when_pcmu_is_not_offered() -> None:
    remote = read_sdp(offer("8 101", "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"))
    assert remote is not None
    chosen = negotiate(remote)
    assert chosen is not None and (chosen.codec, chosen.payload_type) == ("PCMA", 8)


def test_a_g729_only_offer_is_not_acceptable() -> None:
    remote = read_sdp(offer("18", "a=rtpmap:18 G729/8000\r\n"))
    assert remote is not None and negotiate(remote) is None


def test_a_dynamic_pcmu_type_is_honoured() -> None:
    remote = read_sdp(offer("110", "a=rtpmap:110 PCMU/8000\r\n"))
    assert remote is not None
    chosen = negotiate(remote)
    assert chosen is not None and chosen.payload_type == 110


@pytest.mark.parametrize(
    ("extra", "host", "ours"),
    [
        ("a=sendonly\r\n", "192.0.2.7", "recvonly"),
        ("a=inactive\r\n", "192.0.2.7", "inactive"),
        ("a=recvonly\r\n", "192.0.2.7", "sendonly"),
        ("", "0.0.0.0", "recvonly"),
    ],
)
def test_hold_offers_get_the_opposite_direction(extra: str, host: str, ours: str) -> None:
    remote = read_sdp(offer("0", extra=extra, host=host))
    assert remote is not None
    chosen = negotiate(remote)
    assert chosen is not None and chosen.direction == ours
    assert not chosen.sending or ours == "sendonly"
    assert f"a={ours}" in build_answer(chosen, "127.0.0.1", 30000).decode()


def test_directions_are_typed_and_answer_each_other() -> None:
    assert {d: d.opposite for d in Direction} == {
        Direction.SENDRECV: Direction.SENDRECV,
        Direction.SENDONLY: Direction.RECVONLY,
        Direction.RECVONLY: Direction.SENDONLY,
        Direction.INACTIVE: Direction.INACTIVE,
    }
    remote = read_sdp(offer("0", extra="a=sendonly\r\n"))
    assert remote is not None and remote.direction is Direction.SENDONLY
    chosen = negotiate(remote)
    assert chosen is not None and chosen.direction is Direction.RECVONLY


def test_the_offer_lists_our_codecs_and_telephone_event_101() -> None:
    text = build_offer("127.0.0.1", 30000, ("PCMU", "PCMA")).decode()
    assert "m=audio 30000 RTP/AVP 0 8 101" in text and "a=rtpmap:101 telephone-event/8000" in text
    remote = read_sdp(text)
    assert remote is not None and list(remote.payload_types) == ["PCMU", "PCMA"] and remote.dtmf_pt == 101


@pytest.mark.parametrize(
    "body",
    [
        "",
        "garbage",
        "v=0\r\nm=audio notaport RTP/AVP 0\r\n",
        offer("0").replace("IN IP4 192.0.2.7", "IN IP4 nowhere"),
        offer("0").replace("40000", "0"),
        offer("0").replace("RTP/AVP", "UDP/TLS/RTP/SAVPF"),
        "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVP 96\r\n",
        "v=0\r\n" + "a=x\r\n" * 500,
        offer("x y z", "a=rtpmap:abc PCMU/8000\r\na=rtpmap:0 PCMU/notanumber\r\n"),
    ],
)
def test_garbage_sdp_is_refused_quietly(body: str) -> None:
    remote = read_sdp(body.encode())
    assert remote is None or negotiate(remote) is None
