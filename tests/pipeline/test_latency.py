"""The reply latency a caller hears (`voicebot.pipeline.latency`): the summary of a call's waits, and the observer
that measures them from the frames the pipeline pushes."""

from __future__ import annotations

import asyncio

import pytest
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    Frame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import FramePushed
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from booking.records import ReplyLatency
from voicebot.pipeline.latency import ReplyLatencyObserver, percentile, reply_latency


@pytest.mark.parametrize(
    ("waits", "expected"),
    [
        ([], None),
        ([1.2], ReplyLatency(1, 1200, 1200, 1200)),
        ([1.0, 2.0], ReplyLatency(2, 1500, 1950, 2000)),
        ([0.8, 1.0, 1.2, 1.4, 3.0], ReplyLatency(5, 1200, 2680, 3000)),
        ([2.0, 0.5, 1.0], ReplyLatency(3, 1000, 1900, 2000)),  # order does not matter
        ([0.0004], ReplyLatency(1, 0, 0, 0)),  # whole milliseconds
    ],
)
def test_reply_latency(waits: list[float], expected: ReplyLatency | None) -> None:
    assert reply_latency(waits) == expected


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 0) == 10.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 100) == 40.0


def play(observer: ReplyLatencyObserver, frames: list[tuple[float, Frame]]) -> None:
    """Push `frames` (at their seconds on the pipeline clock) past the observer, as a pipeline would."""
    source, destination = FrameProcessor(), FrameProcessor()

    async def scenario() -> None:
        for seconds, frame in frames:
            pushed = FramePushed(source, destination, frame, FrameDirection.DOWNSTREAM, int(seconds * 1e9))
            await observer.on_push_frame(pushed)

    asyncio.run(scenario())


def test_the_observer_measures_from_the_end_of_speech_to_the_bots_audio() -> None:
    observer = ReplyLatencyObserver(vad_stop_secs=0.5)
    play(
        observer,
        [
            (1.0, BotStartedSpeakingFrame()),  # the greeting: no caller speech before it
            (5.0, VADUserStartedSpeakingFrame()),
            (7.5, VADUserStoppedSpeakingFrame(stop_secs=0.5)),  # speech ended at 7.0
            (7.9, UserStoppedSpeakingFrame()),
            (8.2, BotStartedSpeakingFrame()),  # 1.2 s
            (8.2, BotStartedSpeakingFrame()),  # the same event upstream: counted once
            (12.0, VADUserStartedSpeakingFrame()),
            (13.0, VADUserStoppedSpeakingFrame(stop_secs=0.0)),  # no stop_secs in the frame: the VAD's 0.5
            (13.1, VADUserStartedSpeakingFrame()),  # the caller went on: the wait starts again
            (14.0, VADUserStoppedSpeakingFrame(stop_secs=0.5)),  # ended at 13.5
            (14.5, UserStoppedSpeakingFrame()),
            (15.5, BotStartedSpeakingFrame()),  # 2.0 s
            (20.0, VADUserStoppedSpeakingFrame(stop_secs=0.5)),  # a cough that made no turn
            (27.0, BotStartedSpeakingFrame()),  # the no-input re-prompt: not a reply
        ],
    )
    assert observer.waits == pytest.approx([1.2, 2.0])
    assert observer.summary == ReplyLatency(2, 1600, 1960, 2000)


def test_a_call_without_speech_has_no_latency() -> None:
    observer = ReplyLatencyObserver(vad_stop_secs=0.5)
    play(observer, [(1.0, BotStartedSpeakingFrame())])
    assert observer.waits == [] and observer.summary is None
