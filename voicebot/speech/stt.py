"""Speech recognition of short phone turns with one shared faster-whisper model.

The fast path does not pay for Whisper's 30-second window: it computes the log-Mel features of the utterance
plus a little silence, runs the CTranslate2 encoder on those frames only, and decodes with a small beam search
(temperature 0, no timestamps, a loop guard and a token cap) whose hypotheses are the turn's n-best; expected
answers are scored against the same encoder output (`voicebot.speech.candidates`). The stock
`WhisperModel.transcribe` stays available for comparison and for audio longer than one window (one hypothesis,
no candidates).

One inference runs at a time, on every core: the calls' turns take the model in a `FairQueue` (the oldest turn
first; an early guess only on an idle model), rather than in CTranslate2's own order with the cores split between
concurrent inferences.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from dialogue.understand.common_names import sound_alike
from voicebot.speech import candidates as scoring
from voicebot.speech import spelling
from voicebot.speech.audio import WHISPER_RATE, resample, to_float32
from voicebot.speech.fair_queue import FairQueue
from voicebot.speech.models import whisper_model_dir

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

Method = Literal["trimmed", "stock"]
MAX_WINDOW_SECONDS = 30.0
MIN_WINDOW: Mapping[str, float] = {"fr": 16.0, "": 8.0}
"""Shortest encoder window per language ("" for the others). French sentences from simulated callers were
understood 27 times in 33 with 16 s, 26 with 12 s, 25 with 8 s (tests/speech/test_caller_sentences.py; English
31 of 33 with 8 s and 16 s alike): a longer window costs about 0.2 s of encoder per turn, paid in French only."""

LOADED_WINDOW: Mapping[str, float] = {"fr": 8.0, "": 8.0}
"""Shortest encoder window per language while turns queue for the model (`LOADED_DEPTH`): the French 16 s window
drops to 8 s, a shorter encoder pass for every turn waiting behind it, at the cost of a few French sentences (25 of
33 understood with 8 s against 27 with 16 s, above); the cost under load is measured in bench/recognition.md."""
LOADED_DEPTH = 2
"""`FairQueue.depth` (finals waiting plus running, the turn being recognized included) from which the recognizer
counts as loaded: at 2, another turn is already waiting for this one."""

BEAM_SIZE = 4
"""Beam width (and n-best size) of the fast path; see bench/recognition.md for its cost."""
UNSURE_MARGIN = 0.05
"""Best-minus-second mean log-probability under which a transcript is unsure. On 160 turns (bench/candidates.json:
real recordings and synthesized sentences), with `UNSURE_LOGPROB`: 16 of the 26 misrecognised turns unsure, and
16 of the 134 right ones. The margin alone separates badly: two readings of a sentence often differ by a space or
a homophone ("Marc du bois", "Marc Dubois"), right or wrong alike."""
UNSURE_LOGPROB = -0.8
"""Mean log-probability under which a transcript is unsure whatever its margin: no right turn of those 160 scored
below it, 10 wrong ones did."""


@dataclass(frozen=True)
class Transcript:
    """What the caller said, as Whisper heard it."""

    text: str
    """The transcription, stripped; empty when nothing was recognised."""
    avg_logprob: float
    """Mean log-probability per token of the best free hypothesis, end-of-text included, as faster-whisper
    computes it (closer to 0 is surer); kept when a candidate wins."""
    no_speech_prob: float
    """Whisper's probability that the window holds no speech."""
    seconds: float
    """Compute time of the recognition."""
    audio_seconds: float
    """Length of the audio recognised."""
    method: Method = "trimmed"
    alternatives: tuple[str, ...] = ()
    """The other hypotheses' texts, best first, without `text`; beam hypotheses that read the same as a better
    one (case and punctuation aside) are left out. When a candidate won, the free hypothesis comes first."""
    margin: float | None = None
    """Best minus second hypothesis score (the first that reads differently), in mean log-probability per token;
    None with one hypothesis."""
    candidate: str | None = None
    """The expected answer taken as `text` when one clearly won against the free hypothesis."""
    guessed: bool = False
    """Whether `candidate` came from `nearby` (common names close to what was heard), not from the answers the
    dialogue expects: it is the likeliest reading, not a known answer, so the turn stays `unsure`."""

    @property
    def confidence(self) -> float:
        """`exp(avg_logprob)`: a rough 0..1 confidence; 1 when the turn is an expected answer (`candidate`):
        the audio matched what the question can accept, however low Whisper's own probabilities.
        """
        return 1.0 if self.candidate is not None else math.exp(self.avg_logprob)

    @property
    def unsure(self) -> bool:
        """Whether the recogniser was not sure of `text`: no expected answer won, and the best hypothesis
        led the second by less than `UNSURE_MARGIN` or its mean log-probability was below `UNSURE_LOGPROB`.
        """
        if self.guessed:
            return True
        if self.candidate is not None or not self.text:
            return False
        if self.avg_logprob < UNSURE_LOGPROB:
            return True
        return self.margin is not None and self.margin < UNSURE_MARGIN


def is_silence(text: str, avg_logprob: float, no_speech_prob: float) -> bool:
    """Whether a decoding is Whisper's way of saying nothing was said.

    faster-whisper's own rule (no-speech probability above 0.6 with a mean log-probability below -1), plus
    outputs without a single letter or digit ("...", "!").
    """
    return (no_speech_prob > 0.6 and avg_logprob < -1.0) or not any(c.isalnum() for c in text)


@dataclass(frozen=True)
class _Decoded:
    """The fast path's output: hypotheses (text, mean log-probability) best first, and what candidates reuse."""

    hypotheses: list[tuple[str, float]]
    no_speech_prob: float
    encoded: ctranslate2.StorageView
    prompt: list[int]


class Recognizer:
    """One Whisper model for the whole process; `transcribe` is synchronous and safe to call from threads.

    Args:
        model_dir: A CTranslate2 Whisper directory; default: the installed Whisper base.
        cache: The model cache (see `voicebot.speech.models.cache_dir`), when `model_dir` is not given.
        cpu_threads: Threads of one inference (CTranslate2's `intra_threads`); default: the cores available
            divided among `workers`, every core for the one inference that runs at a time.
        workers: Inferences that may run in parallel (CTranslate2's `inter_threads`, and the width of `queue`,
            which orders the others).
        compute_type: CTranslate2 quantisation.
        padding: Seconds of silence appended before encoding (the "utterance + ~1 s" window).
        min_window: Shortest window encoded, in seconds (silence fills it), or one per language (`MIN_WINDOW`).
            Whisper, trained on 30-second windows, repeats a lone word in a window barely longer than it
            ("mardi, mardi, mardi"). On real recordings of single words (bench/recognition.md), utterance + 1 s
            got 7 of 146 right; 8 s 100 of 146 (113 with the expectation prompt) against 89 for the stock
            30-second path, in a fifth of its time. 6 s and 10 s windows scored within 3 % of 8 s.
        loaded_window: Shortest window while turns queue (`LOADED_WINDOW`, see `shortest_window`); None keeps
            `min_window` whatever the load.
        repetition_penalty: Applied to turns shorter than `short_turn` only: it stops the lone-word loops
            but can drop a repeated digit from a long phone number, so longer turns decode without it.
        short_turn: Seconds under which a turn counts as short (one or two words).
        max_new_tokens: Cap on decoded tokens (a loop guard; a phone turn is far shorter).
        beam_size: Beam width of the fast path, and hypotheses kept (1: greedy, one hypothesis).
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        cache: str | Path | None = None,
        cpu_threads: int | None = None,
        workers: int = 1,
        compute_type: str = "int8",
        padding: float = 1.0,
        min_window: float | Mapping[str, float] = MIN_WINDOW,
        loaded_window: float | Mapping[str, float] | None = LOADED_WINDOW,
        repetition_penalty: float = 1.3,
        short_turn: float = 2.0,
        max_new_tokens: int = 100,
        beam_size: int = BEAM_SIZE,
    ) -> None:
        from faster_whisper import WhisperModel  # heavy import: only when a recognizer is built

        self.model_dir = Path(model_dir) if model_dir is not None else whisper_model_dir(cache)
        self.model = WhisperModel(
            str(self.model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads if cpu_threads is not None else max(1, available_cores() // workers),
            num_workers=workers,
            local_files_only=True,
        )
        self.padding = padding
        self.min_window = min_window
        self.loaded_window = loaded_window
        self.repetition_penalty = repetition_penalty
        self.short_turn = short_turn
        self.max_new_tokens = max_new_tokens
        self.beam_size = beam_size
        self._tokenizers: dict[str, Tokenizer] = {}
        self._lock = threading.Lock()
        self.queue = FairQueue(workers)
        """Where turns wait for the model (its `depth` is the recognizer's load)."""

    def _tokenizer(self, language: str) -> Tokenizer:
        from faster_whisper.tokenizer import Tokenizer

        with self._lock:
            if language not in self._tokenizers:
                self._tokenizers[language] = Tokenizer(
                    self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language
                )
            return self._tokenizers[language]

    @property
    def busy(self) -> bool:
        """Whether a recognition is running or a turn waits for one (early recognition waits for an idle model)."""
        return self.queue.depth > 0

    def shortest_window(self, language: str, load: int = 0) -> float:
        """The shortest encoder window, in seconds, for turns in `language` with `load` turns at the model.

        From `LOADED_DEPTH` (`FairQueue.depth` read while recognizing: this turn and one waiting) the window is
        `loaded_window`'s when shorter: the French 16 s window drops to 8 s. The accuracy cost of the shorter
        window is measured in bench/recognition.md.
        """
        window = _per_language(self.min_window, language)
        if load >= LOADED_DEPTH and self.loaded_window is not None:
            window = min(window, _per_language(self.loaded_window, language))
        return window

    def prompt_tokens(self, language: str, prompt: str | None = None, hotwords: Sequence[str] = ()) -> list[int]:
        """Decoder prompt: `[sot_prev, prompt..., sot, language, transcribe, no_timestamps]`."""
        tokenizer = self._tokenizer(language)
        context = " ".join(part.strip() for part in [prompt or "", *hotwords] if part and part.strip())
        tokens: list[int] = []
        if context:
            limit = self.model.max_length // 2 - 1
            tokens = [tokenizer.sot_prev, *tokenizer.encode(" " + context)[-limit:]]
        return [*tokens, *tokenizer.sot_sequence, tokenizer.no_timestamps]

    def transcribe(
        self,
        pcm: bytes | np.ndarray,
        language: str,
        prompt: str | None = None,
        hotwords: Sequence[str] = (),
        *,
        sample_rate: int = WHISPER_RATE,
        method: Method = "trimmed",
        candidates: Sequence[str] = (),
        nearby: Callable[[Sequence[str]], Sequence[str]] | None = None,
        rule: scoring.Rule | None = None,
        spelled: Callable[[Sequence[str]], Sequence[str]] | None = None,
        priority: float | None = None,
        early: bool = False,
    ) -> Transcript:
        """Transcribe one caller turn, when its turn at the model comes (`queue`).

        Args:
            pcm: Mono audio: int16 PCM bytes, an int16 array or float32 samples in [-1, 1].
            language: "fr" or "en" (any Whisper language code).
            prompt: Text the turn is likely to resemble (see `voicebot.speech.expect.expectation_prompt`).
            hotwords: Words to favour (practitioner names, motifs); added to the prompt.
            sample_rate: Rate of `pcm`; resampled to 16 kHz when different.
            method: "trimmed" (the fast path) or "stock" (faster-whisper's own `transcribe`: 30-second window,
                beam search of 5, temperature 0).
            candidates: The answers the caller may say here (`Expect.answers`); each is scored against the
                audio, and one that clearly wins becomes `text` (`candidate` set).
            nearby: More candidates from the turn's hypotheses (the common names that sound like the name
                heard); one of them that wins is `guessed`.
            rule: How clearly a candidate must win (default: `candidates.Rule()`).
            spelled: At a spelling question, the surnames the caller may be spelling, from the turn's letter
                readings ("GERDEN"); one whose spelling clearly wins becomes `text`, spelled ("G, I, R, A, R, D,
                I, N"; `guessed`). See `voicebot.speech.spelling`.
            priority: The `time.monotonic()` at which the caller's turn ended: the oldest turn is recognized
                first (default: now).
            early: A guess before the end of the turn: recognized only on an idle model, else refused.

        Returns:
            The transcript with its scores and timing (the wait for the model excluded).

        Raises:
            SlotRefused: `early`, and the model was busy or a turn waited for it.
        """
        with self.queue.slot(time.monotonic() if priority is None else priority, early):
            return self._transcribe(
                pcm, language, prompt, hotwords, sample_rate, method, candidates, nearby, rule, spelled
            )

    def _transcribe(
        self,
        pcm: bytes | np.ndarray,
        language: str,
        prompt: str | None,
        hotwords: Sequence[str],
        sample_rate: int,
        method: Method,
        candidates: Sequence[str],
        nearby: Callable[[Sequence[str]], Sequence[str]] | None = None,
        rule: scoring.Rule | None = None,
        spelled: Callable[[Sequence[str]], Sequence[str]] | None = None,
    ) -> Transcript:
        samples = to_float32(pcm)
        if sample_rate != WHISPER_RATE:
            samples = resample(samples, sample_rate, WHISPER_RATE)
        audio_seconds = len(samples) / WHISPER_RATE
        started = time.perf_counter()
        decoded: _Decoded | None = None
        if method == "stock" or audio_seconds + self.padding > MAX_WINDOW_SECONDS:
            text, logprob, no_speech = self._stock(samples, language, prompt, hotwords)
            hypotheses, method = [(text, logprob)], "stock"
        else:
            decoded = self._trimmed(samples, language, prompt, hotwords)
            hypotheses, no_speech = decoded.hypotheses, decoded.no_speech_prob
        text, logprob = hypotheses[0]
        if is_silence(text, logprob, no_speech):
            return Transcript("", logprob, no_speech, time.perf_counter() - started, audio_seconds, method)
        alternatives, margin = scoring.other_readings(hypotheses)
        candidate, guessed = None, False
        if decoded is not None and (candidates or nearby is not None):
            rule = rule or scoring.Rule()
            candidate, guessed = self._expected(decoded, language, text, alternatives, candidates, nearby, rule)
        if decoded is not None and spelled is not None and candidate is None:
            candidate = self._spelled(decoded, language, text, spelled)
            guessed = candidate is not None
        if candidate is not None:
            alternatives = tuple(a for a in (text, *alternatives) if a != candidate)
            text = candidate
        seconds = time.perf_counter() - started
        return Transcript(
            text, logprob, no_speech, seconds, audio_seconds, method, alternatives, margin, candidate, guessed
        )

    def _expected(
        self,
        decoded: _Decoded,
        language: str,
        text: str,
        alternatives: Sequence[str],
        candidates: Sequence[str],
        nearby: Callable[[Sequence[str]], Sequence[str]] | None,
        rule: scoring.Rule,
    ) -> tuple[str | None, bool]:
        """The candidate that clearly wins on the turn's audio, if any, and whether it was `nearby`'s guess.

        A guess that reads as the free text is not one: a common name heard as such stays as heard.
        """
        expected = list(candidates)
        if nearby is not None:
            known = {scoring.comparable(c) for c in expected}
            expected += [c for c in nearby([text, *alternatives]) if scoring.comparable(c) not in known]
        if not expected:
            return None, False
        tokenizer = self._tokenizer(language)
        choice = scoring.choose(
            self.model.model, tokenizer, decoded.encoded, decoded.prompt, text, expected, alternatives, rule
        )
        if choice.candidate is None:
            return None, False
        guessed = choice.candidate not in candidates
        if guessed and scoring.comparable(choice.candidate) == scoring.comparable(text):
            return None, False
        return choice.candidate, guessed

    def _spelled(
        self, decoded: _Decoded, language: str, text: str, names: Callable[[Sequence[str]], Sequence[str]]
    ) -> str | None:
        """The surname the turn spells, written spelled ("G, I, R, A, R, D"), when one of `names` clearly wins;
        None when Whisper already wrote letters (read as written) or nothing wins.
        """
        if spelling.looks_spelled(text):
            return None
        tokenizer = self._tokenizer(language)
        model = self.model.model
        vocabulary = self.model.hf_tokenizer.get_vocab_size()
        readings = spelling.letter_readings(model, tokenizer, decoded.encoded, decoded.prompt, vocabulary)
        found = names([letters for letters, _ in readings])
        name = spelling.choose_spelled(
            model, tokenizer, decoded.encoded, decoded.prompt, text, readings, found, sound_alike
        )
        return None if name is None else ", ".join(spelling.letters_of(name))

    def _trimmed(self, samples: np.ndarray, language: str, prompt: str | None, hotwords: Sequence[str]) -> _Decoded:
        import ctranslate2
        from faster_whisper.transcribe import get_suppressed_tokens

        shortest = self.shortest_window(language, self.queue.depth)
        window = min(max(len(samples) / WHISPER_RATE + self.padding, shortest), MAX_WINDOW_SECONDS)
        padded = np.zeros(int(window * WHISPER_RATE), dtype=np.float32)
        padded[: len(samples)] = samples[: len(padded)]
        features = self.model.feature_extractor(padded)
        frames = min(features.shape[-1] - features.shape[-1] % 2, self.model.feature_extractor.nb_max_frames)
        batch = np.ascontiguousarray(features[np.newaxis, :, :frames], dtype=np.float32)
        encoded = self.model.model.encode(ctranslate2.StorageView.from_array(batch))
        tokens = self.prompt_tokens(language, prompt, hotwords)
        tokenizer = self._tokenizer(language)
        result = self.model.model.generate(
            encoded,
            [tokens],
            beam_size=self.beam_size,
            num_hypotheses=self.beam_size,
            length_penalty=1.0,
            max_length=len(tokens) + self.max_new_tokens,
            no_repeat_ngram_size=3,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            repetition_penalty=self.repetition_penalty if len(samples) < self.short_turn * WHISPER_RATE else 1.0,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        )[0]
        hypotheses = []
        for sequence, score in zip(result.sequences_ids, result.scores, strict=True):
            ids = [t for t in sequence if t < tokenizer.eot]
            # With length_penalty 1, CTranslate2's score is the summed log-probability (end-of-text included)
            # divided by the number of text tokens: per token with end-of-text, as faster-whisper does.
            hypotheses.append((tokenizer.decode(ids).strip(), float(score) * len(ids) / (len(ids) + 1)))
        hypotheses.sort(key=lambda h: h[1], reverse=True)
        return _Decoded(hypotheses, float(result.no_speech_prob), encoded, tokens)

    def _stock(
        self, samples: np.ndarray, language: str, prompt: str | None, hotwords: Sequence[str]
    ) -> tuple[str, float, float]:
        segments, _info = self.model.transcribe(
            samples,
            language=language,
            initial_prompt=prompt or None,
            hotwords=" ".join(hotwords) or None,
            temperature=0.0,
            vad_filter=False,
        )
        done = list(segments)  # the generator does the work: materialise it here, in the caller's thread
        text = " ".join(s.text.strip() for s in done).strip()
        if not done:
            return text, 0.0, 1.0
        return text, float(np.mean([s.avg_logprob for s in done])), float(max(s.no_speech_prob for s in done))

    def warm_up(self) -> float:
        """Run one recognition on silence (first calls are slower); returns its seconds."""
        return self.transcribe(np.zeros(WHISPER_RATE, dtype=np.float32), "fr").seconds


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _per_language(window: float | Mapping[str, float], language: str) -> float:
    """`window`'s seconds for `language`: its own entry, else the "" one (8 s without either)."""
    if isinstance(window, Mapping):
        return float(window.get(language, window.get("", 8.0)))
    return float(window)
