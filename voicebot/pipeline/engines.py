"""The speech engines, loaded once per process and shared by every call.

pipecat's own Whisper, Piper and Kokoro services load their model in each instance, i.e. per call; here the
recognizer and one synthesizer per language are built once (`shared_engines`) and handed to the thin
per-call services of `voicebot.pipeline.stt_service` and `voicebot.pipeline.tts_service`. The synthesizers may
keep their sentences on disk too (`use_speech_cache`), and that cache is filled in the background while the server
waits for calls (`warm_up_practice`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.pipeline.stt_service import SpeechRecognizer
from voicebot.pipeline.tts_service import StreamingSynthesizer

if TYPE_CHECKING:
    from voicebot.speech.speech_cache import SpeechCache
    from voicebot.speech.speech_warmup import Practice, SpeechWarmup


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
    speech_cache: SpeechCache | None = None
    """The synthesizers' sentences on disk, across restarts (`None`: in memory only)."""
    warmups: list[SpeechWarmup] = field(default_factory=list)
    """The background warm-ups started (`warm_up_practice`)."""

    def synthesizer(self, language: str) -> StreamingSynthesizer:
        """The voice for `language` ("fr-FR" is "fr").

        Raises:
            KeyError: when no voice of that language was loaded.
        """
        return self.synthesizers[language[:2]]

    def use_speech_cache(self, cache: SpeechCache | None) -> None:
        """Keep every synthesizer's sentences in `cache` too (`None`: memory only); before `prerender`, so that the
        fixed prompts come from disk after a restart.
        """
        from voicebot.speech.tts import CachingSynthesizer

        for synthesizer in self.synthesizers.values():
            if isinstance(synthesizer, CachingSynthesizer):
                synthesizer.disk = cache
        self.speech_cache = cache

    def warm_up_practice(self, practice: Practice, now: datetime) -> SpeechWarmup | None:
        """Start rendering, into the disk cache, what the practice's voice will often say (`practice_pieces`: its
        names and motifs, the coming days' offers), yielding to calls; `None` without a disk cache.
        """
        from voicebot.speech.speech_warmup import SpeechWarmup, practice_pieces
        from voicebot.speech.tts import CachingSynthesizer

        synthesizer = self.synthesizers.get(practice.clinic().practice.locale[:2])
        if self.speech_cache is None or not isinstance(synthesizer, CachingSynthesizer):
            return None
        recognizer = self.recognizer
        pieces = practice_pieces(synthesizer.pieces, practice, now)
        warmup = SpeechWarmup(synthesizer, pieces, busy=lambda: bool(getattr(recognizer, "busy", False))).start()
        self.warmups.append(warmup)
        return warmup

    def sentence_counts(self) -> tuple[int, int]:
        """The calls' sentences said from the synthesizers' caches (memory or disk) and those rendered, all
        voices together (the warm-up's renders are not counted).
        """
        counted = [s for s in self.synthesizers.values() if hasattr(s, "hits") and hasattr(s, "misses")]
        return sum(int(s.hits) for s in counted), sum(int(s.misses) for s in counted)

    def stop_background(self) -> None:
        """Stop the warm-ups (a piece being rendered is finished) and write the disk cache's counters out."""
        for warmup in self.warmups:
            warmup.stop()
        self.warmups.clear()
        if self.speech_cache is not None:
            self.speech_cache.close()


def load_engines(
    languages: Sequence[str] = ("fr", "en"),
    *,
    cache: str | Path | None = None,
    prerender: Iterable[str] = (),
    warm_up: bool = True,
    speech_cache: SpeechCache | None = None,
) -> Engines:
    """Load the real models: Whisper, and one voice per language (Piper or Kokoro, see `synthesizer_for`).

    Args:
        languages: The languages calls may use.
        cache: The model cache (default: `voicebot.speech.models.cache_dir()`).
        prerender: Fixed phrases (greeting, re-prompts) synthesised now, in every language's voice that
            speaks them, so calls replay them at once.
        warm_up: Run one recognition on silence (the first inference is slower).
        speech_cache: Where the synthesizers keep their sentences on disk too (`None`: memory only).
    """
    from voicebot.speech.stt import Recognizer
    from voicebot.speech.tts import synthesizer_for

    started = time.perf_counter()
    recognizer = Recognizer(cache=cache)
    if warm_up:
        recognizer.warm_up()
    synthesizers = {lang[:2]: synthesizer_for(lang[:2], cache) for lang in languages}
    engines = Engines(recognizer, dict(synthesizers))
    engines.use_speech_cache(speech_cache)
    phrases = list(prerender)
    if phrases:
        for synthesizer in synthesizers.values():
            synthesizer.prerender(phrases)
    engines.load_seconds = time.perf_counter() - started
    return engines


_shared: Engines | None = None
_shared_lock = threading.Lock()


def shared_engines(loader: Callable[[], Engines] = load_engines) -> Engines:
    """The process's engines, loaded by `loader` on the first call only (thread-safe)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = loader()
        return _shared


def stop_shared_background() -> None:
    """At shutdown: stop the shared engines' background work (`Engines.stop_background`), if they were loaded."""
    with _shared_lock:
        engines = _shared
    if engines is not None:
        engines.stop_background()


def reset_shared_engines() -> None:
    """Forget the process's engines (tests; a reload after the models changed)."""
    global _shared
    with _shared_lock:
        _shared = None
