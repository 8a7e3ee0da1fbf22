"""End of the caller's turn: finished-sounding words end it at a short pause, unfinished ones wait for more."""

from __future__ import annotations

import asyncio

from pipecat.frames.frames import (
    Frame,
    TranscriptionFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_start import VADUserTurnStartStrategy
from pipecat.turns.user_turn_processor import UserTurnProcessor
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from dialogue.actions import ExpectKind
from voicebot.pipeline.dialogue_processor import CallHints
from voicebot.pipeline.turns import ExpectationTurnStopStrategy


def segment(text: str, pause: float) -> list[Frame]:
    """One stretch of speech as the VAD and the recognizer report it, then `pause` seconds of silence."""
    return [
        VADUserStartedSpeakingFrame(),
        SleepFrame(0.05),
        VADUserStoppedSpeakingFrame(stop_secs=0.4),
        TranscriptionFrame(text, "caller", "t", finalized=True),
        SleepFrame(pause),
    ]


def turns_ended(expect: ExpectKind, frames: list[Frame], locale: str = "fr") -> int:
    hints = CallHints(expect=expect)
    processor = UserTurnProcessor(
        user_turn_strategies=UserTurnStrategies(
            start=[VADUserTurnStartStrategy()], stop=[ExpectationTurnStopStrategy(hints, locale=locale)]
        )
    )
    down, _ = asyncio.run(run_test(processor, frames_to_send=frames))
    return sum(isinstance(f, UserStoppedSpeakingFrame) for f in down)


def test_a_pause_after_unfinished_words_keeps_one_turn() -> None:
    # "je voudrais voir le … docteur Martin mardi": the caller looks for a word for 0.3 s.
    frames = segment("je voudrais voir le", 0.3) + segment("docteur Martin mardi", 1.2)
    assert turns_ended(ExpectKind.FREE, frames) == 1


def test_finished_words_end_the_turn_at_the_short_pause() -> None:
    # "oui" then, 0.3 s later, more words: the "oui" was already answered as a turn of its own.
    frames = segment("oui", 0.3) + segment("c'est bien ça", 1.0)
    assert turns_ended(ExpectKind.YES_NO, frames) == 2


def test_unfinished_words_end_the_turn_once_the_patience_is_spent() -> None:
    frames = segment("I'd like to see Dr Patel on", 1.5)
    assert turns_ended(ExpectKind.FREE, frames, "en") == 1


def test_names_always_get_the_full_patience() -> None:
    frames = segment("Dupont", 0.4) + segment("D U P O N T", 1.6)
    assert turns_ended(ExpectKind.NAME, frames) == 1
