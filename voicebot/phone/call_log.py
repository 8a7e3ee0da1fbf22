"""Each finished call into the call log (`booking.calls.CallLog`), from every line: Twilio, SIP, `voicebot chat`.

A line notes its call's start (`CallStart`), wraps its booking port in a `RecordingPort`, and at the end hands
`call_entry` what the dialogue left: its state, its transcript and the personal facts it met along the way. The
transcript is pseudonymised there (`dialogue.privacy.pseudonymise`): the stored call never holds a name, a birth
date, a phone number or a reference in its words. Writing never breaks a call: a failure is logged without any
caller data, and the call ends as it would have.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.calls import CallLog
from booking.records import CallChannel, CallEntry, LoggedCall, ReplyLatency, TranscriptLine
from dialogue.actions import HangUp, OutcomeKind, Transfer
from dialogue.privacy import CallFacts, facts_of, pseudonymise
from dialogue.state import State
from voicebot.phone.recording import RecordingPort

log = logging.getLogger(__name__)

KEY_LENGTH = 128
"""The longest call key the log stores (`CallLogRow.key`)."""
_NUMBER = re.compile(r"\+?\d{6,}")
"""A phone number in a log line: six digits or more in a row, with or without the "+"."""
_QUIET_ENDINGS = (OutcomeKind.HUNG_UP, OutcomeKind.GOODBYE)
"""Dialogue endings that say less than what the call changed (a booking, then the caller hung up)."""


def mask_phone(text: str) -> str:
    """`text` with every phone number in it cut to its last two digits, for a log line: "sip:+33612345678@pbx"
    → "sip:…78@pbx" (addresses such as 127.0.0.1 are left as they are).
    """
    return _NUMBER.sub(lambda match: "…" + match.group()[-2:], text)


@dataclass(frozen=True)
class CallStart:
    """When and how a call began, as its line saw it."""

    key: str
    """The line's id of the call (CallSid, SIP Call-ID, a random id for chat)."""
    channel: CallChannel
    started_at: datetime
    """The server's clock (frozen by `--now`) when the call began."""
    caller_phone: str | None
    """The caller's number in E.164, when the line gave one."""
    monotonic: float
    """`time.monotonic()` at the start: the call's duration is measured, even when the clock is frozen."""

    @classmethod
    def now(
        cls, key: str | None, channel: CallChannel, clock: Callable[[], datetime], caller_phone: str | None = None
    ) -> CallStart:
        """A call beginning now; `key` `None` draws one ("chat-…")."""
        key = (key or f"{channel.value}-{uuid.uuid4().hex}")[:KEY_LENGTH]
        return cls(key, channel, clock(), caller_phone, time.monotonic())

    def ended_at(self) -> datetime:
        """The start plus the time the call took."""
        return self.started_at + timedelta(seconds=max(time.monotonic() - self.monotonic, 0.0))


def logged_outcome(ending: HangUp | Transfer | None, changes: Sequence[str], *, closed: bool) -> str:
    """The call log's outcome (`booking.records.CALL_OUTCOMES`) of a call.

    Args:
        ending: The dialogue's last action, `None` when it did not end the call.
        changes: What the call did to the appointment book, in order (`RecordingPort.changes`).
        closed: The server closed the call (draining, or shutting down).

    Returns:
        The dialogue's outcome kind; but a call that booked, moved or cancelled and then ended without saying so
        (the caller hung up, a plain goodbye) is named after its last change; a call the dialogue did not end and
        that changed nothing is `closed` when the server closed it, `hung_up` otherwise.
    """
    if ending is not None and ending.outcome.kind not in _QUIET_ENDINGS:
        return ending.outcome.kind.value
    if changes:
        return changes[-1]
    if ending is not None and ending.outcome.kind is OutcomeKind.GOODBYE:
        return OutcomeKind.GOODBYE.value
    return "closed" if closed else "hung_up"


def pseudonymised(lines: Sequence[tuple[str, str]], facts: CallFacts, locale: str) -> tuple[TranscriptLine, ...]:
    """The transcript as the log keeps it: names, birth dates, phones and references replaced."""
    return tuple(TranscriptLine(speaker, text) for speaker, text in pseudonymise(lines, facts, locale[:2]))


def call_entry(
    start: CallStart,
    *,
    outcome: str,
    state: State,
    port: RecordingPort,
    transcript: Sequence[tuple[str, str]],
    facts: CallFacts,
    locale: str,
    latency: ReplyLatency | None = None,
) -> CallEntry:
    """The call log's entry of a call that has just ended.

    Args:
        start: When and how it began.
        outcome: One of `booking.records.CALL_OUTCOMES` (`logged_outcome`).
        state: The dialogue's last state (identity failures, refusal, the personal facts still held).
        port: The call's recording port (references, patients).
        transcript: ("bot" | "caller", text) in order, as said.
        facts: The personal facts the dialogue met during the call (merged after each step).
        locale: The call's language.
        latency: The reply-latency summary on a voice line.
    """
    done = frozenset((*port.booked, *port.moved, *port.cancelled))
    every_fact = facts.merge(facts_of(state)).merge(CallFacts(frozenset(), frozenset(), frozenset(), done))
    return CallEntry(
        key=start.key,
        channel=start.channel,
        started_at=start.started_at,
        ended_at=start.ended_at(),
        outcome=outcome,
        caller_phone=start.caller_phone,
        booked=tuple(port.booked),
        moved=tuple(port.moved),
        cancelled=tuple(port.cancelled),
        identity_failures=state.find_failures,
        caller_turns=sum(1 for speaker, _ in transcript if speaker == "caller"),
        latency=latency,
        refused=state.reuse_refused,
        patient_ids=tuple(port.patient_ids),
        transcript=pseudonymised(transcript, every_fact, locale),
    )


def write_call(call_log: CallLog, key: str, entry: Callable[[], CallEntry]) -> LoggedCall | None:
    """Build and store the entry of call `key`; `None`, logged without caller data, when either fails."""
    try:
        return call_log.record(entry())
    except Exception as error:  # the call has ended anyway: the log must not break it
        log.warning("call %s: not written to the call log (%s)", key, type(error).__name__)
        return None


async def write_call_async(call_log: CallLog, key: str, entry: Callable[[], CallEntry]) -> LoggedCall | None:
    """`write_call` in a worker thread, off the event loop."""
    return await asyncio.to_thread(write_call, call_log, key, entry)
