"""What the phone gateways' pipeline handlers share: the record of a finished call, how its outcome is named, the
polite close while the server drains, and `PipelineHandler`, the run of one call's pipeline that the Twilio and
the SIP handler both are (each adds its transport, its transfer and its hang-up).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pipecat.frames.frames import EndWorkerFrame, Frame, InterruptionFrame, STTMuteFrame, TTSSpeakFrame
from pipecat.workers.runner import WorkerRunner

from booking.records import CallChannel, CallEntry
from dialogue.actions import HangUp
from dialogue.port import BookingPort
from dialogue.wording.phrases import load_phrases
from voicebot.phone.call_log import CallStart, call_entry, logged_outcome, write_call_async
from voicebot.phone.recording import RecordingPort
from voicebot.pipeline.builder import CallPipeline
from voicebot.pipeline.engines import Engines

if TYPE_CHECKING:
    from booking.calls import CallLog
    from voicebot.metrics import Metrics

log = logging.getLogger(__name__)

CLOSING_PHRASE = "closing.goodbye"
"""The phrase a call hears when the server closes it while draining."""
REFUSED_PHRASE = "closing.refused"
"""The phrase a call arriving while the server drains hears."""


class CallOutcome(enum.StrEnum):
    """How a call ended (`CallRecord.outcome`); a `str`, so `record.outcome == "closed"` holds."""

    COMPLETED = "completed"
    """The bot hung up after its goodbye."""
    TRANSFERRED = "transferred"
    """The dialogue handed the call to the staff line."""
    HUNG_UP = "hung_up"
    """The caller left (or the line vanished) before the dialogue ended the call."""
    CLOSED = "closed"
    """The server closed it while draining, after a goodbye."""
    CANCELLED = "cancelled"
    """The handler's task was cancelled (server shutdown)."""
    TRANSFER_FAILED = "transfer_failed"
    """The transfer was refused (a SIP REFER not accepted): the call was hung up."""


@dataclass
class CallRecord:
    """What one finished call did (kept by the handler for tests and diagnostics)."""

    call_sid: str
    """The call's id: Twilio's CallSid, or the SIP Call-ID."""
    outcome: CallOutcome
    transcript: list[tuple[str, str]] = field(default_factory=list)
    """(who, what): `caller` or `bot`, in the order said."""
    identity_failures: int = 0
    """Failed name and birth-date checks (`dialogue.actions.Outcome.identity_failures`; 0 when the dialogue did
    not end the call)."""


def call_outcome(
    *, cancelled: bool, gone: bool, closed: bool, outcome: object, transfer_refused: bool = False
) -> CallOutcome:
    """The `CallRecord.outcome` of a call whose pipeline has ended.

    Args:
        cancelled: The handler's task was cancelled (server shutdown).
        gone: The caller hung up (or the line vanished) before the dialogue ended the call.
        closed: The server closed the call while draining.
        outcome: The dialogue's terminal action (`HangUp`, `Transfer`), `None` when it did not end the call.
        transfer_refused: The dialogue's transfer was refused (then the call is hung up).
    """
    if cancelled:
        return CallOutcome.CANCELLED
    if gone:
        return CallOutcome.HUNG_UP
    if closed:
        return CallOutcome.CLOSED
    if outcome is None:
        return CallOutcome.HUNG_UP
    if isinstance(outcome, HangUp):
        return CallOutcome.COMPLETED
    return CallOutcome.TRANSFER_FAILED if transfer_refused else CallOutcome.TRANSFERRED


def call_language(port: BookingPort, locale: str | None) -> str:
    """The calls' two-letter language: `locale`, else the practice's."""
    return (locale or port.clinic().practice.locale)[:2]


def closing_words(port: BookingPort, locale: str | None) -> str:
    """What a call hears when the server closes it (`closing.goodbye` in the calls' language)."""
    return load_phrases(call_language(port, locale)).get(CLOSING_PHRASE)


def closing_frames(words: str) -> list[Frame]:
    """The frames that close a call politely: the recogniser muted, interruptible speech cut, `words` spoken
    without interruption (after any non-interruptible prompt under way), then the worker's end.
    """
    goodbye = TTSSpeakFrame(words, append_to_context=False)
    goodbye.interruptible = False
    return [STTMuteFrame(mute=True), InterruptionFrame(), goodbye, EndWorkerFrame(reason="server closing")]


def remember(finished: list[CallRecord], record: CallRecord, keep: int) -> list[CallRecord]:
    """`finished` with `record` added (the last `keep` only), logged."""
    log.info("call %s: %s", record.call_sid, record.outcome)
    return [*finished, record][-keep:]


class Mutable(Protocol):
    """A call's transport that can stop listening to the caller (audio and keys dropped)."""

    muted: bool


CallT = TypeVar("CallT")
TransportT = TypeVar("TransportT", bound=Mutable)


@dataclass
class CallInProgress(Generic[TransportT]):
    """One call while its pipeline runs, as its handler follows it."""

    call_id: str
    pipeline: CallPipeline
    transport: TransportT
    gone: bool = False
    """The caller (or the line) ended the call, not the dialogue nor the server."""
    closing: bool = False
    """The server is closing it (`PipelineHandler.close`)."""
    transfer_refused: bool = False

    async def end(self, *, gone: bool, reason: str) -> None:
        """The line ended: cancel the pipeline at once (the dialogue books nothing half-way).

        Args:
            gone: Whether the caller or the line ended it (else we did: our BYE, our transfer, our close).
            reason: Why, for the worker's cancellation.
        """
        self.gone = gone
        log.info("call %s: the line ended (%s), cancelling the pipeline", self.call_id, reason)
        await self.pipeline.worker.cancel(reason=reason)

    def outcome(self, *, cancelled: bool) -> CallOutcome:
        """The call's outcome once its pipeline has ended (`cancelled`: the handler's task was)."""
        dialogue = self.pipeline.dialogue.outcome
        return call_outcome(
            cancelled=cancelled,
            gone=self.gone,
            closed=self.closing,
            outcome=dialogue,
            transfer_refused=self.transfer_refused,
        )


class PipelineHandler(ABC, Generic[CallT, TransportT]):
    """Runs each call of one kind of phone line through the voice pipeline (`handle`), closes calls politely
    while the server drains (`close`), and remembers the last finished ones (`finished`).

    Subclasses give what differs: the call's id, its transport, its pipeline (the transfer), how the line's end
    is heard (`watch`) and what follows the pipeline's end (`wrap_up`: the hang-up).

    Args:
        port: The booking service.
        clock: The server's now (real or frozen).
        engines: The process's speech engines, or a function returning them (called once per call:
            `voicebot.pipeline.shared_engines`).
        locale: The calls' language; `None` = the practice's.
        keep: How many finished calls to remember in `finished`.
        pipeline_options: More keyword arguments for `build_pipeline` (VAD stop, barge-in words...).
        call_log: Where each finished call is written (`None`: nowhere).
        metrics: The server's metrics: each call's end, its turns and its replies' stages (`None`: none).
    """

    channel: ClassVar[CallChannel]
    """The line, as the call log names it."""

    def __init__(
        self,
        port: BookingPort,
        clock: Callable[[], datetime],
        engines: Engines | Callable[[], Engines],
        *,
        locale: str | None = None,
        keep: int = 20,
        pipeline_options: dict[str, Any] | None = None,
        call_log: CallLog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.port = port
        self.call_log = call_log
        self.metrics = metrics
        self.clock = clock
        self._engines = engines
        self.locale = locale
        self.keep = keep
        self.pipeline_options = dict(pipeline_options or {})
        self.finished: list[CallRecord] = []
        """The last `keep` calls, oldest first."""
        self._calls: dict[str, CallInProgress[TransportT]] = {}

    @property
    def active(self) -> dict[str, CallPipeline]:
        """The calls in progress' pipelines, by call id."""
        return {call_id: call.pipeline for call_id, call in self._calls.items()}

    @property
    def recognizer_pending(self) -> int:
        """The calls in progress' turns waiting for the recogniser or being recognised."""
        return sum(call.pipeline.stt.pending for call in list(self._calls.values()))

    @property
    def transports(self) -> dict[str, TransportT]:
        """The calls in progress' transports, by call id."""
        return {call_id: call.transport for call_id, call in self._calls.items()}

    def engines(self) -> Engines:
        """The speech engines calls use."""
        return self._engines if isinstance(self._engines, Engines) else self._engines()

    def closing_words(self) -> str:
        """What a call hears when the server closes it (`closing.goodbye` in the calls' language)."""
        return closing_words(self.port, self.locale)

    @abstractmethod
    def call_id(self, call: CallT) -> str:
        """The call's id (Twilio's CallSid, the SIP Call-ID)."""

    def caller(self, call: CallT) -> str | None:
        """The caller's number in E.164, when the line gave one (none here)."""
        return None

    @abstractmethod
    def transport(self, call: CallT) -> TransportT:
        """Pipecat's transport for the call."""

    @abstractmethod
    def build(self, call: CallT, transport: TransportT) -> CallPipeline:
        """The call's pipeline on `transport`."""

    @abstractmethod
    def watch(self, call: CallT, progress: CallInProgress[TransportT]) -> None:
        """Have the end of the line (the transport's event) call `progress.end(...)`."""

    async def wrap_up(self, call: CallT, outcome: CallOutcome) -> None:
        """What follows the pipeline's end, by its outcome: nothing here; the hang-up in subclasses."""

    async def handle(self, call: CallT) -> None:
        """Talk with the caller until the dialogue ends the call or the caller leaves."""
        start = CallStart.now(self.call_id(call), self.channel, self.clock, self.caller(call))
        transport = self.transport(call)
        progress = CallInProgress(self.call_id(call), self.build(call, transport), transport)
        self.watch(call, progress)
        if self.metrics is not None and progress.pipeline.latency is not None:
            progress.pipeline.latency.on_reply = self.metrics.reply
        if self.metrics is not None and progress.pipeline.speculation is not None:
            progress.pipeline.speculation.on_result = self.metrics.speculation
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(progress.pipeline.worker)
        task = asyncio.current_task()
        self._calls[progress.call_id] = progress
        try:
            await runner.run()
        finally:
            del self._calls[progress.call_id]
            outcome = progress.outcome(cancelled=task is not None and task.cancelling() > 0)
            dialogue = progress.pipeline.dialogue
            failures = dialogue.outcome.outcome.identity_failures if dialogue.outcome is not None else 0
            self.remember(CallRecord(progress.call_id, outcome, list(dialogue.transcript), failures))
            if self.metrics is not None:
                turns = sum(who == "caller" for who, _ in dialogue.transcript)
                self.metrics.call_ended(self.channel.value, outcome.value, turns)
            if self.call_log is not None:
                await write_call_async(self.call_log, start.key, lambda: self.entry(start, progress, outcome))
        await self.wrap_up(call, outcome)

    def entry(self, start: CallStart, progress: CallInProgress[TransportT], outcome: CallOutcome) -> CallEntry:
        """The call log's entry of a call whose pipeline has ended (built in a worker thread)."""
        pipeline, dialogue = progress.pipeline, progress.pipeline.dialogue
        booking = pipeline.booking or RecordingPort(self.port)
        closed = outcome in (CallOutcome.CLOSED, CallOutcome.CANCELLED)
        logged = logged_outcome(dialogue.outcome, booking.changes, closed=closed)
        return call_entry(
            start,
            outcome="transfer_failed" if outcome is CallOutcome.TRANSFER_FAILED else logged,
            state=dialogue.state,
            port=booking,
            transcript=list(dialogue.transcript),
            facts=dialogue.facts,
            locale=call_language(self.port, self.locale),
            latency=pipeline.latency.summary if pipeline.latency is not None else None,
        )

    def transfer_refused(self, call_id: str) -> None:
        """Note that the call's transfer was refused (its outcome becomes `transfer_failed`)."""
        progress = self._calls.get(call_id)
        if progress is not None:
            progress.transfer_refused = True

    async def close(self, call_id: str) -> bool:
        """Close a call in progress politely (the server is draining); its `handle` then ends by itself.

        Returns:
            Whether the call was still in progress here. A call whose dialogue has already ended (its own
            goodbye or transfer under way) is left to finish.
        """
        progress = self._calls.get(call_id)
        if progress is None:
            return False
        if progress.closing or progress.pipeline.dialogue.outcome is not None:
            return True
        progress.closing = True
        progress.transport.muted = True
        log.info("call %s: the server is closing, saying goodbye", call_id)
        await progress.pipeline.worker.queue_frames(closing_frames(self.closing_words()))
        return True

    def remember(self, record: CallRecord) -> None:
        """Add a finished call to `finished` (the last `keep` only), logged."""
        self.finished = remember(self.finished, record, self.keep)
