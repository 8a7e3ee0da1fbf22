"""What every console route shares: the services, the clock, access checks and page rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from booking.clinic import Clinic
from booking.errors import NotConfigured
from booking.service import BookingService
from booking.shared_state import SharedState
from booking.staff import StaffAccount, StaffStore
from voicebot.console.i18n import LANGUAGES, Translator
from voicebot.console.security import (
    LANG_COOKIE,
    LoginThrottle,
    SessionCodec,
    SessionData,
    csrf_matches,
    fingerprint,
    wall_clock,
)
from voicebot.settings import Clock

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
PREFIX = "/admin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_RECORD_NUMBER = 2**31 - 1
"""The largest number the databases' integer keys hold (PostgreSQL's `integer`)."""


def record_number(text: str) -> int | None:
    """A record's number as written in a URL (a request, a call); `None` for anything else, a number too big for
    the database included (a typed `int` path parameter would answer FastAPI's JSON error, or overflow the driver).
    """
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_RECORD_NUMBER else None


class Denied(Exception):
    """Access refused: `status` 401 (not logged in) or 403 (role, CSRF); pages become redirects."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        """An i18n key under `denied.` explaining the refusal."""
        super().__init__(reason)


class ConsoleContext:
    """The console's dependencies and helpers, shared by its routers."""

    def __init__(
        self,
        service: BookingService,
        clock: Clock,
        secret_key: str,
        monotonic: Callable[[], float],
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.service = service
        self.clock = clock
        self.staff = StaffStore(service.engine)
        state, now = SharedState(service.engine), wall_clock(monotonic)  # shared by every server on the database
        self.sessions = SessionCodec(secret_key, state, now)
        self.throttle = LoginThrottle(state, now, secret_key)
        self.hasher = hasher or PasswordHasher()
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.globals.update(prefix=PREFIX, doctor_name=_doctor_name, motif_label=_motif_label)

    # -- time and configuration ---------------------------------------------------------------------

    def clinic(self) -> Clinic:
        """The configuration in force (reloaded by the service when it changes)."""
        return self.service.clinic()

    def now(self) -> datetime:
        """Now, in the practice's time zone."""
        try:
            return self.clock.now(self.clinic().practice.zone)
        except NotConfigured:
            return self.clock.now()

    # -- access ---------------------------------------------------------------------------------------

    def viewer(self, request: Request) -> tuple[StaffAccount, SessionData] | None:
        """The logged-in account and its session, if the cookie is valid and the account still allows it."""
        session = self.sessions.read(request)
        if session is None or not session.username:
            return None
        account = self.staff.get(session.username)
        if account is None or not account.active or fingerprint(account.password_hash) != session.fingerprint:
            return None
        return account, session

    async def require_user(self, request: Request) -> StaffAccount:
        """Dependency: the logged-in account; `Denied(401)` otherwise."""
        found = self.viewer(request)
        if found is None:
            raise Denied(401, "login")
        request.state.user, request.state.session = found
        return found[0]

    async def require_admin(self, request: Request) -> StaffAccount:
        """Dependency: a logged-in admin; `Denied(403)` for a secretary."""
        account = await self.require_user(request)
        if not account.is_admin:
            raise Denied(403, "admin")
        return account

    async def check_csrf(self, request: Request) -> None:
        """Dependency: every state-changing request must carry the session's CSRF token."""
        if request.method in SAFE_METHODS:
            return
        session = getattr(request.state, "session", None) or self.sessions.read(request)
        form = await request.form()
        if not csrf_matches(session, form.get("csrf_token")):
            raise Denied(403, "csrf")

    # -- responses --------------------------------------------------------------------------------------

    def lang(self, request: Request) -> str:
        """The UI language: `?lang=`, else the cookie, else the practice's locale."""
        for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
            if candidate in LANGUAGES:
                return str(candidate)
        try:
            return self.clinic().practice.locale
        except NotConfigured:
            return "fr"

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> Response:
        """A page from `templates/`, with the translator, user, CSRF token and language switch."""
        lang = self.lang(request)
        user = getattr(request.state, "user", None)
        session = getattr(request.state, "session", None)
        try:
            practice_name = self.clinic().practice.name
        except NotConfigured:
            practice_name = "voicebot"
        context = {
            "t": Translator(lang),
            "lang": lang,
            "user": user,
            "csrf": session.csrf if session else "",
            "practice_name": practice_name,
            "path": request.url.path,
            "query": dict(request.query_params),
            "ok": request.query_params.get("ok", ""),
            **values,
        }
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        self.decorate(response, request)
        return response

    def decorate(self, response: Response, request: Request) -> None:
        """Headers every console response gets; remembers a `?lang=` choice."""
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'; form-action 'self'"
        )
        chosen = request.query_params.get("lang")
        if chosen in LANGUAGES:
            response.set_cookie(LANG_COOKIE, str(chosen), max_age=365 * 86400, path=PREFIX, samesite="lax")

    def redirect(self, request: Request, path: str, ok: str = "") -> Response:
        """A 303 to a console page (after a successful form), optionally with a success message key."""
        url = PREFIX + path
        if ok:
            url += ("&" if "?" in url else "?") + "ok=" + quote(ok)
        response = RedirectResponse(url, status_code=303)
        self.decorate(response, request)
        return response

    def audit(self, user: StaffAccount, action: str, details: str) -> None:
        """Record a staff change in the audit trail."""
        self.staff.record(user.username, action, details, self.now())


def _doctor_name(clinic: Clinic, practitioner_id: str) -> str:
    try:
        return clinic.practitioner(practitioner_id).display_name
    except KeyError:
        return practitioner_id


def _motif_label(clinic: Clinic, motif_id: str) -> str:
    try:
        return clinic.motif(motif_id).label
    except KeyError:
        return motif_id
