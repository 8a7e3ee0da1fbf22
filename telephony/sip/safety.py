"""What keeps a SIP server safe on a network: an allow-list, a per-source INVITE rate limit, digest authentication.

Pure helpers (the clock is passed in), tested without a network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections import OrderedDict
from collections.abc import Sequence

from aiosipua.headers import parse_auth

LOOPBACK = ("127.0.0.0/8", "::1/128")
NONCE_LIFETIME = 300.0


class AllowList:
    """Source networks allowed to talk to the server (CIDR strings; loopback only by default)."""

    def __init__(self, networks: Sequence[str] | None = None) -> None:
        chosen = networks if networks is not None else LOOPBACK
        self.networks = [ipaddress.ip_network(n, strict=False) for n in chosen]

    def __contains__(self, host: object) -> bool:
        try:
            address = ipaddress.ip_address(str(host))
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


class RateLimiter:
    """A token bucket per source: `rate` events per second, bursts of `burst` (at least one)."""

    def __init__(self, rate: float, burst: float | None = None, max_sources: int = 4096) -> None:
        self.rate = max(rate, 0.0)
        self.burst = max(1.0, burst if burst is not None else rate)
        self.max_sources = max_sources
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, source: str, now: float) -> bool:
        """Take one token for `source`; False when its bucket is empty."""
        tokens, last = self._buckets.pop(source, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[source] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_sources:
            self._buckets.popitem(last=False)
        return allowed


class DigestAuth:
    """Server side of SIP digest authentication (RFC 2617 / 7616, MD5, with or without qop=auth).

    Nonces are stateless: a timestamp signed with a per-process secret, valid `NONCE_LIFETIME` seconds.
    """

    def __init__(self, user: str, password: str, realm: str = "voicebot") -> None:
        self.user, self.password, self.realm = user, password, realm
        self._secret = secrets.token_bytes(16)

    def challenge(self, now: float) -> str:
        """A WWW-Authenticate value with a fresh nonce."""
        return f'Digest realm="{self.realm}", nonce="{self._nonce(now)}", algorithm=MD5, qop="auth"'

    def _nonce(self, now: float) -> str:
        stamp = f"{int(now):x}"
        signature = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{stamp}.{signature}"

    def _nonce_ok(self, nonce: str, now: float) -> bool:
        stamp, _, signature = nonce.partition(".")
        try:
            issued = int(stamp, 16)
        except ValueError:
            return False
        expected = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        return hmac.compare_digest(signature, expected) and 0 <= now - issued <= NONCE_LIFETIME

    def verify(self, authorization: str | None, method: str, now: float) -> bool:
        """Whether an Authorization header value proves the password for this request."""
        if not authorization:
            return False
        try:
            params = parse_auth(authorization, credentials=True).params
        except Exception:  # noqa: BLE001 - hostile header
            return False
        nonce, uri, response = params.get("nonce", ""), params.get("uri", ""), params.get("response", "")
        if params.get("username") != self.user or params.get("realm") != self.realm:
            return False
        if params.get("algorithm", "MD5").upper() != "MD5" or not self._nonce_ok(nonce, now):
            return False

        def md5(text: str) -> str:
            return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's hash

        ha1 = md5(f"{self.user}:{self.realm}:{self.password}")
        ha2 = md5(f"{method}:{uri}")
        qop = params.get("qop")
        if qop is None:
            expected = md5(f"{ha1}:{nonce}:{ha2}")
        elif qop.lower() == "auth":
            expected = md5(f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:auth:{ha2}")
        else:
            return False
        return hmac.compare_digest(expected, response.lower())
