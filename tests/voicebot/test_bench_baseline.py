"""`voicebot bench voice --baseline`: ours and pipecat's stock parts, side by side from one run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from voicebot.bench.baseline import baseline_setup, ratio
from voicebot.bench.stages import TurnStages
from voicebot.bench.voice import summarize_level
from voicebot.cli import main


def _level(latencies: list[float], server_cpu: float) -> dict[str, Any]:
    calls = [{"call_sid": "CA1", "latencies_ms": latencies, "unanswered": 0, "seconds": 30.0, "error": None}]
    turn = TurnStages("CA1", 300.0, 200.0, 150.0, 300.0, 20.0, 100.0, 5.0, latencies[0])
    return summarize_level(1, calls, [turn], server_cpu=server_cpu, caller_cpu=1.0, wall=30.0, peak_rss_mib=500.0)


def test_ratio_is_stock_over_ours_and_the_blocks_share_one_shape() -> None:
    ours, stock = _level([800.0, 1000.0], 4.0), _level([2000.0, 3000.0], 10.0)
    assert set(ours) == set(stock)  # a table reads the same fields on both sides
    assert ratio(ours, stock) == {
        "reply_latency_p50": round(2500.0 / 900.0, 2),
        "reply_latency_p95": round(2950.0 / 990.0, 2),
        "server_cpu_seconds_per_call": 2.5,
    }


def test_ratio_is_none_where_a_side_measured_nothing() -> None:
    ours = _level([800.0], 0.0)
    silent = {**ours, "reply_latency_ms": None}
    assert ratio(ours, silent) == {
        "reply_latency_p50": None,
        "reply_latency_p95": None,
        "server_cpu_seconds_per_call": None,  # ours took no CPU: no ratio
    }
    assert ratio(silent, ours)["reply_latency_p50"] is None


def test_setup_names_the_stock_parts() -> None:
    setup = baseline_setup("en")
    assert "PiperTTSService en_US-joe-medium" in setup["tts"]
    assert "VADParams()" in setup["vad"] and "WhisperSTTService" in setup["stt"]
    assert "per call" in setup["model_loading"]


def test_help_explains_the_baseline() -> None:
    result = CliRunner().invoke(main, ["bench", "voice", "--help"])
    assert result.exit_code == 0 and "--baseline" in result.output and "stock" in result.output


@pytest.mark.models
@pytest.mark.slow
def test_one_real_call_ours_and_stock(tmp_path: Path) -> None:
    """One English call of one turn through our pipeline, then the same call through pipecat's stock parts."""
    output = tmp_path / "voice.json"
    began = time.monotonic()
    result = CliRunner().invoke(
        main,
        ["bench", "voice", "--language", "en", "--calls", "1", "--concurrency", "1", "--turns", "1", "--baseline"]
        + ["--output", str(output)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text())
    assert "WhisperSTTService" in data["setup"]["baseline"]["stt"]
    [level] = data["levels"]
    for side in (level, level["stock"]):
        assert side["calls"] == 1 and side["failed_calls"] == 0 and side["turns_answered"] == 1, side
        reply = side["reply_latency_ms"]
        assert 0 < reply["p50"] <= reply["p95"] < 30_000, reply
        assert side["stages_ms"]["server_reply"] is not None and side["pipeline_build_ms"]["n"] == 1, side
        assert side["server_cpu_seconds_per_call"] > 0
    assert all(value is not None and value > 0 for value in level["ratio"].values()), level["ratio"]
    stock = level["stock"]
    print(
        f"\nbaseline run {time.monotonic() - began:.0f} s; reply ms ours {level['reply_latency_ms']['p50']}, "
        f"stock {stock['reply_latency_ms']['p50']}; ratio {level['ratio']}; build ms ours "
        f"{level['pipeline_build_ms']['p50']}, stock {stock['pipeline_build_ms']['p50']}; stages ms ours "
        f"{ {k: v and v['p50'] for k, v in level['stages_ms'].items()} }, stock "
        f"{ {k: v and v['p50'] for k, v in stock['stages_ms'].items()} }; CPU s per call ours "
        f"{level['server_cpu_seconds_per_call']}, stock {stock['server_cpu_seconds_per_call']}"
    )
