"""`voicebot bench voice`: simulated phone calls through the real voice pipeline, timed as a caller hears them.

The server runs in this process, as `voicebot serve` would (the Twilio gateway and the voice pipeline with the
real models, the sample practice on a temporary SQLite database, a frozen clock), with a `StageObserver` in
each call's pipeline. The callers run in a child process (`voicebot.bench.caller`), so that this process's
CPU time is the server's: the simulated Twilio carrier, real websockets on 127.0.0.1, real-time 20 ms
mu-law frames, the caller's lines synthesised once beforehand. For each concurrency level: the latency a
caller hears (end of their speech to the bot's first audio), the server's stages, the server's CPU seconds
per call and its peak resident memory. With `baseline`, each level runs again on pipecat's stock parts around the
same dialogue (`voicebot.bench.baseline`): its `stock` block and `ratio` (stock over ours) beside ours.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicebot.bench.errors import BenchError, until
from voicebot.bench.machine import describe_machine
from voicebot.bench.stages import STAGES, TurnStages
from voicebot.pipeline.builder import VAD_STOP_SECS

if TYPE_CHECKING:
    from voicebot.bench.server import BenchServer

SCRIPTS = {
    "fr": [
        "Bonjour, je voudrais voir le docteur {practitioner} {day} {part} pour un vaccin.",
        "Le premier.",
        "Jean Dupont.",
        "Le quatorze juillet mille neuf cent quatre-vingt-cinq.",
    ],
    "en": [
        "Hi, I'd like to see Doctor {practitioner} on {day} {part} for a flu jab.",
        "The first one.",
        "Emily Clarke.",
        "The fifth of May, nineteen ninety.",
    ],
}
"""The caller's lines: a request naming a practitioner and a day, a slot choice, a name, a birth date."""
VARIANTS = {
    "fr": {
        "practitioner": ["Martin", "Bernard", "Girard", "Bertrand"],
        "day": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
        "part": ["matin", "après-midi"],
    },
    "en": {
        "practitioner": ["Patel", "Jones", "Okafor", "Johnson"],
        "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
        "part": ["morning", "afternoon"],
    },
}
"""What the request varies, call after call: each call hears its own slot offer, as real callers do, instead of
the first call's offer replayed from the synthesizer's sentence cache (fixed questions are cached, as in use)."""
CALLER_VOICES = {"fr": "ff_siwis", "en": "af_heart"}
"""Kokoro voices of the caller (Whisper base misreads pm_alex often, see tests/voice)."""
TARGETS = ((1, "p50", 800.0), (1, "p95", 1200.0), (10, "p95", 1500.0))
"""(calls at once, percentile, milliseconds) from issue 4."""
ACCOUNT = "AC" + "b" * 32
TOKEN = "voicebot-bench-token"


@dataclass(frozen=True)
class VoiceBenchOptions:
    """What to run."""

    language: str = "fr"
    calls: int = 3
    """Calls per concurrency level (a level runs at least as many calls as it has at once)."""
    concurrency: Sequence[int] = (1, 5, 10, 20)
    turns: int = 3
    """Caller lines per call (at most `len(SCRIPTS[language])`)."""
    turn_gap: float = 2.0
    """Seconds of bot silence after which the caller speaks again."""
    answer_timeout: float = 30.0
    now: str = "2026-11-28T10:00"
    """The frozen clock (a Saturday: "next Tuesday" is 1 December)."""
    vad_stop_secs: float = VAD_STOP_SECS
    warm_cache: bool = False
    """Whether the server has its disk speech cache, warmed before the calls (else none: the cold case)."""
    baseline: bool = False
    """Whether each level runs again, same scripts, on pipecat's stock parts (`stock` and `ratio` per level)."""


def caller_scripts(language: str, turns: int, count: int) -> list[list[str]]:
    """`count` call scripts of `turns` lines; their requests differ (practitioner first, then day, then part of
    the day) until the variants run out, then repeat.
    """
    variants = VARIANTS[language]
    requests = [
        SCRIPTS[language][0].format(practitioner=practitioner, day=day, part=part)
        for part in variants["part"]
        for day in variants["day"]
        for practitioner in variants["practitioner"]
    ]
    return [[requests[index % len(requests)], *SCRIPTS[language][1:turns]] for index in range(count)]


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0..100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Sequence[float]) -> dict[str, float] | None:
    """n, p50, p95, mean and max of some milliseconds (rounded to 0.1); `None` when there are none."""
    if not values:
        return None
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "mean": round(sum(values) / len(values), 1),
        "max": round(max(values), 1),
    }


def summarize_level(
    concurrency: int,
    calls: list[dict[str, Any]],
    turns: Sequence[TurnStages],
    *,
    server_cpu: float,
    caller_cpu: float,
    wall: float,
    peak_rss_mib: float | None,
) -> dict[str, Any]:
    """One concurrency level's results from the callers' reports and the server's turn records."""
    latencies = [value for call in calls for value in call["latencies_ms"]]
    count = max(len(calls), 1)
    return {
        "concurrency": concurrency,
        "calls": len(calls),
        "failed_calls": sum(1 for call in calls if call.get("error")),
        "errors": sorted({call["error"] for call in calls if call.get("error")}),
        "turns_answered": len(latencies),
        "turns_unanswered": sum(call["unanswered"] for call in calls),
        "turns_overlapped": sum(call.get("overlapped", 0) for call in calls),
        "reply_latency_ms": summarize(latencies),
        "stages_ms": {name: summarize([getattr(turn, name) for turn in turns]) for name in STAGES},
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_seconds_per_call": round(server_cpu / count, 2),
        "caller_cpu_seconds": caller_cpu,
        "wall_seconds": round(wall, 1),
        "peak_rss_mib": peak_rss_mib,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "reply_latency_samples_ms": latencies,
    }


def check_targets(levels: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it was met (`None` when that level did not run)."""
    results = []
    for concurrency, name, limit in TARGETS:
        level = next((lv for lv in levels if lv["concurrency"] == concurrency), None)
        summary = level["reply_latency_ms"] if level else None
        measured = summary[name] if summary else None
        results.append(
            {
                "concurrency": concurrency,
                "percentile": name,
                "limit_ms": limit,
                "measured_ms": measured,
                "met": None if measured is None else measured <= limit,
            }
        )
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reset_peak_rss() -> None:
    """Start a new peak-RSS window (Linux: `VmHWM` is reset by writing 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mib() -> float:
    """This process's peak resident memory since the last reset (else since it started), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def _caller(job: dict[str, Any]) -> dict[str, Any]:
    """Run a `voicebot.bench.caller` job in a child process (its stderr is ours)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "voicebot.bench.caller", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate(json.dumps(job).encode())
    lines = out.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise BenchError(f"the caller process failed (exit {process.returncode}) on a {job['mode']} job")
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def _header(
    options: VoiceBenchOptions, lines: list[str], machine: dict[str, object], bench: BenchServer
) -> dict[str, Any]:
    """The result's description of the run (levels and targets are added as they are measured)."""
    return {
        "benchmark": "voice",
        "language": options.language,
        "now": options.now,
        "machine": machine,
        "setup": {
            "calls_per_level": options.calls,
            "turns_per_call": len(lines),
            "script": lines,
            "caller_voice": CALLER_VOICES[options.language],
            "agent_voice": bench.voice,
            "turn_gap_seconds": options.turn_gap,
            "answer_timeout_seconds": options.answer_timeout,
            "vad_stop_secs": options.vad_stop_secs,
            "model_load_seconds": round(bench.load_seconds, 1),
            "prerender_seconds": round(bench.prerender_seconds, 1),
            "speech_cache": "off (every sentence not pre-rendered is rendered in the call, as on a fresh install)"
            if bench.warmed is None
            else f"warm: {bench.warmed['pieces']:.0f} pieces rendered by serve's warm-up in "
            f"{bench.warmed['seconds']:.0f} s before the calls",
            "callers": "a child process: simulated Twilio carrier, websockets on 127.0.0.1, 20 ms mu-law frames "
            "in real time",
        },
        "definitions": {
            "reply_latency_ms": "on the caller's line: the last 20 ms frame carrying the caller's speech to the "
            "first frame of the bot's audio after it (a turn unanswered within the answer "
            "timeout is counted in turns_unanswered; one where the bot spoke during the "
            "caller's speech or less than 0.3 s after it, i.e. the rest of its previous turn, "
            "in turns_overlapped)",
            "stages_ms": "in the server's pipeline, per turn (see voicebot/bench/stages.py: TurnStages)",
            "server_cpu_seconds_per_call": "the server process's CPU time during the level (all threads) / calls",
            "pipeline_build_ms": "per call, the construction of its pipeline on the server's event loop (the stock "
            "one loads its models then)",
            "peak_rss_mib": "the server process's peak resident memory during the level (models included)",
        },
        "levels": [],
        "targets": check_targets([]),
    }


async def _level(
    bench: BenchServer,
    options: VoiceBenchOptions,
    concurrency: int,
    scripts: list[list[str]],
    port: int,
    api_port: int,
    *,
    stock: bool = False,
) -> dict[str, Any]:
    """Run one concurrency level against the server (`stock`: its calls built of pipecat's stock parts) and
    summarise it.
    """
    before, built = len(bench.handler.turns), len(bench.handler.build_seconds)
    _reset_peak_rss()
    cpu, wall = time.process_time(), time.monotonic()
    bench.handler.stock = stock
    try:
        answer = await _caller(
            {
                "mode": "call",
                "server_url": f"http://127.0.0.1:{port}",
                "account_sid": ACCOUNT,
                "auth_token": TOKEN,
                "api_port": api_port,
                "scripts": scripts,
                "calls": len(scripts),
                "concurrency": concurrency,
                "turn_gap": options.turn_gap,
                "answer_timeout": options.answer_timeout,
            }
        )
        await until(lambda: not bench.gateway.active, 30)  # the server's side of the calls is over
    finally:
        bench.handler.stock = False
    level = summarize_level(
        concurrency,
        answer["calls"],
        bench.handler.turns[before:],
        server_cpu=time.process_time() - cpu,
        caller_cpu=answer["cpu_seconds"],
        wall=time.monotonic() - wall,
        peak_rss_mib=_peak_rss_mib(),
    )
    level["pipeline_build_ms"] = summarize([seconds * 1000 for seconds in bench.handler.build_seconds[built:]])
    return level


def _line(label: str, level: dict[str, Any]) -> str:
    """A level's progress line."""
    reply = level["reply_latency_ms"] or {}
    return (
        f"  {label + ': ' if label else ''}reply latency p50 {reply.get('p50')} ms, p95 {reply.get('p95')} ms, "
        f"{level['turns_unanswered']} unanswered, {level['turns_overlapped']} overlapped; "
        f"{level['server_cpu_seconds_per_call']} CPU s per call; load {level['load_average_1min_at_end']}"
    )


async def run_voice_bench(
    options: VoiceBenchOptions,
    progress: Callable[[str], None],
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every concurrency level; the results (see `voicebot bench voice --help`).

    Args:
        options: What to run.
        progress: Told a line of progress now and then.
        checkpoint: Given the results so far after each level (write them: a long run stopped half-way keeps
            its finished levels).
    """
    from voicebot.bench.server import BenchServer

    language, lines = options.language, SCRIPTS[options.language][: options.turns]
    counts = [max(options.calls, concurrency) for concurrency in options.concurrency]
    scripts = caller_scripts(language, options.turns, sum(counts))
    distinct = list(dict.fromkeys(line for script in scripts for line in script))
    machine = describe_machine()
    with tempfile.TemporaryDirectory(prefix="voicebot-bench-") as folder:
        progress(f"Synthesising the caller's {len(distinct)} different lines ({CALLER_VOICES[language]})…")
        wavs = dict(
            zip(
                distinct,
                (
                    await _caller(
                        {
                            "mode": "speak",
                            "language": language,
                            "lines": distinct,
                            "voice": CALLER_VOICES[language],
                            "folder": folder,
                        }
                    )
                )["wavs"],
                strict=True,
            )
        )
        progress("Loading the practice and the speech models…")
        port, api_port = _free_port(), _free_port()
        bench = BenchServer.create(
            language,
            f"sqlite:///{Path(folder) / 'bench.db'}",
            options.now,
            port,
            api_port,
            ACCOUNT,
            TOKEN,
            vad_stop_secs=options.vad_stop_secs,
            speech_cache=Path(folder) / "speech-cache" if options.warm_cache else None,
        )
        result = _header(options, lines, machine, bench)
        result["setup"]["different_requests"] = len({script[0] for script in scripts})
        if options.baseline:
            from voicebot.bench.baseline import baseline_setup

            result["setup"]["baseline"] = baseline_setup(language)
        async with bench.serving(port):
            done = 0
            for concurrency, count in zip(options.concurrency, counts, strict=True):
                progress(f"{concurrency} call(s) at once, {count} calls of {len(lines)} turns…")
                level_scripts = [[wavs[line] for line in script] for script in scripts[done : done + count]]
                done += count
                level = await _level(bench, options, concurrency, level_scripts, port, api_port)
                progress(_line("ours" if options.baseline else "", level))
                if options.baseline:
                    from voicebot.bench.baseline import ratio

                    stock = await _level(bench, options, concurrency, level_scripts, port, api_port, stock=True)
                    level["stock"], level["ratio"] = stock, ratio(level, stock)
                    progress(_line("stock", stock) + f"; stock/ours {level['ratio']}")
                result["levels"].append(level)
                result["targets"] = check_targets(result["levels"])
                result["peak_rss_mib_overall"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
                if checkpoint is not None:
                    checkpoint(result)
    return result
