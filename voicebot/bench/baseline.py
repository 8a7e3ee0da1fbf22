"""The baseline of `voicebot bench voice --baseline`: pipecat's stock parts around our dialogue.

`build_stock_pipeline` has `build_pipeline`'s shape with pipecat 1.14's own services in place of ours:
transport in → `VADProcessor(SileroVADAnalyzer(params=VADParams()))` → `WhisperSTTService` (faster-whisper on
our local Whisper base directory, its default settings) → `UserTurnProcessor()` (its default strategies: VAD or
transcription start, Smart Turn v3 stop) → our `DialogueProcessor` → `PiperTTSService` (the English voice, or a
fetched French Piper voice) or `KokoroTTSService` (ff_siwis) → transport out. Every stock service loads its model
in its constructor, i.e. once per call, on the event loop, as pipecat builds them: that time is part of the call.
The model files are the ones we install (`voicebot.speech.models`): nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language
from pipecat.transports.base_transport import BaseTransport
from pipecat.turns.user_turn_processor import UserTurnProcessor

from dialogue.port import BookingPort
from voicebot.pipeline.builder import CallPipeline
from voicebot.pipeline.dialogue_processor import DialogueProcessor, TransferCallback
from voicebot.pipeline.stt_service import STT_SAMPLE_RATE, RecognizerSTTService

STOCK_VAD_STOP_SECS = VADParams().stop_secs
"""pipecat's default VAD stop (0.2 s), which the stock end of speech carries."""
LANGUAGES = {"fr": Language.FR, "en": Language.EN}
RATIO_KEYS = ("p50", "p95")


def stock_tts(language: str, cache: str | Path | None = None) -> TTSService:
    """The stock Piper or Kokoro service with the voice ours uses for `language` (`synthesizer_for`'s choice)."""
    from voicebot.speech.models import KOKORO_FRENCH, PIPER_ENGLISH, kokoro_paths, piper_dir, piper_voice_path
    from voicebot.speech.tts import french_piper_voice

    piper = PIPER_ENGLISH if language == "en" else french_piper_voice(cache)
    if piper is not None:
        from pipecat.services.piper.tts import PiperTTSService

        piper_voice_path(piper, cache)  # ModelMissing now, instead of the service's download
        return PiperTTSService(settings=PiperTTSService.Settings(voice=piper), download_dir=piper_dir(cache))
    from pipecat.services.kokoro.tts import KokoroTTSService

    model, voices = kokoro_paths(cache)  # given both, the service downloads nothing
    return KokoroTTSService(
        model_path=str(model),
        voices_path=str(voices),
        settings=KokoroTTSService.Settings(voice=KOKORO_FRENCH, language=Language.FR),
    )


def build_stock_pipeline(
    transport: BaseTransport,
    port: BookingPort,
    clock: Callable[[], datetime],
    locale: str | None = None,
    caller_id: str | None = None,
    *,
    on_transfer: TransferCallback | None = None,
    audio_out_sample_rate: int = 8000,
    cache: str | Path | None = None,
    observers: list[BaseObserver] | None = None,
) -> CallPipeline:
    """One call's pipeline of stock pipecat parts around our dialogue (arguments as `build_pipeline`'s;
    `cache`: the model cache directory). Its models are loaded here, for this call only.
    """
    from pipecat.services.whisper.stt import WhisperSTTService

    from voicebot.speech.models import whisper_model_dir

    language = (locale or port.clinic().practice.locale)[:2]
    stt = WhisperSTTService(
        settings=WhisperSTTService.Settings(model=str(whisper_model_dir(cache)), language=LANGUAGES[language])
    )
    dialogue = DialogueProcessor(port, clock, locale=language, caller_id=caller_id, on_transfer=on_transfer)
    vad = VADProcessor(vad_analyzer=SileroVADAnalyzer(params=VADParams()))
    tts = stock_tts(language, cache)
    pipeline = Pipeline([transport.input(), vad, stt, UserTurnProcessor(), dialogue, tts, transport.output()])
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(
            audio_in_sample_rate=STT_SAMPLE_RATE, audio_out_sample_rate=audio_out_sample_rate, enable_metrics=True
        ),
        observers=list(observers or []),
        enable_rtvi=False,
    )
    # `CallPipeline.stt` is typed for ours; the handler reads `stt.pending` only for /metrics scrapes
    return CallPipeline(worker, pipeline, dialogue, cast(RecognizerSTTService, stt), dialogue.hints)


def ratio(ours: dict[str, Any], stock: dict[str, Any]) -> dict[str, float | None]:
    """Stock over ours for the reply latency's p50 and p95 and the server's CPU seconds per call (`None` where
    either side has no value or ours is 0): above 1, ours is faster.
    """

    def over(stock_value: float | None, our_value: float | None) -> float | None:
        if stock_value is None or not our_value:
            return None
        return round(stock_value / our_value, 2)

    ours_reply, stock_reply = ours.get("reply_latency_ms") or {}, stock.get("reply_latency_ms") or {}
    result = {f"reply_latency_{key}": over(stock_reply.get(key), ours_reply.get(key)) for key in RATIO_KEYS}
    cpu = "server_cpu_seconds_per_call"
    result[cpu] = over(stock.get(cpu), ours.get(cpu))
    return result


def baseline_setup(language: str, cache: str | Path | None = None) -> dict[str, str]:
    """The result's description of the stock run (`setup.baseline`)."""
    from voicebot.speech.models import KOKORO_FRENCH, PIPER_ENGLISH
    from voicebot.speech.tts import french_piper_voice

    piper = PIPER_ENGLISH if language == "en" else french_piper_voice(cache)
    voice = f"PiperTTSService {piper}" if piper else f"KokoroTTSService {KOKORO_FRENCH}"
    return {
        "what": "each level run twice on the same server process with the same caller scripts: ours, then "
        "pipecat 1.14's stock parts around the same DialogueProcessor (`stock`; `ratio` = stock / ours)",
        "vad": f"VADProcessor(SileroVADAnalyzer(params=VADParams())): stop {STOCK_VAD_STOP_SECS} s, min volume "
        f"{VADParams().min_volume}",
        "turns": "UserTurnProcessor() with its default strategies (VAD/transcription start, Smart Turn v3.2 stop)",
        "stt": "WhisperSTTService(model=our local Whisper base directory, language) with its defaults "
        "(device auto, compute type default: float32 on CPU; faster-whisper's beam search and temperature "
        "fallback; no hotwords, no prompt)",
        "tts": f"{voice} with its defaults, on our installed model files",
        "model_loading": "per call, in the pipeline's construction on the server's event loop (pipecat's stock "
        "behaviour: each service loads its model in its constructor); included in what the callers hear, "
        "nothing excluded (pipeline_build_ms)",
    }
