"""The one FastAPI application of `voicebot serve`: health check and staff console (the telephony gateway's
voice endpoints are added to this same application).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from booking.service import BookingService
from voicebot.console import install_console
from voicebot.settings import Clock

if TYPE_CHECKING:
    from voicebot.gateway_twilio import TwilioGateway


def health_router(service: BookingService, speech_ready: Callable[[], bool] | None = None) -> APIRouter:
    """`GET /healthz`: 200 when the database answers (and, when `speech_ready` is given, the speech models are
    loaded), 503 otherwise.
    """
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        """Liveness and database check for supervisors and load balancers."""
        try:
            with service.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        if speech_ready is not None and not speech_ready():
            return JSONResponse({"status": "speech models not loaded"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return router


def create_app(service: BookingService, clock: Clock, *, secret_key: str | None = None,
               monotonic: Callable[[], float] = time.monotonic, hasher: PasswordHasher | None = None,
               twilio: TwilioGateway | None = None, speech_ready: Callable[[], bool] | None = None) -> FastAPI:
    """The application: `/healthz`, the staff console under `/admin`, and the Twilio gateway when given.

    Args:
        service: The booking service shared by every part of the application.
        clock: Now, real or frozen (`--now`).
        secret_key: Signs the console's session cookies; random (sessions end at restart) when `None`.
        monotonic: Clock for login throttling (tests pass a fake one).
        hasher: argon2 parameters for checking passwords (tests pass cheaper ones).
        twilio: The Twilio gateway (`/twilio/voice`, `/twilio/stream`); none when Twilio is not configured.
        speech_ready: Whether the speech models are loaded; when given, `/healthz` needs it true too.
    """
    app = FastAPI(title="voicebot", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health_router(service, speech_ready))
    app.state.console = install_console(app, service, clock, secret_key=secret_key, monotonic=monotonic,
                                        hasher=hasher)
    app.state.twilio = twilio
    if twilio is not None:
        app.include_router(twilio.router)
    return app
