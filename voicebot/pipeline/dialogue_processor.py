"""The dialogue adapter: pipecat frames in, `dialogue.machine.step` events; actions out, frames.

Caller turns: transcriptions are buffered; the end of the turn (`UserStoppedSpeakingFrame`, a system frame that
overtakes queued transcriptions) only queues a marker behind them, and the buffered text becomes one `CallerSaid`
when the marker is reached (or when a late transcription arrives after it). Keys become one `KeypadPressed` (a
menu key at once; digits and dates gathered until `#` or a pause). Silence after the bot finished speaking
becomes `NoInput` (the timer pauses while the VAD hears a voice, before any word is recognised), and the end
of the pipeline (caller hung up, socket gone) becomes `CallerHungUp`, so nothing half-booked is kept. `Say`
becomes a `TTSSpeakFrame`; `Expect` is published in `CallHints` for recognition and turn-taking; `HangUp` and
`Transfer` wait until the goodbye has been heard, then push `EndWorkerFrame` (after the transfer callback for a
transfer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    DataFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from dialogue.actions import Action, Expect, ExpectKind, HangUp, Say, Transfer
from dialogue.context import Context
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, Event, KeypadPressed, NoInput
from dialogue.machine import step
from dialogue.port import BookingPort
from dialogue.state import State

TransferCallback = Callable[[str], Awaitable[None]]
"""Called with the transfer target once the last words before a transfer were heard."""


@dataclass
class CallHints:
    """What the dialogue expects next, shared with recognition and turn-taking for one call."""

    expect: ExpectKind | None = None
    """The kind of the next caller turn (`None` before the first `Expect`)."""
    question: str | None = None
    """The last thing the agent said before waiting: Whisper reads it as the preceding context."""


COLLECTED_KEYS = frozenset({ExpectKind.DIGITS, ExpectKind.DATE})
"""Expectations answered with several keys (a birth date, a phone number, a day): keys are gathered until `#` or
a pause; any other expectation is answered by one key at once (a menu choice, 0 for a person)."""


@dataclass
class _TurnEnded(DataFrame):
    """Our own end-of-turn marker, queued behind the transcriptions of the turn."""

    interruptible: bool = field(default=False, init=False)


class DialogueProcessor(FrameProcessor):
    """Drives one call's dialogue machine from pipeline frames.

    Args:
        port: The booking service (or any `BookingPort`).
        clock: Returns the current aware time; called before each step.
        locale: "fr" or "en"; `None` = the practice's language.
        caller_id: The caller's number in E.164, or `None` when withheld.
        hints: Where `Expect` hints are published (shared with the STT service and turn strategy).
        no_input_secs: Silence after the bot stopped speaking before `NoInput`.
        key_pause_secs: Pause after a key that ends a multi-key answer (digits, dates) without `#`.
        goodbye_timeout_secs: Longest wait for the goodbye to be heard before ending anyway.
        on_transfer: Awaited with the target after the words before a transfer were heard.
        offload: Run `step` (which may touch the database) in a worker thread.
    """

    def __init__(
        self,
        port: BookingPort,
        clock: Callable[[], datetime],
        *,
        locale: str | None = None,
        caller_id: str | None = None,
        hints: CallHints | None = None,
        no_input_secs: float = 7.0,
        key_pause_secs: float = 2.5,
        goodbye_timeout_secs: float = 30.0,
        on_transfer: TransferCallback | None = None,
        offload: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._port = port
        self._clock = clock
        self._locale = locale
        self._caller_id = caller_id
        self.hints = hints if hints is not None else CallHints()
        self._no_input_secs = no_input_secs
        self._orphan_secs = 0.4
        self._key_pause_secs = key_pause_secs
        self._keys = ""
        self._keys_task: asyncio.Task[None] | None = None
        self._goodbye_timeout_secs = goodbye_timeout_secs
        self._on_transfer = on_transfer
        self._offload = offload
        self._ctx: Context | None = None
        self._state = State()
        self._lock = asyncio.Lock()
        self._heard: list[str] = []
        self._confidences: list[float] = []
        self._awaiting_text = False
        self._user_turn = False
        self._voice = False
        self._listening = False
        self._bot_speaking = False
        self._terminal: HangUp | Transfer | None = None
        self._goodbye_started = False
        self._ended = False
        self._no_input_task: asyncio.Task[None] | None = None
        self._goodbye_task: asyncio.Task[None] | None = None
        self.transcript: list[tuple[str, str]] = []
        """("bot" | "caller", text) pairs, in order: what was said on the call."""

    @property
    def state(self) -> State:
        """The dialogue state after the last step."""
        return self._state

    @property
    def outcome(self) -> HangUp | Transfer | None:
        """The terminal action, once the dialogue has ended the call."""
        return self._terminal

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Turn caller frames into dialogue events, pass everything else on."""
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            await self._handle(CallStarted(self._caller_id))
        elif isinstance(frame, TranscriptionFrame):
            await self._cancel_no_input()
            if frame.text.strip():
                self._heard.append(frame.text.strip())
                confidence = getattr(frame.result, "confidence", None)
                if isinstance(confidence, float):
                    self._confidences.append(confidence)
            if self._awaiting_text:
                await self._flush_turn()
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            self._voice = True  # someone speaks: no re-prompt over them, whatever recognition makes of it
            await self._cancel_no_input()
            await self.push_frame(frame, direction)
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._voice = False
            await self._arm_no_input()  # a transcription, if any, cancels it
            await self.push_frame(frame, direction)
        elif isinstance(frame, UserStartedSpeakingFrame):
            self._user_turn = True
            self._awaiting_text = False
            await self._cancel_no_input()
            await self.push_frame(frame, direction)
        elif isinstance(frame, UserStoppedSpeakingFrame):
            self._user_turn = False
            await self.push_frame(frame, direction)
            await self.queue_frame(_TurnEnded())
        elif isinstance(frame, _TurnEnded):
            if self._heard:
                await self._flush_turn()
            else:
                self._awaiting_text = True
                await self._arm_no_input()
        elif isinstance(frame, InputDTMFFrame):
            await self._cancel_no_input()
            await self._on_key(str(frame.button.value))
        elif isinstance(frame, BotStartedSpeakingFrame):
            self._bot_speaking = True
            await self._cancel_no_input()
            if self._terminal is not None:
                self._goodbye_started = True
            await self.push_frame(frame, direction)
        elif isinstance(frame, BotStoppedSpeakingFrame):
            self._bot_speaking = False
            if self._terminal is not None and self._goodbye_started:
                await self._finish()
            else:
                await self._arm_no_input()
            await self.push_frame(frame, direction)
        elif isinstance(frame, EndFrame | CancelFrame):
            await self._caller_gone()
            await self.push_frame(frame, direction)
        else:
            await self.push_frame(frame, direction)

    async def cleanup(self) -> None:
        """Cancel the timers."""
        await super().cleanup()
        await self._stop_tasks()

    async def _flush_turn(self) -> None:
        text = " ".join(self._heard)
        confidence = min(self._confidences) if self._confidences else None
        self._heard.clear()
        self._confidences.clear()
        self._awaiting_text = False
        await self._handle(CallerSaid(text, confidence))

    async def _on_key(self, key: str) -> None:
        """Gather keys into one answer: at once for a menu, until `#` or a pause for digits and dates."""
        await self._cancel_keys()
        if key != "#":
            self._keys += key
        collecting = self.hints.expect in COLLECTED_KEYS and self._keys != "*"
        if key == "#" or not collecting:
            await self._flush_keys()
        else:
            self._keys_task = self.create_task(self._keys_after_pause(), "keypad-pause")

    async def _keys_after_pause(self) -> None:
        await asyncio.sleep(self._key_pause_secs)
        self._keys_task = None
        await self._flush_keys()

    async def _flush_keys(self) -> None:
        keys, self._keys = self._keys, ""
        if keys:
            await self._handle(KeypadPressed(keys))
        else:
            await self._arm_no_input()

    async def _cancel_keys(self) -> None:
        task, self._keys_task = self._keys_task, None
        if task is not None and task is not asyncio.current_task():
            await self.cancel_task(task)

    async def _handle(self, event: Event) -> None:
        """Step the machine with `event` and perform its actions (one step at a time)."""
        async with self._lock:
            if self._terminal is not None:
                return
            self._listening = False
            if isinstance(event, CallerSaid):
                self.transcript.append(("caller", event.text))
            elif isinstance(event, KeypadPressed):
                self.transcript.append(("caller", f"dtmf:{event.digits}"))
            try:
                if self._offload:
                    self._state, actions = await asyncio.to_thread(self._step, self._state, event)
                else:
                    self._state, actions = self._step(self._state, event)
            except Exception as error:  # the caller must hear something, not silence
                logger.exception(f"{self}: dialogue step failed on {event}")
                await self.push_error(f"dialogue step failed: {error}", exception=error)
                return
            await self._perform(actions)

    def _step(self, state: State, event: Event) -> tuple[State, list[Action]]:
        now = self._clock()
        if self._ctx is None:
            self._ctx = Context.create(self._port, now, self._locale)
        return step(state, event, self._ctx.at(now))

    async def _perform(self, actions: list[Action]) -> None:
        spoke = False
        for action in actions:
            if isinstance(action, Say):
                frame = TTSSpeakFrame(action.text, append_to_context=False)
                frame.interruptible = action.interruptible
                self.transcript.append(("bot", action.text))
                self.hints.question = action.text
                spoke = True
                await self.push_frame(frame)
            elif isinstance(action, Expect):
                self.hints.expect = action.kind
                self._listening = True
                if not spoke and not self._bot_speaking:
                    await self._arm_no_input()  # nothing to hear first: the silence starts now
            elif isinstance(action, HangUp | Transfer):
                self._terminal = action
                self._listening = False
                await self._cancel_no_input()
                self._goodbye_started = self._bot_speaking
                if not spoke and not self._bot_speaking:
                    await self._finish()
                else:
                    self._goodbye_task = self.create_task(self._goodbye_deadline(), "goodbye-deadline")

    async def _goodbye_deadline(self) -> None:
        await asyncio.sleep(self._goodbye_timeout_secs)
        logger.warning(f"{self}: goodbye not heard within {self._goodbye_timeout_secs} s, ending the call")
        self._goodbye_task = None
        await self._finish()

    async def _finish(self) -> None:
        """The last words were heard: transfer if asked, then end the worker."""
        if self._ended or self._terminal is None:
            return
        self._ended = True
        if self._goodbye_task is not None and self._goodbye_task is not asyncio.current_task():
            await self.cancel_task(self._goodbye_task)
            self._goodbye_task = None
        if isinstance(self._terminal, Transfer) and self._on_transfer is not None:
            try:
                await self._on_transfer(self._terminal.target)
            except Exception as error:
                logger.exception(f"{self}: transfer to {self._terminal.target} failed")
                await self.push_error(f"transfer failed: {error}", exception=error)
        await self.push_frame(EndWorkerFrame(reason=self._terminal.outcome.kind.value))

    async def _caller_gone(self) -> None:
        """The pipeline is ending without our goodbye: the caller hung up or the line dropped."""
        await self._stop_tasks()
        ended, self._ended = self._ended, True  # no EndWorkerFrame while the pipeline is already ending
        if self._terminal is None and self._ctx is not None and not ended:
            await self._handle(CallerHungUp())

    async def _arm_no_input(self) -> None:
        """Start the silence timer; words heard outside any turn (too few to barge in) are answered sooner."""
        if not self._listening or self._terminal is not None or self._user_turn or self._voice:
            return
        await self._cancel_no_input()
        delay = self._orphan_secs if self._heard else self._no_input_secs
        self._no_input_task = self.create_task(self._no_input_after(delay), "no-input")

    async def _cancel_no_input(self) -> None:
        task, self._no_input_task = self._no_input_task, None
        if task is not None and task is not asyncio.current_task():
            await self.cancel_task(task)

    async def _no_input_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._no_input_task = None
        if self._heard:
            await self._flush_turn()
        else:
            self._awaiting_text = False
            await self._handle(NoInput())

    async def _stop_tasks(self) -> None:
        for name in ("_no_input_task", "_goodbye_task", "_keys_task"):
            task = getattr(self, name)
            setattr(self, name, None)
            if task is not None and task is not asyncio.current_task():
                await self.cancel_task(task)
