"""A scripted phone call over SIP with `voicebot softphone --script` against a real `voicebot serve` (SIP on a
free UDP port of 127.0.0.1): it books, as the same call does through the simulated Twilio carrier
(`tests/voice/test_calls.py`). French, with the birth date on the keypad (RFC 4733 events); English speech over
SIP is checked by `tests/voice/test_sip_calls.py` (sipp) and English bookings through the Twilio carrier, which
drives the same pipeline: one booking over SIP keeps the suite's time down."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.speech.shared import heard as heard_words
from tests.voice.conftest import ROOT, VOICEBOT, Server, bot_tail_text, caller_wavs, serve_process
from tests.voice.test_calls import FRENCH_CALLER

pytestmark = [pytest.mark.models, pytest.mark.slow]


class SipBot:
    """A running `voicebot serve` with SIP on `sip_port` (a free UDP port: `--sip-port 0` turns SIP off)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.sip_port = server.sip_port

    def call(
        self,
        tmp_path: Path,
        lines: list[str],
        *,
        locale: str,
        caller_id: str,
        turn_gap: float,
        record: Path,
        timeout: float = 240.0,
    ) -> list[dict[str, Any]]:
        """`voicebot softphone --script --json` with `lines`; the JSON events."""
        script = tmp_path / "caller.txt"
        script.write_text("# the scripted caller\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
        command = [
            *VOICEBOT,
            "softphone",
            "--script",
            str(script),
            "--json",
            "--to",
            f"sip:voicebot@127.0.0.1:{self.sip_port}",
            "--language",
            locale,
            "--caller-id",
            caller_id,
            "--turn-gap",
            str(turn_gap),
            "--record",
            str(record),
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=self.server.env,
            timeout=timeout,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert events and events[-1]["type"] == "end", f"no end event:\n{done.stdout}\n{done.stderr[-3000:]}"
        return events


def start(tmp_path: Path, locale: str) -> Iterator[SipBot]:
    processes = serve_process(tmp_path, locale, "--log-level", "debug", sip=True)
    try:
        yield SipBot(next(processes).server)
    finally:
        processes.close()


@pytest.fixture
def french_sip(tmp_path: Path) -> Iterator[SipBot]:
    """`voicebot serve` on the French sample practice, SIP on."""
    yield from start(tmp_path, "fr")


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower())


def test_french_softphone_call_books_with_keypad_digits(tmp_path: Path, french_sip: SipBot) -> None:
    lines = caller_wavs(tmp_path, FRENCH_CALLER, "fr", voice="ff_siwis")
    events = french_sip.call(
        tmp_path, lines, locale="fr", caller_id="+33698765432", turn_gap=2.5, record=tmp_path / "call.wav"
    )
    said = "\n".join(event["text"] for event in events if event["type"] == "say")  # shown in full on failure
    heard = _words(said)
    log = french_sip.server.log.read_text(errors="replace")[-4000:]
    assert events[-1]["outcome"] == "completed", f"{said}\n{log}"
    booked = french_sip.server.appointments()
    assert len(booked) == 1, f"{said}\n{log}"
    assert booked[0]["start"].startswith("2026-12-01T08:40"), booked[0]  # dtmf:2, an RFC 4733 key press
    assert booked[0]["patient"]["last_name"].lower()[:1] == "d", booked[0]
    assert booked[0]["patient"]["birth_date"] == "1985-07-14", booked[0]  # eight keys in a row
    assert "capitule" in heard, said
    tail = _words(bot_tail_text(tmp_path / "call.wav", 8.0, "fr"))
    # "Merci de votre appel. Au revoir, et bonne journée.": 4 of its 5 words (one may be misheard).
    assert heard_words(tail, ("merci", "appel", "revoir", "bonne", "journ"), 4), (tail, said)
