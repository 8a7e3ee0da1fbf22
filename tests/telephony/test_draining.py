"""The calls in progress both gateways share: counted while running, closed politely, then cancelled."""

from __future__ import annotations

import asyncio

from telephony.draining import CallsInProgress, DrainingGateway


def test_a_call_counts_while_its_block_runs() -> None:
    async def scenario() -> None:
        calls: CallsInProgress[str] = CallsInProgress("test")
        with calls.running("CA1", "first"):
            assert calls.active == {"CA1": "first"}
        assert calls.active == {}
        async with asyncio.timeout(0.5):
            await calls.drain(10.0, 10.0)  # nothing in progress: at once
        assert calls.draining

    asyncio.run(scenario())


def test_drain_waits_for_calls_that_end_within_the_grace() -> None:
    async def scenario() -> list[str]:
        calls: CallsInProgress[str] = CallsInProgress("test")
        closed: list[str] = []

        async def call() -> None:
            with calls.running("CA1", "short", asyncio.current_task()):
                await asyncio.sleep(0.05)

        async def close(call_id: str) -> None:
            closed.append(call_id)

        task = asyncio.create_task(call())
        await asyncio.sleep(0)
        await calls.drain(2.0, 2.0, close)
        assert task.done() and not task.cancelled()
        return closed

    assert asyncio.run(scenario()) == []


def test_drain_closes_the_remaining_calls_then_cancels_the_stuck_ones() -> None:
    async def scenario() -> None:
        calls: CallsInProgress[str] = CallsInProgress("test")
        polite_done = asyncio.Event()
        closed: list[str] = []

        async def call(call_id: str, done: asyncio.Event | None) -> None:
            with calls.running(call_id, call_id, asyncio.current_task()):
                await (done.wait() if done is not None else asyncio.Event().wait())

        async def close(call_id: str) -> bool:
            closed.append(call_id)
            if call_id == "polite":
                polite_done.set()
            return True

        polite = asyncio.create_task(call("polite", polite_done))
        stuck = asyncio.create_task(call("stuck", None))
        await asyncio.sleep(0)
        assert set(calls.active) == {"polite", "stuck"}
        await calls.drain(0.05, 0.1, close)
        assert sorted(closed) == ["polite", "stuck"]
        assert polite.done() and not polite.cancelled()
        assert stuck.cancelled() and calls.active == {}

    asyncio.run(scenario())


def test_without_a_close_the_calls_are_cancelled_after_the_grace() -> None:
    async def scenario() -> None:
        calls: CallsInProgress[str] = CallsInProgress("test")

        async def call() -> None:
            with calls.running("CA1", "call"):
                await asyncio.Event().wait()

        task = asyncio.create_task(call())
        await asyncio.sleep(0)
        calls.attach("CA1", task)
        async with asyncio.timeout(1.0):
            await calls.drain(0.05, 30.0)  # no close: no closing time either
        assert task.cancelled() and calls.active == {}

    asyncio.run(scenario())


class PoliteHandler:
    def __init__(self) -> None:
        self.closed: list[str] = []

    async def close(self, call_id: str) -> bool:
        self.closed.append(call_id)
        return True


class Gateway(DrainingGateway[str, PoliteHandler]):
    def __init__(self) -> None:
        super().__init__("test")
        self.handler = PoliteHandler()


def test_a_gateway_drains_through_its_handlers_close() -> None:
    async def scenario() -> None:
        gateway = Gateway()
        gateway.draining = True  # a test may set it by hand, as the SIP gateway's does
        assert gateway.calls.draining
        gateway.draining = False
        done = asyncio.Event()

        async def call() -> None:
            with gateway.calls.running("CA1", "call", asyncio.current_task()):
                await done.wait()

        task = asyncio.create_task(call())
        await asyncio.sleep(0)
        assert gateway.active == {"CA1": "call"}
        drain = asyncio.create_task(gateway.drain(0.05, 0.2))
        await asyncio.sleep(0.1)
        assert gateway.draining and gateway.handler.closed == ["CA1"]
        done.set()
        await drain
        assert not gateway.active and task.done() and not task.cancelled()

    asyncio.run(scenario())
