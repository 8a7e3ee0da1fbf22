"""What the phone handlers share (`voicebot.phone.calls`): the outcome of a call as an enum, and
`PipelineHandler`'s run, close and record of one call, on a real pipecat worker with a small fake dialogue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pipecat.frames.frames import EndWorkerFrame, Frame, StartFrame, TTSSpeakFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from booking.calls import CallLog
from booking.records import CallChannel
from dialogue.actions import HangUp, Outcome, OutcomeKind, Transfer
from dialogue.privacy import CallFacts
from dialogue.state import State
from voicebot.phone.calls import (
    CallInProgress,
    CallOutcome,
    CallRecord,
    PipelineHandler,
    call_outcome,
    closing_frames,
)
from voicebot.pipeline.builder import CallPipeline

GOODBYE = HangUp(Outcome(OutcomeKind.GOODBYE))
TRANSFER = Transfer("+33100000000", Outcome(OutcomeKind.TRANSFERRED))


def test_outcomes_keep_their_strings() -> None:
    assert [o.value for o in CallOutcome] == [
        "completed", "transferred", "hung_up", "closed", "cancelled", "transfer_failed"
    ]  # fmt: skip
    assert CallOutcome.CLOSED == "closed" and f"{CallOutcome.HUNG_UP}" == "hung_up"
    assert CallOutcome("transfer_failed") is CallOutcome.TRANSFER_FAILED


@pytest.mark.parametrize(
    ("cancelled", "gone", "closed", "outcome", "refused", "expected"),
    [
        (True, True, True, GOODBYE, True, CallOutcome.CANCELLED),
        (False, True, True, GOODBYE, False, CallOutcome.HUNG_UP),
        (False, False, True, None, False, CallOutcome.CLOSED),
        (False, False, False, None, False, CallOutcome.HUNG_UP),
        (False, False, False, GOODBYE, False, CallOutcome.COMPLETED),
        (False, False, False, GOODBYE, True, CallOutcome.COMPLETED),
        (False, False, False, TRANSFER, False, CallOutcome.TRANSFERRED),
        (False, False, False, TRANSFER, True, CallOutcome.TRANSFER_FAILED),
    ],
)
def test_call_outcome(
    cancelled: bool, gone: bool, closed: bool, outcome: object, refused: bool, expected: CallOutcome
) -> None:
    found = call_outcome(cancelled=cancelled, gone=gone, closed=closed, outcome=outcome, transfer_refused=refused)
    assert found is expected


@dataclass
class FakeDialogue:
    outcome: HangUp | Transfer | None = None
    transcript: list[tuple[str, str]] = field(default_factory=lambda: [("bot", "Hello.")])
    state: State = field(default_factory=State)
    facts: CallFacts = field(default_factory=CallFacts.empty)


@dataclass
class FakeTransport:
    muted: bool = False


@dataclass
class FakeCall:
    call_id: str
    said: list[Frame] = field(default_factory=list)
    """What reached the pipeline's end."""
    running: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the pipeline has started."""


class Recorder(FrameProcessor):
    """Keeps every downstream frame in the call's `said`."""

    def __init__(self, call: FakeCall) -> None:
        super().__init__()
        self.call = call

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is FrameDirection.DOWNSTREAM:
            self.call.said.append(frame)
        if isinstance(frame, StartFrame):
            self.call.running.set()
        await self.push_frame(frame, direction)


class FakeHandler(PipelineHandler[FakeCall, FakeTransport]):
    """The shared part with the smallest line: a one-processor pipeline, a transport that only mutes."""

    channel = CallChannel.SIP

    def __init__(self, keep: int = 20, call_log: CallLog | None = None) -> None:
        clock = lambda: datetime(2026, 12, 1, tzinfo=UTC)  # noqa: E731
        super().__init__(None, clock, lambda: None, keep=keep, locale="en", call_log=call_log)  # type: ignore[arg-type]
        self.progress: dict[str, CallInProgress[FakeTransport]] = {}
        self.wrapped: list[tuple[str, CallOutcome]] = []

    def call_id(self, call: FakeCall) -> str:
        return call.call_id

    def transport(self, call: FakeCall) -> FakeTransport:
        return FakeTransport()

    def build(self, call: FakeCall, transport: FakeTransport) -> CallPipeline:
        pipeline = Pipeline([Recorder(call)])
        worker = PipelineWorker(pipeline, enable_rtvi=False)
        return CallPipeline(worker, pipeline, FakeDialogue(), None, None)  # type: ignore[arg-type]

    def watch(self, call: FakeCall, progress: CallInProgress[FakeTransport]) -> None:
        self.progress[call.call_id] = progress

    def closing_words(self) -> str:
        return "Goodbye."

    async def wrap_up(self, call: FakeCall, outcome: CallOutcome) -> None:
        self.wrapped.append((call.call_id, outcome))


async def started(handler: FakeHandler, call: FakeCall) -> asyncio.Task[None]:
    task = asyncio.create_task(handler.handle(call))
    await asyncio.wait_for(call.running.wait(), 5)
    assert call.call_id in handler.active
    return task


def run(coroutine: object) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 20))  # type: ignore[arg-type]


def test_the_dialogue_ends_the_call() -> None:
    async def scenario() -> None:
        handler, call = FakeHandler(), FakeCall("CA1")
        task = await started(handler, call)
        assert set(handler.transports) == {"CA1"}
        built = handler.active["CA1"]
        built.dialogue.outcome = GOODBYE
        await built.worker.queue_frames([EndWorkerFrame()])
        await task
        assert handler.active == {} and handler.transports == {}
        assert handler.finished == [CallRecord("CA1", CallOutcome.COMPLETED, [("bot", "Hello.")])]
        assert handler.finished[0].outcome == "completed"
        assert handler.wrapped == [("CA1", CallOutcome.COMPLETED)]

    run(scenario())


def test_the_caller_leaving_cancels_the_pipeline() -> None:
    async def scenario() -> None:
        handler, call = FakeHandler(), FakeCall("CA2")
        task = await started(handler, call)
        await handler.progress["CA2"].end(gone=True, reason="caller hung up")
        await task
        assert [r.outcome for r in handler.finished] == [CallOutcome.HUNG_UP]
        assert handler.wrapped == [("CA2", CallOutcome.HUNG_UP)]

    run(scenario())


def test_a_refused_transfer_is_recorded() -> None:
    async def scenario() -> None:
        handler, call = FakeHandler(), FakeCall("CA3")
        task = await started(handler, call)
        built = handler.active["CA3"]
        built.dialogue.outcome = TRANSFER
        handler.transfer_refused("CA3")
        handler.transfer_refused("unknown")  # a call not here: nothing happens
        await built.worker.queue_frames([EndWorkerFrame()])
        await task
        assert handler.wrapped == [("CA3", CallOutcome.TRANSFER_FAILED)]

    run(scenario())


def test_close_says_goodbye_once_mutes_the_caller_and_records_closed() -> None:
    async def scenario() -> None:
        handler, call = FakeHandler(), FakeCall("CA4")
        assert await handler.close("CA4") is False  # not in progress
        task = await started(handler, call)
        transport = handler.transports["CA4"]
        assert await handler.close("CA4") is True
        assert transport.muted
        assert await handler.close("CA4") is True  # already closing: nothing more queued
        await task
        spoken = [f.text for f in call.said if isinstance(f, TTSSpeakFrame)]
        assert spoken == ["Goodbye."]
        assert [type(f) for f in closing_frames("Goodbye.")][-1] is EndWorkerFrame
        assert handler.wrapped == [("CA4", CallOutcome.CLOSED)]

    run(scenario())


def test_close_leaves_a_call_whose_dialogue_has_ended() -> None:
    async def scenario() -> None:
        handler, call = FakeHandler(), FakeCall("CA5")
        task = await started(handler, call)
        built = handler.active["CA5"]
        built.dialogue.outcome = GOODBYE
        assert await handler.close("CA5") is True
        assert not handler.transports["CA5"].muted
        await built.worker.queue_frames([EndWorkerFrame()])
        await task
        assert handler.wrapped == [("CA5", CallOutcome.COMPLETED)]

    run(scenario())


def test_a_cancelled_handler_records_cancelled() -> None:
    async def scenario() -> None:
        handler, call = FakeHandler(), FakeCall("CA6")
        task = await started(handler, call)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):  # pipecat's runner absorbs the cancellation
            await task
        assert [r.outcome for r in handler.finished] == [CallOutcome.CANCELLED]
        assert handler.wrapped in ([], [("CA6", CallOutcome.CANCELLED)]) and handler.active == {}

    run(scenario())


def test_only_the_last_calls_are_kept() -> None:
    async def scenario() -> None:
        handler = FakeHandler(keep=2)
        for index in range(3):
            call = FakeCall(f"CA{index}")
            task = await started(handler, call)
            await handler.progress[call.call_id].end(gone=True, reason="caller hung up")
            await task
        assert [r.call_sid for r in handler.finished] == ["CA1", "CA2"]

    run(scenario())


def test_every_finished_call_is_written_to_the_call_log(sqlite_url: str) -> None:
    from booking.service import BookingService

    engine = BookingService.open(sqlite_url).engine  # migrated

    async def scenario() -> None:
        handler = FakeHandler(call_log=CallLog(engine))
        call = FakeCall("CA7")
        task = await started(handler, call)
        handler.active["CA7"].dialogue.transcript.append(("caller", "My number is 07700 900555."))
        await handler.progress["CA7"].end(gone=True, reason="caller hung up")
        await task
        call = FakeCall("CA8")
        task = await started(handler, call)
        assert await handler.close("CA8")
        await task

    run(scenario())
    second, first = CallLog(engine).find()
    assert (first.entry.key, first.entry.channel, first.entry.outcome) == ("CA7", "sip", "hung_up")
    assert first.entry.started_at == datetime(2026, 12, 1, tzinfo=UTC) <= first.entry.ended_at
    assert [(t.speaker, t.text) for t in first.transcript or ()] == [
        ("bot", "Hello."),
        ("caller", "My number is ⟨PHONE⟩."),
    ]
    assert first.entry.caller_turns == 1 and first.entry.latency is None  # the fake pipeline measures nothing
    assert (second.entry.key, second.entry.outcome) == ("CA8", "closed")


def test_a_call_log_that_fails_does_not_break_the_call(caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy import create_engine

    broken = CallLog(create_engine("sqlite://"))  # an empty database: no call_log table

    async def scenario() -> None:
        handler = FakeHandler(call_log=broken)
        call = FakeCall("CA9")
        task = await started(handler, call)
        await handler.progress["CA9"].end(gone=True, reason="caller hung up")
        await task
        assert [r.outcome for r in handler.finished] == [CallOutcome.HUNG_UP]
        assert handler.wrapped == [("CA9", CallOutcome.HUNG_UP)]

    with caplog.at_level(logging.WARNING):
        run(scenario())
    assert "call CA9: not written to the call log (OperationalError)" in caplog.text
