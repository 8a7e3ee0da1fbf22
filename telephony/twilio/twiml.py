"""TwiML and URL building for Twilio voice calls and messages: pure functions, no network.

The answer to the voice webhook connects the call to our media-stream websocket; the stream URL is a `wss://`
URL without a query string (Twilio drops query strings on stream URLs), and per-call values travel as
`<Parameter>`s, which Twilio hands back in the `start` message's `customParameters`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Connect, Dial, Parameter, Stream, VoiceResponse

from telephony.errors import BadTelephonySetting

TWILIO_API_URL = "https://api.twilio.com"
"""Twilio's REST API root; tests and `voicebot call` point it at a local fake instead."""
API_VERSION = "2010-04-01"


def stream_twiml(ws_url: str, parameters: Mapping[str, str]) -> str:
    """`<Response><Connect><Stream url=...>` with one `<Parameter>` per item.

    Args:
        ws_url: The media-stream websocket URL (`wss://`, or `ws://` for local tests), without a query string.
        parameters: Values handed back in the `start` message (a per-call token, the caller's number...).

    Raises:
        BadTelephonySetting: The URL is not a websocket URL, or has a query string or fragment.
    """
    _check_ws_url(ws_url)
    stream = Stream(url=ws_url)
    for name, value in parameters.items():
        stream.append(Parameter(name=name, value=value))
    connect = Connect()
    connect.append(stream)
    response = VoiceResponse()
    response.append(connect)
    return str(response.to_xml())


def dial_twiml(number: str) -> str:
    """Transfer the call with `<Dial>`: an E.164 number, or a SIP URI (`sip:...`) in a `<Sip>` noun.

    Raises:
        BadTelephonySetting: The number is empty.
    """
    target = number.strip()
    if not target:
        raise BadTelephonySetting("transfer number is empty")
    response = VoiceResponse()
    dial = Dial()
    if target.lower().startswith("sip:"):
        dial.sip(target)
    else:
        dial.number(target)
    response.append(dial)
    return str(response.to_xml())


def hangup_twiml() -> str:
    """`<Response><Hangup/></Response>`."""
    response = VoiceResponse()
    response.hangup()
    return str(response.to_xml())


def public_url(base_url: str, path: str) -> str:
    """The public URL of one of our endpoints: `base_url` (scheme, host, optional prefix) joined with `path`."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BadTelephonySetting(f"public URL must be https://HOST[/PREFIX] (http only for tests): {base_url!r}")
    if parts.query or parts.fragment:
        raise BadTelephonySetting(f"public URL must not have a query string or fragment: {base_url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/" + path.lstrip("/"), "", ""))


def public_ws_url(base_https_url: str, path: str) -> str:
    """The websocket URL matching a public base URL: `https://h/p` + `/s` -> `wss://h/p/s` (`http` -> `ws`)."""
    url = public_url(base_https_url, path)
    scheme, rest = url.split("://", 1)
    return ("wss" if scheme == "https" else "ws") + "://" + rest


def call_resource_url(api_base_url: str, account_sid: str, call_sid: str) -> str:
    """The REST URL of a call: `{base}/2010-04-01/Accounts/{AC}/Calls/{CA}.json`."""
    root = (api_base_url or TWILIO_API_URL).rstrip("/")
    return f"{root}/{API_VERSION}/Accounts/{quote(account_sid, safe='')}/Calls/{quote(call_sid, safe='')}.json"


def messages_resource_url(api_base_url: str, account_sid: str) -> str:
    """The REST URL of the account's messages: `{base}/2010-04-01/Accounts/{AC}/Messages.json`."""
    root = (api_base_url or TWILIO_API_URL).rstrip("/")
    return f"{root}/{API_VERSION}/Accounts/{quote(account_sid, safe='')}/Messages.json"


def message_twiml(text: str | None) -> str:
    """The answer to an inbound SMS: `<Response><Message>text</Message></Response>`, or `<Response />` (none)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response.to_xml())


def _check_ws_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("wss", "ws") or not parts.netloc:
        raise BadTelephonySetting(f"stream URL must be wss://HOST/PATH: {url!r}")
    if parts.query or parts.fragment:
        raise BadTelephonySetting(f"stream URL must not have a query string (use <Parameter>): {url!r}")


@dataclass(frozen=True)
class StreamVerb:
    """`<Connect><Stream>`: open a bidirectional media stream."""

    url: str
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DialVerb:
    """`<Dial>`: transfer the call."""

    target: str
    """An E.164 number or a SIP URI."""


@dataclass(frozen=True)
class HangupVerb:
    """`<Hangup>`: end the call."""


TwimlVerb = StreamVerb | DialVerb | HangupVerb


def parse_twiml(xml: str) -> list[TwimlVerb] | None:
    """The verbs of a TwiML document we understand, in order (others are skipped); `None` if it is not TwiML.

    Used by the simulated carrier to follow the server's answer as Twilio would.
    """
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return None
    if root.tag != "Response":
        return None
    verbs: list[TwimlVerb] = []
    for element in root:
        if element.tag == "Connect":
            for stream in element.iter("Stream"):
                parameters = {p.get("name", ""): p.get("value", "") for p in stream.iter("Parameter")}
                verbs.append(StreamVerb(stream.get("url", ""), parameters))
        elif element.tag == "Dial":
            nouns = [child.text or "" for child in element if child.tag in ("Number", "Sip", "Client")]
            target = (nouns[0] if nouns else element.text or "").strip()
            verbs.append(DialVerb(target))
        elif element.tag == "Hangup":
            verbs.append(HangupVerb())
    return verbs
