"""The STT and TTS adapters with small real fakes of the speech engines (no models loaded)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    InputAudioRawFrame,
    OutputAudioRawFrame,
    StartFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameDirection
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import TransportParams

from dialogue.actions import Detail, ExpectKind
from voicebot.pipeline.dialogue_processor import VOICE_METADATA, CallHints
from voicebot.pipeline.stt_service import MEANING_STOP, RecognizerSTTService
from voicebot.pipeline.tts_service import SynthesizerTTSService
from voicebot.speech.candidates import Rule
from voicebot.speech.fair_queue import SlotRefused
from voicebot.speech.stt import Transcript
from voicebot.speech.tts import AudioChunk


class FakeRecognizer:
    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        """What it hears, one text per call (the last one again once they are used up)."""
        self.calls: list[tuple[int, str, str | None, int, str]] = []
        self.candidates: list[tuple[str, ...]] = []
        self.nearby: list[Callable[[Sequence[str]], Sequence[str]] | None] = []
        self.spelled: list[Callable[[Sequence[str]], Sequence[str]] | None] = []
        self.turns: list[tuple[float | None, bool]] = []
        """Each call's priority and whether it was an early guess."""

    def transcribe(
        self,
        pcm: bytes,
        language: str,
        prompt: str | None = None,
        hotwords: Sequence[str] = (),
        *,
        sample_rate: int = 16000,
        candidates: Sequence[str] = (),
        nearby: Callable[[Sequence[str]], Sequence[str]] | None = None,
        rule: Rule | None = None,
        spelled: Callable[[Sequence[str]], Sequence[str]] | None = None,
        priority: float | None = None,
        early: bool = False,
    ) -> Transcript:
        self.turns.append((priority, early))
        self.nearby.append(nearby)
        self.spelled.append(spelled)
        self.calls.append((len(pcm), language, prompt, sample_rate, threading.current_thread().name))
        self.candidates.append(tuple(candidates))
        text = self.texts[min(len(self.calls), len(self.texts)) - 1]
        return Transcript(text, -0.1, 0.01, 0.01, len(pcm) / 2 / sample_rate)


class FakeSynthesizer:
    sample_rate = 22050

    def __init__(self) -> None:
        self.threads: list[str] = []

    def stream(self, text: str) -> Iterator[AudioChunk]:
        for sentence in text.split(". "):
            self.threads.append(threading.current_thread().name)
            tone = (np.sin(np.arange(self.sample_rate // 2) / 5) * 8000).astype(np.int16)  # half a second
            yield AudioChunk(tone.tobytes(), self.sample_rate, sentence)


def test_stt_transcribes_segment_in_thread_with_expectation_prompt() -> None:
    recognizer = FakeRecognizer("mardi")
    hints = CallHints(expect=ExpectKind.DATE, question="Quel jour vous arrangerait ?")
    stt = RecognizerSTTService(recognizer, language="fr", hints=hints, vocabulary=["docteur Martin"])
    audio = [InputAudioRawFrame(bytes(640), 16000, 1) for _ in range(25)]  # half a second of 16 kHz audio
    frames = [VADUserStartedSpeakingFrame(), *audio, VADUserStoppedSpeakingFrame(), SleepFrame(0.3)]
    down, _ = asyncio.run(run_test(stt, frames_to_send=frames))
    transcriptions = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [t.text for t in transcriptions] == ["mardi"]
    assert isinstance(transcriptions[0].result, Transcript)
    assert len(recognizer.calls) == 1
    size, language, prompt, rate, thread = recognizer.calls[0]
    assert language == "fr" and rate == 16000 and size >= 16000  # the segment (plus trailing silence)
    assert prompt is not None and "mardi" in prompt and "docteur Martin" in prompt
    assert prompt.endswith("Quel jour vous arrangerait ?")
    assert thread != threading.main_thread().name


def test_stt_says_nothing_for_silence() -> None:
    stt = RecognizerSTTService(FakeRecognizer(""), language="en")
    frames = [
        VADUserStartedSpeakingFrame(),
        InputAudioRawFrame(bytes(640), 16000, 1),
        VADUserStoppedSpeakingFrame(),
        SleepFrame(0.2),
    ]
    down, _ = asyncio.run(run_test(stt, frames_to_send=frames))
    assert not [f for f in down if isinstance(f, TranscriptionFrame)]


def test_tts_streams_sentences_at_output_rate_from_thread() -> None:
    synthesizer = FakeSynthesizer()
    tts = SynthesizerTTSService(synthesizer)
    params = PipelineParams(audio_out_sample_rate=8000)
    down, _ = asyncio.run(
        run_test(
            tts, frames_to_send=[TTSSpeakFrame("Hello. How can I help you?"), SleepFrame(0.5)], pipeline_params=params
        )
    )
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert audio and {f.sample_rate for f in audio} == {8000}
    seconds = sum(len(f.audio) for f in audio) / 2 / 8000
    assert 0.9 <= seconds <= 1.1  # two half-second sentences, resampled
    assert len(synthesizer.threads) == 2 and threading.main_thread().name not in synthesizer.threads


class QuietGauge:
    """The VAD's view that early recognition reads: how long the caller has been quiet, and whether a voice is
    heard (set by the test between frames)."""

    def __init__(self) -> None:
        self.silence_seconds = 0.0
        self.speaking = True
        self.ended_soon: list[float] = []
        """Each `end_soon` asked of the VAD (a turn ended by its meaning)."""

    def end_soon(self, quiet: float) -> None:
        self.ended_soon.append(quiet)


class GaugeStep(InputAudioRawFrame):
    """An audio frame that sets the gauge when the service receives it (the VAD runs just before it)."""

    def __init__(self, gauge: QuietGauge, silence: float) -> None:
        super().__init__(bytes(640), 16000, 1)
        self.gauge, self.silence = gauge, silence


class GaugedSTT(RecognizerSTTService):
    async def process_audio_frame(self, frame: InputAudioRawFrame, direction: FrameDirection) -> None:
        if isinstance(frame, GaugeStep):
            frame.gauge.silence_seconds, frame.gauge.speaking = frame.silence, frame.silence == 0
        await super().process_audio_frame(frame, direction)


def run_gauged(steps: list[float]) -> tuple[FakeRecognizer, GaugedSTT, list[str]]:
    """Speech frames with the gauge's silence before each, then the VAD's end of speech."""
    recognizer, gauge = FakeRecognizer("mardi matin"), QuietGauge()
    stt = GaugedSTT(recognizer, language="fr", vad=gauge, early_after=0.15)
    frames = [
        VADUserStartedSpeakingFrame(),
        *(GaugeStep(gauge, s) for s in steps),
        VADUserStoppedSpeakingFrame(),
        SleepFrame(0.3),
    ]
    down, _ = asyncio.run(run_test(stt, frames_to_send=frames))
    return recognizer, stt, [f.text for f in down if isinstance(f, TranscriptionFrame)]


def test_early_recognition_is_the_segments_transcript_when_the_caller_stays_quiet() -> None:
    recognizer, stt, texts = run_gauged([0.0] * 10 + [0.05, 0.1, 0.16, 0.2, 0.3, 0.4, 0.5])
    assert texts == ["mardi matin"]
    assert len(recognizer.calls) == 1 and stt.early_used == 1
    # the guess started at 0.16 s of quiet: 13 frames of 20 ms heard, plus the trailing silence
    assert recognizer.calls[0][0] == 13 * 640 + int(16000 * 0.5) * 2


def test_early_recognition_is_dropped_when_the_caller_speaks_again() -> None:
    recognizer, stt, texts = run_gauged([0.0] * 5 + [0.1, 0.2, 0.3] + [0.0] * 5 + [0.1])
    assert texts == ["mardi matin"]
    assert stt.early_used == 0
    assert [call[0] for call in recognizer.calls] == [  # the dropped guess, then the whole segment at the stop
        7 * 640 + int(16000 * 0.5) * 2,
        14 * 640 + int(16000 * 0.5) * 2,
    ]


def test_early_recognition_guesses_again_after_the_caller_went_on() -> None:
    recognizer, stt, texts = run_gauged([0.0] * 5 + [0.1, 0.2, 0.3] + [0.0] * 5 + [0.1, 0.2, 0.3, 0.4])
    assert texts == ["mardi matin"]
    assert stt.early_used == 1
    assert [call[0] for call in recognizer.calls] == [7 * 640 + int(16000 * 0.5) * 2, 15 * 640 + int(16000 * 0.5) * 2]


@pytest.mark.parametrize(
    ("expect", "heard", "ends"),
    [
        (ExpectKind.YES_NO, "Oui.", True),
        (ExpectKind.NAME, "Jean Dupont.", True),
        (ExpectKind.DATE, "Mardi 8 décembre.", True),
        (ExpectKind.DATE, "Mardi, à", False),  # unfinished
        (ExpectKind.DATE, "Demain", False),  # a time may follow
        (ExpectKind.DIGITS, "06 12 34", False),  # digits come in groups with pauses
        (ExpectKind.SPELLING, "D, U, P", False),
    ],
)
def test_an_early_transcript_that_is_a_whole_answer_ends_the_pause_sooner(
    expect: ExpectKind, heard: str, ends: bool
) -> None:
    recognizer, gauge = FakeRecognizer(heard), QuietGauge()
    stt = GaugedSTT(recognizer, language="fr", vad=gauge, hints=CallHints(expect=expect), early_after=0.15)
    frames = [VADUserStartedSpeakingFrame(), *(GaugeStep(gauge, s) for s in [0.0] * 5 + [0.1, 0.16, 0.2])]
    asyncio.run(run_test(stt, frames_to_send=[*frames, SleepFrame(0.2), VADUserStoppedSpeakingFrame()]))
    assert gauge.ended_soon == ([MEANING_STOP] if ends else [])
    assert stt.ended_by_meaning == int(ends) and stt.early_used == 1


def test_no_early_recognition_while_the_recognizer_is_busy() -> None:
    class BusyRecognizer(FakeRecognizer):
        busy = True

    recognizer, gauge = BusyRecognizer("oui"), QuietGauge()
    stt = GaugedSTT(recognizer, language="fr", vad=gauge)
    frames = [
        VADUserStartedSpeakingFrame(),
        *(GaugeStep(gauge, s) for s in [0.0, 0.2, 0.3, 0.4]),
        VADUserStoppedSpeakingFrame(),
        SleepFrame(0.3),
    ]
    down, _ = asyncio.run(run_test(stt, frames_to_send=frames))
    assert [f.text for f in down if isinstance(f, TranscriptionFrame)] == ["oui"]
    assert stt.early_used == 0 and len(recognizer.calls) == 1


def test_early_guess_asks_for_an_idle_model_and_the_segment_for_its_turn_by_end_time() -> None:
    started = time.monotonic()
    recognizer, stt, texts = run_gauged([0.0] * 5 + [0.1, 0.2, 0.3] + [0.0] * 5 + [0.1])
    assert texts == ["mardi matin"]
    (guess_priority, guess_early), (priority, early) = recognizer.turns
    assert guess_early and guess_priority is None  # the dropped guess
    assert not early and priority is not None and started < priority < time.monotonic()  # the segment's end


def test_a_refused_guess_leaves_the_segment_to_the_final_path() -> None:
    class Refusing(FakeRecognizer):
        """Refuses every guess, as the shared recognizer does while another call's turn waits."""

        def transcribe(self, pcm: bytes, language: str, *args: Any, **kwargs: Any) -> Transcript:
            if kwargs.get("early"):
                raise SlotRefused("busy")
            return super().transcribe(pcm, language, *args, **kwargs)

    recognizer, gauge = Refusing("oui"), QuietGauge()
    stt = GaugedSTT(recognizer, language="fr", vad=gauge)
    frames = [
        VADUserStartedSpeakingFrame(),
        *(GaugeStep(gauge, s) for s in [0.0, 0.2, 0.3, 0.4]),
        VADUserStoppedSpeakingFrame(),
        SleepFrame(0.3),
    ]
    down, _ = asyncio.run(run_test(stt, frames_to_send=frames))
    assert [f.text for f in down if isinstance(f, TranscriptionFrame)] == ["oui"]
    assert stt.early_refused == 1 and stt.early_used == 0 and stt.pending == 0
    assert len(recognizer.calls) == 1 and recognizer.turns[0][0] is not None  # the final, with its end time


def test_stt_scores_the_expected_answers_and_numbers_the_voices() -> None:
    recognizer, gauge = FakeRecognizer("oui", "", "non"), QuietGauge()
    hints = CallHints(expect=ExpectKind.YES_NO, answers=("oui", "non"))
    stt = GaugedSTT(recognizer, language="fr", hints=hints, vad=gauge)

    def voice(silences: list[float]) -> list[Frame]:
        return [VADUserStartedSpeakingFrame(), *(GaugeStep(gauge, s) for s in silences), VADUserStoppedSpeakingFrame()]

    frames = [*voice([0.0, 0.2, 0.3]), SleepFrame(0.2), *voice([0.0] * 3), SleepFrame(0.2), *voice([0.0] * 3)]
    down, _ = asyncio.run(run_test(stt, frames_to_send=[*frames, SleepFrame(0.3)]))
    heard = [(f.text, f.metadata.get(VOICE_METADATA)) for f in down if isinstance(f, TranscriptionFrame)]
    assert heard == [("oui", 1), ("non", 3)]  # the first one guessed early; the second voice had no words
    assert stt.early_used == 1
    assert recognizer.candidates == [("oui", "non")] * 3


def test_stt_offers_common_names_near_what_was_heard_only_at_a_name_question_or_its_correction() -> None:
    recognizer = FakeRecognizer("Cloi petit")
    asked = [
        CallHints(expect=ExpectKind.NAME, guess=Detail.NAME),
        CallHints(
            expect=ExpectKind.DATE, corrects=Detail.NAME, refused=("Claire Petit",)
        ),  # "Claire Petit, c'est noté."
        CallHints(expect=ExpectKind.NAME, guess=Detail.FIRST_NAME),  # "Et son prénom ?"
        CallHints(expect=ExpectKind.YES_NO),
    ]
    for hints in asked:
        gauge = QuietGauge()
        stt = GaugedSTT(recognizer, language="fr", hints=hints, vad=gauge)
        speech = [VADUserStartedSpeakingFrame(), GaugeStep(gauge, 0.0), VADUserStoppedSpeakingFrame()]
        asyncio.run(run_test(stt, frames_to_send=[*speech, SleepFrame(0.2)]))
    at_name, at_correction, at_first_name, at_yes_no = recognizer.nearby
    assert at_name is not None and "Chloé Petit" in at_name(["Cloi petit."])
    assert at_correction is not None and "non, Chloé Petit" in at_correction(["Non, Cloi petit."])
    assert at_correction(["Le 14 juillet 1982."]) == []  # the question answered: no names
    assert not any("Claire Petit" in name for name in at_correction(["Non, Cloi petit."]))  # refused
    assert at_first_name is not None and at_first_name(["Cloi."]) and at_first_name(["Cloi."])[0] == "Chloé"
    assert at_yes_no is None


def test_stt_offers_surnames_to_spell_only_at_the_spelling_question() -> None:
    recognizer = FakeRecognizer("Elle a envie de reerter.")
    asked = [
        CallHints(expect=ExpectKind.SPELLING, refused=("Marie Lombard",)),  # "Pouvez-vous m'épeler le nom ?"
        CallHints(expect=ExpectKind.NAME, guess=Detail.NAME),
    ]
    for hints in asked:
        gauge = QuietGauge()
        stt = GaugedSTT(recognizer, language="fr", hints=hints, vad=gauge)
        speech = [VADUserStartedSpeakingFrame(), GaugeStep(gauge, 0.0), VADUserStoppedSpeakingFrame()]
        asyncio.run(run_test(stt, frames_to_send=[*speech, SleepFrame(0.2)]))
    at_spelling, at_name = recognizer.spelled[-2:]
    assert at_spelling is not None and "Lambert" in at_spelling(["LMBRT"])  # near the refused Lombard
    assert at_name is None


class SilentLine(BaseOutputTransport):
    """pipecat's output transport over a line that takes every frame at once."""

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        return True


def test_each_spoken_text_ends_in_one_bot_stop_upstream() -> None:
    # what the dialogue adapter counts (`TurnState.unheard`): one stop per `TTSSpeakFrame`, however many sentences
    line = SilentLine(TransportParams(audio_out_enabled=True, audio_out_sample_rate=8000))
    pipeline = Pipeline([SynthesizerTTSService(FakeSynthesizer()), line])
    frames = [TTSSpeakFrame("Mardi 8 décembre. À 10 h 30."), TTSSpeakFrame("C'est bien ça ?"), SleepFrame(0.5)]
    params = PipelineParams(audio_out_sample_rate=8000)
    _, up = asyncio.run(run_test(pipeline, frames_to_send=frames, pipeline_params=params))
    bot = [type(f) for f in up if isinstance(f, (BotStartedSpeakingFrame, BotStoppedSpeakingFrame))]
    assert bot == [BotStartedSpeakingFrame, BotStoppedSpeakingFrame] * 2


class Sentences:
    """A synthesizer of the given sentence lengths (seconds), in order."""

    sample_rate = 8000

    def __init__(self, *seconds: float) -> None:
        self.seconds = seconds

    def stream(self, text: str) -> Iterator[AudioChunk]:
        for length in self.seconds:
            yield AudioChunk(bytes(int(length * self.sample_rate) * 2), self.sample_rate, text)


def _played(*seconds: float) -> list[float]:
    """The lengths (seconds) of the pieces of audio the service lets play, in order."""

    async def collect() -> list[float]:
        tts = SynthesizerTTSService(Sentences(*seconds))
        return [len(pcm) / 2 / 8000 async for pcm in tts._chunks("text")]

    return asyncio.run(collect())


def test_a_short_lead_in_waits_for_the_next_sentence_so_no_pause_follows_it() -> None:
    assert _played(0.8, 3.0, 1.0) == [3.8, 1.0]  # "Je récapitule :" plays with the clause, not before it
    assert _played(2.0, 0.5) == [2.0, 0.5]  # a sentence long enough plays at once
    assert _played(0.6) == [0.6]  # and a short one alone is not held back
