"""How long a caller waits for the bot's replies: from the end of their speech to the bot's first audio.

`ReplyLatencyObserver` follows one call's frames (the VAD's end of speech, the turn's end, the output transport's
"bot started speaking") and keeps each wait; `reply_latency` sums them up for the call log (p50, p95, max). It
also times each reply's stages (`STAGES`) for the server's metrics (`on_reply`, `voicebot.metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

from booking.records import ReplyLatency

STAGES = ("recognition", "end_of_turn", "dialogue", "first_audio")
"""A reply's stages, each timed from the end of the caller's speech: the turn's transcript (`TranscriptionFrame`,
the last before the turn's end; early recognition may have it before the VAD's stop), the turn's end
(`UserStoppedSpeakingFrame`), the dialogue's first words of the reply (`TTSSpeakFrame`) and the bot's first audio
(`BotStartedSpeakingFrame`: the call log's wait)."""


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0..100) of some values, by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def reply_latency(waits: Sequence[float]) -> ReplyLatency | None:
    """The summary of a call's waits (seconds) in whole milliseconds; `None` when no reply was measured."""
    if not waits:
        return None
    return ReplyLatency(
        replies=len(waits),
        p50_ms=round(percentile(waits, 50) * 1000),
        p95_ms=round(percentile(waits, 95) * 1000),
        max_ms=round(max(waits) * 1000),
    )


class ReplyLatencyObserver(BaseObserver):
    """Keeps, for each caller turn the bot answered, the seconds from the end of the caller's speech (the VAD's
    stop, minus its silence) to the bot's first audio of its reply (`waits`).

    A turn counts once the turn-taking ended it (`UserStoppedSpeakingFrame`): speech that did not make a turn,
    or that the caller resumed, waits for nothing. Keys and silences are not replies to speech: not counted.

    Args:
        vad_stop_secs: The VAD's silence before it reports the end of speech (when its frame does not say).
        on_reply: Called with each reply's seconds by stage (`STAGES`; a stage not seen is left out).
    """

    def __init__(self, vad_stop_secs: float, on_reply: Callable[[Mapping[str, float]], None] | None = None) -> None:
        super().__init__(observe_every_push=False)
        self.vad_stop_secs = vad_stop_secs
        self.on_reply = on_reply
        self.waits: list[float] = []
        """Seconds, one per reply, in order."""
        self._spoke_until: float | None = None
        self._turn_ended = False
        self._marks: dict[str, float] = {}
        """When each stage of the reply under way was reached (pipeline clock, seconds)."""

    async def on_push_frame(self, data: FramePushed) -> None:
        """Note the end of speech, the transcript, the turn's end, the reply and the bot's first audio."""
        frame, now = data.frame, data.timestamp / 1e9
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._spoke_until, self._turn_ended, self._marks = None, False, {}
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._spoke_until = now - (frame.stop_secs or self.vad_stop_secs)
            self._turn_ended = False
        elif isinstance(frame, TranscriptionFrame) and not self._turn_ended:
            self._marks["recognition"] = now
        elif isinstance(frame, UserStoppedSpeakingFrame) and self._spoke_until is not None:
            self._turn_ended = True
            self._marks["end_of_turn"] = now
        elif isinstance(frame, TTSSpeakFrame) and self._turn_ended:
            self._marks.setdefault("dialogue", now)
        elif isinstance(frame, BotStartedSpeakingFrame) and self._spoke_until is not None and self._turn_ended:
            self._replied(now, self._spoke_until)

    def _replied(self, now: float, spoke_until: float) -> None:
        """The bot's first audio of a reply: keep the wait, hand its stages to `on_reply`."""
        self.waits.append(max(now - spoke_until, 0.0))
        stages = {stage: max(at - spoke_until, 0.0) for stage, at in (self._marks | {"first_audio": now}).items()}
        self._spoke_until, self._turn_ended, self._marks = None, False, {}
        if self.on_reply is not None:
            self.on_reply({stage: stages[stage] for stage in STAGES if stage in stages})

    @property
    def summary(self) -> ReplyLatency | None:
        """The call's `ReplyLatency` so far."""
        return reply_latency(self.waits)
