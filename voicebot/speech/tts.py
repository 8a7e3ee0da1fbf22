"""Speech synthesis: Kokoro (the French voice ff_siwis) and Piper (English, and French when a voice is fetched).

One synthesiser per process, shared by every call. Text is normalised for speech first (`spoken.speakable`),
then synthesised sentence by sentence: `stream` yields each sentence's audio as soon as it is ready, so the
first words play while the rest is computed. Rendered sentences are kept in an LRU cache (a greeting, a
re-prompt, "D'accord." come back often), and `prerender` fills it with the fixed prompts at start-up. With a
disk cache (`CachingSynthesizer.disk`, `voicebot.speech.speech_cache`) they also survive restarts, keyed by
`cache_identity` (engine, voice, model files) and the text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from voicebot.speech.audio import silence, to_float32, to_int16
from voicebot.speech.models import KOKORO_FRENCH, PIPER_ENGLISH, kokoro_paths, piper_voice_path, piper_voices
from voicebot.speech.speech_cache import SentenceMemory, SpeechCache, file_identity, speech_key
from voicebot.speech.spoken import LEAD_INS, speakable, split_lead_in, split_sentences

if TYPE_CHECKING:
    import onnxruntime

PEAK = 0.9
"""Every sentence is scaled to this peak (as Piper does), leaving mu-law a little headroom."""
PIPER_NOISE = True
"""Whether Piper voices draw their sampling noise when not told otherwise (`noise=None`). The tests set it
False for their whole process (tests/speech/shared.py), so the bot's lines are the same on every run."""


@dataclass(frozen=True)
class AudioChunk:
    """Synthesised speech: mono int16 PCM."""

    pcm: bytes
    """Little-endian int16 samples."""
    sample_rate: int
    text: str = ""
    """What it says (after normalisation)."""
    compute_seconds: float = 0.0
    """Time spent synthesising it (0 when it came from the cache)."""

    @property
    def seconds(self) -> float:
        """Length of the audio."""
        return len(self.pcm) / 2 / self.sample_rate


@runtime_checkable
class Synthesizer(Protocol):
    """What the voice pipeline needs from a text-to-speech engine."""

    language: str
    sample_rate: int

    def synthesize(self, text: str) -> AudioChunk:
        """All of `text` as one chunk."""
        ...

    def stream(self, text: str) -> Iterator[AudioChunk]:
        """`text` sentence by sentence, each chunk as soon as it is ready."""
        ...

    def prerender(self, phrases: Iterable[str]) -> float:
        """Synthesise fixed phrases into the cache; returns the seconds it took."""
        ...


class CachingSynthesizer:
    """Normalisation, sentence splitting, pauses and the sentence caches; subclasses only `render` one piece.

    A sentence comes from memory, else from the disk cache (`disk`, when set: it survives restarts), else it is
    rendered and kept in both.

    Args:
        language: "fr" or "en": how text is normalised.
        sample_rate: Rate of the audio `render` returns.
        cache_bytes: Memory budget of the LRU sentence cache (prerendered phrases are kept apart, never evicted).
        pause: Seconds of silence after a sentence (the models trim their own).
    """

    def __init__(self, language: str, sample_rate: int, cache_bytes: int = 64 << 20, pause: float = 0.25) -> None:
        self.language = language
        self.sample_rate = sample_rate
        self.cache_bytes = cache_bytes
        self.pause = pause
        self.disk: SpeechCache | None = None
        """The sentences on disk, shared with other processes and restarts (`None`: memory only)."""
        self._memory = SentenceMemory(cache_bytes)
        self._lock = threading.Lock()
        self._rendering = 0
        self._rendered_at = float("-inf")
        self._identity: str | None = None
        self.hits = 0
        self.misses = 0

    def render(self, sentence: str) -> np.ndarray:
        """Synthesise one normalised sentence (samples at `sample_rate`, int16 or float)."""
        raise NotImplementedError

    def cache_identity(self) -> str:
        """What, beside the text, decides the audio (engine, voice, model files, pauses): part of the disk key."""
        return f"{type(self).__name__}|{self.language}|pause={self.pause}|peak={PEAK}"

    def pieces(self, text: str) -> list[str]:
        """The normalised sentences (and clauses) of `text`, in the order they are spoken."""
        return split_lead_in(split_sentences(speakable(text, self.language)), self.language)

    def stream(self, text: str) -> Iterator[AudioChunk]:
        """`text` sentence by sentence, each chunk as soon as it is ready (cached ones at once)."""
        for piece in self.pieces(text):
            yield self._piece(piece)

    def synthesize(self, text: str) -> AudioChunk:
        """All of `text` as one chunk."""
        chunks = list(self.stream(text))
        return AudioChunk(
            b"".join(c.pcm for c in chunks),
            self.sample_rate,
            " ".join(c.text for c in chunks),
            sum(c.compute_seconds for c in chunks),
        )

    def prerender(self, phrases: Iterable[str]) -> float:
        """Synthesise fixed phrases once into the pinned cache (from disk when there); returns the seconds it took."""
        started = time.perf_counter()
        for phrase in [*LEAD_INS.get(self.language[:2], ()), *phrases]:
            for piece in self.pieces(phrase):
                if not self._memory.pinned(piece):
                    pcm = self._from_disk(piece)
                    self._memory.pin(piece, pcm if pcm is not None else self._render_and_store(piece))
        return time.perf_counter() - started

    @property
    def busy(self) -> bool:
        """Whether a call's sentence is being rendered now (the background warm-up waits)."""
        return self._rendering > 0

    def idle_seconds(self) -> float:
        """Seconds since a call's sentence was last rendered (0 while one is; large when none ever was)."""
        with self._lock:
            return 0.0 if self._rendering else time.monotonic() - self._rendered_at

    def on_disk(self, piece: str) -> bool:
        """Whether a normalised piece is in the disk cache."""
        return self.disk is not None and self.disk.contains(self._key(piece))

    def warm(self, piece: str) -> bool:
        """Render a normalised piece into the disk cache unless it is there; whether it was rendered."""
        if self.disk is None or self.on_disk(piece):
            return False
        self._render_and_store(piece)
        return True

    def prefetch(self, text: str) -> bool:
        """Render the first clause of `text` into the memory cache unless it is there; whether any was rendered.

        For a reply prepared ahead (`voicebot.pipeline.speculation`): once it is confirmed, its first audio is
        ready. The clause is the first piece, and the one after it when the first is a lead-in (`LEAD_INS`): the
        TTS service holds a lead-in until the next piece is ready. A look-up like any other (hits, misses).
        """
        pieces = self.pieces(text)
        lead_in = bool(pieces) and pieces[0] in LEAD_INS.get(self.language[:2], ())
        rendered = False
        for piece in pieces[: 2 if lead_in else 1]:
            if self._memory.get(piece) is None:
                rendered = self._piece(piece).compute_seconds > 0 or rendered
        return rendered

    def _key(self, piece: str) -> str:
        if self._identity is None:  # computed once: it reads the model files' sizes and times
            self._identity = self.cache_identity()
        return speech_key(self._identity, self.sample_rate, piece)

    def _from_disk(self, piece: str) -> bytes | None:
        return None if self.disk is None else self.disk.get(self._key(piece), self.sample_rate)

    def _render_and_store(self, piece: str) -> bytes:
        pcm = self._render_pcm(piece)
        if self.disk is not None:
            self.disk.put(self._key(piece), pcm, self.sample_rate)
        return pcm

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1
        if self.disk is not None:
            self.disk.count(hit)

    def _piece(self, piece: str) -> AudioChunk:
        pcm = self._memory.get(piece)
        if pcm is None:
            pcm = self._from_disk(piece)
            if pcm is not None:
                self._memory.put(piece, pcm)
        if pcm is not None:
            self._count(True)
            return AudioChunk(pcm, self.sample_rate, piece)
        self._count(False)
        started = time.perf_counter()
        with self._lock:
            self._rendering += 1
        try:
            pcm = self._render_and_store(piece)
        finally:
            with self._lock:
                self._rendering -= 1
                self._rendered_at = time.monotonic()
        self._memory.put(piece, pcm)
        return AudioChunk(pcm, self.sample_rate, piece, time.perf_counter() - started)

    def _render_pcm(self, piece: str) -> bytes:
        audio = to_float32(self.render(piece))
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        samples = to_int16(audio * (PEAK / peak) if peak > 1e-4 else audio)
        pause = self.pause if piece[-1:] in ".!?…" else self.pause / 2.5
        return np.concatenate([samples, silence(pause, self.sample_rate)]).astype("<i2").tobytes()


def _versions(*distributions: str) -> str:
    """The installed versions of packages ("kokoro-onnx 0.6.1"): a new engine may sound different."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in distributions:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} ?")
    return ",".join(found)


def _session(model: Path, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])


class KokoroSynthesizer(CachingSynthesizer):
    """Kokoro-82M (int8 ONNX, 24 kHz) with a kokoro-js voice: ff_siwis speaks French.

    Args:
        voice: A voice of the voices file ("ff_siwis"; "pm_alex", "af_heart", "bm_george" for test callers).
        language: "fr" or "en" (text normalisation; espeak-ng phonemes "fr-fr", "en-gb" or "en-us").
        model: The ONNX model; default: the installed one (with `voices`).
        voices: The voices `.npz`.
        cache: The model cache directory, when `model` is not given.
        speed: Speaking rate (1.0 is the voice's own).
        blend: Another voice of the file mixed in, with its weight (`("pm_alex", 0.4)`: a lower French voice);
            Kokoro's voices are style vectors, and a weighted mean of two is a new, consistent speaker.
        cpu_threads: onnxruntime threads of one synthesis.
        cache_bytes: Memory budget of the sentence cache.
        pause: Seconds of silence after each sentence.
    """

    def __init__(
        self,
        voice: str = KOKORO_FRENCH,
        language: str = "fr",
        *,
        model: str | Path | None = None,
        voices: str | Path | None = None,
        cache: str | Path | None = None,
        speed: float = 1.0,
        blend: tuple[str, float] | None = None,
        cpu_threads: int = 2,
        cache_bytes: int = 64 << 20,
        pause: float = 0.25,
    ) -> None:
        from kokoro_onnx import Kokoro

        super().__init__(language, 24_000, cache_bytes, pause)
        if model is None or voices is None:
            model, voices = kokoro_paths(cache)
        self.files = (Path(model), Path(voices))
        """The model and voices files (their identity is part of the disk cache's keys)."""
        self.engine = Kokoro.from_session(_session(Path(model), cpu_threads), str(voices))
        for name in (voice, *(blend[:1] if blend else ())):
            if name not in self.engine.get_voices():
                raise ValueError(f"no Kokoro voice {name!r} in {voices} (has: {', '.join(self.engine.get_voices())})")
        self.voice = voice
        self.blend = blend
        self.style: str | np.ndarray = voice
        if blend is not None:
            other, weight = blend
            self.style = (
                (1 - weight) * self.engine.get_voice_style(voice) + weight * self.engine.get_voice_style(other)
            ).astype(np.float32)
        self.speed = speed
        self.phonemes = {"fr": "fr-fr", "en": "en-gb" if voice.startswith("b") else "en-us"}.get(language[:2], language)

    def cache_identity(self) -> str:
        """The engine and its version, the voice (blend, speed, phonemes) and the model files."""
        blend = f"+{self.blend[0]}*{self.blend[1]}" if self.blend else ""
        return (
            f"{super().cache_identity()}|{_versions('kokoro-onnx', 'espeakng-loader')}|{self.voice}{blend}"
            f"|speed={self.speed}|{self.phonemes}|{file_identity(self.files)}"
        )

    def render(self, sentence: str) -> np.ndarray:
        """Synthesise one normalised sentence at 24 kHz."""
        audio, _rate = self.engine.create(sentence, voice=self.style, speed=self.speed, lang=self.phonemes)
        return np.asarray(audio, dtype=np.float32)


class PiperSynthesizer(CachingSynthesizer):
    """A Piper voice (e.g. en_US-joe-medium, 22.05 kHz; fr_FR-siwis-medium once fetched).

    Args:
        voice: The voice name in the cache, or the path of its `.onnx` (its `.onnx.json` beside it).
        language: "en" or "fr" (text normalisation).
        cache: The model cache directory.
        cpu_threads: onnxruntime threads of one synthesis.
        cache_bytes: Memory budget of the sentence cache.
        pause: Seconds of silence after each sentence.
        noise: Piper samples its voice with noise (the voice's own `noise_scale`, `noise_w`): a sentence sounds a
            little different in each process. `False` sets both to 0, so the same text gives the same samples
            on every run; `None`: `PIPER_NOISE`.
    """

    def __init__(
        self,
        voice: str | Path = PIPER_ENGLISH,
        language: str = "en",
        *,
        cache: str | Path | None = None,
        cpu_threads: int = 2,
        cache_bytes: int = 64 << 20,
        pause: float = 0.25,
        noise: bool | None = None,
    ) -> None:
        import json

        from piper import PiperVoice
        from piper.config import PiperConfig, SynthesisConfig
        from piper.phonemize_espeak import ESPEAK_DATA_DIR

        path = Path(voice) if str(voice).endswith(".onnx") else piper_voice_path(str(voice), cache)
        config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8")))
        super().__init__(language, config.sample_rate, cache_bytes, pause)
        self.engine = PiperVoice(
            config=config,
            session=_session(path, cpu_threads),
            espeak_data_dir=Path(ESPEAK_DATA_DIR),
            download_dir=path.parent,
        )
        self._phonemize_lock = threading.Lock()  # espeak-ng keeps global state
        self.noise = PIPER_NOISE if noise is None else noise
        self._config = None if self.noise else SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        self.files = (path, Path(f"{path}.json"))
        """The voice's model and config (their identity is part of the disk cache's keys)."""

    def cache_identity(self) -> str:
        """The engine and its version, the voice, its noise, and the voice's files."""
        return (
            f"{super().cache_identity()}|{_versions('piper-tts')}|{self.files[0].stem}|noise={self.noise}"
            f"|{file_identity(self.files)}"
        )

    def render(self, sentence: str) -> np.ndarray:
        """Synthesise one normalised sentence at the voice's rate."""
        with self._phonemize_lock:
            sentences = self.engine.phonemize(sentence)
        parts = [self.engine.phoneme_ids_to_audio(self.engine.phonemes_to_ids(p), self._config) for p in sentences if p]
        arrays = [p[0] if isinstance(p, tuple) else p for p in parts]
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.float32)


def french_piper_voice(cache: str | Path | None = None) -> str | None:
    """A French Piper voice present in the cache (e.g. fetched `fr_FR-siwis-medium`), if any."""
    return next((name for name in piper_voices(cache) if name.startswith("fr_")), None)


def synthesizer_for(
    language: str, cache: str | Path | None = None, cpu_threads: int = 2, *, noise: bool | None = None
) -> CachingSynthesizer:
    """The agent's voice for a language: Piper when a voice of that language is installed, else Kokoro.

    English uses Piper en_US-joe-medium. French uses a French Piper voice when one was fetched (about eight
    times cheaper), else Kokoro with ff_siwis (which draws no noise: the same text, the same samples).
    `noise=False`: Piper without its sampling noise (see `PiperSynthesizer`).
    """
    if language[:2] == "fr":
        piper = french_piper_voice(cache)
        if piper is not None:
            return PiperSynthesizer(piper, "fr", cache=cache, cpu_threads=cpu_threads, noise=noise)
        return KokoroSynthesizer(KOKORO_FRENCH, "fr", cache=cache, cpu_threads=cpu_threads)
    return PiperSynthesizer(PIPER_ENGLISH, "en", cache=cache, cpu_threads=cpu_threads, noise=noise)
