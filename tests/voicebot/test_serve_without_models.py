"""`voicebot serve` with phone lines but no speech models installed stops at once with a sentence that names
`voicebot models install` (and `--no-voice`), exit code 1, no traceback; `--no-voice` serves the console."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.pg import free_port


def serve(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "empty-cache")}  # no model there
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "VOICEBOT_TWILIO_API_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "voicebot", "serve", "--db", f"sqlite:///{tmp_path / 'bot.db'}"]
    command += ["--port", str(free_port()), "--sip-port", str(free_port()), *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_without_the_models_says_how_to_install_them_and_exits_1(tmp_path: Path) -> None:
    process = serve(tmp_path)
    try:
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 1, err
    assert "voicebot models install" in err and "--no-voice" in err, err
    assert "Traceback" not in err


def test_serve_no_voice_needs_no_model(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    command = [sys.executable, "-m", "voicebot", "serve", "--db", f"sqlite:///{tmp_path / 'bot.db'}"]
    command += ["--port", str(port), "--sip-port", "0", "--no-voice"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    status = answer.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200, process.stderr.read() if process.poll() is not None else "no answer"
    finally:
        process.terminate()
        process.wait(timeout=30)
