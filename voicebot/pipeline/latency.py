"""How long a caller waits for the bot's replies: from the end of their speech to the bot's first audio.

`ReplyLatencyObserver` follows one call's frames (the VAD's end of speech, the turn's end, the output transport's
"bot started speaking") and keeps each wait; `reply_latency` sums them up for the call log (p50, p95, max).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

from booking.records import ReplyLatency


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
    """

    def __init__(self, vad_stop_secs: float) -> None:
        super().__init__(observe_every_push=False)
        self.vad_stop_secs = vad_stop_secs
        self.waits: list[float] = []
        """Seconds, one per reply, in order."""
        self._spoke_until: float | None = None
        self._turn_ended = False

    async def on_push_frame(self, data: FramePushed) -> None:
        """Note the end of speech, the turn's end and the bot's first audio after them."""
        frame, now = data.frame, data.timestamp / 1e9
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._spoke_until, self._turn_ended = None, False
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._spoke_until = now - (frame.stop_secs or self.vad_stop_secs)
            self._turn_ended = False
        elif isinstance(frame, UserStoppedSpeakingFrame) and self._spoke_until is not None:
            self._turn_ended = True
        elif isinstance(frame, BotStartedSpeakingFrame) and self._spoke_until is not None and self._turn_ended:
            self.waits.append(max(now - self._spoke_until, 0.0))
            self._spoke_until, self._turn_ended = None, False

    @property
    def summary(self) -> ReplyLatency | None:
        """The call's `ReplyLatency` so far."""
        return reply_latency(self.waits)
