"""The one FastAPI application of `voicebot serve`: health check and staff console (the telephony gateway's
voice endpoints are added to this same application).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from argon2 import PasswordHasher
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from booking.service import BookingService
from voicebot.console import install_console
from voicebot.settings import Clock


def health_router(service: BookingService) -> APIRouter:
    """`GET /healthz`: 200 when the database answers, 503 otherwise."""
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        """Liveness and database check for supervisors and load balancers."""
        try:
            with service.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return router


def create_app(service: BookingService, clock: Clock, *, secret_key: str | None = None,
               monotonic: Callable[[], float] = time.monotonic, hasher: PasswordHasher | None = None) -> FastAPI:
    """The application: `/healthz` and the staff console under `/admin`.

    Args:
        service: The booking service shared by every part of the application.
        clock: Now, real or frozen (`--now`).
        secret_key: Signs the console's session cookies; random (sessions end at restart) when `None`.
        monotonic: Clock for login throttling (tests pass a fake one).
        hasher: argon2 parameters for checking passwords (tests pass cheaper ones).
    """
    app = FastAPI(title="voicebot", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health_router(service))
    app.state.console = install_console(app, service, clock, secret_key=secret_key, monotonic=monotonic,
                                        hasher=hasher)
    return app
