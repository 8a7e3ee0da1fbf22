"""`voicebot chat --json`: every line of stdin is the caller's, one starting with `#` included (a client that sends
"#5 please" after `listen` gets an answer, it does not wait forever); comments belong to `--script` files."""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from booking.clinic import load_clinic
from tests.conftest import NOW, ROOT, SAMPLE_CLINIC, SAMPLE_CLINIC_EN
from tests.dialogue.fake_port import FakePort
from voicebot.simulate.chat import run_chat

ANSWER_TIMEOUT = 30.0
"""Seconds the bot may take to answer one line (the first includes the process's start and migrations)."""


class ChatProcess:
    """A real `voicebot chat --json` child: caller lines in on stdin, the bot's JSON events read with a timeout."""

    def __init__(self, *args: str, db: str) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voicebot", "chat", "--json", "--db", db, "--now", "2026-11-28T10:00", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env=environment,
        )
        self._events: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._events.put(line)
        self._events.put(None)

    def event(self) -> dict[str, object]:
        """The bot's next event; fails when none comes within `ANSWER_TIMEOUT` seconds."""
        try:
            line = self._events.get(timeout=ANSWER_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"the bot said nothing within {ANSWER_TIMEOUT:.0f} s") from None
        assert line is not None, "the bot ended its output"
        event: dict[str, object] = json.loads(line)
        return event

    def until(self, kind: str) -> list[dict[str, object]]:
        """The events up to the first of type `kind`, included."""
        events = [self.event()]
        while events[-1]["type"] != kind:
            events.append(self.event())
        return events

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def hang_up(self) -> int:
        """Close stdin (the caller hangs up) and return the exit status."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(timeout=ANSWER_TIMEOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def test_a_line_starting_with_hash_after_listen_gets_an_answer(tmp_path: Path) -> None:
    chat = ChatProcess("--clinic", str(SAMPLE_CLINIC_EN), "--language", "en", db=f"sqlite:///{tmp_path / 'v.db'}")
    try:
        greeting = chat.until("listen")
        assert greeting[0]["type"] == "say"
        chat.say("#5 please")
        answer = chat.until("listen")  # before the fix the line was dropped as a comment: nothing came back
        assert any(event["type"] == "say" for event in answer)
        chat.say("# hangup")  # not a comment either: the caller said it, and the bot answers again
        assert chat.until("listen")
        assert chat.hang_up() == 0
        assert chat.event() == {"type": "end", "outcome": "hung_up", "reference": None}
    finally:
        chat.kill()


def test_script_files_keep_their_comments_in_json_mode(tmp_path: Path) -> None:
    script = tmp_path / "call.txt"
    script.write_text("# the caller presses 0 for the staff\ndtmf:0\n", encoding="utf-8")
    chat = ChatProcess("--script", str(script), "--clinic", str(SAMPLE_CLINIC_EN), db=f"sqlite:///{tmp_path / 'v.db'}")
    try:
        events = chat.until("end")
        assert sum(event["type"] == "listen" for event in events) == 1  # the comment was no turn of the caller
        assert events[-1]["outcome"] == "transferred"
        assert chat.hang_up() == 0
    finally:
        chat.kill()


def test_run_chat_in_json_mode_reads_hash_lines_from_stdin_as_speech() -> None:
    clinic = load_clinic(SAMPLE_CLINIC)
    now = NOW.replace(tzinfo=clinic.practice.zone)
    out = io.StringIO()
    code = run_chat(
        FakePort(clinic), now_fn=lambda: now, json_mode=True, out=out, err=io.StringIO(), inp=io.StringIO("#5 svp\n")
    )
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 0
    assert [event["type"] for event in events].count("listen") == 2  # the greeting's, then the answer's
    assert events[-1] == {"type": "end", "outcome": "hung_up", "reference": None}
