"""Speculative replies: the dialogue's answer to an early transcript, prepared while the caller's turn ends.

Early recognition (`voicebot.pipeline.stt_service`) has a transcript once the caller has been quiet for 0.15 s,
about half a second before the turn ends. The `Speculator` then steps the dialogue on it as the turn would
(`said_event`: turn-taking's own fold of the words into a `CallerSaid`), from the call's current state (immutable:
the call's own is untouched), with a `ReadOnlyPort`: slot and patient searches run, but a booking, cancellation,
move or request raises `WouldWrite` and ends the speculation. The step runs in a worker thread; then the first
clause of the reply's first `Say` is rendered into the synthesizer's memory cache (`CachingSynthesizer.prefetch`),
in a thread too. When the real step's first `Say` begins with the same clause, its audio is ready at once: the
speculation was `used` (a render still running is waited for rather than started again). Otherwise it was
`dropped`: the final words led elsewhere, the caller spoke again (a newer early transcript), the step was another
(a key, a silence), or the speculation would have written.

One speculation at a time per call, and none while the synthesizer renders a call's sentence (as early
recognition waits for an idle recognizer, busy servers do not pay for guesses); each lives until the dialogue's
next step. The counts are the call's, logged at its end (numbers only, never the caller's words); `on_result`
feeds the server's metrics (`voicebot.metrics.Metrics.speculation`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from pipecat.frames.frames import TranscriptionFrame

from booking.clinic import Clinic
from booking.records import AppointmentRecord, PatientDetails, PatientRecord, RequestCategory, RequestRecord
from booking.slots import Slot, SlotQuery
from dialogue.actions import Action, Say
from dialogue.context import Context
from dialogue.events import CallerSaid, Event
from dialogue.machine import step
from dialogue.port import BookingPort
from dialogue.state import State
from voicebot.pipeline.dialogue_processor import DialogueProcessor
from voicebot.pipeline.turn_events import Heard, QueueStep, Signal, SignalKind
from voicebot.pipeline.turn_state import TurnState, turn_step
from voicebot.speech.spoken import LEAD_INS
from voicebot.speech.stt import Transcript

log = logging.getLogger(__name__)

READY_WAIT = 10.0
"""Longest wait, in seconds, for a used speculation's render still running when the real reply comes."""


class WouldWrite(Exception):
    """A speculative step tried to change the appointment book or leave a request: only the real turn may."""


class ReadOnlyPort:
    """A `BookingPort` that reads through `port` and refuses every write (`WouldWrite`).

    Args:
        port: The booking service (not the call's recording port: a guess must not mark patients as the call's).
    """

    def __init__(self, port: BookingPort) -> None:
        self.port = port

    def clinic(self) -> Clinic:
        """The practice's configuration."""
        return self.port.clinic()

    def find_slots(self, query: SlotQuery, now: datetime) -> list[Slot]:
        """Free slots for `query`."""
        return self.port.find_slots(query, now)

    def find_patients(
        self, *, phone: str | None = None, last_name: str | None = None, birth_date: date | None = None
    ) -> list[PatientRecord]:
        """Patients matching every criterion given."""
        return self.port.find_patients(phone=phone, last_name=last_name, birth_date=birth_date)

    def upcoming(self, patient_id: int, now: datetime) -> list[AppointmentRecord]:
        """A patient's booked appointments from `now` on."""
        return self.port.upcoming(patient_id, now)

    def book(self, slot: Slot, patient: PatientDetails, now: datetime) -> AppointmentRecord:
        """Refused."""
        raise WouldWrite("book")

    def cancel(self, reference: str, now: datetime) -> AppointmentRecord:
        """Refused."""
        raise WouldWrite("cancel")

    def reschedule(self, reference: str, slot: Slot, now: datetime) -> AppointmentRecord:
        """Refused."""
        raise WouldWrite("reschedule")

    def leave_request(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        """Refused."""
        raise WouldWrite("leave_request")


@runtime_checkable
class Prefetching(Protocol):
    """What the speculator needs of the call's synthesizer (`voicebot.speech.tts.CachingSynthesizer`)."""

    language: str

    @property
    def busy(self) -> bool:
        """Whether a call's sentence is being rendered now."""
        ...

    def pieces(self, text: str) -> list[str]:
        """The normalised pieces of `text`, in the order they are spoken."""
        ...

    def prefetch(self, text: str) -> bool:
        """Render the first clause of `text` into the memory cache (blocking); whether any was rendered."""
        ...


def first_clause(pieces: Sequence[str], language: str) -> tuple[str, ...]:
    """The pieces a reply's first audio waits for: the first, and the next when the first is a lead-in (`LEAD_INS`:
    the TTS service holds it until the next is ready), as `CachingSynthesizer.prefetch` renders them.
    """
    lead_in = bool(pieces) and pieces[0] in LEAD_INS.get(language[:2], ())
    return tuple(pieces[: 2 if lead_in else 1])


def said_event(turn: TurnState, heard: Heard) -> CallerSaid | None:
    """The `CallerSaid` the dialogue would be given if the turn ended now with `heard` (turn-taking's own fold, on
    a copy: `turn` is immutable); `None` when it would give none (no words).
    """
    turn, effects = turn_step(turn, heard)
    if not any(isinstance(effect, QueueStep) for effect in effects):
        turn, effects = turn_step(turn, Signal(SignalKind.TURN_MARKED))
    said = (effect.event for effect in effects if isinstance(effect, QueueStep))
    return next((event for event in said if isinstance(event, CallerSaid)), None)


@dataclass
class _Guess:
    """One speculation."""

    event: CallerSaid
    clause: tuple[str, ...] | None = None
    """The first clause of the reply's first `Say`, once the speculative step gave one."""


class Speculator:
    """Prepares one call's replies to its early transcripts (see the module).

    Args:
        dialogue: The call's dialogue adapter: its state, turn and context are read, its steps judged (`stepped`).
        synthesizer: The call's voice.
        port: The booking service, read only.
        clock: The dialogue's clock.
        on_result: Called with `True` for each speculation used, `False` for each dropped.
    """

    def __init__(
        self,
        dialogue: DialogueProcessor,
        synthesizer: Prefetching,
        port: BookingPort,
        clock: Callable[[], datetime],
        *,
        on_result: Callable[[bool], None] | None = None,
    ) -> None:
        self._dialogue = dialogue
        self._synthesizer = synthesizer
        self._port = ReadOnlyPort(port)
        self._clock = clock
        self.on_result = on_result
        self.made = 0
        """Speculations started (each is `used` or `dropped` in the end)."""
        self.used = 0
        """Speculations whose reply began as the real one: its first audio was ready."""
        self.dropped = 0
        """Speculations that led elsewhere, were superseded, would have written, or never finished."""
        self._guess: _Guess | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def preparing(self) -> bool:
        """Whether a speculation's step or render is running."""
        return self._task is not None and not self._task.done()

    def offer(self, transcript: Transcript) -> None:
        """An early transcript (on the event loop): speculate on it, unless the dialogue is not listening, another
        speculation still runs or the synthesizer is busy. An older pending speculation is dropped: the caller spoke
        again since.
        """
        dialogue = self._dialogue
        turn, context = dialogue.turn, dialogue.context
        if context is None or not turn.listening or turn.terminal is not None or turn.ended:
            return
        self._settle(used=False)
        if self.preparing or self._synthesizer.busy:
            return
        heard = dialogue.event_of(TranscriptionFrame(transcript.text, "", "", result=transcript))
        event = said_event(turn, heard) if isinstance(heard, Heard) else None
        if event is None:
            return
        guess = self._guess = _Guess(event)
        self.made += 1
        self._task = asyncio.get_running_loop().create_task(self._prepare(guess, dialogue.state, context))

    async def stepped(self, event: Event, actions: Sequence[Action]) -> None:
        """The real step gave `actions` (not yet spoken): the pending speculation was used if its reply begins with
        the same clause; a used one's render still running is awaited (`READY_WAIT` at most).
        """
        guess, task = self._guess, self._task
        if guess is None:
            return
        say = next((action for action in actions if isinstance(action, Say)), None)
        used = isinstance(event, CallerSaid) and say is not None and guess.clause == self._clause(say.text)
        self._settle(used)
        if used and task is not None and not task.done():
            await asyncio.wait({task}, timeout=READY_WAIT)

    async def ended(self, *_: object) -> None:
        """The call ended (the worker's `on_pipeline_finished`): drop what is pending, log the counts."""
        self._settle(used=False)
        if self._task is not None and self.preparing:
            self._task.cancel()
        made, used, dropped = self.made, self.used, self.dropped
        log.info("%s: replies prepared ahead: %d, used %d, dropped %d", self._dialogue, made, used, dropped)

    async def _prepare(self, guess: _Guess, state: State, context: Context) -> None:
        try:
            actions = await asyncio.to_thread(self._step, state, guess.event, context)
            say = next((action for action in actions if isinstance(action, Say)), None)
            if say is None or self._guess is not guess:
                return
            guess.clause = self._clause(say.text)
            await asyncio.to_thread(self._synthesizer.prefetch, say.text)
        except WouldWrite:
            log.debug("%s: no reply prepared: the turn would change the appointment book", self._dialogue)
        except Exception as error:  # a guess never fails the call; never the error's text (it may quote details)
            log.debug("%s: no reply prepared (%s)", self._dialogue, type(error).__name__)

    def _step(self, state: State, event: CallerSaid, context: Context) -> list[Action]:
        return step(state, event, replace(context, port=self._port).at(self._clock()))[1]

    def _clause(self, text: str) -> tuple[str, ...]:
        return first_clause(self._synthesizer.pieces(text), self._synthesizer.language)

    def _settle(self, used: bool) -> None:
        if self._guess is None:
            return
        self._guess = None
        if used:
            self.used += 1
        else:
            self.dropped += 1
        if self.on_result is not None:
            self.on_result(used)
