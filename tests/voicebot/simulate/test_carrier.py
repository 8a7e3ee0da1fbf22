"""The simulated carrier (`voicebot call`): caller lines, bot turns, the chat JSON protocol, recordings."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from telephony.g711 import FRAME_BYTES, tone, ulaw_encode, ulaw_silence
from telephony.twilio.gateway import ToneHandler
from tests.pg import free_port
from tests.telephony.twilio.live import ACCOUNT, STAFF, TOKEN, live_gateway, run
from tests.voicebot.simulate.fakes import ToneVoice, lines, quick_script
from voicebot.simulate.carrier import BotTurns, CallerLine, CallerScript, parse_line, write_recording

ROOT = Path(__file__).resolve().parents[3]
VOICED = ulaw_encode(tone(440, 0.02, amplitude=0.5))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Bonjour", CallerLine("say", "Bonjour")),
        ("  dtmf: 12# ", CallerLine("dtmf", "12#")),
        ("DTMF:1", CallerLine("dtmf", "1")),
        ("wav:/tmp/a b.wav", CallerLine("wav", "/tmp/a b.wav")),
        ("", CallerLine("silence")),
        ("Silence", CallerLine("silence")),
        ("hangup", CallerLine("hangup")),
        ("# a comment", None),
    ],
)
def test_parse_line(line: str, expected: CallerLine | None) -> None:
    assert parse_line(line) == expected


def test_bot_turns_end_after_the_gap_without_the_trailing_pause() -> None:
    turns = BotTurns(gap_frames=3)
    assert turns.feed(b"") is None and not turns.speaking
    assert turns.feed(VOICED) is None and turns.speaking
    assert turns.feed(b"") is None  # a short pause inside the turn
    assert turns.feed(VOICED) is None
    assert turns.feed(ulaw_silence()) is None
    assert turns.feed(b"") is None
    turn = turns.feed(b"")
    assert turn == VOICED + b"\xff" * FRAME_BYTES + VOICED
    assert not turns.speaking and turns.flush() is None
    turns.feed(VOICED)
    assert turns.flush() == VOICED


def test_recording_is_stereo_8khz_caller_left_bot_right(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_recording(path, VOICED * 2, ulaw_silence() + VOICED * 3)
    with wave.open(str(path)) as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth(), reader.getnframes()) == (
            2,
            8000,
            2,
            640,
        )
        frames = np.frombuffer(reader.readframes(640), dtype="<i2").reshape(-1, 2)
    assert np.abs(frames[:320, 0]).max() > 1000 and np.abs(frames[320:, 0]).max() == 0
    assert np.abs(frames[:160, 1]).max() == 0 and np.abs(frames[160:, 1]).max() > 1000


def scripted(*items: str, voice: ToneVoice | None = None) -> tuple[list[dict[str, object]], int, CallerScript]:
    out = io.StringIO()
    result: dict[str, object] = {}

    async def test() -> None:
        async with live_gateway(ToneHandler()) as live:
            script = quick_script(live.call(), out=out, voice=voice)
            result["code"] = await script.run(lines(*items))
            result["script"] = script

    run(test)
    return [json.loads(line) for line in out.getvalue().splitlines()], result["code"], result["script"]  # type: ignore[return-value]


def test_json_protocol_of_a_keypad_call_ended_by_the_bot() -> None:
    output, code, script = scripted("dtmf:5", "silence", "# comment", "dtmf:#")
    assert code == 0
    assert [o["type"] for o in output] == ["say", "listen", "say", "listen", "listen", "say", "end"]
    assert output[0] == {"type": "say", "text": "beep 0.3"}  # the 0.3 s greeting beep, transcribed at 16 kHz
    assert output[-1] == {"type": "end", "outcome": "completed", "reference": None}
    assert script.call.marks_echoed == ["greeting", "dtmf-5", "goodbye"]


def test_transfer_and_caller_hang_up_outcomes() -> None:
    output, code, _ = scripted("dtmf:0")
    assert code == 0 and output[-1] == {
        "type": "end",
        "outcome": "transferred",
        "reference": None,
        "transfer_to": STAFF,
    }
    output, code, script = scripted("Bonjour, je voudrais un rendez-vous", "hangup", voice=ToneVoice())
    assert code == 0 and output[-1] == {"type": "end", "outcome": "hung_up", "reference": None}
    caller = bytes(script.call.caller_track)
    assert ulaw_encode(tone(300, 0.3, rate=8000))[400:420] in caller  # the caller's voice went down the line


def test_wav_lines_are_played_as_the_callers_speech(tmp_path: Path) -> None:
    path = tmp_path / "caller.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16_000)
        writer.writeframes(tone(250, 0.4, rate=16_000))
    output, code, script = scripted(f"wav:{path}", "hangup")
    assert code == 0 and output[-1]["outcome"] == "hung_up"
    assert ulaw_encode(tone(250, 0.4, rate=8000))[800:820] in bytes(script.call.caller_track)


def test_a_caller_typing_on_a_terminal_keeps_a_prompt_below_the_bots_lines() -> None:
    out = io.StringIO()

    async def test() -> None:
        async with live_gateway(ToneHandler()) as live:
            script = quick_script(live.call(), out=out, json_mode=False)
            script.interactive = True
            assert await script.run(lines("dtmf:#")) == 0

    run(test)
    # each bot line clears the pending prompt and prints it again; the typed line is not echoed twice
    assert out.getvalue() == (
        "\r\033[Kbot> beep 0.3\nyou> \r\033[Kbot> beep 0.3\nyou> \r\033[K[call ended: completed]\n"
    )


def test_text_lines_without_a_voice_end_the_call_with_an_error() -> None:
    output, code, _ = scripted("Bonjour")
    assert code == 1 and output[-1] == {"type": "end", "outcome": "error", "reference": None}


@pytest.mark.slow
def test_voicebot_call_against_voicebot_serve(tmp_path: Path) -> None:
    port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "VOICEBOT_TWILIO_API_URL": f"http://127.0.0.1:{api_port}",
        "VOICEBOT_DB": f"sqlite:///{tmp_path / 'v.db'}",
        "VOICEBOT_STAFF_NUMBER": STAFF,
    }
    env.pop("VOICEBOT_PUBLIC_URL", None)
    voicebot = [sys.executable, "-m", "voicebot"]
    server = subprocess.Popen(
        [*voicebot, "serve", "--port", str(port), "--no-voice", "--sip-port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = server.stderr.readline() if server.stderr else ""
            if "Uvicorn running" in line or server.poll() is not None:
                break
        record = tmp_path / "call.wav"
        done = subprocess.run(
            [
                *voicebot,
                "call",
                "--server",
                f"http://127.0.0.1:{port}",
                "--no-speech",
                "--json",
                "--answer-timeout",
                "2",
                "--turn-gap",
                "0.4",
                "--record",
                str(record),
                "--caller-id",
                "+33612345678",
            ],
            input="dtmf:7\ndtmf:#\n",
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    output = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["type"] for o in output] == ["say", "listen", "say", "listen", "say", "end"]
    assert output[-1]["outcome"] == "completed"
    assert TOKEN not in done.stdout + done.stderr
    with wave.open(str(record)) as reader:
        assert reader.getnchannels() == 2 and reader.getnframes() > 8000
