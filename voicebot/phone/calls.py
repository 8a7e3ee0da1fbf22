"""What the phone gateways' pipeline handlers share: the record of a finished call, how its outcome is named, and
the polite close while the server drains (the same for a Twilio call and a SIP call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pipecat.frames.frames import EndWorkerFrame, Frame, InterruptionFrame, STTMuteFrame, TTSSpeakFrame

from dialogue.actions import HangUp
from dialogue.port import BookingPort
from dialogue.wording.phrases import load_phrases

log = logging.getLogger(__name__)

CLOSING_PHRASE = "closing.goodbye"
"""The phrase a call hears when the server closes it while draining."""
REFUSED_PHRASE = "closing.refused"
"""The phrase a call arriving while the server drains hears."""


@dataclass
class CallRecord:
    """What one finished call did (kept by the handler for tests and diagnostics)."""

    call_sid: str
    """The call's id: Twilio's CallSid, or the SIP Call-ID."""
    outcome: str
    """`completed` (the bot hung up), `transferred`, `hung_up` (the caller left), `closed` (the server closed it
    while draining, after a goodbye), `cancelled`, or (SIP) `transfer_failed` (the REFER was refused: hung up)."""
    transcript: list[tuple[str, str]] = field(default_factory=list)


def call_outcome(*, cancelled: bool, gone: bool, closed: bool, outcome: object) -> str:
    """The `CallRecord.outcome` of a call whose pipeline has ended.

    Args:
        cancelled: The handler's task was cancelled (server shutdown).
        gone: The caller hung up (or the line vanished) before the dialogue ended the call.
        closed: The server closed the call while draining.
        outcome: The dialogue's terminal action (`HangUp`, `Transfer`), `None` when it did not end the call.
    """
    if cancelled:
        return "cancelled"
    if gone:
        return "hung_up"
    if closed:
        return "closed"
    if outcome is None:
        return "hung_up"
    return "completed" if isinstance(outcome, HangUp) else "transferred"


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
