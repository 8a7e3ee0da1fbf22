"""`voicebot bench soak`: verdicts on synthetic series, the accounting, the callers' schedule, a short real soak."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from voicebot.bench.caller import CallJob, CallResult
from voicebot.bench.soak_callers import soak_calls
from voicebot.bench.soak_report import (
    SERIES,
    Tolerance,
    account,
    markdown,
    no_leak,
    rest_checks,
    series_verdict,
    slope_per_hour,
    verdicts,
)
from voicebot.cli import main
from voicebot.speech.audio import write_wav

MINUTES = [60.0 * minute for minute in range(1, 31)]
"""A 30-minute soak sampled every minute (the first sample, at 0, is the start's)."""


def _sample(elapsed: float, phase: str = "load", **values: float) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "elapsed_s": elapsed,
        "phase": phase,
        "rss_mib": 700.0,
        "python_kblocks": 150.0,
        "open_fds": 40,
        "asyncio_tasks": 200,
        "threads": 30,
        "db_checked_out": 0,
        "db_open": 1,
        "calls_in_progress": 5,
        "calls_placed": 0,
        "calls_ended": 0,
    }
    return {**sample, **values}


def test_slope_is_the_least_squares_one_per_hour() -> None:
    assert slope_per_hour([0.0, 1800.0, 3600.0], [10.0, 20.0, 30.0]) == pytest.approx(20.0)
    assert slope_per_hour(MINUTES, [500.0 + 0.5 * t / 60 for t in MINUTES]) == pytest.approx(30.0)
    assert slope_per_hour([60.0], [1.0]) is None and slope_per_hour([60.0, 60.0], [1.0, 2.0]) is None


@pytest.mark.parametrize(
    ("name", "values", "flat"),
    [
        ("rss_mib", [700.0 + (5.0 if i % 2 else -5.0) for i in range(30)], True),  # noise around a level
        ("rss_mib", [700.0 + 5.0 * i for i in range(30)], False),  # 5 MiB a minute: +50 MiB, over 3 %
        ("rss_mib", [700.0 + 1.0 * i for i in range(30)], True),  # +10 MiB, within 3 % of 714.5
        ("rss_mib", [700.0 + 40.0 * min(i, 10) for i in range(30)], True),  # caches fill in the warm-up, then stop
        ("rss_mib", [700.0 + 40.0 * min(i, 20) for i in range(30)], False),  # still growing after the warm-up
        ("python_kblocks", [150.0 + 0.5 * i for i in range(30)], False),  # objects piling up: +5 k, over 3 %
        ("asyncio_tasks", [200 + (4 if i % 3 else 0) for i in range(30)], True),  # calls starting and ending
        ("asyncio_tasks", [200 + i for i in range(30)], False),  # a task a minute left behind
        ("open_fds", [40 + i // 5 for i in range(30)], True),  # +4
        ("open_fds", [40 + i * 3 // 5 for i in range(30)], False),  # +6
        ("db_checked_out", [0] * 30, True),
        ("db_checked_out", [0] * 29 + [1], False),  # a connection held at the end (queries under way are not sampled)
        ("db_checked_out", [0] * 20 + [1] * 10, False),  # a connection never given back
        ("threads", [30 - i // 10 for i in range(30)], True),  # shrinking is flat
    ],
)
def test_series_verdict_flags_growth_beyond_the_tolerance(name: str, values: list[float], flat: bool) -> None:
    verdict = series_verdict(MINUTES, values, SERIES[name])
    assert verdict["flat"] is flat, verdict
    assert verdict["samples"] == 30 and verdict["warmup_mean"] == pytest.approx(sum(values[:10]) / 10)
    assert verdict["middle_third_mean"] == pytest.approx(sum(values[10:20]) / 10)
    assert verdict["last_third_mean"] == pytest.approx(sum(values[-10:]) / 10)


def test_series_verdict_of_too_few_samples_says_nothing() -> None:
    assert series_verdict([60.0], [700.0], Tolerance(absolute=5))["flat"] is None
    assert series_verdict([], [], Tolerance(absolute=5))["flat"] is None
    assert series_verdict([10.0, 20.0], [10.0, 11.0], Tolerance(absolute=5))["flat"] is None
    short = series_verdict([10.0, 20.0, 30.0], [10.0, 11.0, 17.0], Tolerance(absolute=5))
    assert short["warmup_mean"] == 10.0 and short["middle_third_mean"] == 11.0 and short["last_third_mean"] == 17.0
    assert short["flat"] is False


def test_tolerances_read_as_stated() -> None:
    assert [SERIES[name].describe() for name in SERIES] == ["+3 %", "+3 %", "+5", "+5", "+5", "+0"]
    assert SERIES["rss_mib"].allowed(800.0) == pytest.approx(24.0)


def test_verdicts_leave_out_the_start_and_the_drain() -> None:
    samples = [
        _sample(0.0, "start", rss_mib=300.0, asyncio_tasks=2),  # before any call: models only
        *[_sample(t, rss_mib=700.0 + (t % 120) / 60, asyncio_tasks=200 + (t % 180) / 60) for t in MINUTES],
        _sample(1900.0, "drain", rss_mib=710.0, asyncio_tasks=80, calls_in_progress=2),
        _sample(1920.0, "rest", rss_mib=705.0, asyncio_tasks=2, calls_in_progress=0),
    ]
    result = verdicts(samples)
    assert set(result) == set(SERIES)
    assert all(verdict["flat"] is True and verdict["samples"] == 30 for verdict in result.values()), result
    leaking = [{**s, "open_fds": 40 + i} if s["phase"] == "load" else s for i, s in enumerate(samples)]
    assert verdicts(leaking)["open_fds"]["flat"] is False
    assert verdicts(leaking)["open_fds"]["slope_per_hour"] == pytest.approx(60.0)


def test_rest_against_the_start_and_the_overall_verdict() -> None:
    start = _sample(0.0, "start", asyncio_tasks=2, open_fds=16, calls_in_progress=0)
    rest = rest_checks(start, _sample(1900.0, "rest", asyncio_tasks=3, open_fds=16, calls_in_progress=0))
    assert all(check["within"] for check in rest.values()), rest
    left = rest_checks(start, _sample(1900.0, "rest", asyncio_tasks=42, open_fds=16, calls_in_progress=0))
    assert left["asyncio_tasks"] == {"start": 2, "rest": 42, "tolerance": "+5", "within": False}
    stuck = rest_checks(start, _sample(1900.0, "rest", asyncio_tasks=2, calls_in_progress=1, db_checked_out=1))
    assert not stuck["calls_in_progress"]["within"] and not stuck["db_checked_out"]["within"]
    flat = {"rss_mib": {"flat": True}, "open_fds": {"flat": True}}
    assert no_leak(flat, rest) is True
    assert no_leak(flat, left) is False
    assert no_leak({**flat, "threads": {"flat": False}}, rest) is False
    assert no_leak({**flat, "threads": {"flat": None}}, rest) is None


def test_every_call_accounted_for() -> None:
    ended = [
        {"call_sid": "CA1", "error": None, "unanswered": 0},
        {"call_sid": "CA2", "error": None, "unanswered": 1},
        {"call_sid": "CA3", "error": "CallRejected: webhook answered HTTP 500", "unanswered": 0},
    ]
    logged = {"CA1": "booked", "CA2": "hung_up", "CA3": "hung_up"}
    good = account(["CA1", "CA2", "CA3"], ended, logged)
    assert good["all_accounted"] and good["mismatches"] == []
    assert good["placed"] == good["ended"] == good["call_log_rows"] == 3
    assert good["ended_by_outcome"] == {"answered": 1, "failed": 1, "unanswered": 1}
    assert good["call_log_by_outcome"] == {"booked": 1, "hung_up": 2}
    cut = [*ended[:2], {"call_sid": "CA4", "cut_off": True, "error": "cut off at the drain limit"}]
    bad = account(["CA1", "CA2", "CA3", "CA4"], cut, {"CA1": "booked", "CA2": "hung_up", "CA9": "hung_up"})
    assert not bad["all_accounted"] and bad["ended_by_outcome"]["cut_off"] == 1
    assert bad["mismatches"] == [
        "1 call(s) placed but never ended: CA3",
        "2 call(s) placed but missing from the call log: CA3, CA4",
        "1 call(s) in the call log but never placed: CA9",
    ]
    twice = account(["CA1", "CA1"], [ended[0], ended[0]], {"CA1": "booked"})
    assert twice["mismatches"] == ["1 call(s) placed more than once: CA1", "1 call(s) ended more than once: CA1"]


def test_markdown_page() -> None:
    samples = [_sample(0.0, "start"), *[_sample(t, rss_mib=700.0 + 3 * t / 60) for t in MINUTES[:6]]]
    result = {
        "language": "fr",
        "options": {"concurrency": 5, "minutes": 30.0, "sample_seconds": 60.0},
        "machine": {"cpu": "AMD EPYC", "cores": 2, "load_average_1min_at_start": 0.4},
        "samples": samples,
        "verdicts": verdicts(samples),
        "at_rest": rest_checks(samples[0], samples[-1]),
        "no_leak": False,
        "accounting": account(["CA1"], [{"call_sid": "CA1"}], {}),
    }
    page = markdown(result)
    assert "No leak: **no**;" in page and "every call accounted for: **no**" in page
    assert "| resident memory (MiB) | 704.5 | 710.5 | 716.5 | 6 | 21.31 | 180 | yes |" in page
    assert "- 1 call(s) placed but missing from the call log: CA1" in page
    assert page.count("| load |") == 6 and "| 0.0 | start | 700 | 150 | 40 | 200 | 30 | 0 / 1 | 5 | 0 | 0 |" in page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Line:
    """Places calls that last `seconds`, counting how many are in progress at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.numbers = itertools.count()
        self.in_progress = self.most = 0
        self.placed_at: list[float] = []

    async def __call__(self, job: CallJob, script: list[bytes], calls: dict[str, Any], register: Any) -> CallResult:
        sid = f"CA{next(self.numbers):032d}"
        register(sid)
        self.placed_at.append(time.time())
        self.in_progress += 1
        self.most = max(self.most, self.in_progress)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.in_progress -= 1
        return CallResult(sid, [500.0], seconds=self.seconds)


def _job(tmp_path: Path, seconds: float, drain: float) -> dict[str, Any]:
    write_wav(tmp_path / "line.wav", np.zeros(1600, dtype=np.int16), 8000)
    return {
        "server_url": "http://127.0.0.1:9",
        "account_sid": "AC" + "b" * 32,
        "auth_token": "token",
        "api_port": _free_port(),
        "scripts": [[str(tmp_path / "line.wav")]],
        "concurrency": 2,
        "turn_gap": 2.0,
        "answer_timeout": 5.0,
        "drain_seconds": drain,
        "spread": 0.0,
        "until": time.time() + seconds,
    }


def test_callers_keep_the_calls_going_until_the_time_is_up(tmp_path: Path) -> None:
    job, line, events = _job(tmp_path, seconds=1.0, drain=5.0), _Line(0.1), []
    asyncio.run(soak_calls(job, events.append, line))
    placed = [e["call_sid"] for e in events if e["event"] == "placed"]
    ended = [e for e in events if e["event"] == "ended"]
    assert len(placed) >= 6 and line.most == 2  # a new call as soon as one ends, never more than 2 at once
    assert all(at < job["until"] for at in line.placed_at)
    assert [e["call_sid"] for e in ended] == placed and not any(e.get("cut_off") for e in ended)
    assert ended[0]["latencies_ms"] == [500.0] and events[-1]["event"] == "done"


def test_callers_cut_off_what_outlasts_the_drain(tmp_path: Path) -> None:
    job, events = _job(tmp_path, seconds=0.2, drain=0.3), []
    began = time.monotonic()
    asyncio.run(soak_calls(job, events.append, _Line(60.0)))
    assert time.monotonic() - began < 10
    assert [e["event"] for e in events].count("placed") == 2
    ended = [e for e in events if e["event"] == "ended"]
    assert len(ended) == 2 and all(e["cut_off"] and e["error"] for e in ended)
    assert events[-1]["event"] == "done"


def test_bad_options_are_refused() -> None:
    result = CliRunner().invoke(main, ["bench", "soak", "--concurrency", "0"])
    assert result.exit_code == 2 and "--concurrency" in result.output


@pytest.mark.models
@pytest.mark.slow
def test_a_short_real_soak(tmp_path: Path) -> None:
    """A quarter of a minute of two English calls at once (one turn each) through the real pipeline, real
    websockets."""
    output, page = tmp_path / "soak.json", tmp_path / "soak.md"
    result = CliRunner().invoke(
        main,
        ["bench", "soak", "--language", "en", "--minutes", "0.25", "--concurrency", "2", "--sample-seconds", "5",
         "--turns", "1", "--output", str(output), "--markdown", str(page)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text())
    assert data["benchmark"] == "soak" and data["language"] == "en" and data["machine"]["cores"]
    assert data["options"]["concurrency"] == 2 and data["options"]["minutes"] == 0.25 and data["rule"]
    phases = [sample["phase"] for sample in data["samples"]]
    assert phases[0] == "start" and phases[-1] == "rest" and phases.count("load") == 3, phases
    assert set(phases) <= {"start", "load", "drain", "rest"}
    for sample in data["samples"]:
        assert sample["rss_mib"] > 100 and sample["open_fds"] > 3 and sample["threads"] > 1, sample
        assert sample["asyncio_tasks"] >= 1 and sample["db_checked_out"] == 0 and sample["db_open"] >= 0, sample
    assert max(s["calls_in_progress"] for s in data["samples"] if s["phase"] == "load") >= 1
    assert max(s["asyncio_tasks"] for s in data["samples"]) > data["samples"][0]["asyncio_tasks"]  # calls' tasks
    accounting = data["accounting"]
    assert accounting["all_accounted"] and accounting["mismatches"] == [], accounting
    assert accounting["placed"] == accounting["ended"] == accounting["call_log_rows"] >= 2, accounting
    assert all(call["error"] is None and call["logged_outcome"] for call in data["calls"]), data["calls"]
    assert set(data["verdicts"]) == set(SERIES) and all(v["flat"] is not None for v in data["verdicts"].values())
    assert all(check["within"] for check in data["at_rest"].values()), data["at_rest"]  # every task ended
    assert data["no_leak"] is not None and "No leak" in result.output
    text = page.read_text()
    assert "| resident memory (MiB) |" in text and text.count("| load |") == 3
