"""What `voicebot bench soak` concludes from its samples and its calls: a verdict per series (does it grow?),
the state at rest, every call accounted for; its progress lines and its Markdown page. Pure functions over the
result's values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tolerance:
    """How much a series may grow between the middle and the last third of the run and still be flat."""

    absolute: float = 0.0
    """In the series' unit."""
    relative: float = 0.0
    """A fraction of the middle third's mean."""

    def allowed(self, base: float) -> float:
        """The growth allowed over `base`."""
        return self.absolute + self.relative * abs(base)

    def describe(self) -> str:
        """The tolerance as the page says it: "+10 %", "+5", "+0"."""
        if self.relative:
            return f"+{self.relative:.0%}".replace("%", " %")
        return f"+{self.absolute:g}"


SERIES: dict[str, Tolerance] = {
    "rss_mib": Tolerance(relative=0.03),
    "python_kblocks": Tolerance(relative=0.03),
    "open_fds": Tolerance(absolute=5),
    "asyncio_tasks": Tolerance(absolute=5),
    "threads": Tolerance(absolute=5),
    "db_checked_out": Tolerance(absolute=0),
}
"""The series judged, with their tolerances."""
REST: dict[str, Tolerance] = {
    "asyncio_tasks": Tolerance(absolute=5),
    "db_checked_out": Tolerance(),
    "calls_in_progress": Tolerance(),
}
"""At rest (every call over) against the first sample (before any call)."""
LABELS = {
    "rss_mib": "resident memory (MiB)",
    "python_kblocks": "Python heap (thousands of blocks)",
    "open_fds": "open file descriptors",
    "asyncio_tasks": "asyncio tasks",
    "threads": "threads",
    "db_checked_out": "DB connections checked out",
    "calls_in_progress": "calls in progress",
}
DEFINITIONS = {
    "rss_mib": "the server process's resident memory (VmRSS of /proc/self/status), MiB",
    "python_kblocks": "memory blocks Python's allocator has handed out and not got back "
    "(sys.getallocatedblocks(), thousands): the Python objects alive, whatever native libraries hold",
    "open_fds": "entries of /proc/self/fd",
    "asyncio_tasks": "len(asyncio.all_tasks()) in the server's event loop (the bench's own 2 to 4 included)",
    "threads": "the server process's threads (Threads of /proc/self/status: native ones included)",
    "db_checked_out": "connections checked out of the database engine's pool throughout half a second (the least "
    "of 10 readings 50 ms apart: a query under way is not counted, a connection never given back is)",
    "db_open": "connections the pool holds (checked out + idle); db_pool_size: its configured size",
    "calls_in_progress": "calls the server's Twilio gateway has in progress",
}
"""What each sampled value is."""
RULE = (
    "The samples under load are cut in thirds; the first is the warm-up (the speech cache, ONNX Runtime's and "
    "CTranslate2's buffers and the allocator's arenas grow while the calls meet new sentence lengths, then stop). "
    "A series is flat when the mean of the last third exceeds the mean of the middle third by no more than its "
    "tolerance (resident memory +3 %, Python heap +3 %, open file descriptors +5, asyncio tasks +5, threads +5, "
    "DB connections checked out +0): a leak grows all along, so it shows between the two. The first sample, taken "
    "before any call, is left out, and so are those taken while the last calls finish. The least-squares slope "
    "(per hour) over the last two thirds is given beside it. At rest, once every call is over: no call in "
    "progress, no DB connection checked out, and at most 5 asyncio tasks more than in the first sample. "
    "No leak: every series flat and the rest as stated."
)


def slope_per_hour(seconds: Sequence[float], values: Sequence[float]) -> float | None:
    """The least-squares slope of `values` over `seconds`, per hour; `None` with fewer than two instants."""
    if len(seconds) < 2 or len(set(seconds)) < 2:
        return None
    mean_t, mean_v = sum(seconds) / len(seconds), sum(values) / len(values)
    covariance = sum((t - mean_t) * (v - mean_v) for t, v in zip(seconds, values, strict=True))
    variance = sum((t - mean_t) ** 2 for t in seconds)
    return covariance / variance * 3600


def series_verdict(seconds: Sequence[float], values: Sequence[float], tolerance: Tolerance) -> dict[str, Any]:
    """One series' verdict: the means of its three thirds (warm-up, middle, last), the change from the middle to
    the last, the slope over the last two and whether it is flat (`None` with fewer than three samples: too short
    to say).
    """
    verdict: dict[str, Any] = {"samples": len(values), "tolerance": tolerance.describe()}
    if len(values) < 3:
        return {**verdict, "flat": None}
    third = len(values) // 3
    warmup, judged = values[:third], values[third:]
    middle, last = judged[: len(judged) - third], judged[-third:]
    middle_mean, last_mean = sum(middle) / len(middle), sum(last) / len(last)
    slope = slope_per_hour(seconds[third:], judged)
    return {
        **verdict,
        "slope_per_hour": None if slope is None else round(slope, 2),
        "warmup_mean": round(sum(warmup) / len(warmup), 2),
        "middle_third_mean": round(middle_mean, 2),
        "last_third_mean": round(last_mean, 2),
        "change": round(last_mean - middle_mean, 2),
        "allowed": round(tolerance.allowed(middle_mean), 2),
        "flat": last_mean - middle_mean <= tolerance.allowed(middle_mean) + 1e-9,
    }


def verdicts(samples: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every judged series' verdict over the samples taken under load (`phase` "load")."""
    loaded = [sample for sample in samples if sample["phase"] == "load"]
    result = {}
    for name, tolerance in SERIES.items():
        points = [(s["elapsed_s"], s[name]) for s in loaded if s.get(name) is not None]
        result[name] = series_verdict([t for t, _ in points], [v for _, v in points], tolerance)
    return result


def rest_checks(start: Mapping[str, Any], rest: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """At rest against the first sample: each of `REST` with both values and whether it is within bounds."""
    checks = {}
    for name, tolerance in REST.items():
        before, after = start.get(name), rest.get(name)
        within = None if before is None or after is None else after - before <= tolerance.allowed(before)
        checks[name] = {"start": before, "rest": after, "tolerance": tolerance.describe(), "within": within}
    return checks


def no_leak(series: Mapping[str, Mapping[str, Any]], rest: Mapping[str, Mapping[str, Any]]) -> bool | None:
    """False when any series grew or the rest is not as stated; `None` when some verdict could not be given."""
    judged = [v["flat"] for v in series.values()] + [v["within"] for v in rest.values()]
    if False in judged:
        return False
    return None if None in judged else True


def caller_outcome(call: Mapping[str, Any]) -> str:
    """How a call ended on the caller's side: `cut_off` (still in progress at the drain limit), `failed` (an
    error), `unanswered` (a turn without an answer), else `answered`.
    """
    if call.get("cut_off"):
        return "cut_off"
    if call.get("error"):
        return "failed"
    return "unanswered" if call.get("unanswered") else "answered"


def account(placed: Sequence[str], ended: Sequence[Mapping[str, Any]], logged: Mapping[str, str]) -> dict[str, Any]:
    """Calls placed = calls ended = call-log rows, call by call; each mismatch said in words.

    Args:
        placed: The calls' sids, as the callers placed them.
        ended: The callers' reports of the calls that ended (`call_sid`, `error`, `unanswered`, `cut_off`).
        logged: The call log's outcome of each call, by its key (the CallSid).
    """
    placed_set, ended_sids = set(placed), [call["call_sid"] for call in ended]
    problems = []
    for label, sids in (
        ("placed more than once", sorted(sid for sid, n in Counter(placed).items() if n > 1)),
        ("placed but never ended", [sid for sid in placed if sid not in set(ended_sids)]),
        ("ended more than once", sorted(sid for sid, n in Counter(ended_sids).items() if n > 1)),
        ("ended but never placed", [sid for sid in ended_sids if sid not in placed_set]),
        ("placed but missing from the call log", [sid for sid in placed if sid not in logged]),
        ("in the call log but never placed", sorted(sid for sid in logged if sid not in placed_set)),
    ):
        if sids:
            problems.append(f"{len(sids)} call(s) {label}: {', '.join(sids[:10])}")
    return {
        "placed": len(placed),
        "ended": len(ended),
        "ended_by_outcome": dict(sorted(Counter(caller_outcome(call) for call in ended).items())),
        "call_log_rows": len(logged),
        "call_log_by_outcome": dict(sorted(Counter(logged.values()).items())),
        "mismatches": problems,
        "all_accounted": not problems,
    }


def describe_sample(sample: dict[str, Any]) -> str:
    """A progress line."""
    return (
        f"  {sample['elapsed_s'] / 60:5.1f} min ({sample['phase']}): RSS {sample['rss_mib']} MiB, "
        f"Python heap {sample.get('python_kblocks')} k blocks, "
        f"{sample['open_fds']} fds, {sample['asyncio_tasks']} tasks, {sample['threads']} threads, "
        f"DB {sample['db_checked_out']} checked out / {sample['db_open']} open, "
        f"{sample['calls_in_progress']} call(s) in progress, {sample['calls_placed']} placed, "
        f"{sample['calls_ended']} ended"
    )


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    return f"{value:g}" if isinstance(value, float) else str(value)


def markdown(result: Mapping[str, Any]) -> str:
    """The page of a soak run: the verdicts, the rest, the accounting and every sample."""
    options, machine, accounting = result["options"], result["machine"], result.get("accounting") or {}
    lines = [
        f"# Soak — `voicebot bench soak --language {result['language']}`",
        "",
        f"{options['concurrency']} simulated calls at once for {options['minutes']:g} minutes, a sample every "
        f"{options['sample_seconds']:g} s; {machine.get('cpu')}, {machine.get('cores')} cores, "
        f"load average {machine.get('load_average_1min_at_start')} at the start.",
        "",
        f"No leak: {_cell(result.get('no_leak'))}; every call accounted for: {_cell(accounting.get('all_accounted'))}.",
        "",
        RULE,
        "",
        "| series | warm-up third | middle third | last third | change | allowed | slope per hour | flat |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, verdict in result.get("verdicts", {}).items():
        keys = ("warmup_mean", "middle_third_mean", "last_third_mean", "change", "allowed")
        cells = [verdict.get(key) for key in keys]
        lines.append(
            f"| {LABELS[name]} | "
            + " | ".join(_cell(c) for c in [*cells, verdict.get("slope_per_hour"), verdict["flat"]])
            + " |"
        )
    lines += ["", "| at rest | first sample | at rest | tolerance | within |", "|---|---|---|---|---|"]
    for name, check in result.get("at_rest", {}).items():
        lines.append(f"| {LABELS[name]} | {_cell(check['start'])} | {_cell(check['rest'])} | {check['tolerance']} | ")
        lines[-1] += f"{_cell(check['within'])} |"
    lines += [
        "",
        f"Calls placed {accounting.get('placed')}, ended {accounting.get('ended')} "
        f"({_outcomes(accounting.get('ended_by_outcome'))}), call-log rows {accounting.get('call_log_rows')} "
        f"({_outcomes(accounting.get('call_log_by_outcome'))}).",
        *[f"- {problem}" for problem in accounting.get("mismatches", [])],
        "",
        "| minute | phase | RSS MiB | Python k blocks | fds | tasks | threads | DB out / open | calls in progress "
        "| placed | ended |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in result["samples"]:
        lines.append(
            f"| {s['elapsed_s'] / 60:.1f} | {s['phase']} | {_cell(s['rss_mib'])} | {_cell(s.get('python_kblocks'))} | "
            f"{_cell(s['open_fds'])} | "
            f"{s['asyncio_tasks']} | {_cell(s['threads'])} | {_cell(s['db_checked_out'])} / "
            f"{_cell(s['db_open'])} | {s['calls_in_progress']} | {s['calls_placed']} | {s['calls_ended']} |"
        )
    return "\n".join(lines) + "\n"


def _outcomes(counts: Mapping[str, int] | None) -> str:
    return ", ".join(f"{count} {name}" for name, count in (counts or {}).items()) or "none"
