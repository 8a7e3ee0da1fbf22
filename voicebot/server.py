"""The one FastAPI application of `voicebot serve`: health check, metrics and staff console (the telephony gateway's
voice endpoints are added to this same application), and the uvicorn server that drains calls on SIGTERM and
runs the SIP server in the same event loop.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn
from argon2 import PasswordHasher
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from booking.service import BookingService
from voicebot.console import install_console
from voicebot.settings import Clock

if TYPE_CHECKING:
    from telephony.twilio.gateway import TwilioGateway
    from voicebot.metrics import Metrics

log = logging.getLogger(__name__)


def health_router(
    service: BookingService,
    speech_ready: Callable[[], bool] | None = None,
    worker: str | None = None,
    draining: Callable[[], bool] | None = None,
) -> APIRouter:
    """`GET /healthz`: 200 when the database answers (and, when `speech_ready` is given, the speech models are
    loaded), 503 otherwise, and 503 as soon as `draining()` holds (SIGTERM: a load balancer sends new calls to
    other workers); the JSON names the `worker` when given.
    """
    router = APIRouter()
    named = {"worker": worker} if worker is not None else {}

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        """Liveness and database check for supervisors and load balancers."""
        if draining is not None and draining():
            return JSONResponse({"status": "draining", **named}, status_code=503)
        try:
            with service.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable", **named}, status_code=503)
        if speech_ready is not None and not speech_ready():
            return JSONResponse({"status": "speech models not loaded", **named}, status_code=503)
        return JSONResponse({"status": "ok", **named})

    return router


def metrics_router(metrics: Metrics) -> APIRouter:
    """`GET /metrics`: Prometheus' text format, without login but only for loopback clients that came straight
    (not through a proxy) and the networks in `metrics.allow` (`--metrics-allow-ips`); 403 for anyone else.
    """
    from prometheus_client import CONTENT_TYPE_LATEST

    from voicebot.metrics import scrape_allowed

    router = APIRouter()

    @router.get("/metrics")
    def scrape(request: Request) -> Response:
        """The server's metrics (no personal data: every label has a fixed small set of values)."""
        client = request.client.host if request.client is not None else None
        proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
        if not scrape_allowed(client, proxied, metrics.allow):
            return Response("metrics: not from this address (see --metrics-allow-ips)\n", status_code=403)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app(
    service: BookingService,
    clock: Clock,
    *,
    secret_key: str | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    hasher: PasswordHasher | None = None,
    twilio: TwilioGateway | None = None,
    speech_ready: Callable[[], bool] | None = None,
    metrics: Metrics | None = None,
    draining: Callable[[], bool] | None = None,
) -> FastAPI:
    """The application: `/healthz`, `/metrics` (with `metrics`), the staff console under `/admin`, and the Twilio
    gateway when given.

    Args:
        service: The booking service shared by every part of the application.
        clock: Now, real or frozen (`--now`).
        secret_key: Signs the console's session cookies; random (sessions end at restart) when `None`.
        monotonic: Clock for login throttling (tests pass a fake one).
        hasher: argon2 parameters for checking passwords (tests pass cheaper ones).
        twilio: The Twilio gateway (`/twilio/voice`, `/twilio/stream`); none when Twilio is not configured.
        speech_ready: Whether the speech models are loaded; when given, `/healthz` needs it true too.
        metrics: The server's metrics, served on `/metrics` to `metrics.allow` and loopback (its worker id on
            `/healthz` too); `None`: no such route.
        draining: Whether the server is draining (its phone gateways refuse new calls): `/healthz` is then 503.
    """
    app = FastAPI(title="voicebot", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health_router(service, speech_ready, metrics.worker if metrics is not None else None, draining))
    if metrics is not None:
        app.include_router(metrics_router(metrics))
    app.state.console = install_console(app, service, clock, secret_key=secret_key, monotonic=monotonic, hasher=hasher)
    app.state.twilio = twilio
    if twilio is not None:
        app.include_router(twilio.router)
    return app


class DrainingServer(uvicorn.Server):
    """uvicorn's server, but SIGTERM first drains: `drain()` runs while the server still answers (the voice
    webhook refuses new calls politely, calls in progress finish or hear a goodbye), then the server stops and
    the process exits 0. A second SIGTERM, or SIGINT (Ctrl-C), stops at once as uvicorn does.

    Args:
        config: uvicorn's configuration.
        drain: What to wait for before stopping (e.g. `TwilioGateway.drain` with its grace); `None`: no drain.
        on_startup: Awaited in the server's loop before the web port is bound (the SIP server starts there); an
            exception stops the server before it listens.
        on_shutdown: Awaited once the server stopped taking requests, before its connections close (the SIP
            server stops there).
    """

    def __init__(
        self,
        config: uvicorn.Config,
        drain: Callable[[], Awaitable[None]] | None = None,
        *,
        on_startup: Callable[[], Awaitable[None]] | None = None,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(config)
        self._drain = drain
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown
        self._started = False
        self._draining: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Note the running loop (signals arrive on the main thread, between its callbacks), run `on_startup`,
        then bind the web port.
        """
        self._loop = asyncio.get_running_loop()
        if self._on_startup is not None:
            await self._on_startup()
        self._started = True
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Run `on_shutdown` (when `on_startup` ran), then uvicorn's shutdown."""
        try:
            if self._started and self._on_shutdown is not None:
                await self._on_shutdown()
        finally:
            await super().shutdown(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM: start draining (once); anything else: uvicorn's behaviour."""
        if sig == signal.SIGTERM and self._drain is not None and self._loop is not None and not self.should_exit:
            if self._draining is None:
                self._loop.call_soon_threadsafe(self._start_draining)
                return
            if not self._draining.done():
                log.warning("second SIGTERM: stopping without waiting for the calls")
        super().handle_exit(sig, frame)

    def _start_draining(self) -> None:
        if self._draining is None and self._drain is not None:
            self._draining = asyncio.get_running_loop().create_task(self._drain_then_exit(self._drain))

    async def _drain_then_exit(self, drain: Callable[[], Awaitable[None]]) -> None:
        log.info("SIGTERM: draining before shutdown")
        try:
            await drain()
        finally:
            self.should_exit = True
