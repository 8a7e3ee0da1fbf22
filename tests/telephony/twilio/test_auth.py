import base64
import hashlib
import hmac

import pytest

from telephony.twilio.auth import (
    call_token_key,
    check_call_token,
    issue_call_token,
    sign_webhook,
    sign_websocket,
    validate_webhook,
    validate_websocket,
)

TOKEN = "12345"
URL = "https://bot.example.org/twilio/voice"
FORM = {"CallSid": "CA1234567890ABCDE", "From": "+33612345678", "To": "+33100000000", "AccountSid": "AC1"}


def reference_signature(token: str, url: str, form: dict[str, str]) -> str:
    """Twilio's documented algorithm, written out independently: HMAC-SHA1 of the URL + sorted name/value."""
    data = url + "".join(name + form[name] for name in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_webhook_signature_follows_twilios_algorithm() -> None:
    assert sign_webhook(TOKEN, URL, FORM) == reference_signature(TOKEN, URL, FORM)
    assert validate_webhook(TOKEN, URL, FORM, reference_signature(TOKEN, URL, FORM))


def test_webhook_signature_accepts_pairs_and_explicit_default_port() -> None:
    signature = sign_webhook(TOKEN, URL, FORM)
    assert validate_webhook(TOKEN, URL, list(reversed(FORM.items())), signature)
    assert validate_webhook(TOKEN, "https://bot.example.org:443/twilio/voice", FORM, signature)


@pytest.mark.parametrize(
    ("token", "url", "form", "signature"),
    [
        (TOKEN, URL, {**FORM, "From": "+33699999999"}, None),  # tampered form
        (TOKEN, URL, {**FORM, "Extra": "1"}, None),  # added field
        (TOKEN, "https://evil.example.org/twilio/voice", FORM, None),  # other URL
        ("other-token", URL, FORM, None),
        (TOKEN, URL, FORM, ""),
        (TOKEN, URL, FORM, "not base64 at all"),
        ("", URL, FORM, None),  # no token configured: nothing validates
    ],
)
def test_webhook_signature_rejections(token: str, url: str, form: dict[str, str], signature: str | None) -> None:
    good = sign_webhook(TOKEN, URL, FORM)
    assert not validate_webhook(token, url, form, good if signature is None else signature)
    assert not validate_webhook(TOKEN, URL, FORM, None)


def test_websocket_signature_is_over_the_wss_url() -> None:
    wss = "wss://bot.example.org/twilio/stream"
    signature = sign_websocket(TOKEN, wss)
    assert validate_websocket(TOKEN, wss, signature)
    assert not validate_websocket(TOKEN, wss, sign_webhook(TOKEN, "https://bot.example.org/twilio/stream", {}))
    assert not validate_websocket("other", wss, signature)
    assert not validate_websocket(TOKEN, wss, None)


KEY = call_token_key("auth-token")


def test_call_token_valid_for_its_call_until_expiry() -> None:
    token = issue_call_token(KEY, "CA1", now=1_000_000.0, ttl=60)
    assert check_call_token(KEY, token, "CA1", 1_000_000.0)
    assert check_call_token(KEY, token, "CA1", 1_000_060.0)
    assert not check_call_token(KEY, token, "CA1", 1_000_061.0)
    assert not check_call_token(KEY, token, "CA2", 1_000_000.0)
    assert not check_call_token(call_token_key("other"), token, "CA1", 1_000_000.0)


def test_call_token_key_is_stable_and_secret_dependent() -> None:
    assert call_token_key("a") == call_token_key("a") != call_token_key("b")


@pytest.mark.parametrize(
    "token",
    [None, "", "abc", "123.", ".abc", "x.y", "-5.abc", "99999999999999.abc", "1000060.AAAA", "1000060", "١٢٣.abc"],
)
def test_call_token_garbage(token: str | None) -> None:
    assert not check_call_token(KEY, token, "CA1", 1_000_000.0)


def test_call_token_tampered_expiry() -> None:
    token = issue_call_token(KEY, "CA1", now=1_000_000.0, ttl=60)
    _, mac = token.split(".")
    assert not check_call_token(KEY, f"2000000000.{mac}", "CA1", 1_000_000.0)
