"""The recogniser's hypotheses through the dialogue adapter, with the real dialogue and booking service."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    DataFrame,
    Frame,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test

from booking.records import Status
from booking.service import BookingService
from voicebot.pipeline.dialogue_processor import VOICE_METADATA, CallHints, DialogueProcessor
from voicebot.speech.stt import Transcript

WISH = Transcript("Hi, I'd like to see Dr Patel on Tuesday morning for a flu jab", -0.2, 0.01, 0.1, 3.0)


def said(transcript: Transcript) -> list[Frame]:
    """One caller turn whose transcription carries the recogniser's `Transcript`, as the STT service sends it."""
    frame = TranscriptionFrame(transcript.text, "caller", "2026-11-28T10:00:00Z", result=transcript)
    return [UserStartedSpeakingFrame(), UserStoppedSpeakingFrame(), frame, SleepFrame(0.15)]


def call(english: tuple[BookingService, datetime], *turns: Transcript) -> tuple[DialogueProcessor, CallHints]:
    service, now = english
    hints = CallHints()
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555", hints=hints)
    frames: list[Frame] = [SleepFrame(0.1)]
    for turn in turns:
        frames += said(turn)
    asyncio.run(run_test(processor, frames_to_send=frames))
    return processor, hints


def test_the_offer_publishes_its_answers_for_the_recogniser(english: tuple[BookingService, datetime]) -> None:
    _, hints = call(english, WISH)
    assert "the second one" in hints.answers and "at 8:10 am" in hints.answers


def test_an_offer_answered_by_the_recognisers_second_hypothesis(english: tuple[BookingService, datetime]) -> None:
    misheard = Transcript("the sack and sun", -0.9, 0.01, 0.1, 1.0)
    processor, _ = call(english, WISH, misheard)
    assert processor.state.chosen is None  # the best hypothesis alone chooses nothing
    with_second = Transcript("the sack and sun", -0.9, 0.01, 0.1, 1.0, alternatives=("the second one",), margin=0.05)
    processor, _ = call(english, WISH, with_second)
    assert processor.state.chosen is not None and processor.state.chosen.start.time() == time(8, 10)


@dataclass
class Hold(DataFrame):
    """Test frame: the line keeps speaking what it is given until `Release`."""


@dataclass
class Release(DataFrame):
    """Test frame: the line ends all it holds."""


class Line(FrameProcessor):
    """Where the dialogue's speech goes, as the TTS service and the output transport report it upstream: a
    `TTSSpeakFrame` starts the bot speaking and ends in one `BotStoppedSpeakingFrame` (checked against pipecat
    in `test_services.test_each_spoken_text_ends_in_one_bot_stop_upstream`), at once unless held.
    """

    def __init__(self) -> None:
        super().__init__()
        self.held: int | None = None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, Hold):
            self.held = 0
        elif isinstance(frame, Release):
            for _ in range(self.held or 0):
                await self.push_frame(BotStoppedSpeakingFrame(), FrameDirection.UPSTREAM)
            self.held = None
        elif isinstance(frame, TTSSpeakFrame):
            await self.push_frame(BotStartedSpeakingFrame(), FrameDirection.UPSTREAM)
            if self.held is None:
                await self.push_frame(BotStoppedSpeakingFrame(), FrameDirection.UPSTREAM)
            else:
                self.held += 1
        await self.push_frame(frame, direction)


def read_back_answered(english: tuple[BookingService, datetime], *, over_it: bool) -> list[str]:
    """A booking up to its read-back, held on the line; "yes" said over it or once it was heard in full."""
    service, now = english
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555")
    frames: list[Frame] = [SleepFrame(0.1)]
    turns = ["Hi, I'd like to see Dr Patel on Tuesday morning for a flu jab", "the second one", "Emily Clarke"]
    for text in [*turns, "the fifth of May nineteen ninety"]:
        frames += said(Transcript(text, -0.2, 0.01, 0.1, 2.0))
    frames += [Hold(), *said(Transcript("yes", -0.1, 0.01, 0.1, 0.5))]  # the number to call back: the read-back
    yes = TranscriptionFrame("yes", "caller", "2026-11-28T10:00:00Z", result=Transcript("yes", -0.1, 0.01, 0.1, 0.5))
    yes.metadata[VOICE_METADATA] = 1  # the first voice the VAD heard in this call
    voice: list[Frame] = [VADUserStartedSpeakingFrame(), VADUserStoppedSpeakingFrame()]
    if over_it:  # one word is too few to interrupt the bot: answered after a short silence once it stopped
        frames += [*voice, yes, SleepFrame(0.1), Release(), SleepFrame(1.0)]
    else:  # the bot is quiet: one word makes a turn
        frames += [Release(), SleepFrame(0.1), *voice, UserStartedSpeakingFrame(), UserStoppedSpeakingFrame(), yes]
        frames += [SleepFrame(0.3)]
    asyncio.run(run_test(Pipeline([processor, Line()]), frames_to_send=frames))
    return [text for who, text in processor.transcript if who == "bot"]


def test_a_yes_said_over_the_read_back_has_it_read_again(english: tuple[BookingService, datetime]) -> None:
    bot = read_back_answered(english, over_it=True)
    assert "One moment, let me read it all back." in bot
    assert not any("That's booked" in line for line in bot)
    assert english[0].list_appointments(status=Status.BOOKED) == []


def test_a_yes_once_the_read_back_was_heard_books(english: tuple[BookingService, datetime]) -> None:
    bot = read_back_answered(english, over_it=False)
    assert any("That's booked" in line for line in bot)
    assert [a.patient.last_name for a in english[0].list_appointments(status=Status.BOOKED)] == ["Clarke"]
