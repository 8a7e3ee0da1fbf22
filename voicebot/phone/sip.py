"""The voice pipeline as the SIP server's call handler: SIP callers get the pipeline Twilio callers get.

`SipPipelineHandler.handle(call)` runs one established call (`telephony.sip.SipCall`) through
`voicebot.pipeline.builder.build_pipeline` on a `SipTransport` (caller audio resampled to 16 kHz, keys as keypad
frames, the bot's 8 kHz audio paced onto the call), with the process's shared speech engines, the booking
service and the server's clock. The end of a call mirrors `voicebot.phone.twilio.PipelineCallHandler`:

* the bot says goodbye: the dialogue ends the worker once the goodbye was played out; the handler then waits
  until the call's queue is played out (`call.played()`) and sends BYE (`call.hang_up()`);
* a transfer: the dialogue's transfer goes out as a REFER to the staff line's SIP URI (`call.transfer`), after
  the words before it were heard; the call then ends as the SIP server decides (BYE when still up);
* the caller hangs up (BYE), or the media times out: the worker is cancelled at once (the dialogue books
  nothing half-way), no BYE is sent;
* the server drains (`close`, on SIGTERM): the caller is no longer listened to, interruptible speech is cut, a
  short non-interruptible goodbye in the call's language is spoken, then BYE. Recorded `closed`;
* the handler's task is cancelled (server shutdown): the runner cancels the worker before the task ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pipecat.workers.runner import WorkerRunner

from booking.phones import to_e164
from dialogue.port import BookingPort
from telephony.errors import TelephonyError
from telephony.sip.call import SipCall
from telephony.sip.events import EndReason
from telephony.sip.transport import SipTransport
from voicebot.phone.calls import CallRecord, call_outcome, closing_frames, closing_words, remember
from voicebot.pipeline.builder import CallPipeline, build_pipeline
from voicebot.pipeline.engines import Engines

log = logging.getLogger(__name__)

HANG_UP_SECONDS = 30.0
"""Longest wait for the goodbye to play out before the BYE goes anyway."""
TRANSFER_SECONDS = 15.0
"""Longest wait, after a REFER was accepted, for the call to end by itself before the handler returns (then BYE)."""
OUR_END = frozenset({EndReason.LOCAL_BYE, EndReason.TRANSFERRED, EndReason.CLOSED})
"""`SipCall.end_reason`s that mean we ended the call (anything else: the caller or the line did)."""


def phone_number(user: str | None, country: str) -> str | None:
    """The caller's number in E.164 from a From URI's user part ("+33612345678", "0033 6...", "0612345678" in
    France), or `None` when it is no phone number ("patient", "anonymous", withheld).
    """
    return to_e164(user.split(";")[0], country) if user else None


def staff_sip_uri(number: str, host: str) -> str:
    """The SIP URI of a phone number at `host`: `sip:+33123456789@host` (spaces and dots dropped)."""
    return f"sip:{re.sub(r'[^0-9+*#]', '', number)}@{host}"


class SipPipelineHandler:
    """Runs each SIP call through the voice pipeline.

    Args:
        port: The booking service.
        clock: The server's now (real or frozen).
        engines: The process's speech engines, or a function returning them (called once per call).
        locale: The calls' language; `None` = the practice's.
        staff_uri: Where transfers go (a SIP URI); `None`: the number the dialogue gives, at `staff_host`.
        staff_host: The host of the derived staff URI (the PBX or carrier the staff phone is reached through).
        keep: How many finished calls to remember in `finished`.
        pipeline_options: More keyword arguments for `build_pipeline` (VAD stop, barge-in words...).
    """

    def __init__(
        self,
        port: BookingPort,
        clock: Callable[[], datetime],
        engines: Engines | Callable[[], Engines],
        *,
        locale: str | None = None,
        staff_uri: str | None = None,
        staff_host: str = "127.0.0.1",
        keep: int = 20,
        pipeline_options: dict[str, Any] | None = None,
    ) -> None:
        self.port = port
        self.clock = clock
        self._engines = engines
        self.locale = locale
        self.staff_uri = staff_uri
        self.staff_host = staff_host
        self.keep = keep
        self.pipeline_options = dict(pipeline_options or {})
        self.finished: list[CallRecord] = []
        """The last `keep` calls, oldest first."""
        self.active: dict[str, CallPipeline] = {}
        """The calls in progress' pipelines, by Call-ID."""
        self.transports: dict[str, SipTransport] = {}
        """The calls in progress' transports, by Call-ID."""
        self._closing: set[str] = set()

    def engines(self) -> Engines:
        """The speech engines calls use."""
        return self._engines if isinstance(self._engines, Engines) else self._engines()

    def transfer_target(self, number: str) -> str:
        """The SIP URI a transfer to the staff `number` goes to."""
        return self.staff_uri or staff_sip_uri(number, self.staff_host)

    def build(self, call: SipCall, transport: SipTransport, refused: set[str] | None = None) -> CallPipeline:
        """The call's pipeline (the caller's number from the From URI when it is one; transfers by REFER, the
        call's id added to `refused` when the REFER is not accepted).
        """

        async def transfer(number: str) -> None:
            target = self.transfer_target(number)
            log.info("call %s: transferring to %s", call.call_id, target)
            if not await call.transfer(target):
                log.warning("call %s: the transfer to %s was refused, hanging up", call.call_id, target)
                if refused is not None:
                    refused.add(call.call_id)

        country = self.port.clinic().practice.country
        return build_pipeline(
            transport,
            self.engines(),
            self.port,
            self.clock,
            self.locale,
            phone_number(call.caller, country),
            on_transfer=transfer,
            **self.pipeline_options,
        )

    async def handle(self, call: SipCall) -> None:
        """Talk with the caller until the dialogue ends the call or the caller leaves."""
        transport = SipTransport(call)
        refused: set[str] = set()
        built = self.build(call, transport, refused)
        runner = WorkerRunner(handle_sigint=False)
        gone = False

        @transport.event_handler("on_call_ended")
        async def _call_ended(_transport: SipTransport, reason: str | None) -> None:
            nonlocal gone
            gone = reason not in OUR_END
            log.info("call %s: the call ended (%s), cancelling the pipeline", call.call_id, reason)
            await built.worker.cancel(reason=f"call ended: {reason}")

        await runner.add_workers(built.worker)
        task = asyncio.current_task()
        self.active[call.call_id] = built
        self.transports[call.call_id] = transport
        try:
            await runner.run()
        finally:
            del self.active[call.call_id]
            self.transports.pop(call.call_id, None)
            closed = call.call_id in self._closing
            self._closing.discard(call.call_id)
            cancelled = task is not None and task.cancelling() > 0
            status = call_outcome(cancelled=cancelled, gone=gone, closed=closed, outcome=built.dialogue.outcome)
            if status == "transferred" and refused:
                status = "transfer_failed"
            self.finished = remember(
                self.finished, CallRecord(call.call_id, status, list(built.dialogue.transcript)), self.keep
            )
            log.debug("call %s: transcript %s", call.call_id, json.dumps(built.dialogue.transcript, ensure_ascii=False))
        if status in ("completed", "closed", "transfer_failed"):
            await self._hang_up(call)
        elif status == "transferred":  # the SIP call ends it: on the transfer's NOTIFY, the caller's BYE, or a grace
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TRANSFER_SECONDS):
                    await call.ended.wait()

    def closing_words(self) -> str:
        """What a call hears when the server closes it (`closing.goodbye` in the calls' language)."""
        return closing_words(self.port, self.locale)

    async def close(self, call_id: str) -> bool:
        """Close a call in progress politely (the server is draining); its `handle` then ends by itself.

        Returns:
            Whether the call was still in progress here. A call whose dialogue has already ended (its own
            goodbye or transfer under way) is left to finish.
        """
        built = self.active.get(call_id)
        if built is None or call_id in self._closing:
            return built is not None
        if built.dialogue.outcome is not None:
            return True
        self._closing.add(call_id)
        transport = self.transports.get(call_id)
        if transport is not None:
            transport.muted = True
        log.info("call %s: the server is closing, saying goodbye", call_id)
        await built.worker.queue_frames(closing_frames(self.closing_words()))
        return True

    async def _hang_up(self, call: SipCall) -> None:
        """BYE, once what the bot said was played out (or `HANG_UP_SECONDS` passed)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HANG_UP_SECONDS):
                await call.played()
        with contextlib.suppress(TelephonyError, OSError):
            await call.hang_up()
            log.info("call %s: hung up", call.call_id)
            return
        log.warning("call %s: the BYE failed", call.call_id)
