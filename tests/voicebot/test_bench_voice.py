"""`voicebot bench voice`: its statistics, its observer and line probe, its chart, and one small real run."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    Frame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    UserStoppedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import FramePushed
from pipecat.processors.frame_processor import FrameDirection

from telephony.g711 import FRAME_BYTES, ULAW_SILENCE, ulaw_encode
from telephony.twilio.sim.carrier import CallPlacement, SimulatedTwilioCall
from voicebot.bench.caller import LineProbe
from voicebot.bench.chart import write_chart
from voicebot.bench.stages import STAGES, StageObserver, TurnStages
from voicebot.bench.voice import TARGETS, check_targets, percentile, summarize, summarize_level
from voicebot.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("values", [[5.0], [3.0, 1.0], [1.0, 2.0, 3.0, 4.0], [10.0, 250.0, 31.5, 7.0, 99.0, 1e4]])
@pytest.mark.parametrize("q", [0, 50, 95, 100])
def test_percentile_matches_numpy(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize() -> None:
    assert summarize([]) is None
    assert summarize([100.0, 200.0, 300.0, 400.0]) == {"n": 4, "p50": 250.0, "p95": 385.0, "mean": 250.0, "max": 400.0}


def _turn(server_reply: float) -> TurnStages:
    return TurnStages(
        "CA1",
        end_of_turn=300.0,
        recognition=200.0,
        recognition_compute=150.0,
        turn_and_text=300.0,
        dialogue=20.0,
        first_audio=100.0,
        playout=5.0,
        server_reply=server_reply,
    )


def test_summarize_level_counts_calls_turns_and_cpu() -> None:
    calls = [
        {
            "call_sid": "CA1",
            "latencies_ms": [900.0, 1100.0],
            "unanswered": 0,
            "overlapped": 1,
            "seconds": 30.0,
            "error": None,
        },
        {
            "call_sid": "CA2",
            "latencies_ms": [1000.0],
            "unanswered": 1,
            "seconds": 31.0,
            "error": "CallRejected: webhook answered HTTP 500",
        },
    ]
    level = summarize_level(
        5, calls, [_turn(925.0), _turn(1025.0)], server_cpu=12.0, caller_cpu=1.5, wall=40.0, peak_rss_mib=600.0
    )
    assert level["concurrency"] == 5 and level["calls"] == 2 and level["failed_calls"] == 1
    assert level["turns_answered"] == 3 and level["turns_unanswered"] == 1 and level["turns_overlapped"] == 1
    assert level["reply_latency_ms"]["p50"] == 1000.0 and level["reply_latency_samples_ms"] == [900.0, 1100.0, 1000.0]
    assert set(level["stages_ms"]) == set(STAGES)
    assert level["stages_ms"]["server_reply"]["p50"] == 975.0
    assert level["server_cpu_seconds_per_call"] == 6.0


def test_check_targets() -> None:
    levels = [
        {"concurrency": 1, "reply_latency_ms": {"p50": 700.0, "p95": 1300.0}},
        {"concurrency": 5, "reply_latency_ms": None},
    ]
    results = check_targets(levels)
    assert [(r["concurrency"], r["percentile"]) for r in results] == [(c, p) for c, p, _ in TARGETS]
    assert [r["met"] for r in results] == [True, False, None]
    assert results[1]["measured_ms"] == 1300.0


@dataclass
class _Source:
    name: str = "processor"


def test_caller_scripts_vary_the_request() -> None:
    from voicebot.bench.voice import caller_scripts

    scripts = caller_scripts("fr", 2, 45)
    assert all(len(script) == 2 and script[1] == "Le premier." for script in scripts)
    assert len({script[0] for script in scripts}) == 40 and scripts[40] == scripts[0]
    assert "docteur Martin lundi matin" in scripts[0][0] and "docteur Bernard lundi matin" in scripts[1][0]


def _push(observer: StageObserver, frame: Frame, seconds: float) -> None:
    data = FramePushed(_Source(), _Source(), frame, FrameDirection.DOWNSTREAM, int(seconds * 1e9))  # type: ignore[arg-type]
    asyncio.run(observer.on_push_frame(data))


def test_stage_observer_times_a_turn() -> None:
    records: list[TurnStages] = []
    observer = StageObserver("CA1", records.append, vad_stop_secs=0.5)
    _push(observer, TTSSpeakFrame("greeting"), 0.5)  # the greeting: no caller turn, not recorded
    _push(observer, BotStartedSpeakingFrame(), 0.7)
    _push(observer, VADUserStoppedSpeakingFrame(), 9.0)  # a first segment, then the caller went on
    _push(observer, VADUserStoppedSpeakingFrame(stop_secs=0.5), 10.0)
    _push(observer, TranscriptionFrame("le premier", "u", "t", result=SimpleNamespace(seconds=0.25)), 10.3)
    _push(observer, UserStoppedSpeakingFrame(), 10.6)
    _push(observer, TTSSpeakFrame("Quel est votre nom ?"), 10.65)
    _push(observer, TTSAudioRawFrame(b"\0\0" * 160, 8000, 1), 11.0)
    _push(observer, BotStartedSpeakingFrame(), 11.02)
    _push(observer, BotStartedSpeakingFrame(), 15.0)  # a later start without a caller turn
    assert records == [
        TurnStages(
            "CA1",
            end_of_turn=600.0,
            recognition=300.0,
            recognition_compute=250.0,
            turn_and_text=600.0,
            dialogue=50.0,
            first_audio=350.0,
            playout=20.0,
            server_reply=1520.0,
        )
    ]


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_line_probe_measures_from_the_last_voiced_caller_frame() -> None:
    call = SimulatedTwilioCall(CallPlacement("http://127.0.0.1:1", "AC" + "0" * 32, "token"))
    clock = _Clock()
    probe = LineProbe(call, clock)
    voiced = ulaw_encode((np.sin(np.arange(FRAME_BYTES) / 3) * 8000).astype(np.int16).tobytes())
    silence = bytes([ULAW_SILENCE]) * FRAME_BYTES

    def tick(caller: bytes, bot: bytes) -> None:
        clock.now += 0.02
        call.caller_track += caller
        assert call.on_tick is not None
        call.on_tick(bot)

    tick(silence, voiced)  # the greeting
    probe.arm()
    tick(voiced, b"")
    tick(voiced, b"")
    tick(voiced, b"")
    last_voice = clock.now
    for _ in range(40):
        tick(silence, b"")
    tick(silence, voiced)
    assert probe.answer == pytest.approx(clock.now - last_voice)
    assert probe.answer == pytest.approx(0.82) and not probe.overlapped


def test_line_probe_flags_bot_audio_too_soon_after_the_caller() -> None:
    call = SimulatedTwilioCall(CallPlacement("http://127.0.0.1:1", "AC" + "0" * 32, "token"))
    clock = _Clock()
    probe = LineProbe(call, clock)
    voiced = ulaw_encode((np.sin(np.arange(FRAME_BYTES) / 3) * 8000).astype(np.int16).tobytes())
    probe.arm()
    for caller, bot in [(voiced, b""), (b"\xff" * FRAME_BYTES, b""), (b"\xff" * FRAME_BYTES, voiced)]:
        clock.now += 0.02
        call.caller_track += caller
        probe.tick(bot)
    assert probe.answer == pytest.approx(0.04) and probe.overlapped  # the rest of the bot's previous turn


def _result(**overrides: Any) -> dict[str, Any]:
    stages = {name: {"n": 2, "p50": 100.0, "p95": 150.0, "mean": 110.0, "max": 160.0} for name in STAGES}
    levels = [
        {"concurrency": c, "reply_latency_ms": {"n": 3, "p50": 900.0 * c, "p95": 1400.0 * c}, "stages_ms": stages}
        for c in (1, 5)
    ]
    result = {
        "language": "fr",
        "levels": levels,
        "targets": check_targets(levels),
        "setup": {"vad_stop_secs": 0.5},
        "machine": {"cpu": "AMD EPYC", "cores": 2, "load_average_1min_at_start": 1.5},
    }
    result.update(overrides)
    return result


def test_chart_is_a_png(tmp_path: Path) -> None:
    write_chart(_result(), tmp_path / "chart" / "voice.png")
    assert (tmp_path / "chart" / "voice.png").read_bytes().startswith(PNG)


def test_bad_concurrency_is_refused() -> None:
    result = CliRunner().invoke(main, ["bench", "voice", "--concurrency", "1,x"])
    assert result.exit_code == 2 and "--concurrency" in result.output


@pytest.mark.models
@pytest.mark.slow
def test_one_real_call(tmp_path: Path) -> None:
    """One English call of one turn (Piper answers quickly) through the real pipeline, real websockets."""
    output, chart = tmp_path / "voice.json", tmp_path / "voice.png"
    result = CliRunner().invoke(
        main,
        [
            "bench",
            "voice",
            "--language",
            "en",
            "--calls",
            "1",
            "--concurrency",
            "1",
            "--turns",
            "1",
            "--output",
            str(output),
            "--chart",
            str(chart),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text())
    assert data["benchmark"] == "voice" and data["language"] == "en" and data["machine"]["cores"]
    [level] = data["levels"]
    assert level["concurrency"] == 1 and level["calls"] == 1 and level["failed_calls"] == 0, level
    assert level["turns_answered"] == 1, level
    reply = level["reply_latency_ms"]
    assert 0 < reply["p50"] <= reply["p95"] < 20_000, reply
    stages = level["stages_ms"]
    for name in ("end_of_turn", "recognition", "dialogue", "first_audio", "server_reply"):
        assert stages[name] is not None and stages[name]["p50"] >= 0, (name, stages)
    assert stages["server_reply"]["p50"] > 0
    assert level["server_cpu_seconds_per_call"] > 0 and level["peak_rss_mib"] > 100
    assert [t["met"] is not None for t in data["targets"]] == [True, True, False]  # no 10-call level here
    assert chart.read_bytes().startswith(PNG)
