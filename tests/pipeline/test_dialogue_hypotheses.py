"""The recogniser's hypotheses through the dialogue adapter, with the real dialogue and booking service."""

from __future__ import annotations

import asyncio
from datetime import datetime, time

from pipecat.frames.frames import Frame, TranscriptionFrame, UserStartedSpeakingFrame, UserStoppedSpeakingFrame
from pipecat.tests.utils import SleepFrame, run_test

from booking.service import BookingService
from voicebot.pipeline.dialogue_processor import CallHints, DialogueProcessor
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
