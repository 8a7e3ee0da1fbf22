"""SIP callers through a real `voicebot serve` (real models) with real SIP peers on 127.0.0.1: a sipp caller whose
speech and key press reach the dialogue, a headless baresip caller who hears the greeting, and SIGTERM drain
closing a SIP call with a goodbye and the bot's BYE.

What the bot side saw is read from the server's debug log: the recogniser's `heard '...'` lines and the handler's
transcript of each finished call (`voicebot.phone.sip`, debug only: callers' words stay out of normal logs).
One server serves the module's calls one after the other (each test reads the log from where its call began);
the drain test, which stops its server, gets its own.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.speech.shared import caller_speech, heard, recognizer
from tests.voice.conftest import ServeProcess, free_udp_port, serve_process

pytestmark = [pytest.mark.models, pytest.mark.slow]

HERE = Path(__file__).with_name("sip")
SIPP = shutil.which("sipp")
BARESIP = shutil.which("baresip")
DTMF_PCAP = Path("/usr/share/sip-tester/dtmf_2833_1.pcap")
BARESIP_MODULES = Path("/usr/lib/baresip/modules")
CALLER_SENTENCE = "Hi, I'd like to see Doctor Patel on Tuesday morning for a flu jab."
KEY_WORDS = ("patel", "tuesday", "morning", "flu")


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """`voicebot serve` on the English sample surgery, with SIP on a free UDP port of 127.0.0.1, for the calls of
    this module that leave it running."""
    yield from serve_process(
        tmp_path_factory.mktemp("sip-serve"), "en", "--log-level", "debug", "--drain-seconds", "1", sip=True
    )


class Log:
    """The server's log from where a test began (its calls only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = path.stat().st_size

    def text(self) -> str:
        """What was logged since the test began."""
        with self.path.open("rb") as stream:
            stream.seek(self.start)
            return stream.read().decode(errors="replace")


@pytest.fixture
def sip_server(shared_server: ServeProcess) -> ServeProcess:
    """The module's server, checked alive (a call that crashed it must not fail the next tests obscurely)."""
    assert shared_server.process.poll() is None, shared_server.server.log.read_text(errors="replace")[-3000:]
    return shared_server


@pytest.fixture
def draining_server(tmp_path: Path) -> Iterator[ServeProcess]:
    """A server of its own, for the test that stops it."""
    yield from serve_process(tmp_path, "en", "--log-level", "debug", "--drain-seconds", "1", sip=True)


def need(*tools: str | None) -> None:
    """Fail (not skip) when a SIP peer is missing: CI installs them (.ci/run)."""
    assert all(tools), "sipp and baresip are needed (apt-get install sip-tester baresip-core)"


def sipp(scenario: str, sip_port: int, cwd: Path, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run one sipp UAC call of `scenario` (in tests/voice/sip/) against the bot; sipp's result."""
    command = [
        str(SIPP),
        f"127.0.0.1:{sip_port}",
        "-sf",
        str(HERE / scenario),
        "-s",
        "bot",
        "-m",
        "1",
        "-l",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_udp_port()),
        "-mi",
        "127.0.0.1",
        "-mp",
        str(free_udp_port()),
        "-nostdin",
        "-timeout",
        f"{int(timeout) - 10}s",
        "-timeout_error",
        "-trace_err",
    ]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def caller_ulaw(path: Path, text: str) -> Path:
    """`text` in the simulated caller's Kokoro voice, as raw 8 kHz mu-law (what sipp's rtp_stream plays)."""
    from voicebot.simulate.caller_audio import CALLER_VOICES, to_phone

    pcm, rate = caller_speech(text, CALLER_VOICES["en"], "en")
    path.write_bytes(to_phone(pcm, rate))
    return path


def transcripts(log: str) -> list[list[tuple[str, str]]]:
    """The handler's transcripts of finished SIP calls (who, what), as logged at debug level."""
    return [
        [(who, what) for who, what in json.loads(found)]
        for found in re.findall(r"voicebot\.phone\.sip: call \S+: transcript (\[.*\])$", log, re.MULTILINE)
    ]


def wait_for(log: Log, ready: Callable[[str], bool], timeout: float = 30.0) -> str:
    """The log since the test began, once `ready` says so (or after `timeout`, a safety net)."""
    deadline = time.monotonic() + timeout
    text = log.text()
    while not ready(text) and time.monotonic() < deadline:
        time.sleep(0.2)
        text = log.text()
    return text


def outcomes(log: str) -> list[str]:
    """The finished calls' outcomes (`completed`, `hung_up`, `closed`...), in order."""
    return re.findall(r"voicebot\.phone\.calls: call \S+: (\w+)$", log, flags=re.MULTILINE)


def test_sipp_caller_is_heard_and_its_key_reaches_the_dialogue(tmp_path: Path, sip_server: ServeProcess) -> None:
    need(SIPP)
    assert DTMF_PCAP.exists()
    caller_ulaw(tmp_path / "caller.ulaw", CALLER_SENTENCE)
    log = Log(sip_server.server.log)
    done = sipp("call_bot.xml", sip_server.server.sip_port, tmp_path)
    text = wait_for(log, lambda text: bool(transcripts(text)))  # the handler's record comes just after the BYE
    assert done.returncode == 0, (
        f"sipp exit {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n{text[-4000:]}"
    )
    recognised = " ".join(found for _, found in re.findall(r"heard (['\"])(.*?)\1 in", text))
    # The recogniser got the caller's RTP: 3 of the sentence's 4 key words (one may be misheard).
    assert heard(recognised, KEY_WORDS, 3), (recognised, text[-4000:])
    (transcript,) = transcripts(text)
    said = [what for who, what in transcript if who == "caller"]
    assert [what for what in said if what.startswith("dtmf:")] == ["dtmf:1"], transcript  # the key, once
    assert heard(" ".join(said), KEY_WORDS, 3), transcript  # and the dialogue got the words
    assert "Riverside Surgery" in transcript[0][1], transcript  # the bot's greeting, in the same call
    assert outcomes(text)[-1] == "hung_up", text[-3000:]  # the caller's BYE ended it
    logged = logged_call(sip_server, call_ids(text)[-1])  # and the call log has it, pseudonymised
    assert (logged["channel"], logged["outcome"]) == ("sip", "hung_up"), logged
    assert ("caller", "dtmf:1") in [(line["speaker"], line["text"]) for line in logged["transcript"]], logged
    assert logged["latency"] is not None and logged["latency"]["replies"] >= 1, logged


def call_ids(log: str) -> list[str]:
    """The SIP Call-IDs of the finished calls whose transcript was logged, in order."""
    return re.findall(r"voicebot\.phone\.sip: call (\S+): transcript \[", log, re.MULTILINE)


def logged_call(server: ServeProcess, key: str, tries: int = 20) -> dict[str, object]:
    """`voicebot calls show` of the call whose key is `key`, once the handler has written it (just after it logs
    its record: a few tries, half a second apart)."""
    for _ in range(tries):
        found = [call for call in server.server.query("calls", "list") if call["key"] == key]
        if found:
            shown: dict[str, object] = server.server.query("calls", "show", str(found[0]["id"]))
            return shown
        time.sleep(0.5)
    raise AssertionError(f"call {key} is not in the call log")


@pytest.mark.parametrize(
    ("scenario", "outcome"), [("transfer.xml", "transferred"), ("transfer_refused.xml", "transfer_failed")]
)
def test_a_caller_pressing_0_is_transferred_by_refer_to_the_staff_line(
    tmp_path: Path, sip_server: ServeProcess, scenario: str, outcome: str
) -> None:
    need(SIPP)
    log = Log(sip_server.server.log)
    done = sipp(scenario, sip_server.server.sip_port, tmp_path)  # checks the Refer-To, answers 202 (or 603), BYE
    text = wait_for(log, lambda text: bool(outcomes(text) and transcripts(text)))
    assert done.returncode == 0, (
        f"sipp exit {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n{text[-4000:]}"
    )
    assert "transferring to sip:…01@127.0.0.1" in text, text[-3000:]  # the number masked in the log
    assert outcomes(text) == [outcome], text[-3000:]
    (transcript,) = transcripts(text)
    assert ("caller", "dtmf:0") in transcript and transcript[-1][0] == "bot", transcript  # its words, then REFER
    assert logged_call(sip_server, call_ids(text)[-1])["outcome"] == outcome  # the call log says the same


BARESIP_ACCOUNT = "<sip:patient@127.0.0.1:{port}>;regint=0;audio_codecs=PCMU\n"


def baresip_config(directory: Path, source: Path, recordings: Path) -> None:
    """A headless baresip (the reference config of the SIP notes): `source` as the microphone, both directions
    recorded under `recordings`, SIP and RTP on free ports of 127.0.0.1."""
    sip_port, rtp_port = free_udp_port(), free_udp_port()
    template = (HERE / "baresip.config").read_text()
    directory.mkdir()
    (directory / "config").write_text(
        template.format(
            sip_port=sip_port,
            rtp_low=rtp_port,
            rtp_high=min(rtp_port + 20, 65535),
            source=source,
            modules=BARESIP_MODULES,
            recordings=recordings,
        )
    )
    (directory / "accounts").write_text(BARESIP_ACCOUNT.format(port=sip_port))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), "<i2").reshape(-1, channels)[:, 0]
    return samples, rate


def speech_levels(samples: np.ndarray) -> np.ndarray:
    """RMS (0..1) of each 20 ms of 8 kHz samples."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160).astype(np.float64) / 32768
    return np.sqrt((frames**2).mean(axis=1))


def transcribe(samples: np.ndarray, rate: int) -> str:
    """Whisper's English text of int16 samples, lower-cased."""
    from voicebot.speech.audio import resample

    pcm = (resample(samples.astype(np.float32) / 32768, rate, 16000) * 32767).astype(np.int16).tobytes()
    return recognizer().transcribe(pcm, "en").text.lower()


def test_baresip_caller_hears_the_greeting_and_a_silent_caller_the_goodbye_before_the_bye(
    tmp_path: Path, sip_server: ServeProcess
) -> None:
    from voicebot.speech.audio import write_wav

    need(BARESIP)
    source, recordings = tmp_path / "caller-8k.wav", tmp_path / "recordings"
    recordings.mkdir()
    write_wav(source, bytes(8000 * 2 * 150), 8000)  # a caller who says nothing: the line stays open
    baresip_config(tmp_path / "baresip", source, recordings)
    log = Log(sip_server.server.log)
    caller = subprocess.Popen(
        [
            str(BARESIP),
            "-f",
            str(tmp_path / "baresip"),
            "-e",
            f"/dial sip:bot@127.0.0.1:{sip_server.server.sip_port}",
            "-t",
            "140",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Four silences (7 s each, after the greeting and each re-prompt): the bot gives up, says goodbye, hangs up.
        deadline = time.monotonic() + 130
        while not outcomes(log.text()):
            assert time.monotonic() < deadline and caller.poll() is None, log.text()[-3000:]
            time.sleep(0.5)
        time.sleep(2)  # baresip closes its recording on the BYE
    finally:
        caller.terminate()
        out = caller.communicate(timeout=20)[0]
    text = log.text()
    assert outcomes(text) == ["completed"], text[-3000:]
    assert re.search(r"telephony\.sip\.call: call \S+ ended: local_bye", text), text[-3000:]  # the bot's BYE
    recorded = sorted(recordings.glob("*dec*.wav"))  # what the caller heard (the decoded direction)
    assert recorded, f"no recording of what the caller heard:\n{out[-3000:]}\n{text[-3000:]}"
    samples, rate = read_wav(recorded[0])
    assert (speech_levels(samples) > 0.01).sum() > 250, "the caller heard (almost) silence"
    greeting = transcribe(samples[: rate * 12], rate)
    assert heard(greeting, ("riverside", "surgery", "assistant"), 2), greeting
    # The goodbye was heard in full before the BYE: it ends the recording.
    voiced = np.flatnonzero(speech_levels(samples) > 0.01)
    last = (voiced[-1] + 1) * 160
    tail = transcribe(samples[max(0, last - rate * 6) : last + rate // 2], rate)
    # "... please call back ... Goodbye.": 3 of 4 words, as Whisper base once wrote "please call bat. Goodbye."
    assert heard(tail, ("please", "call", "back", "goodbye"), 3), tail


def test_sigterm_drain_says_goodbye_then_sends_bye(tmp_path: Path, draining_server: ServeProcess) -> None:
    need(SIPP)
    sip_server = draining_server
    command = [
        str(SIPP),
        f"127.0.0.1:{sip_server.server.sip_port}",
        "-sf",
        str(HERE / "wait_for_bye.xml"),
        "-s",
        "bot",
        "-m",
        "1",
        "-l",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_udp_port()),
        "-mi",
        "127.0.0.1",
        "-mp",
        str(free_udp_port()),
        "-nostdin",
        "-timeout",
        "90s",
        "-timeout_error",
        "-trace_err",
    ]
    caller = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        log = sip_server.server.log
        deadline = time.monotonic() + 60
        while not re.search("SIP call answered(.|\n)*Bot started speaking", log.read_text(errors="replace")):
            assert time.monotonic() < deadline and caller.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        sip_server.process.send_signal(signal.SIGTERM)  # during the greeting
        code = sip_server.process.wait(timeout=60)
        out, err = caller.communicate(timeout=30)
    finally:
        if caller.poll() is None:
            caller.kill()
    text = sip_server.server.log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert caller.returncode == 0, f"sipp did not get the bot's BYE:\n{out[-2000:]}\n{err[-2000:]}\n{text[-3000:]}"
    goodbye = text.index("the server is closing, saying goodbye")
    spoken = text.index("Bot started speaking", goodbye)
    hung_up = text.index(": hung up", goodbye)
    assert goodbye < spoken < hung_up, text[goodbye:][:3000]
    assert "closed" in outcomes(text), text[-3000:]
