"""One call's voice pipeline: transport in, VAD, recognition, turn-taking, the dialogue, synthesis, transport out.

Tuned for the phone: Silero VAD with a half-second stop (a pause inside a sentence stays one turn) during which
recognition already starts (`voicebot.pipeline.stt_service`: early recognition); an end of turn that comes
after a short pause when the words sound finished and otherwise follows the dialogue's expectation
(`voicebot.pipeline.turns`: a "yes" is answered at once, digits and names get more time); barge-in only after
a few recognised words while the bot speaks (a cough or "hm" does not cut it off; non-interruptible prompts are
never cut). While the turn ends, the reply to the early transcript is prepared (`voicebot.pipeline.speculation`).
The models are the process's shared engines; everything else is per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.transports.base_transport import BaseTransport
from pipecat.turns.user_start import MinWordsUserTurnStartStrategy
from pipecat.turns.user_turn_processor import UserTurnProcessor
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from booking.clinic import Clinic
from dialogue.port import BookingPort
from voicebot.phone.recording import RecordingPort
from voicebot.pipeline.dialogue_processor import CallHints, DialogueProcessor, TransferCallback
from voicebot.pipeline.engines import Engines
from voicebot.pipeline.latency import ReplyLatencyObserver
from voicebot.pipeline.speculation import Prefetching, Speculator
from voicebot.pipeline.stt_service import STT_SAMPLE_RATE, RecognizerSTTService
from voicebot.pipeline.tts_service import SynthesizerTTSService
from voicebot.pipeline.turns import ExpectationTurnStopStrategy
from voicebot.pipeline.vad import phone_vad
from voicebot.speech.expect import vocabulary_of

VAD_STOP_SECS = 0.5
"""Silence before the VAD reports the end of the caller's speech; the turn strategy then decides, from the words
and the expected answer, whether the turn is over (`voicebot.pipeline.turns`)."""


@dataclass
class CallPipeline:
    """One call's pipeline and the pieces a gateway may need."""

    worker: PipelineWorker
    """Run it with `WorkerRunner(handle_sigint=False).run(...)`; it ends itself after the goodbye."""
    pipeline: Pipeline
    dialogue: DialogueProcessor
    """The call's dialogue: its `outcome` and `transcript` once the call ended."""
    stt: RecognizerSTTService
    hints: CallHints
    booking: RecordingPort | None = None
    """The dialogue's booking port, which noted what the call booked, moved or cancelled and for whom."""
    latency: ReplyLatencyObserver | None = None
    """How long the caller waited for each reply."""
    speculation: Speculator | None = None
    """The replies prepared ahead of the turn's end, and their counts (`None`: none are)."""


def practice_vocabulary(clinic: Clinic, locale: str) -> list[str]:
    """Practitioner names and motif labels/keywords to bias recognition toward."""
    motifs = [m.label for m in clinic.motifs] + [k for m in clinic.motifs for k in m.keywords]
    return vocabulary_of([p.last_name for p in clinic.practitioners], motifs, locale)


def build_pipeline(
    transport: BaseTransport,
    engines: Engines,
    port: BookingPort,
    clock: Callable[[], datetime],
    locale: str | None = None,
    caller_id: str | None = None,
    *,
    on_transfer: TransferCallback | None = None,
    audio_out_sample_rate: int = 8000,
    vad_stop_secs: float = VAD_STOP_SECS,
    min_barge_in_words: int = 2,
    no_input_secs: float = 7.0,
    vocabulary: Sequence[str] | None = None,
    early_recognition: bool = True,
    speculate: bool = True,
    observers: list[BaseObserver] | None = None,
) -> CallPipeline:
    """Build one call's pipeline and its worker.

    Args:
        transport: The call's pipecat transport (Twilio websocket, SIP bridge, or a test transport).
        engines: The process's shared recognizer and synthesizers.
        port: The booking service.
        clock: Returns the current aware time (the dialogue's `now`).
        locale: "fr" or "en"; `None` = the practice's language.
        caller_id: The caller's number in E.164, or `None` when withheld.
        on_transfer: Awaited with the staff number once the words before a transfer were heard.
        audio_out_sample_rate: The transport's output rate (8 kHz for Twilio).
        vad_stop_secs: Silence before the VAD reports the end of speech.
        min_barge_in_words: Words the caller must say over the bot before it stops talking.
        no_input_secs: Silence after the bot stopped speaking before the dialogue's no-input re-prompt.
        vocabulary: Words to bias recognition toward; default: the practice's practitioners and motifs.
        early_recognition: Start recognizing when the caller goes quiet, before the VAD's end of speech
            (`voicebot.pipeline.stt_service`).
        speculate: Prepare the reply to the early transcript, ready if the turn confirms it
            (`voicebot.pipeline.speculation`; only with early recognition and a synthesizer that can prefetch).
        observers: More pipecat observers (the reply latency is always measured: `CallPipeline.latency`).
    """
    clinic = port.clinic()
    language = (locale or clinic.practice.locale)[:2]
    hints = CallHints()
    analyzer = phone_vad(vad_stop_secs)
    stt = RecognizerSTTService(
        engines.recognizer,
        language=language,
        hints=hints,
        vad=analyzer if early_recognition else None,
        vocabulary=practice_vocabulary(clinic, language) if vocabulary is None else vocabulary,
    )
    turns = UserTurnProcessor(
        user_turn_strategies=UserTurnStrategies(
            start=[MinWordsUserTurnStartStrategy(min_words=min_barge_in_words, use_interim=False)],
            stop=[ExpectationTurnStopStrategy(hints, locale=language)],
        )
    )
    booking = RecordingPort(port)
    latency = ReplyLatencyObserver(vad_stop_secs)
    dialogue = DialogueProcessor(
        booking,
        clock,
        locale=language,
        caller_id=caller_id,
        hints=hints,
        no_input_secs=no_input_secs,
        on_transfer=on_transfer,
    )
    synthesizer = engines.synthesizer(language)
    speculation = None
    if speculate and early_recognition and isinstance(synthesizer, Prefetching):
        speculation = Speculator(dialogue, synthesizer, port, clock)
        stt.on_early_transcript = speculation.offer
        dialogue.on_step = speculation.stepped
    tts = SynthesizerTTSService(synthesizer)
    vad = VADProcessor(vad_analyzer=analyzer)
    pipeline = Pipeline([transport.input(), vad, stt, turns, dialogue, tts, transport.output()])
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(
            audio_in_sample_rate=STT_SAMPLE_RATE, audio_out_sample_rate=audio_out_sample_rate, enable_metrics=True
        ),
        observers=[latency, *(observers or [])],
        enable_rtvi=False,
    )
    if speculation is not None:
        worker.add_event_handler("on_pipeline_finished", speculation.ended)
    return CallPipeline(worker, pipeline, dialogue, stt, hints, booking, latency, speculation)
