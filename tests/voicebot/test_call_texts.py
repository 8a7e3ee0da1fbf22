"""`voicebot call` shows the texts the server sent during the call: a real `voicebot serve` (beeps, no speech
model), its real SMS sender, and the fake Twilio REST API that `voicebot call` plays; an appointment booked while
the call is on (as the bot would) on the server's SQLite database."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import pytest

from booking.db import open_engine
from booking.records import PatientDetails
from booking.service import BookingService
from tests.booking.service_helpers import slot
from tests.conftest import NOW, SAMPLE_CLINIC
from tests.pg import free_port
from tests.telephony.twilio.live import ACCOUNT, TOKEN
from tests.voicebot.serve_process import wait_healthy
from voicebot.sms_texts import SmsTexts

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VOICEBOT = [sys.executable, "-m", "voicebot"]
MOBILE = "+33612345678"


@dataclass
class Serving:
    """A running `voicebot serve --no-voice` and what a call needs to reach it."""

    url: str
    db: str
    env: dict[str, str]


def serve(tmp_path: Path, *, sms: bool) -> Iterator[Serving]:
    """`voicebot serve --no-voice` on the sample practice (texts on when `sms`), frozen at NOW, its Twilio REST API
    on a free loopback port (where `voicebot call` plays it)."""
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(
        SAMPLE_CLINIC.read_text(encoding="utf-8") + ("\n[sms]\nenabled = true\n" if sms else ""), encoding="utf-8"
    )
    port, api_port = free_port(), free_port()
    db = f"sqlite:///{tmp_path / 'voicebot.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBOT_", "TWILIO_"))}
    env |= {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "VOICEBOT_TWILIO_API_URL": f"http://127.0.0.1:{api_port}",
        "VOICEBOT_SMS_EVERY_SECONDS": "0.5",  # a round of the sender every half second, not every 5 s
        "PYTHONUNBUFFERED": "1",
    }
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    command = [*VOICEBOT, "serve", "--no-voice", "--sip-port", "0", "--port", str(port), "--clinic", str(clinic)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--db", db, "--now", NOW.isoformat()], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
    try:
        wait_healthy(url, process, log, timeout=90.0)
        yield Serving(url, db, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def texting_server(tmp_path: Path) -> Iterator[Serving]:
    yield from serve(tmp_path, sms=True)


@pytest.fixture
def quiet_server(tmp_path: Path) -> Iterator[Serving]:
    yield from serve(tmp_path, sms=False)


def lines_of(stream: IO[str]) -> queue.Queue[str | None]:
    """The lines of `stream` as they come (`None` at its end), read by a thread."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def call_booking_meanwhile(server: Serving, start: str, *options: str) -> tuple[list[str], str, str]:
    """`voicebot call` (keypad lines, no speech model): once the bot's first turn is over, an appointment for
    MOBILE is booked on the server's database, then the caller presses 7 and # (the beeps hang up). The call's
    stdout lines, the reference booked and the call's stderr."""
    command = [
        *VOICEBOT,
        "call",
        "--server",
        server.url,
        "--no-speech",
        "--answer-timeout",
        "2",
        "--turn-gap",
        "0.4",
        "--caller-id",
        MOBILE,
        *options,
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=server.env,
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    stdout = lines_of(process.stdout)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while not any(line.startswith("bot>") or '"listen"' in line for line in seen):
            line = stdout.get(timeout=max(deadline - time.monotonic(), 0.1))
            assert line is not None, f"the call ended early: {seen}\n{process.stderr.read()}"
            seen.append(line)
        engine = open_engine(server.db)
        patient = PatientDetails("Jean", "Dupont", date(1985, 7, 14), MOBILE)
        booked = BookingService(engine, texts=SmsTexts()).book(slot("martin", "consultation", start, 20), patient, NOW)
        engine.dispose()
        process.stdin.write("dtmf:7\ndtmf:#\n")
        process.stdin.close()
        assert process.wait(timeout=60) == 0, process.stderr.read()
        while (line := stdout.get(timeout=10)) is not None:
            seen.append(line)
        return [line.rstrip("\n") for line in seen], booked.reference, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def end_of(lines: list[str]) -> dict[str, Any]:
    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert events and events[-1]["type"] == "end", lines
    assert [e["type"] for e in events].count("end") == 1
    end: dict[str, Any] = events[-1]
    return end


def test_the_texts_of_the_call_are_listed_after_it(texting_server: Serving) -> None:
    lines, reference, _ = call_booking_meanwhile(texting_server, "2026-12-08T10:30", "--json", "--texts-wait", "15")
    end = end_of(lines)
    assert end["outcome"] == "completed"
    [text] = end["texts"]
    assert text["to"] == MOBILE
    assert f"Référence {reference}." in text["body"] and "mardi 8 décembre à 10 h 30" in text["body"]
    sent = subprocess.run(
        [*VOICEBOT, "sms", "list", "--json", "--db", texting_server.db],
        capture_output=True,
        text=True,
        env=texting_server.env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    [record] = json.loads(sent.stdout)
    assert (record["status"], record["body"]) == ("sent", text["body"])

    lines, reference, _ = call_booking_meanwhile(texting_server, "2026-12-09T11:00", "--texts-wait", "15")
    assert lines[-2].startswith("[call ended: completed")
    assert lines[-1].startswith(f"[text to {MOBILE}] ") and f"Référence {reference}." in lines[-1], lines


def test_no_text_without_the_sms_section(quiet_server: Serving) -> None:
    lines, _, _ = call_booking_meanwhile(quiet_server, "2026-12-08T10:30", "--json", "--texts-wait", "3")
    assert end_of(lines)["texts"] == []
    lines, _, _ = call_booking_meanwhile(quiet_server, "2026-12-09T11:00", "--texts-wait", "1")
    assert lines[-1].startswith("[call ended: completed") and not any("[text to" in line for line in lines)
