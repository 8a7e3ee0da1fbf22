"""`voicebot bench line`: the conversation suite over the phone line.

The scenarios listed in bench/line-scenarios.toml (of tests/dialogue/scenarios/*.toml) are played as
`voicebot bench dialogue` plays them, by the same reactive patient (`voicebot.bench.conversation.Call`), but
through a real phone line: for each scenario and each caller voice, its SQLite database is prepared, a
`voicebot serve` is started on it (free ports on 127.0.0.1, the scenario's practice and frozen time), and a
`voicebot call --json` process places the call (real-time 20 ms mu-law audio, the caller's lines spoken by a
Kokoro voice, the bot's audio transcribed by Whisper on the caller's side). Then the server is stopped and the
database checked. One server per call: a fresh process and database, as in use; its start-up (the models
loaded, the fixed prompts synthesised) is measured apart from the call.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from voicebot.bench.conversation import play_process
from voicebot.bench.dialogue import ROOT, Result, Scenario, judge, prepare
from voicebot.bench.ear import LineCall
from voicebot.bench.line_plan import Planned
from voicebot.bench.line_voice import CallerLines

TURN_CAP = 20
"""Caller turns after which the caller hangs up."""
CALL_LIMIT_S = 420.0
"""Seconds after which the caller hangs up at the next question; the call process is killed a minute later."""
TURN_GAP = 1.5
"""Seconds of the bot's silence that end its turn for the caller (`voicebot call --turn-gap`): on busy cores the
bot's audio can pause over a second between two sentences while the next one is synthesised."""
START_LIMIT_S = 300.0
"""Seconds for `voicebot serve` to be healthy (models loaded, prompts synthesised: under a minute usually)."""
ACCOUNT = "AC" + "0" * 32
TOKEN = "voicebot-bench-line"
HEARD = re.compile(r"heard ('.*'|\".*\") in [\d.]+ s$")
"""The server's debug line of what its recogniser made of one caller turn."""
SAID = re.compile(r"Generating TTS \[(.*)\]$")
"""pipecat's debug line of a sentence the bot synthesises (what it said, before the line and the caller's ear)."""
CLEARED_ENV = (
    "VOICEBOT_DB",
    "VOICEBOT_NOW",
    "VOICEBOT_PUBLIC_URL",
    "VOICEBOT_STAFF_NUMBER",
    "TWILIO_AUTH_TOKEN_FILE",
    "VOICEBOT_SIP_USER",
    "VOICEBOT_SIP_PASSWORD",
    "VOICEBOT_SIP_USER_FILE",
    "VOICEBOT_SIP_PASSWORD_FILE",
    "VOICEBOT_SIP_STAFF_URI",
    "VOICEBOT_SIP_STAFF_HOST",
)


class LineError(Exception):
    """The bench cannot go on (a server that does not start, a selection that names no scenario)."""


@dataclass
class LineResult:
    """A finished call over the line."""

    result: Result
    """As `voicebot bench dialogue` gives it (`seconds`: preparation, server, call and check)."""
    voice: str
    server_seconds: float
    """From starting `voicebot serve` to its health check passing."""
    call_seconds: float
    """From placing the call to its end."""
    heard: list[str] = field(default_factory=list)
    """What the bot's recogniser made of each caller turn (the server's log)."""
    said: list[str] = field(default_factory=list)
    """The bot's sentences as it synthesised them (the server's log), to tell its words from the caller's ear."""
    lost: int = 0
    load: float = 0.0
    """The machine's 1-minute load average at the call's end (real-time calls on busy cores go wrong)."""
    lines_seconds: float = 0.0
    """Speaking the caller's likely lines beforehand (`voicebot.bench.line_voice`)."""
    """Bot turns the caller could not place (answered "pardon ?"): its ear misheard, or the bot said no question."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def line_env(api_port: int) -> dict[str, str]:
    """The environment of the server and the call: local Twilio credentials, Twilio's REST API on loopback."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_AUTH_TOKEN=TOKEN,
        VOICEBOT_TWILIO_API_URL=f"http://127.0.0.1:{api_port}",
        PYTHONUNBUFFERED="1",
        VOICEBOT_SPEECH_CACHE="off",  # each call's server renders as a fresh install would, and warms nothing up
    )
    return env


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """Terminate a child process, killed when it has not exited within `grace` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serve(scenario: Scenario, url: str, log: Path, env: dict[str, str]) -> Iterator[tuple[str, float]]:
    """`voicebot serve` on the scenario's database: its URL once healthy and the seconds that took; stopped on
    leaving (whatever happens, Ctrl-C included).

    Raises:
        LineError: The server exited or was not healthy within `START_LIMIT_S`.
    """
    port = free_port()
    command = [sys.executable, "-m", "voicebot", "serve", "--db", url, "--clinic", str(scenario.clinic)]
    command += ["--now", scenario.now.isoformat(), "--port", str(port), "--sip-port", "0"]
    command += ["--drain-seconds", "0", "--log-level", "debug"]
    began = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        while not _healthy(base):
            if process.poll() is not None or time.monotonic() - began > START_LIMIT_S:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise LineError(f"voicebot serve did not start for {scenario.id}:\n{tail}")
            time.sleep(0.3)
        yield base, time.monotonic() - began
    finally:
        stop(process)


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def server_lines(log: Path) -> tuple[list[str], list[str]]:
    """From the server's debug log: what its recogniser heard, turn by turn, and the sentences it said."""
    heard, said = [], []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if (match := HEARD.search(line)) is not None:
            try:
                heard.append(str(ast.literal_eval(match.group(1))))
            except (ValueError, SyntaxError):
                continue
        elif (match := SAID.search(line)) is not None:
            said.append(match.group(1))
    return heard, said


def run_call(
    planned: Planned,
    folder: Path,
    templates: dict[Path, Path],
    *,
    turn_cap: int = TURN_CAP,
    limit_s: float = CALL_LIMIT_S,
    turn_gap: float = TURN_GAP,
    lines: CallerLines | None = None,
) -> LineResult:
    """Prepare the scenario's database and the caller's likely lines (`lines`), start its server, place the call,
    stop the server, check the database.
    """
    scenario, voice = planned.scenario, planned.voice
    language = scenario.persona.language
    began = time.monotonic()
    url, seeded = prepare(scenario, folder, templates)
    spoken = lines.prepare(scenario.persona, voice) if lines is not None else 0.0
    name = f"{scenario.id}-{voice}"
    env = line_env(free_port())
    log = folder / f"{name}.serve.log"
    errors = folder / f"{name}.call.log"
    with serve(scenario, url, log, env) as (base, server_seconds):
        command = [sys.executable, "-m", "voicebot", "call", "--json", "--server", base]
        command += ["--language", scenario.persona.language, "--caller-voice", voice]
        command += ["--caller-id", scenario.caller_id] if scenario.caller_id else []
        command += ["--turn-gap", str(turn_gap), "--record", str(folder / f"{name}.wav"), "--texts-wait", "0"]
        send = (lambda text: lines.line(text, voice, language)) if lines is not None else (lambda text: text)
        call = LineCall(scenario.persona, scenario.now.date(), turn_cap=turn_cap, timeout_s=limit_s, send=send)
        placed = time.monotonic()
        with errors.open("wb") as err:
            play_process(call, command, limit_s=limit_s + 60, env=env, stderr=err)
        call_seconds = time.monotonic() - placed
    problems = [
        line
        for line in errors.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.startswith("voicebot call:")
    ]
    call.transcript += [f"[{line}]" for line in problems]
    result = judge(scenario, call, url, seeded, began)
    heard, said = server_lines(log)
    load = round(os.getloadavg()[0], 2)
    return LineResult(result, voice, server_seconds, call_seconds, heard, said, call.patient.lost, load, spoken)


def run_line(
    calls: Sequence[Planned],
    folder: Path,
    progress: Callable[[str], None] = lambda line: None,
    on_result: Callable[[list[LineResult]], object] = lambda results: None,
    *,
    turn_cap: int = TURN_CAP,
    limit_s: float = CALL_LIMIT_S,
    turn_gap: float = TURN_GAP,
    prerender: bool = True,
) -> list[LineResult]:
    """Place every call in turn; `progress` gets a line before and after each, `on_result` the results so far.

    SIGTERM stops the run as Ctrl-C does: the server and the call in progress are stopped.
    """
    results: list[LineResult] = []
    templates: dict[Path, Path] = {}
    lines = CallerLines(folder) if prerender else None
    with _sigterm_as_interrupt():
        for index, planned in enumerate(calls, start=1):
            scenario = planned.scenario
            head = f"[{index}/{len(calls)}] {scenario.id} ({scenario.persona.language}, {planned.voice})"
            progress(f"{head}: calling…")
            line = run_call(
                planned, folder, templates, turn_cap=turn_cap, limit_s=limit_s, turn_gap=turn_gap, lines=lines
            )
            results.append(line)
            result = line.result
            mark = "ok  " if result.ok else "FAIL"
            loop = f", '{result.worst_loop[0]}' asked {result.worst_loop[1]}×" if result.worst_loop[1] > 2 else ""
            note = "" if result.ok else f"  {'; '.join(result.problems)}"
            progress(
                f"{head}: {mark} {result.turns} caller turns{loop}, call {line.call_seconds:.0f} s, "
                f"server start {line.server_seconds:.0f} s{note}"
            )
            on_result(results)
    return results


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave the signal alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
