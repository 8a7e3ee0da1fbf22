"""Explicit downloads from Hugging Face: a Piper voice or a faster-whisper model, by name.

Only `voicebot models fetch NAME` calls this; nothing downloads at run time. Files go to the model cache
(`piper/NAME.onnx` + `.onnx.json`; `faster-whisper-NAME/`), each written to a temporary name first, with a
`SOURCE.json` beside them recording the URLs and SHA-256 of what was fetched.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voicebot.speech.errors import FetchFailed
from voicebot.speech.models import cache_dir, piper_dir

HUGGING_FACE = "https://huggingface.co"
PIPER_REPO = "rhasspy/piper-voices"
PIPER_NAME = re.compile(
    r"^(?P<lang>[a-z]{2,3})_(?P<region>[A-Z]{2})-(?P<speaker>\w+)-(?P<quality>x_low|low|medium|high)$"
)
WHISPER_FILES = (
    "config.json",
    "model.bin",
    "tokenizer.json",
    "vocabulary.txt",
    "vocabulary.json",
    "preprocessor_config.json",
)
WHISPER_REQUIRED = ("config.json", "model.bin", "tokenizer.json")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FetchPlan:
    """What a name resolves to: the files to download and where they go."""

    name: str
    kind: str
    """"piper" or "whisper"."""
    urls: dict[str, str]
    """File name → URL."""
    target: Path
    """The directory the files are written to."""
    required: tuple[str, ...]


def whisper_repo(name: str) -> str:
    """The Hugging Face repository of a faster-whisper model name ("small", "large-v3", "Systran/...")."""
    if "/" in name:
        return name
    from faster_whisper.utils import _MODELS  # the name → repository table faster-whisper itself uses

    if name not in _MODELS:
        raise FetchFailed(f"unknown faster-whisper model {name!r}; known: {', '.join(sorted(_MODELS))}")
    return str(_MODELS[name])


def plan(name: str, cache: str | Path | None = None, base_url: str = HUGGING_FACE) -> FetchPlan:
    """Resolve a name: a Piper voice like `fr_FR-siwis-medium`, or `whisper-small` / `whisper-ORG/REPO`."""
    base_url = base_url.rstrip("/")
    voice = PIPER_NAME.match(name)
    if voice:
        folder = f"{voice['lang']}/{voice['lang']}_{voice['region']}/{voice['speaker']}/{voice['quality']}"
        urls = {
            f"{name}{ext}": f"{base_url}/{PIPER_REPO}/resolve/main/{folder}/{name}{ext}"
            for ext in (".onnx", ".onnx.json")
        }
        return FetchPlan(name, "piper", urls, piper_dir(cache), tuple(urls))
    if name.startswith("whisper-"):
        repo = whisper_repo(name.removeprefix("whisper-"))
        urls = {f: f"{base_url}/{repo}/resolve/main/{f}" for f in WHISPER_FILES}
        folder = "faster-whisper-" + repo.rsplit("/", 1)[-1].removeprefix("faster-whisper-")
        return FetchPlan(name, "whisper", urls, cache_dir(cache) / folder, WHISPER_REQUIRED)
    raise FetchFailed(
        f"{name!r} is neither a Piper voice (e.g. fr_FR-siwis-medium, see "
        f"{HUGGING_FACE}/{PIPER_REPO}) nor a Whisper model (e.g. whisper-small, whisper-large-v3)"
    )


def _download(url: str, target: Path, progress: Progress, timeout: float) -> str | None:
    """Download to `target`; returns its SHA-256, or None when the server has no such file (404)."""
    partial = target.with_name(f".{target.name}.partial")
    digest, size, last = hashlib.sha256(), 0, 0.0
    request = urllib.request.Request(url, headers={"User-Agent": "voicebot-models-fetch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
                digest.update(block)
                size += len(block)
                if time.monotonic() - last > 1 or size == total:
                    last = time.monotonic()
                    share = f" ({100 * size / total:.0f} %)" if total else ""
                    progress(f"  {target.name}: {size / 1e6:.1f} MB{share}")
    except urllib.error.HTTPError as error:
        partial.unlink(missing_ok=True)
        if error.code == 404:
            return None
        raise FetchFailed(f"{url}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", error)
        raise FetchFailed(
            f"cannot download {url}: {reason}. This needs internet access to Hugging Face; "
            "on an offline machine, copy the files into the cache directory by hand."
        ) from error
    partial.replace(target)
    return digest.hexdigest()


def fetch(
    name: str,
    cache: str | Path | None = None,
    *,
    base_url: str = HUGGING_FACE,
    progress: Progress = print,
    timeout: float = 30.0,
) -> Path:
    """Download a Piper voice or a faster-whisper model into the cache; returns the voice file or model folder."""
    todo = plan(name, cache, base_url)
    todo.target.mkdir(parents=True, exist_ok=True)
    fetched: dict[str, dict[str, str]] = {}
    for filename, url in todo.urls.items():
        progress(f"{name}: {url}")
        sha256 = _download(url, todo.target / filename, progress, timeout)
        if sha256 is None:
            if filename in todo.required:
                raise FetchFailed(f"{url} does not exist (HTTP 404): is {name!r} spelled right?")
            continue
        fetched[filename] = {"url": url, "sha256": sha256}
    source = todo.target / (f"{name}.SOURCE.json" if todo.kind == "piper" else "SOURCE.json")
    source.write_text(
        json.dumps({"name": name, "fetched": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "files": fetched}, indent=2) + "\n"
    )
    return todo.target / f"{name}.onnx" if todo.kind == "piper" else todo.target
