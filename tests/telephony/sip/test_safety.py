"""The allow-list, the INVITE rate limit and digest authentication (against aiosipua's client side)."""

from __future__ import annotations

from aiosipua.auth import SipDigestAuth, build_credentials
from aiosipua.headers import parse_auth, stringify_auth

from telephony.sip.safety import NONCE_LIFETIME, AllowList, DigestAuth, RateLimiter


def test_loopback_only_by_default() -> None:
    allow = AllowList()
    assert "127.0.0.1" in allow and "127.8.9.1" in allow and "::1" in allow
    assert "192.168.1.10" not in allow and "not an address" not in allow


def test_configured_networks() -> None:
    allow = AllowList(["10.0.0.0/8", "192.168.1.7"])
    assert "10.2.3.4" in allow and "192.168.1.7" in allow and "::ffff:10.0.0.1" in allow
    assert "127.0.0.1" not in allow and "192.168.1.8" not in allow


def test_rate_limit_per_source() -> None:
    limiter = RateLimiter(2.0)
    assert [limiter.allow("a", 0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", 0.0)
    assert limiter.allow("a", 0.5) and not limiter.allow("a", 0.5)


def answer(auth: DigestAuth, password: str, now: float, *, qop: bool = True, uri: str = "sip:bot@127.0.0.1") -> str:
    challenge = parse_auth(auth.challenge(now))
    if not qop:
        challenge.params.pop("qop")
    credentials = build_credentials(SipDigestAuth("patient", password), challenge, "INVITE", uri)
    assert credentials is not None
    return stringify_auth(credentials)


def test_digest_with_and_without_qop() -> None:
    auth = DigestAuth("patient", "s3cret")
    assert auth.verify(answer(auth, "s3cret", 1000.0), "INVITE", 1001.0)
    assert auth.verify(answer(auth, "s3cret", 1000.0, qop=False), "INVITE", 1001.0)


def test_digest_refusals() -> None:
    auth = DigestAuth("patient", "s3cret")
    assert not auth.verify(None, "INVITE", 0.0)
    assert not auth.verify("Digest garbage", "INVITE", 0.0)
    assert not auth.verify(answer(auth, "wrong", 1000.0), "INVITE", 1001.0)
    assert not auth.verify(answer(auth, "s3cret", 1000.0), "INVITE", 1000.0 + NONCE_LIFETIME + 1)
    assert not auth.verify(answer(auth, "s3cret", 1000.0), "BYE", 1001.0)
    other = DigestAuth("patient", "s3cret")
    assert not other.verify(answer(auth, "s3cret", 1000.0), "INVITE", 1001.0)  # a nonce it did not sign
