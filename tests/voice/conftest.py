"""A real `voicebot serve` subprocess on a temporary SQLite database, and `voicebot call --json` against it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.pg import free_port
from tests.voicebot.serve_process import wait_healthy

ROOT = Path(__file__).resolve().parents[2]
CLINICS = {"fr": ROOT / "config" / "clinic.toml", "en": ROOT / "config" / "clinic.en.toml"}
NOW = "2026-11-28T10:00"
ACCOUNT = "AC" + "0" * 32
TOKEN = "voice-test-token"
VOICEBOT = [sys.executable, "-m", "voicebot"]
SERVE = [sys.executable, "-m", "tests.speech.quiet_voicebot", "serve"]
"""`voicebot serve` with Piper's voices without noise: the bot says each line the same way on every run."""


@dataclass
class Server:
    """A running `voicebot serve` and what a call needs to reach it."""

    url: str
    db: str
    env: dict[str, str]
    log: Path
    sip_port: int = 0
    """The SIP server's UDP port on 127.0.0.1 (0: SIP off)."""

    def call(
        self,
        lines: list[str],
        *,
        locale: str,
        caller_id: str,
        turn_gap: float = 1.2,
        timeout: float = 240.0,
        record: Path | None = None,
    ) -> list[dict[str, Any]]:
        """Place a call with `voicebot call --json`, the caller's `lines` on stdin; the JSON events."""
        command = [
            *VOICEBOT,
            "call",
            "--json",
            "--server",
            self.url,
            "--locale",
            locale,
            "--caller-id",
            caller_id,
            "--turn-gap",
            str(turn_gap),
            "--texts-wait",
            "0",
        ]
        if record is not None:
            command += ["--record", str(record)]
        done = subprocess.run(
            command,
            input="".join(f"{line}\n" for line in lines),
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            cwd=ROOT,
        )
        events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert events and events[-1]["type"] == "end", f"no end event:\n{done.stdout}\n{done.stderr[-3000:]}"
        return events

    def appointments(self) -> list[dict[str, Any]]:
        """`voicebot appointments list --json` on the server's database."""
        result: list[dict[str, Any]] = self.query("appointments", "list")
        return result

    def query(self, *command: str) -> Any:
        """`voicebot COMMAND --json` on the server's database, its JSON (`calls list`, `calls show 1`...)."""
        done = subprocess.run(
            [*VOICEBOT, *command, "--json", "--db", self.db, "--now", NOW],
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
            cwd=ROOT,
        )
        return json.loads(done.stdout)


def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(tmp_path: Path, locale: str, *options: str) -> Iterator[Server]:
    """`voicebot serve` on `locale`'s sample clinic, frozen at `NOW`, Twilio REST pointed at 127.0.0.1, with more
    `serve` options."""
    processes = serve_process(tmp_path, locale, *options)
    try:
        yield next(processes).server
    finally:
        processes.close()


@pytest.fixture
def english_server(tmp_path: Path) -> Iterator[Server]:
    """`voicebot serve` on the English sample surgery, its log at debug (the calls' delays are read from it)."""
    yield from start_server(tmp_path, "en", "--log-level", "debug")


@pytest.fixture
def french_server(tmp_path: Path) -> Iterator[Server]:
    """`voicebot serve` on the French sample practice, its log at the default level (what a practice keeps)."""
    yield from start_server(tmp_path, "fr")


def caller_wavs(tmp_path: Path, lines: list[str], locale: str, voice: str | None = None) -> list[str]:
    """Text lines spoken in advance by the simulated caller's Kokoro voice, as `wav:PATH` lines (the caller then
    answers at once instead of synthesising while the bot waits); other lines (`dtmf:...`) as they are. Each
    line is synthesised once per test process (tests/speech/shared.py)."""
    from tests.speech.shared import caller_speech
    from voicebot.simulate.carrier import CALLER_VOICES
    from voicebot.speech.audio import write_wav

    result = []
    for index, line in enumerate(lines):
        if line.startswith(("dtmf:", "wav:", "human:")) or line in ("", "silence", "hangup"):
            result.append(line)
            continue
        pcm, rate = caller_speech(line, voice or CALLER_VOICES[locale], locale)
        path = tmp_path / f"caller-{index}.wav"
        write_wav(path, pcm, rate)
        result.append(f"wav:{path}")
    return result


def bot_tail_text(recording: Path, seconds: float, locale: str) -> str:
    """Whisper's text of the last `seconds` of the bot's side of a `voicebot call --record` file (the channel
    the caller hears): what was heard just before the call ended."""
    import wave

    import numpy as np

    from tests.speech.shared import recognizer
    from voicebot.speech.audio import resample

    with wave.open(str(recording)) as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), np.int16).reshape(-1, channels)
    tail = samples[-int(rate * seconds) :, channels - 1].astype(np.float32) / 32768
    pcm = (resample(tail, rate, 16000) * 32767).astype(np.int16).tobytes()
    return recognizer().transcribe(pcm, locale).text


# -- call control (tests/voice/test_call_control.py) ---------------------------------------------------------------


@dataclass
class ServeProcess:
    """A `voicebot serve` subprocess started by `serve_process`, with its port for Twilio's REST API."""

    server: Server
    process: subprocess.Popen[bytes]
    api_port: int


def serve_process(tmp_path: Path, locale: str, *extra: str, sip: bool = False) -> Iterator[ServeProcess]:
    """`voicebot serve` on `locale`'s sample clinic, frozen at `NOW`, Twilio REST pointed at 127.0.0.1, with more
    `serve` options, and the process itself (to signal it); its SIP server on a free UDP port of 127.0.0.1 when
    `sip` is true, else off."""
    port, api_port = free_port(), free_port()
    sip_port = free_udp_port() if sip else 0
    db = f"sqlite:///{tmp_path / 'voicebot.db'}"
    env = {
        **os.environ,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "VOICEBOT_TWILIO_API_URL": f"http://127.0.0.1:{api_port}",
        "PYTHONUNBUFFERED": "1",
    }
    for name in (
        "VOICEBOT_PUBLIC_URL",
        "TWILIO_AUTH_TOKEN_FILE",
        "VOICEBOT_STAFF_NUMBER",
        "VOICEBOT_NOW",
        "VOICEBOT_SIP_USER",
        "VOICEBOT_SIP_PASSWORD",
        "VOICEBOT_SIP_USER_FILE",
        "VOICEBOT_SIP_PASSWORD_FILE",
        "VOICEBOT_SIP_STAFF_URI",
        "VOICEBOT_SIP_STAFF_HOST",
    ):
        env.pop(name, None)
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *SERVE,
                "--db",
                db,
                "--now",
                NOW,
                "--clinic",
                str(CLINICS[locale]),
                "--port",
                str(port),
                "--sip-port",
                str(sip_port),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    try:
        wait_healthy(url, process, log)
        yield ServeProcess(Server(url, db, env, log, sip_port), process, api_port)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
