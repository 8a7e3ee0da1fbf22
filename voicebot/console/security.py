"""Sessions, CSRF tokens and login throttling for the staff console.

A session is a signed cookie (itsdangerous) holding the user name, a CSRF token, a session id and a
fingerprint of the password hash: changing a password or removing an account ends its sessions, and
logging out revokes the session id for as long as the cookie could still be valid. Wrong passwords are counted
per user name and per client address (`LoginThrottle`).

Both live in the database (`booking.shared_state`), so that every `voicebot serve` worker behind one proxy sees
the same logouts and counts: a logout on one ends the cookie on all, and spreading guesses over the workers gains
nothing. Their clock is wall-clock UTC (`wall_clock`), the one thing workers can compare; the rows hold keyed
digests only (the key derives from the secret key, which several workers must share anyway to read each other's
cookies).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from booking.shared_state import SharedState

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


def wall_clock(monotonic: Callable[[], float], start: datetime | None = None) -> Callable[[], datetime]:
    """Now in UTC: `start` (default: the system's clock, read once here) plus the seconds `monotonic` counted
    since. Every process starts from the same wall clock, so their times compare; within one, a step of the system
    clock changes nothing, and tests move time with a fake `monotonic`.
    """
    origin, base = start or datetime.now(UTC), monotonic()
    return lambda: origin + timedelta(seconds=monotonic() - base)


def _digester(secret_key: str) -> Callable[[str, str], str]:
    """`digest(kind, text)`: what the shared tables store for a session id, a name or an address (an HMAC under a
    key derived from the console's secret: nothing stored can be read back, nor guessed from a list of addresses).
    """
    key = hmac.new(secret_key.encode(), b"voicebot-console-state", hashlib.sha256).digest()
    return lambda kind, text: hmac.new(key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()


class SessionCodec:
    """Reads and writes the signed session cookie; logouts are kept in `state`, seen by every server.

    Args:
        secret_key: Signs the cookies.
        state: Where revoked sessions are kept.
        now: Wall-clock UTC now (`wall_clock`).
    """

    def __init__(self, secret_key: str, state: SharedState, now: Callable[[], datetime]) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="voicebot-console-session")
        self._state = state
        self._now = now
        self._digest = _digester(secret_key)

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
        if self._state.session_revoked(self._digest("sid", data.sid), self._now()):
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
        now = self._now()
        self._state.revoke_session(self._digest("sid", data.sid), now + timedelta(seconds=SESSION_SECONDS), now)

    @staticmethod
    def clear(response: Response, request: Request) -> None:
        """Remove the cookie from the browser."""
        response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="lax", secure=is_https(request))


def csrf_matches(session: SessionData | None, token: object) -> bool:
    """Whether a submitted form's token is the session's (constant-time comparison)."""
    if session is None or not isinstance(token, str) or not token:
        return False
    return secrets.compare_digest(session.csrf.encode(), token.encode())


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

    The counts are kept in `state`, shared by every server. Guessed names cannot fill the disk: a failure is a row
    of fixed size (a digest and a time), only recorded while attempts are allowed, ignored one window later and
    deleted by the writes that follow.
    """

    def __init__(
        self,
        state: SharedState,
        now: Callable[[], datetime],
        secret_key: str,
        account_limit: int = 10,
        address_limit: int = 30,
        window: float = 15 * 60,
    ) -> None:
        self._state = state
        self._now = now
        self._digest = _digester(secret_key)
        self._limits = (account_limit, address_limit)
        self._window = timedelta(seconds=window)

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return self._digest("account", account_key(username)), self._digest("address", address_key(address))

    def retry_after(self, username: str, address: str) -> float:
        """Seconds before this user name may be tried again from this address (0: allowed now)."""
        now = self._now()
        waits = [0.0]
        for key, limit in zip(self._keys(username, address), self._limits, strict=True):
            times = self._state.recent_failures(key, now - self._window, limit)
            if len(times) >= limit:
                waits.append((times[0] + self._window - now).total_seconds())
        return max(waits)

    def failed(self, username: str, address: str) -> None:
        """Record a wrong password (or an unknown name), against the name and against the address."""
        now = self._now()
        self._state.add_failure(self._keys(username, address), now, now - self._window)

    def succeeded(self, username: str, address: str) -> None:
        """Forget the failures of a user name that logged in (the address keeps its count: logging in to an
        account of one's own must not reset the guesses made at others).
        """
        self._state.forget_failures(self._keys(username, address)[0])
