"""Two Twilio gateways (two real uvicorn servers on 127.0.0.1) behind one public URL: a stream token used on one is
refused on the other when they share the database's claims (`voicebot.app.stream_claims`), on SQLite and
PostgreSQL; with the default claims each server knows only its own streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from booking.db import migrate, open_engine
from telephony.twilio.gateway import StreamClaim, TwilioGateway
from telephony.twilio.sim.carrier import CallPlacement, SimulatedTwilioCall
from telephony.twilio.sim.fake_rest import FakeTwilio
from tests.pg import free_port
from tests.telephony.twilio.live import ACCOUNT, PUBLIC, STAFF, TOKEN, RecordingHandler, eventually, run
from voicebot.app import stream_claims
from voicebot.settings import TwilioSettings


@pytest.fixture
def engines(db_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two servers' engines on one migrated database."""
    pair = (open_engine(db_url), open_engine(db_url))
    migrate(pair[0])
    yield pair
    for engine in pair:
        engine.dispose()


@asynccontextmanager
async def serving(fake: FakeTwilio, handler: RecordingHandler, claims: StreamClaim | None) -> AsyncIterator[str]:
    """One gateway on its own port, all with the same public URL and auth token; yields its base URL."""
    settings = TwilioSettings(PUBLIC, ACCOUNT, TOKEN, fake.base_url, STAFF)
    gateway = TwilioGateway(settings, handler, stop_grace=0.5, start_timeout=2.0, claim_stream=claims)
    app = FastAPI()
    app.include_router(gateway.router)
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, 5)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        await eventually(lambda: not gateway.active)
        server.should_exit = True
        await serving


async def replay_on_the_other(claims: tuple[StreamClaim | None, StreamClaim | None]) -> tuple[int, int, str | None]:
    """A call streams on the first server; its TwiML (same call, same token) is replayed to the second. Returns
    how many calls each handler got once the second server decided, and how the replayed stream ended (`None`:
    still open).
    """
    handlers = (RecordingHandler(), RecordingHandler())
    async with FakeTwilio(ACCOUNT, TOKEN) as fake, AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(serving(fake, h, c)) for h, c in zip(handlers, claims, strict=True)]
        first = SimulatedTwilioCall(CallPlacement(urls[0], ACCOUNT, TOKEN, public_url=PUBLIC))
        replay = SimulatedTwilioCall(CallPlacement(urls[1], ACCOUNT, TOKEN, public_url=PUBLIC))
        try:
            await first.start()
            await asyncio.wait_for(handlers[0].started.wait(), 3)
            replay.call_sid, replay.twiml = first.call_sid, first.twiml
            await replay.open_stream()
            decided = [asyncio.create_task(replay.ended.wait()), asyncio.create_task(handlers[1].started.wait())]
            done, pending = await asyncio.wait(decided, timeout=3, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            assert done, "the second server neither refused nor accepted the replayed stream"
            assert not first.ended.is_set()
            return len(handlers[0].calls), len(handlers[1].calls), replay.end_reason
        finally:
            for call in (first, replay):
                await call.close()


def test_a_token_used_on_one_server_is_refused_on_another_sharing_the_database(engines: tuple[Engine, Engine]) -> None:
    async def test() -> None:
        claims = (stream_claims(engines[0]), stream_claims(engines[1]))
        assert await replay_on_the_other(claims) == (1, 0, "server-closed")

    run(test)


def test_without_shared_claims_each_server_knows_only_its_own_streams() -> None:
    async def test() -> None:
        assert await replay_on_the_other((None, None)) == (1, 1, None)

    run(test)


def test_a_claim_that_fails_refuses_the_stream(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A database that cannot answer (here: never migrated) refuses the stream, with one line naming the error."""
    engine, handler = open_engine(sqlite_url), RecordingHandler()

    async def test() -> None:
        async with FakeTwilio(ACCOUNT, TOKEN) as fake, serving(fake, handler, stream_claims(engine)) as url:
            call = SimulatedTwilioCall(CallPlacement(url, ACCOUNT, TOKEN, public_url=PUBLIC))
            try:
                await call.start()
                await asyncio.wait_for(call.ended.wait(), 3)
            finally:
                await call.close()
            assert call.end_reason == "server-closed" and handler.calls == []

    run(test)
    engine.dispose()
    assert any("could not be claimed (OperationalError)" in record.getMessage() for record in caplog.records)
