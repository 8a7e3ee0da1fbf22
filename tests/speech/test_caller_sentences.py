"""Synthesized callers through a phone line: is what they say understood, not merely transcribed?

Each sentence of `tests.speech.caller_sentences` is synthesized in its caller's voice, sent through the phone
line (8 kHz mu-law and back), recognized with the prompt the pipeline would use at that question (the
expectation kind, the practice's vocabulary, the question just asked), and read by the dialogue's own
understanding functions. The entities extracted must be exactly the expected ones, in at least 90 % of the
English sentences and 80 % of the French ones (issue 4's targets). `test_written_sentences_are_understood`
reads the written sentences without any model, so a failure of the spoken test is a recognition error
unless the sentence carries a `gap` note. About four minutes on two busy cores, one once the audio is cached
(see `CallerVoices`); rates per voice: bench/recognition.md.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from booking.clinic import load_clinic
from dialogue.actions import ExpectKind
from dialogue.context import Context
from dialogue.flows.common import Heard, yes_no
from dialogue.flows.identity import read_birth, read_name
from dialogue.flows.wish import absorb
from dialogue.state import Wish
from dialogue.understand.choices import parse_choice
from dialogue.understand.intents import Intent, detect_intent, is_emergency
from dialogue.understand.names import same_name
from dialogue.understand.phone import parse_phone
from dialogue.understand.yesno import parse_yes_no
from dialogue.wording.spoken import say_list
from tests.conftest import NOW, SAMPLE_CLINIC, SAMPLE_CLINIC_EN
from tests.dialogue.fake_port import FakePort
from tests.speech.caller_sentences import ASKED, OFFERED, SENTENCES, VOICES, CallerSentence
from voicebot.speech.tts import CachingSynthesizer, KokoroSynthesizer, PiperSynthesizer

CLINICS = {"fr": SAMPLE_CLINIC, "en": SAMPLE_CLINIC_EN}
TARGET_RATE = {"en": 0.90, "fr": 0.80}
"""Issue 4's targets for the share of sentences understood exactly, asserted as they are. Measured with Whisper
base (deterministic: the same audio gives the same words): with greedy decoding English 31/33, French 27/33; with
the 4-best beam (the default since issue 16) English 31/33, French 30/33. The misses are recognition errors,
listed in bench/recognition.md."""
_TASKS = {
    Intent.BOOK: "book",
    Intent.CANCEL: "cancel",
    Intent.MOVE: "move",
    Intent.INFO_HOURS: "info_hours",
    Intent.INFO_ADDRESS: "info_address",
}
_INTERCEPTED = (Intent.EMERGENCY, Intent.HUMAN, Intent.REPEAT, Intent.RESTART)
"""Intents `dialogue.machine` acts on before the question's handler, whatever was asked."""


def context(language: str) -> Context:
    return Context.create(FakePort(load_clinic(CLINICS[language])), NOW, language)


def wish_entities(wish: Wish) -> dict[str, object]:
    """The entities of a wish, as `CallerSentence.want` writes them (empty ones left out)."""
    found: dict[str, object] = {}
    if wish.anyone:
        found["anyone"] = True
    elif wish.practitioner_ids:
        ids = wish.practitioner_ids
        found["practitioner"] = ids[0] if len(ids) == 1 else ids
    if wish.specialty:
        found["specialty"] = wish.specialty
    if wish.motif_id:
        found["motif"] = wish.motif_id
    when = wish.when
    if when is not None:
        if when.first_day is not None and when.first_day == when.last_day:
            found["day"] = when.first_day
        elif when.first_day is not None or when.last_day is not None:
            found["days"] = (when.first_day, when.last_day)
        if when.time is not None:
            found["time"] = when.time
        if when.windows:
            found["windows"] = tuple(when.windows)
        if when.asap:
            found["asap"] = True
    return found


def understand(text: str, asked: str, ctx: Context, confidence: float | None = None) -> dict[str, object]:
    """What the dialogue gets out of one caller turn answering `asked` (the routing of `dialogue.machine`,
    then the question's own reading), as entities; `{"routed": ...}` when the turn never reaches the question.
    """
    if not text.strip():
        return {"routed": "silence"}
    locale = ctx.locale
    intent = detect_intent(text, locale)
    if intent is Intent.EMERGENCY or is_emergency(text, locale):
        return {"routed": "emergency"}
    if confidence is not None and confidence < ctx.min_confidence:
        return {"routed": "low confidence"}
    if intent in _INTERCEPTED or (intent is Intent.GOODBYE and parse_yes_no(text, locale) is not True):
        return {"routed": intent.value}
    expect, _ = ASKED[asked]
    if asked != "open" and intent in (Intent.CANCEL, Intent.MOVE) and expect is not ExpectKind.YES_NO:
        return {"routed": f"switch to {intent.value}"}  # the booking in progress would be left
    heard = Heard(text=text)
    if asked == "open":
        task = _TASKS.get(intent) if intent is not None else None
        wish = absorb(Wish(), text, ctx)
        if task is None and wish != Wish():
            task = "book"
        return {"task": task, **wish_entities(wish)} if task == "book" else ({"task": task} if task else {})
    if asked in ("when", "practitioner", "motif"):
        return wish_entities(absorb(Wish(), text, ctx))
    readers: dict[str, Callable[[], object]] = {
        "birth": lambda: read_birth(heard, ctx),
        "name": lambda: read_name(heard, ctx),
        "yes_no": lambda: yes_no(heard, ctx),
        "offer": lambda: parse_choice(text, locale, OFFERED[locale]),
        "phone": lambda: parse_phone(text, ctx.clinic.practice.country, locale),
    }
    key = {"yes_no": "yes", "offer": "choice"}.get(asked, asked)
    value = readers[asked]()
    return {} if value is None else {key: value}


def same_entities(found: Mapping[str, object], want: Mapping[str, object]) -> bool:
    """Exactly the wanted entities; names compared without case, accents or hyphens."""
    if found.keys() != want.keys():
        return False
    for key, value in want.items():
        if key == "name":
            got = found[key]
            assert isinstance(got, tuple) and isinstance(value, tuple)
            if not (same_name(got[0], value[0]) or got[0] is value[0] is None) or not same_name(got[1], value[1]):
                return False
        elif found[key] != value:
            return False
    return True


def question(asked: str, ctx: Context) -> str:
    """The question the agent just asked: the last thing it said, which the pipeline puts in the prompt."""
    _, key = ASKED[asked]
    if asked == "motif":
        return ctx.phrases.get(key, motifs=say_list([m.label for m in ctx.clinic.motifs], ctx.phrases))
    return ctx.phrases.get(key)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_written_sentences_are_understood(language: str) -> None:
    ctx = context(language)
    read = [(s, understand(s.text, s.asked, ctx)) for s in SENTENCES[language]]
    wrong = [
        f"{s.text!r}: got {got}, want {dict(s.want)}" for s, got in read if not s.gap and not same_entities(got, s.want)
    ]
    assert not wrong, "\n".join(wrong)
    fixed = [s.text for s, got in read if s.gap and same_entities(got, s.want)]
    assert not fixed, f"understood now: remove their gap notes: {fixed}"


def test_sentences_cover_voices_and_questions() -> None:
    for language, sentences in SENTENCES.items():
        assert len(sentences) >= 30
        voices = [s.voice for s in sentences]
        assert set(voices) == set(VOICES[language]) and min(map(voices.count, voices)) >= 8
        assert {s.asked for s in sentences} == set(ASKED)


@dataclass(frozen=True)
class Understood:
    """One synthesized sentence after the phone line, the recognizer and the dialogue."""

    sentence: CallerSentence
    heard: str
    confidence: float
    found: dict[str, object]
    ok: bool


class CallerVoices:
    """The callers' synthesizers, loaded on first use, and their audio, kept between runs.

    Synthesis is most of this file's time (Kokoro: about 0.5 s of CPU per second of audio, twice that on a
    busy machine). The audio of each sentence is stored in pytest's cache directory under a key made of the
    engine, voice, speed, the text as normalised for speech and the pinned model hashes, so a second run
    only recognizes; `pytest --cache-clear` (or `-p no:cacheprovider`) synthesizes again.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.synthesizers: dict[tuple[str, str], CachingSynthesizer] = {}
        self.computed = 0.0
        """Seconds spent synthesizing (0 for cached audio)."""

    def _synthesizer(self, language: str, name: str) -> CachingSynthesizer:
        if (language, name) not in self.synthesizers:
            caller = VOICES[language][name]
            self.synthesizers[language, name] = (
                PiperSynthesizer(caller.voice, language)
                if caller.engine == "piper"
                else KokoroSynthesizer(caller.voice, language, speed=caller.speed, blend=caller.blend)
            )
        return self.synthesizers[language, name]

    def audio(self, language: str, sentence: CallerSentence) -> tuple[np.ndarray, int]:
        """The sentence in its caller's voice: int16 samples and their rate."""
        from voicebot.speech import tts
        from voicebot.speech.models import KOKORO, KOKORO_VOICES, PIPER_JOE
        from voicebot.speech.spoken import speakable

        caller = VOICES[language][sentence.voice]
        pinned = [
            f.sha256
            for spec in ((KOKORO, KOKORO_VOICES) if caller.engine == "kokoro" else (PIPER_JOE,))
            for f in spec.files
        ]
        noise = tts.PIPER_NOISE if caller.engine == "piper" else False  # Piper without noise: the same every run
        key = repr((caller, language, speakable(sentence.text, language), pinned, noise))
        path = None
        if self.folder is not None:
            path = self.folder / f"{language}-{sentence.voice}-{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"
            if path.is_file():
                with np.load(path) as stored:
                    return stored["pcm"], int(stored["rate"])
        chunk = self._synthesizer(language, sentence.voice).synthesize(sentence.text)
        self.computed += chunk.compute_seconds
        samples = np.frombuffer(chunk.pcm, dtype="<i2")
        if path is not None:
            np.savez(path, pcm=samples, rate=chunk.sample_rate)
        return samples, chunk.sample_rate


@pytest.fixture(scope="module")
def understood(request: pytest.FixtureRequest) -> Iterator[Callable[[str], list[Understood]]]:
    """Per language, computed once: every sentence synthesized, phoned, recognized and understood."""
    from tests.speech.shared import recognizer as shared_recognizer
    from voicebot.pipeline.builder import practice_vocabulary
    from voicebot.speech.audio import phone_roundtrip
    from voicebot.speech.expect import expectation_prompt

    recognizer = shared_recognizer()
    cache = getattr(request.config, "cache", None)
    voices = CallerVoices(cache.mkdir("caller-sentences") if cache is not None else None)
    done: dict[str, list[Understood]] = {}

    def run(language: str) -> list[Understood]:
        if language in done:
            return done[language]
        started, synthesized = time.perf_counter(), voices.computed
        ctx = context(language)
        vocabulary = practice_vocabulary(ctx.clinic, language)
        rows, recognition = [], 0.0
        for sentence in SENTENCES[language]:
            audio = phone_roundtrip(*voices.audio(language, sentence))
            expect, _ = ASKED[sentence.asked]
            prompt = expectation_prompt(expect.value, language, vocabulary, question(sentence.asked, ctx))
            heard = recognizer.transcribe(audio, language, prompt)
            recognition += heard.seconds
            found = understand(heard.text, sentence.asked, ctx, heard.confidence)
            rows.append(Understood(sentence, heard.text, heard.confidence, found, same_entities(found, sentence.want)))
        print(
            f"\n{language}: {len(rows)} sentences in {time.perf_counter() - started:.1f} s "
            f"(synthesis {voices.computed - synthesized:.1f} s, recognition {recognition:.1f} s)"
        )
        done[language] = rows
        return rows

    yield run


def report(rows: list[Understood]) -> str:
    """Rates per voice, then a table of the failures."""
    lines = []
    for voice in dict.fromkeys(r.sentence.voice for r in rows):
        mine = [r for r in rows if r.sentence.voice == voice]
        lines.append(f"{voice}: {sum(r.ok for r in mine)}/{len(mine)}")
    lines.append("| said | voice | heard | conf | understood | wanted |")
    lines += [
        f"| {r.sentence.text} | {r.sentence.voice} | {r.heard} | {r.confidence:.2f} | {r.found} | "
        f"{dict(r.sentence.want)} |"
        for r in rows
        if not r.ok
    ]
    return "\n".join(lines)


@pytest.mark.models
@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "en"])
def test_synthesized_callers_are_understood(understood: Callable[[str], list[Understood]], language: str) -> None:
    rows = understood(language)
    rate = sum(r.ok for r in rows) / len(rows)
    print(f"{language}: {rate:.0%} understood\n{report(rows)}")
    assert rate >= TARGET_RATE[language], f"{language}: {rate:.0%} understood\n{report(rows)}"
