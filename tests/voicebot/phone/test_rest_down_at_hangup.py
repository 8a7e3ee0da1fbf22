"""Twilio's REST API down when the Twilio handler hangs up after the bot's goodbye: the call still ends on our
side (the stream closes, the call log row is written), the server takes the next call, and one warning says the
hang-up failed, without the caller's number.

The real gateway on uvicorn (127.0.0.1), the real `PipelineCallHandler` (its transport on the call's websocket,
its hang-up through the real REST client, the real call log on SQLite), the simulated carrier over a real
websocket; only the speech is left out: the call's pipeline is the transport and a small keypad dialogue that
ends the call on "#" the way the real one does (its outcome set, then `EndWorkerFrame`). The REST API is a closed
port, a server answering 500, or one that takes the connection and never answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

import pytest
import uvicorn
from aiohttp import web
from fastapi import FastAPI
from pipecat.frames.frames import EndWorkerFrame, Frame, InputDTMFFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from booking.calls import CallLog
from booking.clinic import load_clinic
from booking.service import BookingService
from booking.store import apply_clinic
from dialogue.actions import HangUp, Outcome, OutcomeKind
from dialogue.privacy import CallFacts
from dialogue.state import State
from telephony.twilio.call import TwilioCall
from telephony.twilio.gateway import TwilioGateway
from telephony.twilio.sim.carrier import CallPlacement, SimulatedTwilioCall
from tests.conftest import NOW, SAMPLE_CLINIC
from tests.pg import free_port
from tests.telephony.twilio.live import ACCOUNT, PUBLIC, TOKEN, eventually
from voicebot.phone.calls import CallOutcome
from voicebot.phone.twilio import PipelineCallHandler, TwilioCallTransport
from voicebot.pipeline.builder import CallPipeline
from voicebot.pipeline.engines import Engines
from voicebot.settings import TwilioSettings

CALLER = "+33612345678"
REST_TIMEOUT = 10.0
"""`TwilioRestClient`'s default timeout, the longest a silent API can hold the hang-up."""


class KeypadGoodbye(FrameProcessor):
    """The dialogue, without speech: "#" is the caller's goodbye, and the call ends as the real dialogue ends it."""

    def __init__(self) -> None:
        super().__init__()
        self.outcome: HangUp | None = None
        self.transcript: list[tuple[str, str]] = [("bot", "Bonjour, tapez dièse pour raccrocher.")]
        self.state = State()
        self.facts = CallFacts.empty()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputDTMFFrame) and frame.button.value == "#" and self.outcome is None:
            self.transcript.append(("caller", "dtmf:#"))
            self.outcome = HangUp(Outcome(OutcomeKind.GOODBYE))
            await self.push_frame(EndWorkerFrame(reason="goodbye"))
            return
        await self.push_frame(frame, direction)


def no_speech() -> Engines:
    """The handler's speech engines: never asked for, the keypad pipeline has no speech."""
    raise AssertionError("the keypad pipeline asked for the speech engines")


class KeypadCallHandler(PipelineCallHandler):
    """`PipelineCallHandler` whose pipeline is its Twilio transport around `KeypadGoodbye`."""

    def build(self, call: TwilioCall, transport: TwilioCallTransport) -> CallPipeline:
        dialogue = KeypadGoodbye()
        pipeline = Pipeline([transport.input(), dialogue, transport.output()])
        params = PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=8000)
        worker = PipelineWorker(pipeline, params=params, enable_rtvi=False)
        return CallPipeline(worker, pipeline, dialogue, None, None)  # type: ignore[arg-type]


@asynccontextmanager
async def closed_port() -> AsyncIterator[str]:
    """An API root where nothing listens (the connection is refused)."""
    yield f"http://127.0.0.1:{free_port()}"


@asynccontextmanager
async def failing_api() -> AsyncIterator[str]:
    """An API root that answers every request 500, with Twilio's error body."""

    async def fail(_request: web.Request) -> web.Response:
        body = {"code": 20500, "message": "Internal Server Error", "more_info": "", "status": 500}
        return web.json_response(body, status=500)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fail)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def silent_api() -> AsyncIterator[str]:
    """An API root that takes the connection, reads the request and never answers."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read(65536)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def serving(gateway: TwilioGateway) -> AsyncIterator[str]:
    """The gateway on uvicorn at 127.0.0.1; its URL."""
    app = FastAPI()
    app.include_router(gateway.router)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, 5)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def goodbye_call(url: str, handler: KeypadCallHandler) -> SimulatedTwilioCall:
    """A call that presses "#" once the handler runs it; returned once its stream has closed."""
    call = SimulatedTwilioCall(CallPlacement(url, ACCOUNT, TOKEN, public_url=PUBLIC, caller=CALLER))
    try:
        await call.start()
        await eventually(lambda: call.call_sid in handler.active, 5)
        await call.send_dtmf("#")
        await asyncio.wait_for(call.ended.wait(), 10)
    finally:
        await call.close()
    return call


@pytest.mark.parametrize(
    "api",
    [
        pytest.param(closed_port, id="connection-refused"),
        pytest.param(failing_api, id="answers-500"),
        pytest.param(silent_api, id="never-answers", marks=pytest.mark.slow),
    ],
)
def test_the_call_ends_on_our_side_when_the_rest_api_is_down(
    api: Callable[[], AbstractAsyncContextManager[str]], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = BookingService.open(sqlite_url)
    apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC), NOW)

    async def scenario() -> tuple[SimulatedTwilioCall, SimulatedTwilioCall, KeypadCallHandler]:
        async with api() as api_url:
            settings = TwilioSettings(PUBLIC, ACCOUNT, TOKEN, api_url, "+33100000009")
            clock = lambda: datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # noqa: E731
            handler = KeypadCallHandler(
                settings, service, clock, no_speech, locale="fr", call_log=CallLog(service.engine)
            )
            gateway = TwilioGateway(settings, handler, start_timeout=2.0)
            async with serving(gateway) as url:
                first = await goodbye_call(url, handler)
                second = await goodbye_call(url, handler)  # while the first may still wait for the API
                await eventually(lambda: len(handler.finished) == 2 and not gateway.active, 3 * REST_TIMEOUT)
        return first, second, handler

    with caplog.at_level(logging.DEBUG):
        first, second, handler = asyncio.run(asyncio.wait_for(scenario(), 6 * REST_TIMEOUT))

    assert (first.end_reason, second.end_reason) == ("server-closed", "server-closed")  # our side closed the stream
    assert [(r.call_sid, r.outcome) for r in handler.finished] == [
        (first.call_sid, CallOutcome.COMPLETED),
        (second.call_sid, CallOutcome.COMPLETED),
    ]
    logged = {call.entry.key: call.entry.outcome for call in CallLog(service.engine).find()}
    assert logged == {first.call_sid: "goodbye", second.call_sid: "goodbye"}
    ours = [r for r in caplog.records if r.name.startswith(("voicebot", "telephony", "booking"))]
    for call in (first, second):
        warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING and call.call_sid in r.getMessage()]
        assert len(warnings) == 1, warnings
        assert "hang-up" in warnings[0] and "failed" in warnings[0], warnings
    assert not [r for r in ours if r.levelno >= logging.ERROR], "a failed hang-up is no error of the handler"
    assert CALLER[3:] not in caplog.text and CALLER[1:] not in caplog.text
