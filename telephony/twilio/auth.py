"""Twilio request signatures and per-call stream tokens: pure functions, no clock read, no I/O.

Twilio signs each request with HMAC-SHA1 of the URL it called (plus, for form posts, the sorted form fields)
keyed by the account's auth token, in the `X-Twilio-Signature` header:

* the voice webhook: the public `https://` URL and the posted form;
* the media-stream websocket upgrade: the `wss://` URL with no parameters (validating it with the `https://`
  URL fails).

A per-call token (an HMAC of the call SID and an expiry) goes into the stream's `<Parameter>`s, so that a
stream is accepted only for a call our webhook answered, and only for a short while.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"
TOKEN_TTL_SECONDS = 120.0
"""How long after the webhook answered the stream may start (Twilio connects within about a second)."""

FormFields = Mapping[str, str] | Iterable[tuple[str, str]]
"""A posted form: a mapping, or (name, value) pairs when a name repeats."""


class _MultiDict:
    """The form as `RequestValidator` reads a repeated field (`getall`)."""

    def __init__(self, fields: FormFields) -> None:
        pairs = fields.items() if isinstance(fields, Mapping) else fields
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(str(name), []).append(str(value))

    def __iter__(self) -> Iterator[str]:
        """The names (what `set()` takes)."""
        return iter(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def getall(self, name: str) -> list[str]:
        return self._values[name]


def sign_webhook(auth_token: str, url: str, fields: FormFields) -> str:
    """The `X-Twilio-Signature` Twilio would send for a form posted to `url`."""
    return str(RequestValidator(auth_token).compute_signature(url, _MultiDict(fields)))


def validate_webhook(auth_token: str, url: str, fields: FormFields, signature: str | None) -> bool:
    """Whether `signature` is Twilio's for this form posted to the public `url` (False without a token)."""
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, _MultiDict(fields), signature))


def sign_websocket(auth_token: str, wss_url: str) -> str:
    """The `X-Twilio-Signature` of a media-stream websocket upgrade to `wss_url`."""
    return str(RequestValidator(auth_token).compute_signature(wss_url, {}))


def validate_websocket(auth_token: str, wss_url: str, signature: str | None) -> bool:
    """Whether `signature` is Twilio's for a websocket upgrade to `wss_url` (False without a token)."""
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(wss_url, {}, signature))


def call_token_key(auth_token: str) -> bytes:
    """The key of the per-call tokens, derived from the auth token (so they survive a restart)."""
    return hmac.new(auth_token.encode("utf-8"), b"voicebot/twilio-call-token/v1", hashlib.sha256).digest()


def _mac(key: bytes, call_sid: str, expiry: int) -> str:
    digest = hmac.new(key, f"{call_sid}\n{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_call_token(key: bytes, call_sid: str, now: float, ttl: float = TOKEN_TTL_SECONDS) -> str:
    """A token for one call's media stream: `EXPIRY.MAC`, valid until `now + ttl` (Unix seconds)."""
    expiry = int(now + ttl)
    return f"{expiry}.{_mac(key, call_sid, expiry)}"


def check_call_token(key: bytes, token: str | None, call_sid: str | None, now: float) -> bool:
    """Whether `token` was issued for `call_sid` with this key and has not expired at `now`."""
    if not token or not call_sid or not isinstance(token, str):
        return False
    expiry_text, _, mac = token.partition(".")
    if not (expiry_text.isascii() and expiry_text.isdigit()) or len(expiry_text) > 12:
        return False
    expiry = int(expiry_text)
    return now <= expiry and hmac.compare_digest(mac, _mac(key, call_sid, expiry))
