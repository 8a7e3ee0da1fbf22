"""The dialogue adapter with the real dialogue machine and the real booking service (SQLite), via `run_test`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import pytest
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndWorkerFrame,
    ErrorFrame,
    Frame,
    InputDTMFFrame,
    KeypadEntry,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import SleepFrame, run_test

from booking.records import Status
from booking.service import BookingService
from dialogue.actions import ExpectKind, OutcomeKind, Transfer
from dialogue.wording.phrases import load_phrases
from voicebot.pipeline.dialogue_processor import CallHints, DialogueProcessor

BOOKING_TURNS = [
    "Hi, I'd like to see Dr Patel on Tuesday morning for a flu jab",
    "the second one",
    "Emily Clarke",
    "the fifth of May nineteen ninety",
    "yes",
    "yes that's right",
]


def said(text: str) -> list[Frame]:
    """One caller turn as the pipeline delivers it: the turn end may overtake the transcription."""
    return [
        UserStartedSpeakingFrame(),
        UserStoppedSpeakingFrame(),
        TranscriptionFrame(text, "caller", "2026-11-28T10:00:00Z"),
        SleepFrame(0.15),
    ]


def heard() -> list[Frame]:
    """The bot's pending speech played out."""
    return [BotStartedSpeakingFrame(), SleepFrame(0.05), BotStoppedSpeakingFrame(), SleepFrame(0.1)]


def once(condition: Callable[[], bool], limit: float = 20.0) -> Iterator[Frame]:
    """Pauses while `condition` is false (at most `limit` seconds): `run_test` reads its frames as it sends them."""
    for _ in range(int(limit / 0.05)):
        if condition():
            return
        yield SleepFrame(0.05)


def goodbye_heard(processor: DialogueProcessor) -> Iterator[Frame]:
    """Once the dialogue has ended the call (its steps run in a thread), all its speech played out, sentence by
    sentence, to the last words.
    """
    yield from once(lambda: processor.outcome is not None)
    for _ in range(100):
        if not processor.turn.unheard or processor.turn.ended:
            return
        yield from heard()


def late_goodbyes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings of calls ended by the goodbye deadline rather than by the goodbye heard."""
    return [r.getMessage() for r in caplog.records if "goodbye not heard" in r.getMessage()]


def sent(*parts: Iterable[Frame]) -> Iterator[Frame]:
    """The frames of `parts`, read lazily."""
    for part in parts:
        yield from part


def speech(frames: list[Frame]) -> list[str]:
    return [f.text for f in frames if isinstance(f, TTSSpeakFrame)]


def ends(frames: list[Frame]) -> list[EndWorkerFrame]:
    return [f for f in frames if isinstance(f, EndWorkerFrame)]


def test_spoken_booking_ends_after_goodbye(
    english: tuple[BookingService, datetime], caplog: pytest.LogCaptureFixture
) -> None:
    service, now = english
    hints = CallHints()
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555", hints=hints)
    frames: list[Frame] = [SleepFrame(0.1)]
    for turn in BOOKING_TURNS:
        frames += said(turn)
    with caplog.at_level(logging.WARNING, logger="voicebot.pipeline"):
        down, _ = asyncio.run(
            run_test(processor, frames_to_send=sent(frames, goodbye_heard(processor)), send_end_frame=False)  # type: ignore[arg-type]
        )
    assert late_goodbyes(caplog) == []  # ended because the goodbye was heard, not by the deadline
    spoken = " ".join(speech(down))
    assert "Tuesday the 1st of December" in spoken
    assert "That's booked" in spoken
    assert "Goodbye" in spoken
    assert len(ends(down)) == 1 and ends(down)[0].reason == "booked"
    # the goodbye was pushed before the end
    assert down.index(ends(down)[0]) > max(i for i, f in enumerate(down) if isinstance(f, TTSSpeakFrame))
    booked = service.list_appointments(status=Status.BOOKED)
    assert [a.patient.last_name for a in booked] == ["Clarke"]
    assert processor.outcome is not None and processor.outcome.outcome.kind is OutcomeKind.BOOKED
    assert hints.question is not None
    notice = [f for f in down if isinstance(f, TTSSpeakFrame) and not f.interruptible]
    assert notice and "I refuse" in " ".join(f.text for f in notice)  # the data notice cannot be cut


def test_end_waits_until_goodbye_heard(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555")
    frames: list[Frame] = [SleepFrame(0.1)]
    for turn in BOOKING_TURNS:
        frames += said(turn)
    frames += [SleepFrame(0.3)]
    down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
    assert "That's booked" in " ".join(speech(down))
    assert ends(down) == []  # the goodbye was never heard: the call is not ended under the caller


def test_expect_hint_published(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    hints = CallHints()
    processor = DialogueProcessor(service, lambda: now, locale="en", hints=hints)
    frames: list[Frame] = [SleepFrame(0.1)]
    frames += said("I'd like an appointment")
    asyncio.run(run_test(processor, frames_to_send=frames))
    assert hints.expect is not None
    assert isinstance(hints.expect, ExpectKind)


def test_keypad_zero_transfers_after_words_heard(
    english: tuple[BookingService, datetime], caplog: pytest.LogCaptureFixture
) -> None:
    service, now = english
    targets: list[str] = []

    async def transfer(target: str) -> None:
        targets.append(target)

    processor = DialogueProcessor(service, lambda: now, locale="en", on_transfer=transfer)
    frames: list[Frame] = [SleepFrame(0.1), InputDTMFFrame(KeypadEntry.ZERO)]
    with caplog.at_level(logging.WARNING, logger="voicebot.pipeline"):
        down, _ = asyncio.run(
            run_test(processor, frames_to_send=sent(frames, goodbye_heard(processor)), send_end_frame=False)  # type: ignore[arg-type]
        )
    assert late_goodbyes(caplog) == []  # the transfer followed the words heard, not the deadline
    assert isinstance(processor.outcome, Transfer)
    assert targets == [processor.outcome.target]
    assert len(ends(down)) == 1 and ends(down)[0].reason == "transferred"


def test_no_input_after_bot_stopped_speaking(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    processor = DialogueProcessor(service, lambda: now, locale="en", no_input_secs=0.2)
    frames: list[Frame] = [SleepFrame(0.1), BotStartedSpeakingFrame(), SleepFrame(0.4)]  # silence while bot talks
    before = frames.copy()
    frames += [BotStoppedSpeakingFrame(), SleepFrame(0.4)]
    down_quiet, _ = asyncio.run(
        run_test(DialogueProcessor(service, lambda: now, locale="en", no_input_secs=0.2), frames_to_send=before)
    )
    greeting = speech(down_quiet)  # only the greeting: no timeout while the bot speaks
    down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
    assert speech(down)[: len(greeting)] == greeting
    assert len(speech(down)) > len(greeting)  # then a re-prompt after real silence


def test_caller_hang_up_keeps_nothing(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555")
    frames: list[Frame] = [SleepFrame(0.1)]
    for turn in BOOKING_TURNS[:-1]:
        frames += said(turn)
    frames += [CancelFrame()]

    async def scenario() -> set[asyncio.Task]:
        await run_test(processor, frames_to_send=frames, send_end_frame=False)
        return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    leftover = asyncio.run(scenario())
    assert leftover == set()
    assert processor.outcome is not None and processor.outcome.outcome.kind is OutcomeKind.HUNG_UP
    assert service.list_appointments(status=Status.BOOKED) == []


def test_turn_text_joins_segments(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555")
    frames: list[Frame] = [
        SleepFrame(0.1),
        UserStartedSpeakingFrame(),
        TranscriptionFrame("Hi, I'd like to see Dr Patel", "c", "t"),
        TranscriptionFrame("on Tuesday morning for a flu jab", "c", "t"),
        UserStoppedSpeakingFrame(),
        SleepFrame(0.2),
    ]
    down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
    caller = [text for who, text in processor.transcript if who == "caller"]
    assert caller[0] == "Hi, I'd like to see Dr Patel on Tuesday morning for a flu jab"
    assert "Tuesday the 1st of December" in " ".join(speech(down))


@pytest.mark.parametrize("terminator", ["#", None])
def test_keyed_birth_date_is_one_answer(english: tuple[BookingService, datetime], terminator: str | None) -> None:
    service, now = english
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555", key_pause_secs=0.3)
    frames: list[Frame] = [SleepFrame(0.1)]
    for turn in BOOKING_TURNS[:3]:
        frames += said(turn)
    for key in "05051990" + (terminator or ""):
        frames += [InputDTMFFrame(KeypadEntry(key)), SleepFrame(0.05)]
    frames += [SleepFrame(0.5)]
    down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
    assert ("caller", "dtmf:05051990") in processor.transcript
    assert "ending in 0 5 5 5" in " ".join(speech(down))


def test_words_too_few_to_barge_in_are_answered_once_bot_stops(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    processor = DialogueProcessor(service, lambda: now, locale="en", caller_id="+447700900555", no_input_secs=5.0)
    frames: list[Frame] = [
        SleepFrame(0.1),
        BotStartedSpeakingFrame(),
        TranscriptionFrame("I'd like an appointment", "c", "t"),  # no turn: bot kept talking
        SleepFrame(0.1),
        BotStoppedSpeakingFrame(),
        SleepFrame(0.8),
    ]
    asyncio.run(run_test(processor, frames_to_send=frames))
    assert ("caller", "I'd like an appointment") in processor.transcript


def test_no_input_waits_while_a_voice_is_heard(english: tuple[BookingService, datetime]) -> None:
    service, now = english

    def run(frames: list[Frame]) -> list[str]:
        processor = DialogueProcessor(service, lambda: now, locale="en", no_input_secs=0.3)
        down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
        return speech(down)

    start: list[Frame] = [SleepFrame(0.1), BotStartedSpeakingFrame(), SleepFrame(0.05), BotStoppedSpeakingFrame()]
    greeting = run(start + [SleepFrame(0.05)])
    # A long sentence still being spoken (nothing recognised yet): no re-prompt over the caller.
    speaking = run(start + [SleepFrame(0.05), VADUserStartedSpeakingFrame(), SleepFrame(0.8)])
    assert speaking == greeting
    # Noise that recognition turned into nothing: the silence counts again from its end.
    noise = run(
        start + [VADUserStartedSpeakingFrame(), SleepFrame(0.1), VADUserStoppedSpeakingFrame(), SleepFrame(0.6)]
    )
    assert len(noise) > len(greeting)


class FlakyPort:
    """The booking service, whose slot search fails the first `failures` times (a database gone for a moment)."""

    def __init__(self, service: BookingService, failures: int = 1) -> None:
        self._service = service
        self.failures = failures

    def find_slots(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("database is locked")
        return self._service.find_slots(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)


APOLOGY = load_phrases("en").get("misunderstood.repeat")


def test_a_failing_step_is_apologised_for_and_the_caller_heard_again(
    english: tuple[BookingService, datetime], caplog: pytest.LogCaptureFixture
) -> None:
    service, now = english
    hints = CallHints()
    processor = DialogueProcessor(FlakyPort(service), lambda: now, locale="en", caller_id="+447700900555", hints=hints)
    frames: list[Frame] = [SleepFrame(0.1), *said(BOOKING_TURNS[0]), *heard(), *said(BOOKING_TURNS[0])]
    with caplog.at_level(logging.DEBUG, logger="voicebot.pipeline"):
        down, up = asyncio.run(run_test(processor, frames_to_send=frames))
    spoken = speech(down)
    assert APOLOGY in spoken
    assert "Tuesday the 1st of December" in " ".join(spoken[spoken.index(APOLOGY) :])  # asked again, understood
    assert ends(down) == []  # the call goes on: only the test's own end of the line ended it
    assert processor.outcome is not None and processor.outcome.outcome.kind is OutcomeKind.HUNG_UP
    assert hints.question != APOLOGY  # recognition keeps the question the caller is answering
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1 and failures[0].exc_info is None  # logged once, by its error's class only
    assert failures[0].getMessage().endswith("dialogue step failed on CallerSaid (RuntimeError)")
    assert "database is locked" not in failures[0].getMessage()  # a database error's text may quote a patient
    traceback = [r for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info is not None]
    assert len(traceback) == 1  # its traceback for developers, at debug
    assert "Patel" not in caplog.text  # never what the caller said
    assert [f for f in up if isinstance(f, ErrorFrame)]  # and reported to the pipeline


def test_after_a_failing_step_the_silence_is_timed_again(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    processor = DialogueProcessor(FlakyPort(service), lambda: now, locale="en", no_input_secs=0.3)
    frames: list[Frame] = [SleepFrame(0.1), *said(BOOKING_TURNS[0]), *heard(), SleepFrame(1.0)]
    down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
    spoken = speech(down)
    assert APOLOGY in spoken
    assert len(spoken) > spoken.index(APOLOGY) + 1  # the no-input re-prompt after the apology was heard
    assert ends(down) == []


def test_a_second_failing_step_in_a_row_ends_the_call_with_a_way_out(english: tuple[BookingService, datetime]) -> None:
    service, now = english
    processor = DialogueProcessor(FlakyPort(service, failures=5), lambda: now, locale="en")
    frames: list[Frame] = [SleepFrame(0.1), *heard(), *said(BOOKING_TURNS[0]), *heard(), *said(BOOKING_TURNS[0])]
    frames += [frame for _ in range(8) for frame in heard()]  # the way out, heard to its last word
    down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
    spoken = speech(down)
    assert spoken.count(APOLOGY) == 1, spoken
    assert load_phrases("en").get("unavailable.failing") in spoken, spoken
    assert len(ends(down)) == 1  # the call ended: no third apology, no waiting on the caller


def test_a_failing_greeting_is_apologised_for(english: tuple[BookingService, datetime]) -> None:
    service, now = english

    class Closed(FlakyPort):
        def clinic(self) -> Any:
            raise RuntimeError("no database")

    processor = DialogueProcessor(Closed(service), lambda: now, locale="fr")
    down, _ = asyncio.run(run_test(processor, frames_to_send=[SleepFrame(0.1)]))
    assert speech(down) == [load_phrases("fr").get("misunderstood.repeat")]
    assert ends(down) == []
