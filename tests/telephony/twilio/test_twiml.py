import xml.etree.ElementTree as ET

import pytest

from telephony.errors import BadTelephonySetting
from telephony.twilio.twiml import (
    DialVerb,
    HangupVerb,
    StreamVerb,
    call_resource_url,
    dial_twiml,
    hangup_twiml,
    parse_twiml,
    public_url,
    public_ws_url,
    stream_twiml,
)


def test_stream_twiml_connects_the_stream_with_parameters() -> None:
    xml = stream_twiml("wss://bot.example.org/twilio/stream", {"token": "1.a&b<c", "caller": "+33612345678"})
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    (connect,) = list(root)
    assert connect.tag == "Connect"
    (stream,) = list(connect)
    assert stream.tag == "Stream" and stream.get("url") == "wss://bot.example.org/twilio/stream"
    assert [(p.get("name"), p.get("value")) for p in stream] == [("token", "1.a&b<c"), ("caller", "+33612345678")]


@pytest.mark.parametrize(
    "url",
    [
        "wss://bot.example.org/twilio/stream?token=x",
        "wss://bot.example.org/twilio/stream#frag",
        "https://bot.example.org/twilio/stream",
        "wss:///no-host",
    ],
)
def test_stream_twiml_refuses_unusable_urls(url: str) -> None:
    with pytest.raises(BadTelephonySetting):
        stream_twiml(url, {})


def test_dial_twiml_number_and_sip() -> None:
    assert ET.fromstring(dial_twiml(" +33100000001 ")).find("Dial/Number").text == "+33100000001"
    assert ET.fromstring(dial_twiml("sip:staff@pbx.example.org")).find("Dial/Sip").text == "sip:staff@pbx.example.org"
    with pytest.raises(BadTelephonySetting):
        dial_twiml("  ")


def test_hangup_twiml() -> None:
    assert [e.tag for e in ET.fromstring(hangup_twiml())] == ["Hangup"]


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://bot.example.org", "/twilio/stream", "wss://bot.example.org/twilio/stream"),
        ("https://bot.example.org/", "twilio/stream", "wss://bot.example.org/twilio/stream"),
        ("https://example.org/voicebot/", "/twilio/stream", "wss://example.org/voicebot/twilio/stream"),
        ("https://example.org:8443", "/twilio/stream", "wss://example.org:8443/twilio/stream"),
        ("http://127.0.0.1:8000", "/twilio/stream", "ws://127.0.0.1:8000/twilio/stream"),
    ],
)
def test_public_ws_url(base: str, path: str, expected: str) -> None:
    assert public_ws_url(base, path) == expected


@pytest.mark.parametrize("base", ["ftp://x.org", "bot.example.org", "https://x.org/?a=1", ""])
def test_public_url_refuses_bad_bases(base: str) -> None:
    with pytest.raises(BadTelephonySetting):
        public_url(base, "/twilio/voice")


def test_call_resource_url_matches_twilio_and_pipecat() -> None:
    expected = "https://api.twilio.com/2010-04-01/Accounts/AC123/Calls/CA456.json"
    assert call_resource_url("https://api.twilio.com", "AC123", "CA456") == expected
    assert call_resource_url("", "AC123", "CA456") == expected
    assert call_resource_url("http://127.0.0.1:9000/", "AC1", "CA2") == (
        "http://127.0.0.1:9000/2010-04-01/Accounts/AC1/Calls/CA2.json"
    )
    assert call_resource_url("http://h", "AC/..", "CA?x") == "http://h/2010-04-01/Accounts/AC%2F../Calls/CA%3Fx.json"


def test_parse_twiml_reads_back_what_we_build() -> None:
    assert parse_twiml(stream_twiml("wss://h/s", {"token": "t"})) == [StreamVerb("wss://h/s", {"token": "t"})]
    assert parse_twiml(dial_twiml("+331")) == [DialVerb("+331")]
    assert parse_twiml(hangup_twiml()) == [HangupVerb()]
    assert parse_twiml("<Response><Connect><Stream url='wss://h/s'/></Connect><Dial>+332</Dial></Response>") == [
        StreamVerb("wss://h/s"),
        DialVerb("+332"),
    ]


@pytest.mark.parametrize("text", ["", "not xml", "<html/>", "<Response>"])
def test_parse_twiml_refuses_non_twiml(text: str) -> None:
    assert parse_twiml(text) is None
