"""The caller's side of a benchmark call, whatever carries it: a simulated patient (`voicebot.bench.patient`)
answering the JSON protocol of `voicebot chat --json`, which `voicebot call --json` speaks over the phone line too.

`Call` turns the bot's messages into caller lines and keeps the transcript; `play_process` plays a call against
a child process speaking that protocol on its stdin and stdout (`voicebot chat --json`, `voicebot call --json`).
Both bound the call: a cap on the caller's turns and a time limit, after which the caller hangs up, and a hard
limit after which the process is killed.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

from voicebot.bench.patient import Patient, Persona

ROOT = Path(__file__).resolve().parents[2]
TURN_CAP = 30
"""Caller turns after which the caller hangs up (a loop ends by itself)."""
TIMEOUT_S = 20.0
"""Seconds after which the caller hangs up at the next question (a chat call takes well under a second)."""


class Call:
    """One call's caller side: turns bot messages into caller lines, keeps the transcript.

    Args:
        persona: Who calls.
        today: The call's day (to place the offered days in a year).
        turn_cap: Caller turns after which the caller hangs up.
        timeout_s: Seconds after which the caller hangs up at the next question.
    """

    def __init__(
        self, persona: Persona, today: date, *, turn_cap: int = TURN_CAP, timeout_s: float = TIMEOUT_S
    ) -> None:
        self.patient = Patient(persona, today)
        self.transcript: list[str] = []
        self.turns = 0
        self.outcome: str | None = None
        self.turn_cap = turn_cap
        self.deadline = time.monotonic() + timeout_s
        self.says: list[str] = []

    def hear(self, messages: list[dict[str, Any]]) -> str | None:
        """Record the bot's messages; the caller's answer when the last one is a `listen`, else `None`."""
        for message in messages:
            if message["type"] == "say":
                self.says.append(message["text"])
                self.transcript.append(f"bot: {message['text']}")
            elif message["type"] == "end":
                self.outcome = message.get("outcome")
                self.transcript.append(f"[end: {self.outcome}]")
        if not messages or messages[-1]["type"] != "listen":
            return None
        if self.turns >= self.turn_cap or time.monotonic() > self.deadline:
            self.transcript.append(f"[caller hangs up: {'turn cap' if self.turns >= self.turn_cap else 'timeout'}]")
            return "hangup"
        line = self.patient.answer(self.understood(self.says), messages[-1].get("expect"))
        self.says = []
        self.turns += 1
        self.transcript.append(f"caller ({self.patient.last}, expect {messages[-1].get('expect')}): {line}")
        return line

    def understood(self, says: list[str]) -> list[str]:
        """The bot's lines as the patient reads them (as they came here)."""
        return says

    @property
    def worst_loop(self) -> tuple[str, int]:
        """The question class asked most often in this call, and how many times (`("", 0)` before any)."""
        asked = self.patient.asked
        return max(asked.items(), key=lambda item: item[1]) if asked else ("", 0)


def play_process(
    call: Call,
    command: Sequence[str],
    *,
    limit_s: float,
    env: Mapping[str, str] | None = None,
    stderr: IO[bytes] | int = subprocess.DEVNULL,
) -> None:
    """Play `call` against a child process speaking `voicebot chat --json`'s protocol.

    The process is killed when it has not ended `limit_s` seconds after it started (noted in the transcript),
    and in any case before this returns or raises (Ctrl-C included).
    """
    process = subprocess.Popen(
        list(command),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=ROOT,
        env=None if env is None else dict(env),
    )
    assert process.stdin is not None and process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = process.stdout

    def pump() -> None:
        for text in stdout:
            lines.put(text)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + limit_s
    try:
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            if not line.startswith("{"):
                continue
            answer = call.hear([json.loads(line)])
            if answer is not None:
                try:
                    process.stdin.write(answer + "\n")
                    process.stdin.flush()
                except BrokenPipeError:
                    pass  # the process is ending: what it printed last is still read
    except queue.Empty:
        call.transcript.append("[timeout: the process stopped answering]")
    finally:
        process.kill() if process.poll() is None else None
        process.wait()
