"""`voicebot bench soak`: simulated calls for a long time, the server's resources sampled, every call accounted for.

The server is `voicebot bench voice`'s (`BenchServer`: the Twilio gateway, the real voice pipeline and models, the
sample practice on a temporary SQLite database, a frozen clock), with the call log written as `voicebot serve`
writes it. The callers run in a child process (`voicebot.bench.soak_callers`, with `voicebot.bench.caller`'s
calls and fake REST API) that keeps `concurrency` calls in progress, a new one as soon as one ends, until the time
is up, then lets the last ones finish (bounded); it reports each call as it is placed and as it ends, one JSON line
each. The server's process is sampled before the first call, then every `sample_seconds`, then at rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicebot.bench.errors import BenchError, until
from voicebot.bench.soak_report import DEFINITIONS, RULE, account, describe_sample, no_leak, rest_checks, verdicts

if TYPE_CHECKING:
    from voicebot.bench.server import BenchServer


@dataclass(frozen=True)
class SoakOptions:
    """What to run."""

    language: str = "fr"
    concurrency: int = 5
    """Calls in progress at once."""
    minutes: float = 30.0
    """How long new calls are placed."""
    sample_seconds: float = 60.0
    turns: int = 3
    """Caller lines per call (at most 4)."""
    turn_gap: float = 2.0
    answer_timeout: float = 30.0
    drain_seconds: float = 240.0
    """How long the calls still in progress at the end may take; those still going then are cut off."""
    now: str = "2026-11-28T10:00"


@dataclass
class CallTally:
    """The calls as the callers reported them."""

    placed: list[str] = field(default_factory=list)
    ended: list[dict[str, Any]] = field(default_factory=list)
    done: dict[str, Any] | None = None
    """The callers' last report (their CPU and wall seconds)."""

    def note(self, event: dict[str, Any]) -> None:
        """One line of the callers' reports."""
        kind = event.pop("event")
        if kind == "placed":
            self.placed.append(event["call_sid"])
        elif kind == "ended":
            self.ended.append(event)
        else:
            self.done = event


def _proc_status() -> dict[str, int]:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return {}
    fields = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key: int(value.split()[0]) for key, value in fields if key in ("VmRSS", "Threads")}


HELD = (10, 0.05)
"""Readings of the pool's checked-out connections, and seconds between them: a sample keeps the least, so that a
query under way is not counted and a connection never given back is."""


def _pool_count(pool: object, name: str) -> int | None:
    method = getattr(pool, name, None)
    return int(method()) if callable(method) else None


async def take_sample(bench: BenchServer, elapsed: float, phase: str, tally: CallTally) -> dict[str, Any]:
    """The server process now (on the server's event loop; half a second for the database connections)."""
    pool = bench.service.engine.pool
    readings = []
    for _ in range(HELD[0]):
        readings.append(_pool_count(pool, "checkedout"))
        await asyncio.sleep(HELD[1])
    held = None if None in readings else min(value for value in readings if value is not None)
    status = _proc_status()
    try:
        fds: int | None = len(os.listdir("/proc/self/fd"))
    except OSError:
        fds = None
    out, idle = _pool_count(pool, "checkedout"), _pool_count(pool, "checkedin")
    return {
        "elapsed_s": round(elapsed, 1),
        "phase": phase,
        "rss_mib": round(status["VmRSS"] / 1024, 1) if "VmRSS" in status else None,
        "python_kblocks": round(sys.getallocatedblocks() / 1000, 1),
        "open_fds": fds,
        "asyncio_tasks": len(asyncio.all_tasks()),
        "threads": status.get("Threads", threading.active_count()),
        "db_checked_out": held,
        "db_open": None if out is None or idle is None else out + idle,
        "db_pool_size": _pool_count(pool, "size"),
        "calls_in_progress": len(bench.gateway.active),
        "calls_placed": len(tally.placed),
        "calls_ended": len(tally.ended),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _child(module: str, job: dict[str, Any]) -> asyncio.subprocess.Process:
    """`python -m module` with `job` as JSON on its stdin (its stderr is ours)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(job).encode())
    await process.stdin.drain()
    process.stdin.close()
    return process


async def _speak(language: str, lines: list[str], folder: str) -> list[str]:
    """The caller's lines as WAV files (`voicebot.bench.caller`'s speak job)."""
    from voicebot.bench.voice import CALLER_VOICES

    process = await _child(
        "voicebot.bench.caller",
        {"mode": "speak", "language": language, "lines": lines, "voice": CALLER_VOICES[language], "folder": folder},
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise BenchError(f"the caller process failed (exit {process.returncode}) synthesising its lines")
    wavs: list[str] = json.loads(out.decode().strip().splitlines()[-1])["wavs"]
    return wavs


async def _read_reports(process: asyncio.subprocess.Process, tally: CallTally) -> None:
    assert process.stdout is not None
    while line := await process.stdout.readline():
        tally.note(json.loads(line))
    await process.wait()


def _header(options: SoakOptions, bench: BenchServer, scripts: list[list[str]]) -> dict[str, Any]:
    from voicebot.bench.machine import describe_machine
    from voicebot.bench.voice import CALLER_VOICES

    return {
        "benchmark": "soak",
        "language": options.language,
        "now": options.now,
        "machine": describe_machine(),
        "options": {key: value for key, value in asdict(options).items() if key not in ("language", "now")},
        "setup": {
            "caller_voice": CALLER_VOICES[options.language],
            "agent_voice": bench.voice,
            "different_requests": len({script[0] for script in scripts}),
            "model_load_seconds": round(bench.load_seconds, 1),
            "prerender_seconds": round(bench.prerender_seconds, 1),
            "database": "SQLite, a temporary file; the call log written as in `voicebot serve`",
            "callers": "a child process: simulated Twilio carrier, websockets on 127.0.0.1, 20 ms mu-law frames "
            "in real time; a new call as soon as one ends",
        },
        "definitions": DEFINITIONS,
        "rule": RULE,
        "samples": [],
        "verdicts": {},
    }


async def _soak(
    bench: BenchServer,
    options: SoakOptions,
    job: dict[str, Any],
    result: dict[str, Any],
    progress: Callable[[str], None],
    checkpoint: Callable[[dict[str, Any]], None],
) -> None:
    """Sample, call until the time is up, let the last calls finish, sample at rest and account for the calls."""
    from booking.calls import CallLog

    tally, samples, duration = CallTally(), result["samples"], options.minutes * 60
    began = time.monotonic()

    async def sample(phase: str) -> None:
        samples.append(await take_sample(bench, time.monotonic() - began, phase, tally))
        result["verdicts"] = verdicts(samples)
        progress(describe_sample(samples[-1]))
        checkpoint(result)

    async def every_interval() -> None:
        for index in itertools.count(1):
            offset = index * options.sample_seconds
            await asyncio.sleep(max(began + offset - time.monotonic(), 0.0))
            await sample("load" if offset <= duration + 1e-6 else "drain")

    await sample("start")
    process = await _child("voicebot.bench.soak_callers", {**job, "until": time.time() + duration})
    sampler = asyncio.create_task(every_interval())
    try:
        await asyncio.wait_for(_read_reports(process, tally), duration + options.drain_seconds + 120)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        result["callers_error"] = "the callers' process did not finish in time and was stopped"
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    if process.returncode != 0 and "callers_error" not in result:
        result["callers_error"] = f"the callers' process failed (exit {process.returncode})"
    if not tally.placed:
        raise BenchError(result.get("callers_error", "the callers placed no call"))
    await until(lambda: not bench.gateway.active, 30)
    await until(lambda: len(asyncio.all_tasks()) <= samples[0]["asyncio_tasks"], 10)
    await sample("rest")
    log = CallLog(bench.service.engine)
    await until(lambda: len(log.find()) >= len(tally.placed), 15)  # the last rows are written in threads
    logged = {call.entry.key: call.entry.outcome for call in log.find()}
    result["at_rest"] = rest_checks(samples[0], samples[-1])
    result["no_leak"] = no_leak(result["verdicts"], result["at_rest"])
    result["accounting"] = account(tally.placed, tally.ended, logged)
    ended = {call["call_sid"]: call for call in tally.ended}
    result["calls"] = [{**ended.get(sid, {"call_sid": sid}), "logged_outcome": logged.get(sid)} for sid in tally.placed]
    result["callers"] = tally.done
    result["wall_seconds"] = round(time.monotonic() - began, 1)


async def run_soak(
    options: SoakOptions, progress: Callable[[str], None], checkpoint: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Run the soak; the results (see `voicebot bench soak --help`).

    Args:
        options: What to run.
        progress: Told a line at each step and each sample.
        checkpoint: Given the results so far after each sample (write them: a stopped run keeps its samples).
    """
    from booking.calls import CallLog
    from voicebot.bench.server import BenchServer
    from voicebot.bench.voice import ACCOUNT, TOKEN, VARIANTS, caller_scripts

    language = options.language
    variety = math.prod(len(values) for values in VARIANTS[language].values())
    count = min(variety, options.concurrency * max(1, math.ceil(options.minutes * 2)))
    scripts = caller_scripts(language, options.turns, count)
    distinct = list(dict.fromkeys(line for script in scripts for line in script))
    with tempfile.TemporaryDirectory(prefix="voicebot-soak-") as folder:
        progress(f"Synthesising the caller's {len(distinct)} different lines…")
        wavs = dict(zip(distinct, await _speak(language, distinct, folder), strict=True))
        progress("Loading the practice and the speech models…")
        port, api_port = _free_port(), _free_port()
        bench = BenchServer.create(
            language, f"sqlite:///{Path(folder) / 'soak.db'}", options.now, port, api_port, ACCOUNT, TOKEN
        )
        bench.handler.call_log = CallLog(bench.service.engine)  # as `voicebot serve` records its calls
        result = _header(options, bench, scripts)
        job = {
            "server_url": f"http://127.0.0.1:{port}",
            "account_sid": ACCOUNT,
            "auth_token": TOKEN,
            "api_port": api_port,
            "scripts": [[wavs[line] for line in script] for script in scripts],
            "concurrency": options.concurrency,
            "turn_gap": options.turn_gap,
            "answer_timeout": options.answer_timeout,
            "drain_seconds": options.drain_seconds,
        }
        async with bench.serving(port):
            progress(f"{options.concurrency} call(s) at once for {options.minutes:g} min, a sample every "
                     f"{options.sample_seconds:g} s…")  # fmt: skip
            await _soak(bench, options, job, result, progress, checkpoint)
    return result
