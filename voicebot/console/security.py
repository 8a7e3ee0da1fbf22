"""Sessions, CSRF tokens and login throttling for the staff console.

A session is a signed cookie (itsdangerous) holding the user name, a CSRF token, a session id and a
fingerprint of the password hash: changing a password or removing an account ends its sessions, and
logging out revokes the session id for as long as the cookie could still be valid. Wrong passwords are counted
per user name and per client address (`LoginThrottle`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "voicebot_session"
LANG_COOKIE = "voicebot_lang"
SESSION_SECONDS = 12 * 3600
"""A login lasts one working day at most."""


@dataclass(frozen=True)
class SessionData:
    """What the session cookie says."""

    csrf: str
    """Token every form must send back."""
    sid: str
    """Random id, revoked at logout."""
    username: str | None = None
    """`None` before logging in."""
    fingerprint: str = ""
    """Fingerprint of the password hash when the user logged in."""


def fingerprint(password_hash: str) -> str:
    """A short digest of a password hash (a new password makes old sessions invalid)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def is_https(request: Request) -> bool:
    """Whether the browser talks HTTPS to us (directly, or through a proxy saying so)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


class SessionCodec:
    """Reads and writes the signed session cookie."""

    def __init__(self, secret_key: str, monotonic: Callable[[], float]) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="voicebot-console-session")
        self._monotonic = monotonic
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def read(self, request: Request) -> SessionData | None:
        """The request's valid session, or `None`."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            payload = self._serializer.loads(raw, max_age=SESSION_SECONDS)
            data = SessionData(str(payload["c"]), str(payload["s"]), payload.get("u"), str(payload.get("f", "")))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        with self._lock:
            if data.sid in self._revoked:
                return None
        return data

    @staticmethod
    def new(username: str | None = None, password_hash: str = "") -> SessionData:
        """A fresh session (new CSRF token and id)."""
        return SessionData(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(16),
            username,
            fingerprint(password_hash) if password_hash else "",
        )

    def write(self, response: Response, request: Request, data: SessionData) -> None:
        """Set the cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, scoped to /admin."""
        token = self._serializer.dumps({"c": data.csrf, "s": data.sid, "u": data.username, "f": data.fingerprint})
        response.set_cookie(
            COOKIE,
            token,
            max_age=SESSION_SECONDS,
            path="/admin",
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )

    def revoke(self, data: SessionData) -> None:
        """End a session for good (logout), even if someone kept a copy of the cookie."""
        now = self._monotonic()
        with self._lock:
            self._revoked = {sid: t for sid, t in self._revoked.items() if t > now}
            self._revoked[data.sid] = now + SESSION_SECONDS

    @staticmethod
    def clear(response: Response, request: Request) -> None:
        """Remove the cookie from the browser."""
        response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="lax", secure=is_https(request))


def csrf_matches(session: SessionData | None, token: object) -> bool:
    """Whether a submitted form's token is the session's (constant-time comparison)."""
    if session is None or not isinstance(token, str) or not token:
        return False
    return secrets.compare_digest(session.csrf.encode(), token.encode())


MAX_TRACKED = 50_000
"""Entries kept per count at most: beyond, stale ones go, then the oldest (guessed names cannot fill memory)."""


class _Failures:
    """Times of recent failures per key (an account name or an address), within `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: dict[str, list[float]] = {}

    def wait(self, key: str, now: float) -> float:
        """Seconds before `key` may try again (0: allowed now)."""
        times = [t for t in self._times.get(key, ()) if now - t < self.window]
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[-1] + self.window - now)

    def add(self, key: str, now: float) -> None:
        if key not in self._times and len(self._times) >= MAX_TRACKED:
            self._forget_stale(now)
        times = [t for t in self._times.pop(key, ()) if now - t < self.window]
        self._times[key] = [*times[-(self.limit - 1) :], now] if self.limit > 1 else [now]

    def forget(self, key: str) -> None:
        self._times.pop(key, None)

    def _forget_stale(self, now: float) -> None:
        self._times = {k: v for k, v in self._times.items() if now - v[-1] < self.window}
        excess = len(self._times) - MAX_TRACKED // 2
        if excess > 0:  # still full of fresh entries: drop those whose last failure is oldest (insertion order)
            self._times = dict(list(self._times.items())[excess:])


def account_key(username: str) -> str:
    """What the throttle counts for a user name: its normalised form (as `StaffStore` looks it up), digested
    so that long made-up names cost no memory; the same for names of no account.
    """
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def address_key(address: str) -> str:
    """What the throttle counts for a client address: the address, or its /64 for IPv6 (one subscriber's block)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LoginThrottle:
    """Wrong passwords are counted twice: per user name, whatever the address, and per client address, whatever
    the names. After `account_limit` failures for a name, or `address_limit` from an address, within `window`
    seconds, every attempt with that name, or from that address, is refused (right password included) until
    `window` seconds after its last failure. Names of no account are counted the same way, so the answer never
    tells whether an account exists.
    """

    def __init__(
        self,
        monotonic: Callable[[], float],
        account_limit: int = 10,
        address_limit: int = 30,
        window: float = 15 * 60,
    ) -> None:
        self._monotonic = monotonic
        self._accounts = _Failures(account_limit, window)
        self._addresses = _Failures(address_limit, window)
        self._lock = threading.Lock()

    def retry_after(self, username: str, address: str) -> float:
        """Seconds before this user name may be tried again from this address (0: allowed now)."""
        now = self._monotonic()
        with self._lock:
            return max(self._accounts.wait(account_key(username), now), self._addresses.wait(address_key(address), now))

    def failed(self, username: str, address: str) -> None:
        """Record a wrong password (or an unknown name), against the name and against the address."""
        now = self._monotonic()
        with self._lock:
            self._accounts.add(account_key(username), now)
            self._addresses.add(address_key(address), now)

    def succeeded(self, username: str, address: str) -> None:
        """Forget the failures of a user name that logged in (the address keeps its count: logging in to an
        account of one's own must not reset the guesses made at others).
        """
        with self._lock:
            self._accounts.forget(account_key(username))
