"""`voicebot softphone`: its options, its errors, and the softphone call driven by the carrier's `CallerScript`
against a real `telephony.sip.SipServer` on 127.0.0.1 (real UDP, real RTP, RFC 4733 keys)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from telephony.g711 import tone, ulaw_decode, ulaw_encode
from telephony.sip.call import Audio, Digit, SipCall
from telephony.sip.server import SipServer
from tests.pg import free_port
from tests.telephony.twilio.live import eventually, run
from tests.voicebot.simulate.fakes import ToneVoice, lines, quick_script
from voicebot.cli import main
from voicebot.simulate.softphone import DEFAULT_URI, SipTarget, SoftphoneCall, parse_target

ROOT = Path(__file__).resolve().parents[3]
VOICEBOT = [sys.executable, "-m", "voicebot"]
STAFF = "sip:staff@127.0.0.1:5070"


# -- options -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEFAULT_URI, SipTarget(DEFAULT_URI, "voicebot", "127.0.0.1", 5060)),
        ("sip:bot@127.0.0.1:5080", SipTarget("sip:bot@127.0.0.1:5080", "bot", "127.0.0.1", 5080)),
        ("127.0.0.1:5062", SipTarget("sip:127.0.0.1:5062", "", "127.0.0.1", 5062)),
        (
            "SIP:+33100000000@pbx.example.org;transport=udp",
            SipTarget("SIP:+33100000000@pbx.example.org;transport=udp", "+33100000000", "pbx.example.org", 5060),
        ),
        ("sip:bot@[::1]:5070", SipTarget("sip:bot@[::1]:5070", "bot", "::1", 5070)),
    ],
)
def test_parse_target(text: str, expected: SipTarget) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sip:", "not a SIP URI"),
        ("sip:bot@", "not a SIP URI"),
        ("sip:bot@host:abc", "bad port"),
        ("sip:bot@host:70000", "out of range"),
        ("sips:bot@host", "not supported"),
        ("sip:bot @host", "not a SIP URI"),
    ],
)
def test_parse_target_refuses_what_cannot_be_dialled(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_target(text)


def test_help_and_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    help_text = runner.invoke(main, ["softphone", "--help"]).output
    for option in ("--to", "--script", "--wav", "--json", "--record", "--caller-id", "--language", "--voice"):
        assert option in help_text
    assert DEFAULT_URI in help_text
    bad = runner.invoke(main, ["softphone", "--no-speech", "--to", "sip:bot@host:abc"])
    assert bad.exit_code == 2 and "bad port" in bad.output
    auth = runner.invoke(main, ["softphone", "--no-speech", "--auth", "nopassword"])
    assert auth.exit_code == 1 and "USER:PASSWORD" in auth.output
    not_wav = tmp_path / "notes.wav"
    not_wav.write_text("not audio")
    wav = runner.invoke(main, ["softphone", "--no-speech", "--wav", str(not_wav)])
    assert wav.exit_code == 1 and f"cannot play {not_wav}" in wav.output
    assert "Traceback" not in bad.output + auth.output + wav.output


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def softphone(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
    return subprocess.run(
        [*VOICEBOT, "softphone", "--no-speech", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_nobody_answering_is_one_clear_line() -> None:
    port = free_udp_port()  # closed again: nothing listens there
    done = softphone("--json", "--to", f"sip:voicebot@127.0.0.1:{port}", "--ring-timeout", "2", stdin="hangup\n")
    assert done.returncode == 1
    assert json.loads(done.stdout.splitlines()[-1]) == {"type": "end", "outcome": "error", "reference": None}
    errors = done.stderr.strip().splitlines()
    assert errors[-1].startswith(
        f"voicebot softphone: No SIP answer from sip:voicebot@127.0.0.1:{port}: "
        f"is `voicebot serve` running with --sip-port {port}?"
    ), done.stderr
    assert "Traceback" not in done.stderr


# -- against a real SIP server -------------------------------------------------------------------------------------


async def drained(call: SipCall) -> None:
    """Everything queued was sent, and played out at the far end: its jitter buffer (60 ms) is dropped at BYE."""
    await call.drained()
    await asyncio.sleep(0.15)


class ToneBot:
    """A tiny bot: a 0.3 s greeting tone; each key answered by a short tone; `#`: a goodbye tone, then BYE;
    `0`: transfer (REFER) to `STAFF`; `8`: a tone 2 s later; `7`: a goodbye tone 2 s later, then BYE. Records the
    caller's audio and keys."""

    def __init__(self) -> None:
        self.digits: list[str] = []
        self.heard = bytearray()
        self.calls: list[SipCall] = []
        self.transferred: bool | None = None
        self.done = asyncio.Event()

    async def __call__(self, call: SipCall) -> None:
        self.calls.append(call)
        try:
            call.play(tone(440, 0.3))
            async for event in call.events():
                if isinstance(event, Audio):
                    self.heard += event.pcm
                    continue
                assert isinstance(event, Digit)
                self.digits.append(event.digit)
                if event.digit == "#":
                    call.play(tone(660, 0.3))
                    await drained(call)
                    return
                if event.digit == "0":
                    self.transferred = await call.transfer(STAFF)
                    return
                if event.digit in "78":  # answers late: the caller has the turn back and is thinking
                    await asyncio.sleep(2.0)
                    call.play(tone(660 if event.digit == "7" else 550, 0.3))
                    if event.digit == "7":  # ... and hangs up
                        await drained(call)
                        return
                    continue
                call.play(tone(550, 0.2))
        finally:
            self.done.set()


async def scripted_call(
    bot: ToneBot,
    *items: str,
    codecs: tuple[str, ...] = ("PCMU", "PCMA"),
    json_mode: bool = True,
    source: AsyncIterator[str] | None = None,
    auth: tuple[str, str] | None = None,
    **server_options: object,
) -> tuple[list[dict[str, object]], int, SoftphoneCall, str]:
    """Run `items` (or `source`'s lines) through `CallerScript` on a `SoftphoneCall` to a `SipServer` on an
    ephemeral port; the JSON events (the transcript's lines as `{"line": ...}` without `json_mode`)."""
    server = SipServer(bot, host="127.0.0.1", port=0, **server_options)  # type: ignore[arg-type]
    await server.start()
    out, err = io.StringIO(), io.StringIO()
    try:
        host, port = server.address
        call = SoftphoneCall(
            parse_target(f"sip:voicebot@{host}:{port}"),
            caller="+33612345678",
            codecs=codecs,
            ring_timeout=3,
            credentials=auth,
        )
        script = quick_script(
            call, out=out, err=err, json_mode=json_mode, voice=ToneVoice(), program="voicebot softphone"
        )
        code = await script.run(source or lines(*items))
        await eventually(lambda: not server.calls, 5)
    finally:
        await server.close()
    text = out.getvalue().splitlines()
    output = [json.loads(line) for line in text] if json_mode else [{"line": line} for line in text]
    return output, code, call, err.getvalue()


def test_keypad_call_ended_by_the_bot_speaks_the_chat_protocol() -> None:
    bot = ToneBot()

    async def test() -> None:
        output, code, call, err = await scripted_call(bot, "dtmf:5", "silence", "# comment", "dtmf:#")
        assert code == 0, err
        assert [o["type"] for o in output] == ["say", "listen", "say", "listen", "listen", "say", "end"], output
        assert output[0] == {"type": "say", "text": "beep 0.3"}  # the greeting, heard in real time
        assert output[-1] == {"type": "end", "outcome": "completed", "reference": None}
        assert call.end_reason == "remote_bye"
        assert bot.digits == ["5", "#"]  # each key once (RFC 4733 end packets de-duplicated)
        assert bot.calls[0].caller == "+33612345678"

    run(test, timeout=30)


def test_caller_speech_reaches_the_bot_and_the_caller_hangs_up() -> None:
    bot = ToneBot()

    async def test() -> None:
        output, code, call, err = await scripted_call(bot, "one two three four five six", "hangup")
        assert code == 0, err
        assert output[-1] == {"type": "end", "outcome": "hung_up", "reference": None}
        assert call.end_reason == "local_bye"
        await asyncio.wait_for(bot.done.wait(), 5)
        assert bot.calls[0].end_reason == "remote_bye"  # the bot saw our BYE
        # 0.3 s of the caller's 300 Hz tone arrived as sent (PCMU both ways: mu-law is idempotent)
        sent = ulaw_decode(ulaw_encode(tone(300, 0.3, rate=8000)))
        assert sent[800:880] in bytes(bot.heard)

    run(test, timeout=30)


def test_pcma_and_a_transfer_by_refer() -> None:
    bot = ToneBot()

    async def test() -> None:
        output, code, call, err = await scripted_call(bot, "one two three four five six", "dtmf:0", codecs=("PCMA",))
        assert code == 0, err
        assert call.sip is not None and call.sip.codec == "PCMA"
        assert output[-1] == {"type": "end", "outcome": "transferred", "reference": None, "transfer_to": STAFF}
        assert bot.transferred is True  # the softphone accepted the REFER (202)
        assert bot.digits == ["0"]
        # the caller's 300 Hz tone crossed as A-law: its spectrum peaks at 300 Hz
        heard = np.frombuffer(bytes(bot.heard), dtype="<i2").astype(np.float64)
        start = int(np.argmax(np.abs(heard) > 1000)) + 200
        window = heard[start : start + 1600]  # 0.2 s inside the 0.3 s tone
        assert len(window) == 1600 and np.abs(window).max() > 1000
        spectrum = np.abs(np.fft.rfft(window))
        assert abs(np.argmax(spectrum) * 8000 / 1600 - 300) <= 10

    run(test, timeout=30)


async def thinking(*items: str, then: asyncio.Event) -> AsyncIterator[str]:
    """`items`, then nothing until `then` is set (a caller typing slowly), then `hangup`."""
    for item in items:
        yield item
    await then.wait()
    yield "hangup"


def test_a_transcript_prints_the_bot_while_the_caller_thinks_and_ends_when_the_bot_hangs_up() -> None:
    bot = ToneBot()

    async def test() -> None:
        typed = asyncio.Event()
        source = thinking("dtmf:8", then=typed)
        task = asyncio.ensure_future(scripted_call(bot, json_mode=False, source=source))
        await eventually(lambda: bool(bot.digits), 10)
        await asyncio.sleep(3.5)  # the late answer came 2 s after the key, while the caller was thinking
        typed.set()
        output, code, _, err = await task
        assert code == 0, err
        assert [o["line"] for o in output] == [
            "bot> beep 0.3",
            "you> dtmf:8",
            "bot> beep 0.3",
            "you> hangup",
            "[call ended: hung_up]",
        ]
        # the bot hangs up while the caller thinks: the call ends without waiting for the caller's next line
        never = asyncio.Event()
        output, code, call, err = await scripted_call(bot, json_mode=False, source=thinking("dtmf:7", then=never))
        assert code == 0, err
        assert [o["line"] for o in output] == [
            "bot> beep 0.3",
            "you> dtmf:7",
            "bot> beep 0.3",
            "[call ended: completed]",
        ]
        assert call.end_reason == "remote_bye"

    run(test, timeout=40)


def test_a_refused_call_reports_the_status_and_digest_credentials_are_answered() -> None:
    bot = ToneBot()
    secret = ("frontdesk", "s3cret")

    async def test() -> None:
        output, code, _, err = await scripted_call(bot, "hangup", max_calls=0)
        assert code == 1 and output == [{"type": "end", "outcome": "error", "reference": None}]
        assert err.startswith("voicebot softphone: sip:voicebot@127.0.0.1:"), err
        assert err.strip().endswith(" refused the call: 486 Busy Here"), err
        output, code, _, err = await scripted_call(bot, "hangup", auth=("frontdesk", "wrong"), credentials=secret)
        assert code == 1 and output[-1]["outcome"] == "error"
        assert "refused the call: 40" in err, err  # 401 or 407, after one answered challenge
        assert not bot.calls
        output, code, _, err = await scripted_call(bot, "hangup", auth=secret, credentials=secret)
        assert code == 0 and output[-1]["outcome"] == "hung_up", err
        assert len(bot.calls) == 1

    run(test, timeout=30)


# -- the command against a SIP server in another thread ------------------------------------------------------------


@pytest.fixture
def tone_server() -> Iterator[tuple[ToneBot, int]]:
    """A `SipServer` with a `ToneBot` on an ephemeral port, served by a loop in a thread."""
    loop = asyncio.new_event_loop()
    bot = ToneBot()
    server = SipServer(bot, host="127.0.0.1", port=0)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    try:
        yield bot, server.address[1]
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_command_plays_a_wav_records_both_sides_and_hangs_up(tmp_path: Path, tone_server: tuple[ToneBot, int]) -> None:
    bot, port = tone_server
    speech = tmp_path / "caller.wav"
    with wave.open(str(speech), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16_000)
        writer.writeframes(tone(250, 0.6, rate=16_000))
    record = tmp_path / "call.wav"
    done = softphone(
        "--to",
        f"sip:voicebot@127.0.0.1:{port}",
        "--wav",
        str(speech),
        "--record",
        str(record),
        "--caller-id",
        "patient",
        "--answer-timeout",
        "2",
        "--turn-gap",
        "0.4",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("bot> [bot audio 0.3 s]"), done.stdout  # the greeting
    assert f"you> wav:{speech}" in lines
    assert lines[-1] == "[call ended: hung_up]", done.stdout
    assert bot.calls[0].caller == "patient"
    heard = np.frombuffer(bytes(bot.heard), dtype="<i2")
    assert np.abs(heard).max() > 3000  # the recording went down the line
    with wave.open(str(record)) as reader:
        assert (reader.getnchannels(), reader.getframerate()) == (2, 8000)
        frames = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").reshape(-1, 2)
    assert np.abs(frames[:, 0]).max() > 3000 and np.abs(frames[:, 1]).max() > 3000  # the caller left, the bot right


@pytest.mark.slow
def test_softphone_against_voicebot_serve(tmp_path: Path) -> None:
    """`voicebot serve --no-voice` answers SIP calls with beeps: keys, then `#` for the goodbye and the BYE."""
    port, sip_port = free_port(), free_udp_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBOT_", "TWILIO_"))}
    env["VOICEBOT_DB"] = f"sqlite:///{tmp_path / 'v.db'}"
    server = subprocess.Popen(
        [*VOICEBOT, "serve", "--port", str(port), "--no-voice", "--sip-port", str(sip_port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = server.stderr.readline() if server.stderr else ""
            if "Uvicorn running" in line or server.poll() is not None:
                break
        record = tmp_path / "call.wav"
        done = softphone(
            "--json",
            "--to",
            f"sip:voicebot@127.0.0.1:{sip_port}",
            "--answer-timeout",
            "2",
            "--turn-gap",
            "0.4",
            "--record",
            str(record),
            "--caller-id",
            "+33612345678",
            stdin="dtmf:7\ndtmf:#\n",
            timeout=40,
        )
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert done.returncode == 0, done.stderr
    output = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["type"] for o in output] == ["say", "listen", "say", "listen", "say", "end"], output
    assert output[-1]["outcome"] == "completed"
    with wave.open(str(record)) as reader:
        assert reader.getnchannels() == 2 and reader.getnframes() > 8000
