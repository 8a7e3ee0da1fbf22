"""The clinic staff console: server-rendered pages under `/admin` (appointment book, call log, configuration,
privacy).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from booking.service import BookingService
from voicebot.console.context import PREFIX, STATIC, ConsoleContext, Denied
from voicebot.console.routes_auth import auth_routers
from voicebot.console.routes_book import book_router
from voicebot.console.routes_calls import calls_router
from voicebot.console.routes_catalog import catalog_router
from voicebot.console.routes_config import config_router
from voicebot.console.routes_privacy import privacy_router
from voicebot.console.routes_requests import requests_router
from voicebot.console.routes_transfer import transfer_router
from voicebot.settings import Clock

__all__ = ["ConsoleContext", "install_console"]

REFUSALS = {404: "denied.not_found", 405: "denied.not_found"}
"""The message (an i18n key) of a request the framework refused, by status; any other is a form it cannot read."""


def install_console(
    app: FastAPI,
    service: BookingService,
    clock: Clock,
    *,
    secret_key: str | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    hasher: PasswordHasher | None = None,
) -> ConsoleContext:
    """Add the console's routes, static files and access-refusal handling to `app`.

    Args:
        app: The application to extend.
        service: The booking service (the phone agent uses the same one).
        clock: Now, real or frozen.
        secret_key: Signs session cookies; a random one (sessions end at restart) when `None`.
        monotonic: Seconds for throttling and logout bookkeeping, counted from the wall clock at start
            (`security.wall_clock`: several servers compare them in the database; tests pass a fake).
        hasher: The argon2 parameters (tests pass cheaper ones).

    Returns:
        The console's context, for tests and the server.
    """
    ctx = ConsoleContext(service, clock, secret_key or secrets.token_urlsafe(32), monotonic, hasher)
    public, private = auth_routers(ctx)
    routers = (
        book_router(ctx),
        requests_router(ctx),
        calls_router(ctx),
        config_router(ctx),
        catalog_router(ctx),
        transfer_router(ctx),
        privacy_router(ctx),
    )
    for router in (public, private, *routers):
        app.include_router(router)
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="console-static")

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, Denied)
        if error.status == 401 and request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(f"{PREFIX}/login?next={target}", status_code=303)
            ctx.decorate(response, request)
            return response
        return ctx.render(request, "error.html", status=error.status, message="denied." + error.reason)

    async def unreadable(request: Request, error: Exception) -> Response:
        """What the framework refuses before any console code runs (a form it cannot read, an address that is no
        page) is a page too; outside the console, FastAPI's own answer is kept.
        """
        if not request.url.path.startswith(PREFIX + "/"):
            if isinstance(error, RequestValidationError):
                return await request_validation_exception_handler(request, error)
            assert isinstance(error, StarletteHTTPException)
            return await http_exception_handler(request, error)
        status = error.status_code if isinstance(error, StarletteHTTPException) else 422
        response = ctx.render(request, "error.html", status=status, message=REFUSALS.get(status, "denied.form"))
        response.headers.update(getattr(error, "headers", None) or {})
        return response

    app.add_exception_handler(Denied, refused)
    app.add_exception_handler(StarletteHTTPException, unreadable)
    app.add_exception_handler(RequestValidationError, unreadable)
    return ctx
