"""Speculative replies: the real dialogue and booking service (SQLite), a real Piper voice, via `run_test`."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pipecat.frames.frames import Frame, TTSSpeakFrame, VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.tests.utils import SleepFrame, run_test

from booking.records import PatientDetails, RequestCategory, Status
from booking.service import BookingService
from booking.slots import SlotQuery
from tests.pipeline.conftest import open_service
from tests.pipeline.test_dialogue_processor import once, said, sent
from tests.pipeline.test_services import FakeRecognizer, GaugedSTT, GaugeStep, QuietGauge
from tests.pipeline.test_voice_call import LoopbackTransport
from voicebot.pipeline import Engines, build_pipeline
from voicebot.pipeline.dialogue_processor import DialogueProcessor
from voicebot.pipeline.speculation import ReadOnlyPort, Speculator, WouldWrite, first_clause
from voicebot.speech.models import PIPER_ENGLISH
from voicebot.speech.stt import Transcript
from voicebot.speech.tts import PiperSynthesizer

REQUEST = "je voudrais un rendez-vous avec le docteur Martin mardi"
TO_THE_READ_BACK = [REQUEST, "le premier", "Chloé Petit", "le 5 mai 1990", "oui"]
"""The turns of a booking up to the read-back ("Je récapitule : ... C'est bien ça ?")."""
CALLER = "+33612345678"


@pytest.fixture
def french(tmp_path: Path) -> tuple[BookingService, datetime]:
    return open_service(tmp_path, "fr")


@pytest.fixture
def voice() -> PiperSynthesizer:
    """The English Piper voice reading French (cheap; the words do not matter), its lead-ins cached as `serve`
    prerenders them."""
    synthesizer = PiperSynthesizer(PIPER_ENGLISH, "fr", noise=False)
    synthesizer.prerender([])
    return synthesizer


def transcript(text: str) -> Transcript:
    return Transcript(text, -0.1, 0.01, 0.01, 1.0)


class Call:
    """A dialogue adapter with its speculator, as `build_pipeline` wires them."""

    def __init__(self, service: BookingService, now: datetime, voice: PiperSynthesizer) -> None:
        self.service = service
        self.dialogue = DialogueProcessor(service, lambda: now, locale="fr", caller_id=CALLER)
        self.results: list[bool] = []
        self.speculator = Speculator(self.dialogue, voice, service, lambda: now, on_result=self.results.append)
        self.dialogue.on_step = self.speculator.stepped
        self.booked_while_guessing: list[int] = []

    def guess(self, text: str) -> Iterator[Frame]:
        """Once the dialogue listens, an early transcript of `text`, then a pause until its reply is prepared."""
        yield from once(lambda: self.dialogue.turn.listening)
        self.speculator.offer(transcript(text))
        yield from once(lambda: not self.speculator.preparing)
        self.booked_while_guessing.append(len(self.service.list_appointments(status=Status.BOOKED)))

    def turn(self, text: str) -> Iterator[Frame]:
        """The caller's real turn, then a pause until the dialogue has answered it."""
        steps = len(self.dialogue.transcript)
        yield from once(lambda: self.dialogue.turn.listening)
        yield from said(text)
        yield from once(lambda: len(self.dialogue.transcript) > steps + 1)

    def run(self, *parts: Iterator[Frame]) -> list[str]:
        """The frames of `parts`; what the bot said."""
        down, _ = asyncio.run(run_test(self.dialogue, frames_to_send=sent([SleepFrame(0.1)], *parts)))  # type: ignore[arg-type]
        return [f.text for f in down if isinstance(f, TTSSpeakFrame)]


def counts(speculator: Speculator) -> tuple[int, int, int]:
    return speculator.made, speculator.used, speculator.dropped


def reply_to(spoken: list[str], prompt: str) -> str:
    """What the bot said first after `prompt`."""
    return spoken[spoken.index(prompt) + 1]


def test_the_read_only_port_reads_and_refuses_every_write(french: tuple[BookingService, datetime]) -> None:
    service, now = french
    patient = PatientDetails("Chloé", "Petit", date(1990, 5, 5), CALLER)
    query = SlotQuery("consultation", ("martin",), first_day=now.date() + timedelta(days=3), limit=3)
    slot, later = service.find_slots(query, now)[:2]
    booked = service.book(slot, patient, now)
    port = ReadOnlyPort(service)
    assert port.clinic() == service.clinic()
    assert port.find_slots(query, now) == service.find_slots(query, now)
    [found] = port.find_patients(last_name="Petit", birth_date=date(1990, 5, 5))
    assert found.id == booked.patient_id
    assert [a.reference for a in port.upcoming(booked.patient_id, now)] == [booked.reference]
    writes: list[Any] = [
        lambda: port.book(later, patient, now),
        lambda: port.cancel(booked.reference, now),
        lambda: port.reschedule(booked.reference, later, now),
        lambda: port.leave_request(RequestCategory.RENEWAL, patient, now),
    ]
    for write in writes:
        with pytest.raises(WouldWrite):
            write()
    assert [a.reference for a in service.list_appointments(status=Status.BOOKED)] == [booked.reference]
    assert service.list_requests() == []


@pytest.mark.models
def test_a_guess_the_turn_confirms_has_the_replys_first_clause_ready(
    french: tuple[BookingService, datetime], voice: PiperSynthesizer
) -> None:
    service, now = french
    call = Call(service, now, voice)
    spoken = call.run(call.guess(REQUEST), call.turn(REQUEST))
    assert counts(call.speculator) == (1, 1, 0) and call.results == [True]
    reply = reply_to(spoken, "Que puis-je faire pour vous ?")
    lead_in, clause = first_clause(voice.pieces(reply), "fr")
    assert lead_in == "J'ai de la place" and clause.startswith("mardi premier décembre")
    misses = voice.misses
    first = list(itertools.islice(voice.stream(reply), 2))  # the lead-in, then the clause it waits for
    assert [chunk.text for chunk in first] == [lead_in, clause]
    assert [chunk.compute_seconds for chunk in first] == [0.0, 0.0] and voice.misses == misses  # both from memory


@pytest.mark.models
def test_a_guess_the_final_words_contradict_is_dropped(
    french: tuple[BookingService, datetime], voice: PiperSynthesizer
) -> None:
    service, now = french
    call = Call(service, now, voice)
    spoken = call.run(call.guess(REQUEST), call.turn("je voudrais annuler mon rendez-vous"))
    assert counts(call.speculator) == (1, 0, 1) and call.results == [False]
    assert not reply_to(spoken, "Que puis-je faire pour vous ?").startswith("J'ai de la place")


@pytest.mark.models
def test_a_guess_the_caller_went_on_from_is_dropped_and_the_next_one_used(
    french: tuple[BookingService, datetime], voice: PiperSynthesizer
) -> None:
    service, now = french
    call = Call(service, now, voice)
    call.run(call.guess("je voudrais annuler"), call.guess(REQUEST), call.turn(REQUEST))
    assert counts(call.speculator) == (2, 1, 1) and call.results == [False, True]


@pytest.mark.models
def test_a_guess_that_would_book_books_nothing(
    french: tuple[BookingService, datetime], voice: PiperSynthesizer
) -> None:
    service, now = french
    call = Call(service, now, voice)
    turns = [call.turn(text) for text in TO_THE_READ_BACK]
    spoken = call.run(*turns, call.guess("oui"), call.turn("oui"))
    assert any(line.startswith("Je récapitule") for line in spoken)
    assert call.booked_while_guessing == [0]  # the guess at the read-back booked nothing
    assert counts(call.speculator) == (1, 0, 1) and call.results == [False]
    assert [a.patient.last_name for a in service.list_appointments(status=Status.BOOKED)] == ["Petit"]  # the real yes


class Release(GaugeStep):
    """An audio frame after which the recognizer's blocked guess may finish."""


class GatedSTT(GaugedSTT):
    def __init__(self, recognizer: Any, gate: threading.Event, **kwargs: Any) -> None:
        super().__init__(recognizer, **kwargs)
        self.gate = gate

    async def process_audio_frame(self, frame: Any, direction: FrameDirection) -> None:
        await super().process_audio_frame(frame, direction)
        if isinstance(frame, Release):
            self.gate.set()


class GatedRecognizer(FakeRecognizer):
    """Its early guesses finish only once the gate opens (at most 5 s)."""

    def __init__(self, gate: threading.Event, *texts: str) -> None:
        super().__init__(*texts)
        self.gate = gate

    def transcribe(self, pcm: bytes, language: str, *args: Any, **kwargs: Any) -> Transcript:
        if kwargs.get("early"):
            self.gate.wait(5.0)
        return super().transcribe(pcm, language, *args, **kwargs)


def offered(silences: Sequence[float], released_after: int) -> list[str]:
    """The early transcripts handed on, for the gauge's silence before each audio frame; the guess finishes after
    frame `released_after`."""
    gate, gauge = threading.Event(), QuietGauge()
    stt = GatedSTT(GatedRecognizer(gate, "mardi matin"), gate, language="fr", vad=gauge, early_after=0.15)
    heard: list[str] = []
    stt.on_early_transcript = lambda early: heard.append(early.text)
    steps = [(Release if i == released_after else GaugeStep)(gauge, s) for i, s in enumerate(silences)]
    frames = [VADUserStartedSpeakingFrame(), *steps, VADUserStoppedSpeakingFrame(), SleepFrame(0.3)]
    asyncio.run(run_test(stt, frames_to_send=frames))
    return heard


def test_an_early_transcript_is_handed_on_while_the_caller_stays_quiet() -> None:
    assert offered([0.0] * 5 + [0.1, 0.2, 0.3, 0.4], released_after=8) == ["mardi matin"]


def test_an_early_transcript_is_not_handed_on_once_the_caller_spoke_again() -> None:
    assert offered([0.0] * 5 + [0.1, 0.2, 0.3] + [0.0] * 3, released_after=9) == []


def test_the_builder_wires_speculation_unless_turned_off(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    engines = Engines(FakeRecognizer("oui"), {"fr": PiperSynthesizer(PIPER_ENGLISH, "fr", noise=False)})
    call = build_pipeline(LoopbackTransport(), engines, service, lambda: now, "fr", CALLER)
    assert call.speculation is not None
    assert call.stt.on_early_transcript == call.speculation.offer
    assert call.dialogue.on_step == call.speculation.stepped
    quiet = build_pipeline(LoopbackTransport(), engines, service, lambda: now, "fr", CALLER, speculate=False)
    assert quiet.speculation is None and quiet.stt.on_early_transcript is None and quiet.dialogue.on_step is None


@pytest.mark.models
def test_prefetch_renders_the_first_clause_once(voice: PiperSynthesizer) -> None:
    offer = "J'ai de la place jeudi 3 décembre à 10 h, à 10 h 20, ou à 11 h 40."
    assert voice.prefetch(offer) and not voice.prefetch(offer)  # rendered once, then kept
    misses = voice.misses
    chunks = list(voice.stream(offer))
    assert [chunk.compute_seconds == 0 for chunk in chunks] == [True, True, False]  # the lead-in and the clause
    assert voice.misses == misses + 1
