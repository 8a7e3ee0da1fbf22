"""When the caller's turn ends: a short pause after a finished-sounding answer, more patience otherwise.

pipecat's `SpeechTimeoutUserTurnStopStrategy` ends a turn once the VAD reported the end of speech, a fixed
timeout passed and a transcript arrived. On the phone one fixed timeout is wrong both ways: a "oui" should be
answered at once, a caller pausing on "je voudrais voir le docteur…" must not be cut off. Here the fixed
timeout is only a short floor (`QUICK_PAUSE`); when the transcript is in, `voicebot.pipeline.turn_state.turn_end_wait`
decides (with `dialogue.understand.turn_end.sounds_finished`): finished → the turn ends now; unfinished → it ends
when the pause reaches the patience for what the dialogue expects (`PATIENCE`: digits and spelled names get the
most), unless the caller speaks again. The strategy only keeps the time of the VAD stop and its one timer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pipecat.frames.frames import VADUserStoppedSpeakingFrame
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy

from dialogue.actions import ExpectKind
from voicebot.pipeline.dialogue_processor import CallHints
from voicebot.pipeline.turn_state import turn_end_wait

PATIENCE: dict[ExpectKind | None, float] = {
    ExpectKind.YES_NO: 0.4,
    ExpectKind.DATE: 0.7,
    ExpectKind.FREE: 0.7,
    ExpectKind.NAME: 1.0,
    ExpectKind.DIGITS: 1.5,
    ExpectKind.SPELLING: 1.5,
    None: 0.7,
}
"""Seconds of silence after the VAD stop before an unfinished-sounding turn ends, by expected answer."""

QUICK_PAUSE = 0.1
"""Seconds after the VAD stop before a finished-sounding turn ends (the VAD stop itself waited already)."""


class ExpectationTurnStopStrategy(SpeechTimeoutUserTurnStopStrategy):  # type: ignore[no-untyped-call]  # pipecat's hook
    """Ends the caller's turn early when the words sound finished, else after the expectation's patience.

    Args:
        hints: The call's hints (`expect` is read at each decision).
        locale: The call's language, for the text cue.
        patience: Seconds by expected answer (default `PATIENCE`).
        quick: The floor after the VAD stop for finished-sounding words.
    """

    def __init__(
        self,
        hints: CallHints,
        patience: dict[ExpectKind | None, float] | None = None,
        *,
        locale: str = "fr",
        quick: float = QUICK_PAUSE,
        **kwargs: Any,
    ) -> None:
        self._hints = hints
        self._patience = dict(PATIENCE if patience is None else patience)
        self._locale = locale
        self._quick = quick
        self._vad_stopped_at: float | None = None
        self._patience_task: asyncio.Task[None] | None = None
        super().__init__(user_speech_timeout=quick, **kwargs)

    def patience(self) -> float:
        """The longest pause the current expectation allows inside an answer."""
        return self._patience.get(self._hints.expect, self._patience.get(None, 0.7))

    @property
    def _user_speech_timeout(self) -> float:
        return min(self._quick, self.patience())

    @_user_speech_timeout.setter
    def _user_speech_timeout(self, value: float) -> None:
        self._quick = value

    async def _handle_vad_user_stopped_speaking(self, frame: VADUserStoppedSpeakingFrame) -> None:
        self._vad_stopped_at = time.monotonic()
        await super()._handle_vad_user_stopped_speaking(frame)

    async def _maybe_trigger_user_turn_stopped(self) -> None:
        await self._cancel_patience()
        if self._vad_user_speaking or (self._wait_for_transcript and not self._text):
            return
        if not (self._user_speech_wait_done and self._stt_wait_done):
            return
        paused = time.monotonic() - self._vad_stopped_at if self._vad_stopped_at is not None else 0.0
        remaining = turn_end_wait(self._text, self._hints.expect, self._locale, paused=paused, patience=self.patience())
        if remaining <= 0:
            await self.trigger_user_turn_stopped()
        else:
            self._patience_task = self.task_manager.create_task(self._end_after(remaining), f"{self}::patience")

    async def _end_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._patience_task = None
        if not self._vad_user_speaking and (self._text or not self._wait_for_transcript):
            await self.trigger_user_turn_stopped()

    async def _cancel_patience(self) -> None:
        task, self._patience_task = self._patience_task, None
        if task is not None and task is not asyncio.current_task():
            await self.task_manager.cancel_task(task)

    async def _cancel_all_tasks(self) -> None:
        await self._cancel_patience()
        await super()._cancel_all_tasks()  # type: ignore[no-untyped-call]  # pipecat leaves it unannotated
