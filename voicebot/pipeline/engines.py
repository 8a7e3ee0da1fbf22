"""The speech engines, loaded once per process and shared by every call.

pipecat's own Whisper, Piper and Kokoro services load their model in each instance, i.e. per call; here the
recognizer and one synthesizer per language are built once (`shared_engines`) and handed to the thin
per-call services of `voicebot.pipeline.stt_service` and `voicebot.pipeline.tts_service`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voicebot.pipeline.stt_service import SpeechRecognizer
from voicebot.pipeline.tts_service import StreamingSynthesizer


@dataclass
class Engines:
    """The process's recognizer and synthesizers."""

    recognizer: SpeechRecognizer
    synthesizers: dict[str, StreamingSynthesizer]
    """By language ("fr", "en")."""
    load_seconds: float = 0.0
    """Time spent loading (and warming up) the models."""
    vocabulary: list[str] = field(default_factory=list)
    """Practice words the recognizer is biased toward (practitioner names, motifs)."""

    def synthesizer(self, language: str) -> StreamingSynthesizer:
        """The voice for `language` ("fr-FR" is "fr").

        Raises:
            KeyError: when no voice of that language was loaded.
        """
        return self.synthesizers[language[:2]]


def load_engines(
    languages: Sequence[str] = ("fr", "en"),
    *,
    cache: str | Path | None = None,
    prerender: Iterable[str] = (),
    warm_up: bool = True,
) -> Engines:
    """Load the real models: Whisper, and one voice per language (Piper or Kokoro, see `synthesizer_for`).

    Args:
        languages: The languages calls may use.
        cache: The model cache (default: `voicebot.speech.models.cache_dir()`).
        prerender: Fixed phrases (greeting, re-prompts) synthesised now, in every language's voice that
            speaks them, so calls replay them at once.
        warm_up: Run one recognition on silence (the first inference is slower).
    """
    from voicebot.speech.stt import Recognizer
    from voicebot.speech.tts import synthesizer_for

    started = time.perf_counter()
    recognizer = Recognizer(cache=cache)
    if warm_up:
        recognizer.warm_up()
    synthesizers = {lang[:2]: synthesizer_for(lang[:2], cache) for lang in languages}
    phrases = list(prerender)
    if phrases:
        for synthesizer in synthesizers.values():
            synthesizer.prerender(phrases)
    return Engines(recognizer, dict(synthesizers), time.perf_counter() - started)


_shared: Engines | None = None
_shared_lock = threading.Lock()


def shared_engines(loader: Callable[[], Engines] = load_engines) -> Engines:
    """The process's engines, loaded by `loader` on the first call only (thread-safe)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = loader()
        return _shared


def reset_shared_engines() -> None:
    """Forget the process's engines (tests; a reload after the models changed)."""
    global _shared
    with _shared_lock:
        _shared = None
