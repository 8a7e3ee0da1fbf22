"""A real gateway on 127.0.0.1 (uvicorn in the test's event loop) with a fake Twilio REST API beside it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from telephony.twilio import protocol as wire
from telephony.twilio.call import CallHandler, TwilioCall
from telephony.twilio.gateway import TwilioGateway
from telephony.twilio.sim.carrier import CallPlacement, SimulatedTwilioCall
from telephony.twilio.sim.fake_rest import FakeTwilio
from tests.pg import free_port
from voicebot.settings import TwilioSettings

ACCOUNT = "AC" + "1" * 32
TOKEN = "twilio-auth-token-for-tests"
PUBLIC = "https://bot.example.org"
STAFF = "+33100000009"


@dataclass
class Live:
    server_url: str
    fake: FakeTwilio
    gateway: TwilioGateway
    calls: list[SimulatedTwilioCall] = field(default_factory=list)

    def call(self, caller: str | None = "+33612345678", token: str = TOKEN) -> SimulatedTwilioCall:
        """A call from Twilio's side, known to the fake REST API."""
        call = SimulatedTwilioCall(CallPlacement(self.server_url, ACCOUNT, token, public_url=PUBLIC, caller=caller))
        self.fake.add_call(call.call_sid, from_=caller or "anonymous")
        self.calls.append(call)
        return call

    def on_update(self, sid: str, form: dict[str, str]) -> None:
        for call in self.calls:
            call.on_rest_update(sid, form)


@asynccontextmanager
async def live_gateway(handler: CallHandler, *, stop_grace: float = 0.5) -> AsyncIterator[Live]:
    """Serve the gateway; afterwards check that no task of the call outlived it."""
    baseline = asyncio.all_tasks()
    async with FakeTwilio(ACCOUNT, TOKEN) as fake:
        settings = TwilioSettings(PUBLIC, ACCOUNT, TOKEN, fake.base_url, STAFF)
        gateway = TwilioGateway(settings, handler, stop_grace=stop_grace, start_timeout=2.0)
        app = FastAPI()
        app.include_router(gateway.router)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
            )
        )
        serving = asyncio.create_task(server.serve())
        await eventually(lambda: server.started, 5)
        live = Live(f"http://127.0.0.1:{port}", fake, gateway)
        fake.on_update = live.on_update
        try:
            yield live
        finally:
            for call in live.calls:
                await call.close()
            await eventually(lambda: not gateway.active)
            server.should_exit = True
            await serving
    current = asyncio.current_task()

    def leftover() -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks() if t not in baseline and t is not current]

    try:
        await eventually(lambda: not leftover(), 2)
    except TimeoutError:
        raise AssertionError(f"tasks leaked: {leftover()}") from None


async def eventually(predicate: Callable[[], bool], seconds: float = 3.0) -> None:
    """Wait until `predicate()` holds (state owned by uvicorn or the loop, polled); TimeoutError after `seconds`."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - nothing to wait on: polling another component's state
            await asyncio.sleep(0.01)


def run(test: Callable[[], Awaitable[None]], timeout: float = 20.0) -> None:
    """Run an async test with a hard time limit."""

    async def main() -> None:
        async with asyncio.timeout(timeout):
            await test()

    asyncio.run(main())


class RecordingHandler:
    """Records each call's events; returns on the digit `until`, or when the stream ends."""

    def __init__(self, until: str | None = "#") -> None:
        self.until = until
        self.calls: list[TwilioCall] = []
        self.events: list[object] = []
        self.cancelled = False
        self.started = asyncio.Event()
        self.finished = asyncio.Event()

    async def handle(self, call: TwilioCall) -> None:
        self.calls.append(call)
        self.started.set()
        try:
            async for event in call.events():
                self.events.append(event)
                if isinstance(event, wire.Dtmf) and event.digit == self.until:
                    return
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        finally:
            self.finished.set()

    def digits(self) -> list[str]:
        return [e.digit for e in self.events if isinstance(e, wire.Dtmf)]

    def media(self) -> list[wire.Media]:
        return [e for e in self.events if isinstance(e, wire.Media)]
