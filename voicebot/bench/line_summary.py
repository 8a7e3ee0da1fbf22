"""`voicebot bench line`'s results: per language, caller voice and practice, the rate booked right, the median
caller turns, the worst loop and the calls above 12 caller turns; each call with its transcript (bench/line.json),
and a short page (bench/line.md).
"""

from __future__ import annotations

import statistics
from typing import Any

from voicebot.bench.dialogue_summary import failure_class
from voicebot.bench.line import LineResult
from voicebot.bench.line_plan import is_native

MAX_TURNS = 12
"""Caller turns a call should never exceed (issue 16)."""
TARGETS = {("fr", True): 0.90, ("fr", False): 0.75, ("en", True): 0.90}
"""The rate booked right aimed at, by language and whether the caller's voice is native (issue 16)."""


def group(results: list[LineResult]) -> dict[str, Any]:
    """Calls, right, rate, median caller turns, the worst loop, calls above `MAX_TURNS` and median seconds."""
    counted = [r for r in results if not r.result.scenario.pending]
    worst = max(counted, key=lambda r: r.result.worst_loop[1], default=None)
    return {
        "calls": len(counted),
        "right": sum(r.result.ok for r in counted),
        "rate": round(sum(r.result.ok for r in counted) / len(counted), 3) if counted else 0.0,
        "median_turns": statistics.median(r.result.turns for r in counted) if counted else None,
        "worst_loop": {
            "scenario": worst.result.scenario.id,
            "question": worst.result.worst_loop[0],
            "times": worst.result.worst_loop[1],
        }
        if worst
        else None,
        "above_max_turns": [r.result.scenario.id for r in counted if r.result.turns > MAX_TURNS],
        "questions_not_placed": sum(r.lost for r in counted),
        "median_call_seconds": round(statistics.median(r.call_seconds for r in counted), 1) if counted else None,
    }


def summarise(
    results: list[LineResult], *, seconds: float, complete: bool, machine: dict[str, object] | None = None
) -> dict[str, Any]:
    """The JSON summary: groups by language × voice (with their target) and language × voice × practice,
    failure classes, and every call with its transcript.
    """
    by_voice: dict[tuple[str, str], list[LineResult]] = {}
    by_practice: dict[tuple[str, str, str], list[LineResult]] = {}
    for line in results:
        language = line.result.scenario.persona.language
        by_voice.setdefault((language, line.voice), []).append(line)
        by_practice.setdefault((language, line.voice, line.result.scenario.practice), []).append(line)
    voices = []
    for (language, voice), lines in by_voice.items():
        native = is_native(voice, language)
        target = TARGETS.get((language, native))
        entry = {"language": language, "voice": voice, "native": native, **group(lines), "target": target}
        entry["target_met"] = (
            None if target is None else entry["rate"] >= target and not entry["above_max_turns"] and entry["calls"] > 0
        )
        voices.append(entry)
    failures = [r for r in results if not r.result.ok and not r.result.scenario.pending]
    classes: dict[str, list[str]] = {}
    for line in failures:
        classes.setdefault(failure_class(line.result), []).append(f"{line.result.scenario.id} ({line.voice})")
    return {
        "benchmark": "line",
        "complete": complete,
        "machine": machine,
        "calls": len(results),
        "by_voice": voices,
        "by_practice": [
            {"language": language, "voice": voice, "practice": practice, **group(lines)}
            for (language, voice, practice), lines in by_practice.items()
        ],
        "failure_classes": dict(sorted(classes.items(), key=lambda item: -len(item[1]))),
        "median_load_average": round(statistics.median(r.load for r in results), 2) if results else None,
        "median_server_start_seconds": round(statistics.median(r.server_seconds for r in results), 1)
        if results
        else None,
        "seconds": round(seconds, 1),
        "results": [_call(r) for r in results],
    }


def _call(line: LineResult) -> dict[str, Any]:
    result, scenario = line.result, line.result.scenario
    return {
        "id": scenario.id,
        "title": scenario.title,
        "practice": scenario.practice,
        "language": scenario.persona.language,
        "voice": line.voice,
        "right": result.ok,
        "problems": result.problems,
        "failure_class": None if result.ok else failure_class(result),
        "outcome": result.outcome,
        "turns": result.turns,
        "worst_loop": {"question": result.worst_loop[0], "times": result.worst_loop[1]},
        "call_seconds": round(line.call_seconds, 1),
        "server_start_seconds": round(line.server_seconds, 1),
        "caller_lines_seconds": round(line.lines_seconds, 1),
        "load_average": line.load,
        "transcript": result.transcript,
        "bot_heard": line.heard,
        "bot_said": line.said,
    }


def markdown(summary: dict[str, Any], transcripts: str = "bench/line.json") -> str:
    """A short page for people: the rates against the targets, the groups, the failures; `transcripts` names
    the JSON file that holds each call's transcript (`--output`).
    """
    lines = [
        "# Conversation suite over the phone line (`voicebot bench line`)",
        "",
        "Simulated callers (`voicebot/bench/patient.py`) on a real line: `voicebot serve` per call on the",
        "scenario's database, `voicebot call --json` placing the call (real-time 20 ms mu-law, the caller's",
        "lines spoken by a Kokoro voice, the bot heard by Whisper on the caller's side); then the database is",
        "checked. Scenarios: `bench/line-scenarios.toml`. Each call's transcript (the bot as the caller heard it,",
        f"the caller's lines, what the bot heard, what the bot said) is in `{transcripts}`.",
        "",
    ]
    if not summary["complete"]:
        lines += ["**Partial run** (interrupted or still running).", ""]
    lines += [
        "| language | caller voice | calls | right | rate | target | median caller turns | above 12 turns "
        "| worst loop |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for v in summary["by_voice"]:
        target = "—" if v["target"] is None else f"{v['target']:.0%} ({'met' if v['target_met'] else 'not met'})"
        lines.append(
            f"| {v['language']} | {v['voice']} ({'native' if v['native'] else 'accented'}) | {v['calls']} | "
            f"{v['right']} | {v['rate']:.0%} | {target} | {v['median_turns']} | {len(v['above_max_turns'])} | "
            f"{_loop(v['worst_loop'])} |"
        )
    lines += [
        "",
        "| language | caller voice | practice | calls | right | rate | median caller turns | above 12 turns |"
        " worst loop |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for g in summary["by_practice"]:
        lines.append(
            f"| {g['language']} | {g['voice']} | {g['practice']} | {g['calls']} | {g['right']} | {g['rate']:.0%} | "
            f"{g['median_turns']} | {len(g['above_max_turns'])} | {_loop(g['worst_loop'])} |"
        )
    lines += [
        "",
        f"{summary['calls']} calls in {summary['seconds'] / 60:.0f} min; median server start "
        f"{summary['median_server_start_seconds']} s; {_machine(summary)}.",
        "",
        "## Failure classes",
        "",
    ]
    lines += [f"- {name}: {len(ids)} ({', '.join(ids)})" for name, ids in summary["failure_classes"].items()] or [
        "None."
    ]
    lines += ["", "## Failures", ""]
    failed = [c for c in summary["results"] if not c["right"]]
    for call in failed:
        lines += [
            f"<details><summary><code>{call['id']}</code> ({call['voice']}): {'; '.join(call['problems'])}</summary>",
            "",
            *[f"    {line}" for line in call["transcript"]],
            "",
            f"Bot heard: {' | '.join(call['bot_heard'])}",
            "",
            "</details>",
            "",
        ]
    if not failed:
        lines.append("None.")
    return "\n".join(lines).rstrip() + "\n"


def _loop(loop: dict[str, Any] | None) -> str:
    return f"{loop['question']} ×{loop['times']} (`{loop['scenario']}`)" if loop and loop["times"] else "—"


def _machine(summary: dict[str, Any]) -> str:
    machine = summary["machine"] or {}
    return (
        f"{machine.get('cores')} cores ({machine.get('cpu')}), median load average "
        f"{summary['median_load_average']} at the calls' ends (a busy machine delays the bot and the caller alike)"
    )
