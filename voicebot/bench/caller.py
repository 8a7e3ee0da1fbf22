"""The callers of `voicebot bench voice`, in a process of their own (their CPU is not the server's).

Run as `python -m voicebot.bench.caller`: one JSON job on stdin, one JSON answer on stdout, progress on stderr.

* `{"mode": "speak", "language": ..., "voice": ..., "lines": [...], "folder": ...}` synthesises the caller's
  lines once with Kokoro into WAV files and answers `{"wavs": [...]}`;
* `{"mode": "call", ...}` (the fields of `CallJob`) places the calls with the simulated Twilio carrier (signed
  webhook, media-stream websocket, 20 ms mu-law frames in real time) and plays Twilio's REST API on
  `api_port`. Each call waits for the greeting, then for each line: says it, and measures the time from the
  last 20 ms frame of its speech to the first frame of the bot's audio after it (what a caller hears), then
  waits until the bot has been quiet for `turn_gap` seconds. It answers `{"calls": [...], "cpu_seconds": ...}`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from telephony.g711 import FRAME_BYTES, rms
from telephony.twilio.sim.carrier import CallPlacement, SimulatedTwilioCall

VOICED = 0.01
"""RMS level (0..1 of full scale) above which a 20 ms frame carries speech (as `voicebot call`'s turn cutter)."""
TOO_SOON = 0.3
"""Bot audio less than this after the caller's speech is no reply to it: the server's VAD alone waits 0.5 s. It is
the rest of the bot's previous turn, which paused longer than the caller's `turn_gap` (a loaded server)."""


@dataclass(frozen=True)
class CallJob:
    """One concurrency level of calls."""

    server_url: str
    account_sid: str
    auth_token: str
    api_port: int
    """Where to play Twilio's REST API (the server hangs up and transfers through it)."""
    scripts: list[list[str]]
    """Each call's lines, one WAV per turn."""
    calls: int
    concurrency: int
    """Calls in progress at once; the first ones start `spread` seconds apart in all."""
    turn_gap: float = 2.0
    """Seconds of bot silence that end its turn (Kokoro pauses between sentences when it lags)."""
    answer_timeout: float = 20.0
    """Seconds to wait for the bot's answer before counting the turn as unanswered."""
    spread: float = 3.0


@dataclass
class CallResult:
    """What one call measured."""

    call_sid: str
    latencies_ms: list[float] = field(default_factory=list)
    """End of the caller's speech to the bot's first audio, per answered turn."""
    unanswered: int = 0
    overlapped: int = 0
    """Turns where the bot spoke during the caller's speech or `TOO_SOON` after it: not timed."""
    seconds: float = 0.0
    error: str | None = None


class LineProbe:
    """Watches one call's line every 20 ms (the carrier's tick): when the caller last spoke, when the bot did.

    Args:
        call: The call; its last sent caller frame is read at each tick.
        clock: Monotonic seconds.
    """

    def __init__(self, call: SimulatedTwilioCall, clock: Callable[[], float] = time.monotonic) -> None:
        self.call = call
        self.clock = clock
        self.caller_voice: float | None = None
        self.bot_voice: float | None = None
        self.answer: float | None = None
        """Seconds from the caller's last voiced frame to the first voiced bot frame after it."""
        self.overlapped = False
        """The bot spoke while the caller did, or `TOO_SOON` after: the answer is not a reply to this turn."""
        call.on_tick = self.tick

    def tick(self, played: bytes) -> None:
        """One 20 ms tick: the caller frame just sent, the bot audio just played."""
        now = self.clock()
        if rms(bytes(self.call.caller_track[-FRAME_BYTES:])) > VOICED:
            self.caller_voice = now
            self.answer = None
        if rms(played) > VOICED:
            self.bot_voice = now
            if self.caller_voice is not None and self.answer is None:
                self.answer = now - self.caller_voice
                self.overlapped = self.overlapped or self.answer < TOO_SOON

    def arm(self) -> None:
        """Forget the previous turn."""
        self.caller_voice = self.answer = None
        self.overlapped = False

    async def wait_answer(self, seconds: float) -> float | None:
        """The answer's delay once the bot spoke after the caller, or `None` after `seconds`."""
        deadline = self.clock() + seconds
        while self.answer is None and not self.call.ended.is_set() and self.clock() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # polled: the carrier's clock callback sets it; the time is taken there
        return self.answer

    async def wait_quiet(self, gap: float, seconds: float) -> None:
        """Wait until the bot has spoken and then been quiet for `gap` (or the call ended, or `seconds` passed)."""
        deadline = self.clock() + seconds
        while not self.call.ended.is_set() and self.clock() < deadline:
            if self.bot_voice is not None and self.clock() - self.bot_voice >= gap:
                return
            await asyncio.sleep(0.05)


def load_lines(wavs: list[str]) -> dict[str, bytes]:
    """The caller's WAV files as 8 kHz mu-law, by path."""
    from voicebot.simulate.caller_audio import to_phone
    from voicebot.speech.audio import int16_bytes, read_wav

    lines = {}
    for path in dict.fromkeys(wavs):
        samples, rate = read_wav(path)
        lines[path] = to_phone(int16_bytes(samples), rate)
    return lines


async def place_call(
    job: CallJob, lines: list[bytes], calls: dict[str, SimulatedTwilioCall], register: Callable[[str], object]
) -> CallResult:
    """One call: greeting, then each line and the bot's answer; the caller hangs up at the end."""
    call = SimulatedTwilioCall(CallPlacement(job.server_url, job.account_sid, job.auth_token))
    probe = LineProbe(call)
    calls[call.call_sid] = call
    register(call.call_sid)
    result = CallResult(call.call_sid)
    started = time.monotonic()
    try:
        await call.start()
        await probe.wait_quiet(job.turn_gap, seconds=60.0)
        for line in lines:
            if call.ended.is_set():
                break
            probe.arm()
            call.say(line)
            await call.wait_said()
            answer = await probe.wait_answer(job.answer_timeout)
            if answer is None:
                result.unanswered += 1
                continue
            if probe.overlapped:
                result.overlapped += 1
            else:
                result.latencies_ms.append(round(answer * 1000, 1))
            await probe.wait_quiet(job.turn_gap, seconds=60.0)
    except Exception as error:  # a failed call is reported, the others go on
        result.error = f"{type(error).__name__}: {error}"
    finally:
        await call.hang_up()
        await call.close()
        calls.pop(call.call_sid, None)
    result.seconds = round(time.monotonic() - started, 2)
    return result


async def run_calls(job: CallJob) -> dict[str, Any]:
    """All the job's calls, `concurrency` at a time, with Twilio's REST API played beside them."""
    from telephony.twilio.sim.fake_rest import FakeTwilio

    lines = load_lines([path for script in job.scripts for path in script])
    calls: dict[str, SimulatedTwilioCall] = {}

    def on_update(sid: str, form: dict[str, str]) -> None:
        if sid in calls:
            calls[sid].on_rest_update(sid, form)

    fake = FakeTwilio(job.account_sid, job.auth_token, port=job.api_port, on_update=on_update)
    await fake.start()
    results: list[CallResult] = []
    pending = iter(range(job.calls))
    cpu, wall = time.process_time(), time.monotonic()

    async def slot(index: int) -> None:
        await asyncio.sleep(index * job.spread / job.concurrency)
        for index in pending:
            script = [lines[path] for path in job.scripts[index % len(job.scripts)]]
            result = await place_call(job, script, calls, lambda sid: fake.add_call(sid, from_="+33612345678"))
            results.append(result)
            print(
                f"  call {len(results)}/{job.calls}: {result.latencies_ms} ms"
                + (f", {result.unanswered} unanswered" if result.unanswered else "")
                + (f", {result.overlapped} overlapped" if result.overlapped else "")
                + (f", {result.error}" if result.error else ""),
                file=sys.stderr,
                flush=True,
            )

    try:
        await asyncio.gather(*(slot(index) for index in range(job.concurrency)))
    finally:
        await fake.close()
    return {
        "calls": [asdict(result) for result in results],
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "wall_seconds": round(time.monotonic() - wall, 2),
    }


def speak(language: str, voice: str, lines: list[str], folder: str) -> dict[str, Any]:
    """Synthesise the caller's lines into WAV files in `folder`."""
    from voicebot.simulate.caller_audio import KokoroVoice
    from voicebot.speech.audio import write_wav

    speaker = KokoroVoice(voice, language)
    wavs = []
    for index, text in enumerate(lines):
        pcm, rate = speaker.speak(text)
        path = Path(folder) / f"caller-{index}.wav"
        write_wav(path, pcm, rate)
        wavs.append(str(path))
    return {"wavs": wavs}


def main() -> None:
    """Read the job on stdin, write the answer on stdout."""
    job = json.loads(sys.stdin.read())
    mode = job.pop("mode")
    if mode == "speak":
        answer = speak(**job)
    else:
        answer = asyncio.run(run_calls(CallJob(**job)))
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
