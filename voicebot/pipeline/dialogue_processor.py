"""The dialogue adapter: pipecat frames in, `dialogue.machine.step` events; actions out, frames.

Each frame the call's turn-taking follows becomes a `voicebot.pipeline.turn_state` event; `turn_step` decides,
this adapter performs the effects: it passes frames on, queues the end-of-turn marker, runs the timers, steps the
dialogue (one step at a time, in a worker thread), speaks (`TTSSpeakFrame`), publishes `Expect` (its kind and
answers) in `CallHints` for recognition and turn-taking, and ends the call (`EndWorkerFrame`, after the transfer
callback for a transfer) once the last words were heard. A failing step is logged once, reported as an
`ErrorFrame`, and the caller hears an apology and is listened to again; a second failure in a row ends the call
with the dialogue's way out (`dialogue.machine.cannot_go_on`: the staff while the practice is open, else when to
call back). A transcription's `Transcript` gives the turn its confidence, alternatives and unsureness, its
`VOICE_METADATA` the voice its words came from. `on_step` sees each step's actions before they are performed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    DataFrame,
    EndFrame,
    EndWorkerFrame,
    ErrorFrame,
    Frame,
    InputDTMFFrame,
    InterruptionFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.utils.errors import ErrorCategory

from dialogue.actions import Action, Detail, ExpectKind, HangUp, Transfer
from dialogue.context import Context
from dialogue.events import CallerSaid, Event, KeypadPressed
from dialogue.machine import cannot_go_on, step
from dialogue.port import BookingPort
from dialogue.privacy import CallFacts, facts_of
from dialogue.state import State
from dialogue.wording.phrases import LOCALES, Phrases, load_phrases
from voicebot.pipeline.turn_events import (
    Apologise,
    ArmTimer,
    CallBegan,
    CancelTimer,
    Effect,
    Finish,
    Forward,
    GiveUp,
    Heard,
    Hint,
    KeyPressed,
    QueueMarker,
    QueueStep,
    RunStep,
    Signal,
    SignalKind,
    Speak,
    StepDue,
    StepFailed,
    Stepped,
    Timer,
    TimerFired,
    TurnEvent,
)
from voicebot.pipeline.turn_state import Timings, TurnState, turn_step
from voicebot.speech.stt import Transcript

log = logging.getLogger(__name__)

TransferCallback = Callable[[str], Awaitable[None]]
"""Called with the transfer target once the last words before a transfer were heard."""


@dataclass
class CallHints:
    """What the dialogue expects next, shared with recognition and turn-taking for one call."""

    expect: ExpectKind | None = None
    """The kind of the next caller turn (`None` before the first `Expect`)."""
    question: str | None = None
    """The last thing the agent said before waiting: Whisper reads it as the preceding context."""
    answers: tuple[str, ...] = ()
    """The texts the caller may say now (`Expect.answers`): the recogniser scores them against the audio."""
    guess: Detail | None = None
    """The detail asked for, when the recogniser may guess it near what it heard (`Expect.guess`)."""
    corrects: Detail | None = None
    """A detail just said back, which the caller may correct now (`Expect.corrects`)."""
    refused: tuple[str, ...] = ()
    """Names the recogniser must not guess now (`Expect.refused`)."""


VOICE_METADATA = "voicebot.voice"
"""`TranscriptionFrame.metadata` key: which voice (VAD segment, counted from 1 in the call) the words are from."""


@dataclass
class _TurnEnded(DataFrame):
    """Our own end-of-turn marker, queued behind the transcriptions of the turn."""

    interruptible: bool = field(default=False, init=False)


_SIGNALS: tuple[tuple[type[Frame], SignalKind], ...] = (
    (VADUserStartedSpeakingFrame, SignalKind.VOICE_STARTED),
    (VADUserStoppedSpeakingFrame, SignalKind.VOICE_STOPPED),
    (UserStartedSpeakingFrame, SignalKind.TURN_STARTED),
    (UserStoppedSpeakingFrame, SignalKind.TURN_STOPPED),
    (_TurnEnded, SignalKind.TURN_MARKED),
    (BotStartedSpeakingFrame, SignalKind.BOT_STARTED),
    (BotStoppedSpeakingFrame, SignalKind.BOT_STOPPED),
    (InterruptionFrame, SignalKind.INTERRUPTED),
    (EndFrame, SignalKind.LINE_CLOSED),
    (CancelFrame, SignalKind.LINE_CLOSED),
)
"""The content-free frames turn-taking follows, and their events."""


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
        self._on_transfer = on_transfer
        self._offload = offload
        self.context: Context | None = None
        """What the steps consult besides the state (`None` before the first step)."""
        self._state = State()
        timings = Timings(no_input=no_input_secs, key_pause=key_pause_secs, goodbye=goodbye_timeout_secs)
        self._turn = TurnState(timings=timings)
        self._step_lock = asyncio.Lock()
        self._timers: dict[Timer, asyncio.Task[None]] = {}
        self.transcript: list[tuple[str, str]] = []
        """("bot" | "caller", text) pairs, in order: what was said on the call."""
        self.facts = CallFacts.empty()
        """The personal facts every state of the call held (to pseudonymise `transcript`)."""
        self.on_step: Callable[[Event, list[Action]], Awaitable[None]] | None = None
        """Awaited with each step's event and actions before they are performed (`voicebot.pipeline.speculation`)."""

    @property
    def state(self) -> State:
        """The dialogue state after the last step."""
        return self._state

    @property
    def turn(self) -> TurnState:
        """The turn-taking state after the last frame."""
        return self._turn

    @property
    def outcome(self) -> HangUp | Transfer | None:
        """The terminal action, once the dialogue has ended the call."""
        return self._turn.terminal

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Turn caller frames into turn-taking events, pass everything else on."""
        await super().process_frame(frame, direction)
        event = self.event_of(frame)
        if event is None:
            await self.push_frame(frame, direction)
        else:
            await self._dispatch(event, frame, direction)

    async def cleanup(self) -> None:
        """Cancel the timers."""
        await super().cleanup()  # type: ignore[no-untyped-call]  # pipecat leaves it unannotated
        for timer in Timer:
            await self._cancel(timer)

    def event_of(self, frame: Frame) -> TurnEvent | None:
        """The turn-taking event of a frame (`None`: the frame only passes through)."""
        if isinstance(frame, StartFrame):
            return CallBegan(self._caller_id)
        if isinstance(frame, TranscriptionFrame):
            voice = frame.metadata.get(VOICE_METADATA)
            voice = voice if isinstance(voice, int) else None
            result = frame.result
            if not isinstance(result, Transcript):
                return Heard(frame.text, voice=voice)
            return Heard(frame.text, result.confidence, result.alternatives, result.unsure, voice)
        if isinstance(frame, InputDTMFFrame):
            return KeyPressed(str(frame.button.value))
        return next((Signal(kind) for cls, kind in _SIGNALS if isinstance(frame, cls)), None)

    async def _dispatch(
        self, event: TurnEvent, frame: Frame | None = None, direction: FrameDirection = FrameDirection.DOWNSTREAM
    ) -> None:
        self._turn, effects = turn_step(self._turn, event)
        for effect in effects:
            await self._perform(effect, frame, direction)

    async def _perform(self, effect: Effect, frame: Frame | None, direction: FrameDirection) -> None:
        match effect:
            case Forward():
                if frame is not None:
                    await self.push_frame(frame, direction)
            case QueueMarker():
                await self.queue_frame(_TurnEnded())
            case ArmTimer(timer, seconds):
                await self._cancel(timer)
                self._timers[timer] = self.create_task(self._after(timer, seconds), timer.value)
            case CancelTimer(timer):
                await self._cancel(timer)
            case QueueStep(event):
                async with self._step_lock:  # one step at a time, in order
                    await self._dispatch(StepDue(event))
            case RunStep(event):
                await self._run_step(event)
            case Speak(text, interruptible):
                self.hints.question = text
                await self._say(text, interruptible)
            case Hint(expect, answers, guess, corrects, refused):
                self.hints.expect, self.hints.answers = expect, answers
                self.hints.guess, self.hints.corrects, self.hints.refused = guess, corrects, refused
            case Apologise():  # the question before it stands: the hint for recognition is kept
                await self._say(self._phrases().get("misunderstood.repeat"), True)
            case GiveUp():  # the steps keep failing: the dialogue's apology and way out end the call
                self._state, actions = cannot_go_on(self._state, self.context, self._phrases())
                await self._dispatch(Stepped(tuple(actions)))
            case Finish(action, late):
                await self._finish(action, late)

    async def _run_step(self, event: Event) -> None:
        if isinstance(event, CallerSaid):
            self.transcript.append(("caller", event.text))
        elif isinstance(event, KeypadPressed):
            self.transcript.append(("caller", f"dtmf:{event.digits}"))
        try:
            if self._offload:
                self._state, actions = await asyncio.to_thread(self._step, self._state, event)
            else:
                self._state, actions = self._step(self._state, event)
            self.facts = self.facts.merge(facts_of(self._state))
        except Exception as error:  # the caller must hear something, not silence
            # never what was said, nor the error's text (a database error quotes the patient's details)
            log.error("%s: dialogue step failed on %s (%s)", self, type(event).__name__, type(error).__name__)
            log.debug("%s: the failed step", self, exc_info=error)
            await self._report(f"dialogue step failed ({type(error).__name__})", error)
            await self._dispatch(StepFailed(event))
            return
        if self.on_step is not None:
            await self.on_step(event, actions)
        await self._dispatch(Stepped(tuple(actions)))

    def _step(self, state: State, event: Event) -> tuple[State, list[Action]]:
        now = self._clock()
        if self.context is None:
            self.context = Context.create(self._port, now, self._locale)
        return step(state, event, self.context.at(now))

    def _phrases(self) -> Phrases:
        """The call's wording; the locale's own (or the first) when the practice could not be read."""
        if self.context is not None:
            return self.context.phrases
        return load_phrases(self._locale if self._locale in LOCALES else LOCALES[0])

    async def _say(self, text: str, interruptible: bool) -> None:
        frame = TTSSpeakFrame(text, append_to_context=False)
        frame.interruptible = interruptible
        self.transcript.append(("bot", text))
        await self.push_frame(frame)

    async def _finish(self, action: HangUp | Transfer, late: bool) -> None:
        """The last words were heard (or the deadline passed): transfer if asked, then end the worker."""
        if late:
            log.warning("%s: goodbye not heard within %s s, ending the call", self, self._turn.timings.goodbye)
        if isinstance(action, Transfer) and self._on_transfer is not None:
            try:
                await self._on_transfer(action.target)
            except Exception as error:
                log.exception("%s: transfer to %s failed", self, action.target)
                await self._report(f"transfer failed ({type(error).__name__})", error)
        await self.push_frame(EndWorkerFrame(reason=action.outcome.kind.value))

    async def _report(self, message: str, error: Exception) -> None:
        """An `ErrorFrame` upstream for observers; logged here already, so not through `push_error`."""
        frame = ErrorFrame(error=message, exception=error, processor=self, category=ErrorCategory.APPLICATION)
        await self.push_frame(frame, FrameDirection.UPSTREAM)

    async def _after(self, timer: Timer, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self._timers.get(timer) is asyncio.current_task():
            del self._timers[timer]
        await self._dispatch(TimerFired(timer))

    async def _cancel(self, timer: Timer) -> None:
        task = self._timers.pop(timer, None)
        if task is not None and task is not asyncio.current_task():
            await self.cancel_task(task)
