"""The conversation bench's results: run the whole suite, sum it up as JSON (bench/dialogue.json) and as a
short page (bench/dialogue.md).
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voicebot.bench.dialogue import SCENARIOS, Result, Scenario, load_scenarios, run_scenario


def run_suite(
    scenarios: list[Scenario] | None = None,
    progress: Callable[[str], None] = lambda line: None,
    *,
    subprocess_ids: tuple[str, ...] = (),
    all_subprocess: bool = False,
) -> list[Result]:
    """Run every scenario (those in `subprocess_ids`, or all with `all_subprocess`, through a real
    `voicebot chat --json`), each on a fresh copy of its practice's database.
    """
    chosen = load_scenarios(SCENARIOS) if scenarios is None else scenarios
    results = []
    with tempfile.TemporaryDirectory(prefix="voicebot-dialogue-") as folder:
        templates: dict[Path, Path] = {}
        for index, scenario in enumerate(chosen, start=1):
            real = all_subprocess or scenario.id in subprocess_ids
            result = run_scenario(scenario, Path(folder), templates, subprocess_=real)
            results.append(result)
            mark = "ok  " if result.ok else ("pend" if scenario.pending else "FAIL")
            note = "" if result.ok else f"  {'; '.join(result.problems)}"
            progress(f"[{index}/{len(chosen)}] {mark} {scenario.id} ({result.turns} turns){note}")
    return results


def summarise(results: list[Result], seconds: float | None = None) -> dict[str, Any]:
    """The JSON summary: rates per practice and language, one-shot turns, the worst loop, each failure."""
    counted = [r for r in results if not r.scenario.pending]
    groups: dict[str, list[Result]] = {}
    for result in counted:
        groups.setdefault(f"{result.scenario.practice} ({result.scenario.persona.language})", []).append(result)
    one_shot = [
        r.turns
        for r in counted
        if r.ok and r.scenario.persona.style == "one_shot" and r.scenario.persona.task == "book"
        if not r.scenario.persona.first_when and not r.scenario.persona.silent
    ]
    worst = max(results, key=lambda r: r.worst_loop[1], default=None)
    return {
        "benchmark": "dialogue",
        "scenarios": len(results),
        "counted": len(counted),
        "right": sum(r.ok for r in counted),
        "rate": _rate(counted),
        "by_practice": {
            name: {"scenarios": len(group), "right": sum(r.ok for r in group), "rate": _rate(group)}
            for name, group in sorted(groups.items())
        },
        "by_language": {
            language: _rate([r for r in counted if r.scenario.persona.language == language])
            for language in sorted({r.scenario.persona.language for r in counted})
        },
        "median_turns_one_shot_booking": statistics.median(one_shot) if one_shot else None,
        "worst_loop": {
            "scenario": worst.scenario.id,
            "question": worst.worst_loop[0],
            "times": worst.worst_loop[1],
        }
        if worst
        else None,
        "offers_refused": {
            r.scenario.id: r.refused for r in counted if r.refused and not r.scenario.persona.first_when
        },
        "pending": [
            {"id": r.scenario.id, "waits_for": r.scenario.pending, "right": r.ok} for r in results if r.scenario.pending
        ],
        "failure_classes": _classes([r for r in counted if not r.ok]),
        "failures": [_failure(r) for r in counted if not r.ok],
        "seconds": round(seconds if seconds is not None else sum(r.seconds for r in results), 1),
    }


def markdown(summary: dict[str, Any]) -> str:
    """A short page for people."""
    lines = [
        "# Conversation bench (`voicebot bench dialogue`)",
        "",
        "Simulated callers (`voicebot/bench/patient.py`) answer whatever the bot asks, through the code of",
        "`voicebot chat --json`; afterwards the database is checked (scenarios: `tests/dialogue/scenarios/`).",
        "",
        f"**{summary['right']} of {summary['counted']} calls end with the right database state "
        f"({summary['rate']:.0%}).**",
        "",
        "| practice (language) | scenarios | right | rate |",
        "|---|---|---|---|",
    ]
    for name, group in summary["by_practice"].items():
        lines.append(f"| {name} | {group['scenarios']} | {group['right']} | {group['rate']:.0%} |")
    loop = summary["worst_loop"]
    lines += [
        "",
        f"Median caller turns of a one-shot booking: {summary['median_turns_one_shot_booking']}.",
        f"Worst loop: {loop['question']} asked {loop['times']} times ({loop['scenario']})." if loop else "",
        "",
        "Calls where the first offers missed the wish and the caller had to say it again or ask for later "
        f"(insisting callers left out): {len(summary['offers_refused'])}"
        + (f" ({', '.join(f'`{k}`' for k in summary['offers_refused'])})." if summary["offers_refused"] else "."),
        "",
        "## Failure classes",
        "",
    ]
    lines += [
        f"- {name}: {len(ids)} ({', '.join(f'`{i}`' for i in ids)})" for name, ids in summary["failure_classes"].items()
    ]
    lines += [
        "",
        "## Failures",
        "",
    ]
    lines += [f"- `{f['id']}` ({f['title']}): {'; '.join(f['problems'])}" for f in summary["failures"]] or ["None."]
    if summary["pending"]:
        lines += ["", "## Waiting for a feature (not counted)", ""]
        lines += [
            f"- `{p['id']}` ({p['waits_for']}): {'right' if p['right'] else 'not yet'}" for p in summary["pending"]
        ]
    return "\n".join(lines) + "\n"


def failure_class(result: Result) -> str:
    """A failure's class, from its problems, its outcome and the last question answered."""
    problems = " ".join(result.problems)
    if result.outcome == "transferred":
        return f"transferred after a {result.last_question or 'first'} answer was not understood"
    if "turn cap" in " ".join(result.transcript[-3:]) or result.outcome == "hung_up":
        return "no fitting offer or a loop: the caller gave up"
    for word in ("motif", "practitioner", "outside", "name", "birth", "phone"):
        if word in problems:
            return {"outside": "wrong day or time"}.get(word, f"wrong {word}")
    return f"ended {result.outcome}: {result.problems[0] if result.problems else ''}"


def _classes(failures: list[Result]) -> dict[str, list[str]]:
    classes: dict[str, list[str]] = {}
    for result in failures:
        classes.setdefault(failure_class(result), []).append(result.scenario.id)
    return dict(sorted(classes.items(), key=lambda item: -len(item[1])))


def _rate(results: list[Result]) -> float:
    return round(sum(r.ok for r in results) / len(results), 3) if results else 0.0


def _failure(result: Result) -> dict[str, Any]:
    scenario = result.scenario
    return {
        "id": scenario.id,
        "title": scenario.title,
        "practice": scenario.practice,
        "language": scenario.persona.language,
        "problems": result.problems,
        "outcome": result.outcome,
        "turns": result.turns,
        "transcript": result.transcript,
    }
