"""Sessions, CSRF tokens and login throttling for the staff console.

A session is a signed cookie (itsdangerous) holding the user name, a CSRF token, a session id and a
fingerprint of the password hash: changing a password or removing an account ends its sessions, and
logging out revokes the session id for as long as the cookie could still be valid.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)


class LoginThrottle:
    """After `limit` wrong passwords for one user name from one address within `window` seconds, refuse
    every attempt (right password included) until `window` seconds after the last failure.
    """

    def __init__(self, monotonic: Callable[[], float], limit: int = 10, window: float = 15 * 60) -> None:
        self._monotonic = monotonic
        self.limit = limit
        self.window = window
        self._failures: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()

    def retry_after(self, username: str, address: str) -> float:
        """Seconds before this user name may try again from this address (0: allowed now)."""
        now = self._monotonic()
        with self._lock:
            entry = self._failures.get((username.strip().lower(), address))
            if entry is None:
                return 0.0
            entry.times = [t for t in entry.times if now - t < self.window]
            if len(entry.times) < self.limit:
                return 0.0
            return max(0.0, entry.times[-1] + self.window - now)

    def failed(self, username: str, address: str) -> None:
        """Record a wrong password."""
        now = self._monotonic()
        with self._lock:
            if len(self._failures) > 10_000:  # forget stale entries so guessing names cannot fill memory
                self._failures = {
                    k: v for k, v in self._failures.items() if v.times and now - v.times[-1] < self.window
                }
            self._failures.setdefault((username.strip().lower(), address), _Failures()).times.append(now)

    def succeeded(self, username: str, address: str) -> None:
        """Forget the failures of a user who logged in."""
        with self._lock:
            self._failures.pop((username.strip().lower(), address), None)
