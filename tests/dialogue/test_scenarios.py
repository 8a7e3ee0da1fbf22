"""The conversation suite (tests/dialogue/scenarios/*.toml): simulated callers answer whatever the bot asks,
through the code of `voicebot chat --json`, and the database must then hold the right appointment.

The rate is the one `voicebot bench dialogue` measures (bench/dialogue.json); scenarios marked `pending`
wait for a feature and are not counted.
"""

from __future__ import annotations

from collections import Counter

import pytest

from voicebot.bench.dialogue import load_scenarios, run_scenario
from voicebot.bench.dialogue_summary import run_suite, summarise

RATE_FLOOR = 0.95
"""At least this share of the scenarios ends with the right database state (measured on 2026-12-02:
139/142, bench/dialogue.json)."""


def test_the_suite_covers_four_practices_two_languages_and_every_kind_of_caller() -> None:
    scenarios = load_scenarios()
    counted = [s for s in scenarios if not s.pending]
    assert len(counted) >= 40
    assert len({s.id for s in scenarios}) == len(scenarios), "scenario ids must be unique"
    assert {s.practice for s in scenarios} == {"parc", "riverside", "tilleuls", "harbour"}
    assert Counter(s.persona.language for s in counted).keys() == {"fr", "en"}
    assert {s.persona.style for s in scenarios} >= {"one_shot", "step", "keypad"}
    assert {s.persona.task for s in scenarios} >= {"book", "cancel", "move", "request"}
    assert {s.expect.get("result", "booked") for s in scenarios} >= {"booked", "cancelled", "moved", "nothing"}
    assert any(s.persona.silent for s in scenarios) and any(s.persona.fix_at_recap for s in scenarios)
    for scenario in scenarios:
        assert scenario.clinic.exists(), scenario.id


@pytest.mark.slow
def test_most_simulated_calls_end_with_the_right_database_state() -> None:
    summary = summarise(run_suite())
    failures = "\n\n".join(
        f"{f['id']} ({f['title']}): {'; '.join(f['problems'])}\n    " + "\n    ".join(f["transcript"])
        for f in summary["failures"]
    )
    assert summary["rate"] >= RATE_FLOOR, f"{summary['right']}/{summary['counted']} right\n\n{failures}"


@pytest.mark.slow
def test_a_scenario_through_a_real_voicebot_chat_process(tmp_path) -> None:
    scenario = next(s for s in load_scenarios() if s.id == "tl-01-one-shot-kine")
    result = run_scenario(scenario, tmp_path, {}, subprocess_=True)
    assert result.ok, "\n".join(result.problems + result.transcript)
    assert result.outcome == "booked" and result.turns == 6
