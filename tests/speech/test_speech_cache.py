"""The speech cache on disk (real files in a temporary directory), its settings, `voicebot models` showing it, and
the real French voice keeping its sentences across synthesizers (one per "restart") and warming them up."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from booking.clinic import load_clinic
from booking.service import BookingService
from booking.store import apply_clinic
from tests.conftest import NOW, SAMPLE_CLINIC
from voicebot.cli import main
from voicebot.pipeline.engines import Engines
from voicebot.settings import BadSetting, speech_cache_settings
from voicebot.speech.speech_cache import (
    DEFAULT_MAX_BYTES,
    SpeechCache,
    default_directory,
    file_identity,
    read_stats,
    speech_key,
)
from voicebot.speech.speech_warmup import SpeechWarmup, practice_pieces
from voicebot.speech.tts import KokoroSynthesizer

if TYPE_CHECKING:
    from voicebot.speech.stt import Recognizer

RATE = 24_000


def pcm(n: int, value: int = 1) -> bytes:
    """`n` bytes of PCM."""
    return bytes([value % 256]) * n


def age(cache: SpeechCache, keys: list[str], seconds_ago: float = 1000.0) -> None:
    """Date the files of `keys` in the past, the first oldest (as if used in that order long ago)."""
    for i, key in enumerate(keys):
        when = cache.path(key).stat().st_mtime - seconds_ago + i
        os.utime(cache.path(key), (when, when))


def test_a_sentence_put_is_got_back_from_another_instance(tmp_path: Path) -> None:
    key = speech_key("voice", RATE, "Bonjour.")
    SpeechCache(tmp_path).put(key, pcm(4800), RATE)
    again = SpeechCache(tmp_path)
    assert again.contains(key)
    assert again.get(key, RATE) == pcm(4800)
    assert again.get(speech_key("voice", RATE, "Au revoir."), RATE) is None
    assert speech_key("other voice", RATE, "Bonjour.") != key != speech_key("voice", 22_050, "Bonjour.")


def test_a_torn_or_foreign_file_is_a_miss_and_deleted(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path)
    torn, foreign, wrong_rate = (speech_key("v", RATE, text) for text in ("a", "b", "c"))
    for key in (torn, wrong_rate):
        cache.put(key, pcm(2000), RATE)
    whole = cache.path(torn).read_bytes()
    cache.path(torn).write_bytes(whole[:-10])  # a writer killed half-way (not through `put`, which is atomic)
    cache.path(foreign).write_bytes(b"RIFF" + whole[4:])  # another program's file under our name
    for key, rate in ((torn, RATE), (foreign, RATE), (wrong_rate, 16_000)):
        assert cache.get(key, rate) is None
        assert not cache.path(key).exists()


def test_the_least_recently_used_go_first_beyond_the_bound(tmp_path: Path) -> None:
    size = 1000 + 16  # the PCM and its header
    cache = SpeechCache(tmp_path, max_bytes=4 * size + 100)
    keys = [speech_key("v", RATE, text) for text in "abcde"]
    for key in keys[:4]:
        cache.put(key, pcm(1000), RATE)
    age(cache, keys[:4])  # a, b, c, d: used in that order, long ago
    assert cache.get(keys[0], RATE) is not None  # a used again: now the most recent
    cache.put(keys[4], pcm(1000), RATE)  # over the bound: down to 90 % of it, the oldest first
    assert [cache.contains(key) for key in keys] == [True, False, False, True, True]
    assert read_stats(tmp_path).bytes == 3 * size


def test_the_counts_of_two_processes_add_up(tmp_path: Path) -> None:
    first, second = SpeechCache(tmp_path, flush_every=3600), SpeechCache(tmp_path, flush_every=3600)
    first.put(speech_key("v", RATE, "a"), pcm(100), RATE)
    for hit in (True, True, True, False):
        first.count(hit)
    for hit in (False, False):
        second.count(hit)
    assert (first.stats().hits, first.stats().misses) == (3, 1)  # the other's counts are not written yet
    first.close()
    second.close()
    stats = read_stats(tmp_path, 1 << 20)
    assert (stats.entries, stats.bytes, stats.max_bytes) == (1, 116, 1 << 20)
    assert (stats.hits, stats.misses, stats.hit_rate) == (3, 3, 0.5)
    assert SpeechCache(tmp_path, 1 << 20).stats() == stats


def test_an_unusable_directory_makes_misses_without_raising(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "file").write_text("not a directory")
    key = speech_key("v", RATE, "a")
    nowhere = SpeechCache(tmp_path / "file" / "speech")
    nowhere.put(key, pcm(100), RATE)
    nowhere.count(False)
    nowhere.close()
    assert nowhere.get(key, RATE) is None and not nowhere.contains(key)
    assert nowhere.stats().entries == 0

    gone = SpeechCache(tmp_path / "speech")
    (tmp_path / "speech").rmdir()  # the directory removed under a running server
    (tmp_path / "speech").write_text("")
    with caplog.at_level(logging.WARNING):
        gone.put(key, pcm(100), RATE)
        gone.put(speech_key("v", RATE, "b"), pcm(100), RATE)
    assert gone.get(key, RATE) is None
    assert caplog.text.count(f"speech cache {tmp_path / 'speech'} unusable") == 1  # said once, not at every put


def test_file_identity_follows_the_files(tmp_path: Path) -> None:
    config, weights = tmp_path / "voice.onnx.json", tmp_path / "voice.onnx"
    config.write_text('{"rate": 22050}')
    weights.write_bytes(b"\0" * (2 << 20))
    before = file_identity([weights, config])
    assert file_identity([weights, config]) == before and len(before) == 16
    config.write_text('{"rate": 16000}')  # a small file counts by its content
    assert file_identity([weights, config]) != before
    changed = file_identity([weights, config])
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # a large one by its size and time
    assert file_identity([weights, config]) != changed
    assert file_identity([tmp_path / "missing.onnx"]) != file_identity([])


def test_the_settings(tmp_path: Path) -> None:
    assert speech_cache_settings({}) == (default_directory(), DEFAULT_MAX_BYTES)
    assert speech_cache_settings({"VOICEBOT_SPEECH_CACHE": " OFF "}) is None
    where = {"VOICEBOT_SPEECH_CACHE": str(tmp_path / "speech"), "VOICEBOT_SPEECH_CACHE_MB": "32"}
    assert speech_cache_settings(where) == (tmp_path / "speech", 32 << 20)
    (tmp_path / "file").write_text("")
    with pytest.raises(BadSetting, match="VOICEBOT_SPEECH_CACHE '.*file' is a file"):
        speech_cache_settings({"VOICEBOT_SPEECH_CACHE": str(tmp_path / "file")})
    for size in ("0", "-5", "1.5", "lots", "99999999"):
        with pytest.raises(BadSetting, match=f"VOICEBOT_SPEECH_CACHE_MB '{size}': a whole number of megabytes"):
            speech_cache_settings({"VOICEBOT_SPEECH_CACHE_MB": size})


def test_voicebot_models_shows_the_cache(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path / "speech", flush_every=3600)
    for text in ("a", "b"):
        cache.put(speech_key("v", RATE, text), pcm(1000), RATE)
    for hit in (True, True, True, False):
        cache.count(hit)
    cache.close()
    env = {"VOICEBOT_SPEECH_CACHE": str(tmp_path / "speech"), "VOICEBOT_SPEECH_CACHE_MB": "64"}
    models = ["models", "--cache-dir", str(tmp_path / "models")]
    text = CliRunner().invoke(main, models, env=env).output
    assert f"Speech cache: {tmp_path / 'speech'}" in text
    assert "2 sentences, 0.0 MB of 64 MB" in text and "hit rate: 75% (3 of 4 sentences said)" in text
    listing = json.loads(CliRunner().invoke(main, [*models, "--json"], env=env).output)
    assert listing["speech_cache"] == {
        "directory": str(tmp_path / "speech"),
        "entries": 2,
        "bytes": 2032,
        "max_bytes": 64 << 20,
        "hits": 3,
        "misses": 1,
        "hit_rate": 0.75,
    }
    off = CliRunner().invoke(main, [*models, "--json"], env={"VOICEBOT_SPEECH_CACHE": "off"})
    assert json.loads(off.output)["speech_cache"] is None
    bad = CliRunner().invoke(main, models, env={**env, "VOICEBOT_SPEECH_CACHE_MB": "lots"})
    assert bad.exit_code == 1 and "VOICEBOT_SPEECH_CACHE_MB 'lots'" in bad.output


@pytest.fixture
def practice(sqlite_url: str) -> Iterator[BookingService]:
    """The French sample practice on a fresh SQLite file."""
    service = BookingService.open(sqlite_url)
    apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC), NOW)
    yield service
    service.engine.dispose()


def test_the_pieces_warmed_are_the_practice_s_in_the_dialogue_s_words(practice: BookingService) -> None:
    from voicebot.speech.spoken import speakable, split_lead_in, split_sentences

    def split(text: str) -> list[str]:
        return split_lead_in(split_sentences(speakable(text, "fr")), "fr")

    pieces = list(practice_pieces(split, practice, NOW, limit=400))
    assert len(pieces) == len(set(pieces)) == 400
    assert "D'accord, avec le docteur Martin." in pieces and "Ce rendez-vous se prend avec Madame Girard." in pieces
    # Saturday 28 November at 10:00: the first offers are Monday's, then every following day's first slot
    offers = pieces[pieces.index("J'ai une place") :]
    assert offers[1:4] == [
        "lundi trente novembre à huit heures trente.",
        "J'ai de la place",
        "lundi trente novembre à huit heures trente,",
    ]
    assert "mardi premier décembre à huit heures trente avec le docteur Martin." in offers[:12]
    assert not any("samedi" in piece or "dimanche" in piece for piece in offers)


@pytest.mark.models
def test_a_new_synthesizer_says_from_disk_what_another_rendered(tmp_path: Path) -> None:
    first = KokoroSynthesizer()  # the French agent's voice, ff_siwis; each one new, as in a restarted server
    first.disk = SpeechCache(tmp_path)
    said = first.synthesize("Je vous écoute.")
    assert (first.misses, first.hits) == (1, 0)

    restarted = KokoroSynthesizer()
    restarted.disk = SpeechCache(tmp_path)
    again = restarted.synthesize("Je vous écoute.")
    assert (restarted.misses, restarted.hits) == (0, 1)
    assert again.pcm == said.pcm and again.compute_seconds == 0.0

    faster = KokoroSynthesizer(speed=1.1)
    faster.disk = SpeechCache(tmp_path)
    assert not faster.on_disk("Je vous écoute.")
    assert faster.cache_identity() != first.cache_identity() == restarted.cache_identity()
    lower = KokoroSynthesizer(blend=("pm_alex", 0.4))
    assert lower.cache_identity() not in (first.cache_identity(), faster.cache_identity())


@pytest.mark.models
def test_the_warm_up_renders_the_names_and_stops_when_asked(
    tmp_path: Path, practice: BookingService, caplog: pytest.LogCaptureFixture
) -> None:
    voice = KokoroSynthesizer()
    voice.disk = SpeechCache(tmp_path)
    names = [piece for piece in practice_pieces(voice.pieces, practice, NOW) if "Martin" in piece][:2]
    assert names == ["D'accord, avec le docteur Martin.", "Ce rendez-vous se prend avec le docteur Martin."]
    caplog.set_level(logging.INFO, logger="voicebot.speech.speech_warmup")
    warmup = SpeechWarmup(voice, names).start()
    assert warmup.done.wait(120)
    assert all(voice.on_disk(piece) for piece in names) and warmup.rendered == 2
    assert (voice.hits, voice.misses) == (0, 0)  # not a call's sentences
    assert voice.synthesize(names[0]).compute_seconds == 0.0  # a call then says it from disk
    assert "speech warm-up done: 2 pieces rendered, 0 already on disk" in caplog.text

    waiting = SpeechWarmup(voice, practice_pieces(voice.pieces, practice, NOW), busy=lambda: True).start()
    waiting.stop()  # the recognizer was busy all along: nothing rendered, and the thread ends
    assert waiting.done.is_set() and waiting.rendered == waiting.present == 0
    assert "speech warm-up stopped: 0 pieces rendered" in caplog.text
    assert SpeechWarmup(voice, names).start().done.wait(60)
    assert "speech warm-up done: 0 pieces rendered, 2 already on disk" in caplog.text


@pytest.mark.models
def test_the_engines_warm_the_practice_and_stop_at_shutdown(
    tmp_path: Path, practice: BookingService, recognizer: Recognizer
) -> None:
    engines = Engines(recognizer, {"fr": KokoroSynthesizer()})
    assert engines.warm_up_practice(practice, NOW) is None  # no disk cache: nothing to warm
    engines.use_speech_cache(SpeechCache(tmp_path, flush_every=3600))
    voice = engines.synthesizer("fr")
    assert isinstance(voice, KokoroSynthesizer) and voice.disk is engines.speech_cache
    voice.synthesize("D'accord.")  # a call's sentence, counted
    warmup = engines.warm_up_practice(practice, NOW)
    assert warmup is not None and engines.warmups == [warmup]
    engines.stop_background()  # what `voicebot serve` does at shutdown
    assert warmup.done.is_set() and engines.warmups == []
    assert read_stats(tmp_path).misses == 1  # the counters written out
    assert read_stats(tmp_path).entries == 1 + warmup.rendered
