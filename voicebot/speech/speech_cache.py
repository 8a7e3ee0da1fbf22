"""Rendered sentences kept in memory and on disk, so that a restart does not render them again.

`SentenceMemory` is the process's LRU (with the pinned fixed prompts). `SpeechCache` is a directory of
sentences shared by every process of the machine: one file per sentence, named by the SHA-256 of what made its
audio (`speech_key`: engine, voice, model files, sample rate, normalised text), written atomically (a temporary
file, then `os.replace`), checked when read (a short header with its length and CRC: a torn or foreign file is
a miss, deleted), bounded in size (the least recently used files go first: a hit touches the file's mtime).
Hits and misses are added to a small `stats.json` at most every `flush_every` seconds and at `close`, under a
file lock, so several processes add up.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from hashlib import sha256
from pathlib import Path

from platformdirs import user_cache_dir

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 << 20
"""The disk cache's default size bound (about 40 minutes of 24 kHz speech)."""
SUFFIX = ".pcm"
STATS_FILE = "stats.json"
_HEADER = struct.Struct("<4sIII")
"""magic, sample rate, PCM bytes, CRC-32 of the PCM."""
_MAGIC = b"VBS1"
_STALE_TMP_SECONDS = 600.0
"""A temporary file this old was left by a killed writer: eviction deletes it."""


def default_directory() -> Path:
    """Where rendered sentences live by default: beside the models, in the user cache (`~/.cache/voicebot/speech`)."""
    return Path(user_cache_dir("voicebot")) / "speech"


SMALL_FILE = 1 << 20
"""`file_identity` hashes files smaller than this (a voice's JSON config); larger ones are not read."""


def file_identity(paths: Iterable[str | Path]) -> str:
    """A short stable string naming the versions of model files, so that a model upgrade changes the disk keys.

    Each file counts by name and size, and by the SHA-256 of its content when small, else by its modification
    time (nanoseconds: an install writes the weights anew). A missing file counts as missing.
    """
    digest = sha256()
    for path in map(Path, paths):
        try:
            info = path.stat()
            version = sha256(path.read_bytes()).hexdigest() if info.st_size < SMALL_FILE else str(info.st_mtime_ns)
            digest.update(f"{path.name}|{info.st_size}|{version}\x1f".encode())
        except OSError:
            digest.update(f"{path.name}|missing\x1f".encode())
    return digest.hexdigest()[:16]


def speech_key(identity: str, sample_rate: int, text: str) -> str:
    """The file name (without suffix) of `text` rendered by the voice `identity` at `sample_rate`."""
    return sha256("\x1f".join(("v1", identity, str(sample_rate), text)).encode()).hexdigest()


@dataclass(frozen=True)
class SpeechCacheStats:
    """What `voicebot models` shows of the disk cache."""

    directory: str
    entries: int
    bytes: int
    max_bytes: int
    hits: int
    """Sentences the calls said without rendering them (from memory or disk)."""
    misses: int
    """Sentences rendered during a call."""

    @property
    def hit_rate(self) -> float | None:
        """Hits over lookups; `None` before the first lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else None

    def as_dict(self) -> dict[str, object]:
        """The fields and the hit rate, for JSON."""
        return {**asdict(self), "hit_rate": self.hit_rate}


class SentenceMemory:
    """The process's sentence cache: an LRU bounded to `max_bytes`, and pinned sentences never evicted."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lru: OrderedDict[str, bytes] = OrderedDict()
        self._pinned: dict[str, bytes] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, piece: str) -> bytes | None:
        """The sentence's audio, if kept (a use: it becomes the most recent)."""
        with self._lock:
            pcm = self._pinned.get(piece)
            if pcm is None and piece in self._lru:
                self._lru.move_to_end(piece)
                pcm = self._lru[piece]
            return pcm

    def pinned(self, piece: str) -> bool:
        """Whether the sentence is pinned."""
        return piece in self._pinned

    def pin(self, piece: str, pcm: bytes) -> None:
        """Keep the sentence for the life of the process."""
        with self._lock:
            self._pinned[piece] = pcm

    def put(self, piece: str, pcm: bytes) -> None:
        """Keep the sentence, evicting the least recently used beyond the budget."""
        with self._lock:
            if piece in self._lru or piece in self._pinned or len(pcm) > self.max_bytes:
                return
            self._lru[piece] = pcm
            self._bytes += len(pcm)
            while self._bytes > self.max_bytes:
                self._bytes -= len(self._lru.popitem(last=False)[1])


def _lock_file(stream: object) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: the stats file is replaced atomically all the same
        return
    fcntl.flock(stream.fileno(), fcntl.LOCK_EX)  # type: ignore[attr-defined]


def _remove(path: Path) -> None:
    """Delete a file if possible (a directory gone or read-only leaves it: never an error)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _read_counts(directory: Path) -> tuple[int, int]:
    try:
        data = json.loads((directory / STATS_FILE).read_text(encoding="utf-8"))
        return int(data.get("hits", 0)), int(data.get("misses", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0, 0


def _entries(directory: Path, clean: bool = True) -> list[tuple[float, int, Path]]:
    """(mtime, size, path) of every sentence file; stale temporary files are deleted on the way when `clean`."""
    found: list[tuple[float, int, Path]] = []
    try:
        scan = list(os.scandir(directory))
    except OSError:
        return found
    now = time.time()
    for entry in scan:
        try:
            info = entry.stat()
        except OSError:
            continue
        if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
            found.append((info.st_mtime, info.st_size, Path(entry.path)))
        elif clean and entry.name.endswith(".tmp") and now - info.st_mtime > _STALE_TMP_SECONDS:
            _remove(Path(entry.path))
    return found


def read_stats(directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SpeechCacheStats:
    """The disk cache's numbers, read without creating or changing anything."""
    entries = _entries(directory, clean=False) if directory.is_dir() else []
    hits, misses = _read_counts(directory)
    return SpeechCacheStats(str(directory), len(entries), sum(e[1] for e in entries), max_bytes, hits, misses)


class SpeechCache:
    """A directory of rendered sentences shared by the machine's processes (see the module's docstring).

    Never raises on disk trouble: an unwritable directory makes every lookup a miss (logged once).

    Args:
        directory: Where the sentence files live (created if missing).
        max_bytes: Size bound of the files together.
        flush_every: Seconds between two additions of the counters to `stats.json`.
    """

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES, *, flush_every: float = 30.0) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.flush_every = flush_every
        self._lock = threading.Lock()
        self._hits = self._misses = 0
        self._flushed_at = time.monotonic()
        self._usable = True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._disable(error)
        self._bytes = sum(e[1] for e in _entries(self.directory))

    def _disable(self, error: OSError) -> None:
        if self._usable:
            log.warning("speech cache %s unusable (%s): sentences are rendered again", self.directory, error)
        self._usable = False

    def path(self, key: str) -> Path:
        """The file of a key."""
        return self.directory / f"{key}{SUFFIX}"

    def contains(self, key: str) -> bool:
        """Whether the key has a file (not checked, not touched)."""
        return self._usable and self.path(key).is_file()

    def get(self, key: str, sample_rate: int) -> bytes | None:
        """The sentence's PCM, or `None` (a torn, short or foreign file is deleted); a hit touches the file."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if len(data) >= _HEADER.size:
            magic, rate, length, crc = _HEADER.unpack_from(data)
            pcm = data[_HEADER.size :]
            if magic == _MAGIC and rate == sample_rate and length == len(pcm) and zlib.crc32(pcm) == crc:
                try:
                    os.utime(path)
                except OSError:
                    pass
                return pcm
        log.info("speech cache: %s is damaged, rendering it again", path.name)
        _remove(path)
        return None

    def put(self, key: str, pcm: bytes, sample_rate: int) -> None:
        """Store a sentence atomically, then evict beyond the size bound."""
        size = _HEADER.size + len(pcm)
        if not self._usable or size > self.max_bytes:
            return
        tmp = self.directory / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with tmp.open("wb") as stream:
                stream.write(_HEADER.pack(_MAGIC, sample_rate, len(pcm), zlib.crc32(pcm)))
                stream.write(pcm)
            os.replace(tmp, self.path(key))
        except OSError as error:
            _remove(tmp)
            self._disable(error)
            return
        with self._lock:
            self._bytes += size
            over = self._bytes > self.max_bytes
        if over:
            self.evict()

    def evict(self) -> None:
        """Delete the least recently used files until they take 90 % of the bound at most."""
        entries = sorted(_entries(self.directory))
        total = sum(e[1] for e in entries)
        target = self.max_bytes * 9 // 10
        for _mtime, size, path in entries:
            if total <= target:
                break
            _remove(path)
            total -= size
        with self._lock:
            self._bytes = total

    def count(self, hit: bool) -> None:
        """Count a call's sentence lookup; the counters reach `stats.json` every `flush_every` seconds."""
        with self._lock:
            if hit:
                self._hits += 1
            else:
                self._misses += 1
            due = time.monotonic() - self._flushed_at >= self.flush_every
        if due:
            self.flush()

    def flush(self) -> None:
        """Add the counters to `stats.json` (under a lock file, replaced atomically)."""
        with self._lock:
            hits, misses, self._hits, self._misses = self._hits, self._misses, 0, 0
            self._flushed_at = time.monotonic()
        if not (hits or misses) or not self._usable:
            return
        try:
            with (self.directory / ".stats.lock").open("a") as lock:
                _lock_file(lock)
                old_hits, old_misses = _read_counts(self.directory)
                tmp = self.directory / f".stats.{os.getpid()}.tmp"
                tmp.write_text(json.dumps({"hits": old_hits + hits, "misses": old_misses + misses}), encoding="utf-8")
                os.replace(tmp, self.directory / STATS_FILE)
        except OSError as error:
            log.warning("speech cache: cannot write its statistics (%s)", error)

    def close(self) -> None:
        """Write the counters out."""
        self.flush()

    def stats(self) -> SpeechCacheStats:
        """Entries, bytes, and the counters (written and not yet written)."""
        written = read_stats(self.directory, self.max_bytes)
        with self._lock:
            hits, misses = self._hits, self._misses
        hits, misses = written.hits + hits, written.misses + misses
        return SpeechCacheStats(written.directory, written.entries, written.bytes, self.max_bytes, hits, misses)
