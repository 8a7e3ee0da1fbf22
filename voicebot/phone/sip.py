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
from typing import TYPE_CHECKING, Any

from booking.phones import to_e164
from booking.records import CallChannel
from dialogue.port import BookingPort
from telephony.errors import TelephonyError
from telephony.sip.call import SipCall
from telephony.sip.events import EndReason
from telephony.sip.transport import SipTransport
from voicebot.phone.call_log import mask_phone
from voicebot.phone.calls import CallInProgress, CallOutcome, CallRecord, PipelineHandler
from voicebot.pipeline.builder import CallPipeline, build_pipeline
from voicebot.pipeline.engines import Engines

if TYPE_CHECKING:
    from booking.calls import CallLog
    from voicebot.metrics import Metrics

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


class SipPipelineHandler(PipelineHandler[SipCall, SipTransport]):
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
        call_log: Where each finished call is written (`None`: nowhere).
        metrics: The server's metrics (`None`: none).
    """

    channel = CallChannel.SIP

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
        call_log: CallLog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(
            port,
            clock,
            engines,
            locale=locale,
            keep=keep,
            pipeline_options=pipeline_options,
            call_log=call_log,
            metrics=metrics,
        )
        self.staff_uri = staff_uri
        self.staff_host = staff_host

    def call_id(self, call: SipCall) -> str:
        """The call's Call-ID."""
        return call.call_id

    def caller(self, call: SipCall) -> str | None:
        """The caller's number in E.164, from the From URI when it is one."""
        return phone_number(call.caller, self.port.clinic().practice.country)

    def transport(self, call: SipCall) -> SipTransport:
        """The call's transport: its audio and keys in, the bot's audio paced onto it."""
        return SipTransport(call)

    def transfer_target(self, number: str) -> str:
        """The SIP URI a transfer to the staff `number` goes to."""
        return self.staff_uri or staff_sip_uri(number, self.staff_host)

    def build(self, call: SipCall, transport: SipTransport) -> CallPipeline:
        """The call's pipeline (the caller's number from the From URI when it is one; transfers by REFER, noted
        refused when the REFER is not accepted).
        """

        async def transfer(number: str) -> None:
            target = self.transfer_target(number)
            log.info("call %s: transferring to %s", call.call_id, mask_phone(target))
            if not await call.transfer(target):
                log.warning("call %s: the transfer to %s was refused, hanging up", call.call_id, mask_phone(target))
                self.transfer_refused(call.call_id)

        return build_pipeline(
            transport,
            self.engines(),
            self.port,
            self.clock,
            self.locale,
            self.caller(call),
            on_transfer=transfer,
            **self.pipeline_options,
        )

    def watch(self, call: SipCall, progress: CallInProgress[SipTransport]) -> None:
        """The call's end (`on_call_ended`: BYE, media timeout...) is the caller's unless we ended it (`OUR_END`)."""

        async def call_ended(_transport: SipTransport, reason: str | None) -> None:
            await progress.end(gone=reason not in OUR_END, reason=f"call ended: {reason}")

        progress.transport.add_event_handler("on_call_ended", call_ended)

    def remember(self, record: CallRecord) -> None:
        """Add a finished call to `finished`; its transcript goes to the debug log."""
        super().remember(record)
        log.debug("call %s: transcript %s", record.call_sid, json.dumps(record.transcript, ensure_ascii=False))

    async def wrap_up(self, call: SipCall, outcome: CallOutcome) -> None:
        """BYE after the bot's goodbye, the server's, or a refused transfer; after an accepted transfer, let the
        SIP call end it (on the transfer's NOTIFY, the caller's BYE), BYE after `TRANSFER_SECONDS` otherwise.
        """
        if outcome in (CallOutcome.COMPLETED, CallOutcome.CLOSED, CallOutcome.TRANSFER_FAILED):
            await self._hang_up(call)
        elif outcome is CallOutcome.TRANSFERRED:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TRANSFER_SECONDS):
                    await call.ended.wait()

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
