"""Barge-in on a SIP call, with the real pipeline and models: the SIP server and `SipPipelineHandler` in this
process, the caller placed with our dialer over real UDP on 127.0.0.1 (what it hears is recorded frame by frame).

Talking over the slot offer stops the bot before the end of the offer (the call's queued audio is cleared and the
pipeline stops sending), and the dialogue answers what was said over it. The data notice, which is not
interruptible, plays to its end even when the caller talks over it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from telephony.sip.call import Audio, SipCall
from telephony.sip.dialer import dial
from telephony.sip.server import SipServer
from telephony.sip.transport import SipTransport
from tests.pipeline.conftest import open_service
from voicebot.phone.sip import SipPipelineHandler
from voicebot.pipeline.engines import Engines, shared_engines
from voicebot.simulate.caller_audio import KokoroVoice
from voicebot.speech.audio import resample_bytes

pytestmark = [pytest.mark.models, pytest.mark.slow]

RATE = 8000
FRAME = 320
"""Bytes of one 20 ms frame of 8 kHz s16le."""
QUIET = 0.01


@pytest.fixture(scope="module")
def engines() -> Engines:
    return shared_engines()


@pytest.fixture(scope="module")
def caller_voice() -> KokoroVoice:
    from tests.speech.shared import kokoro_voice

    return kokoro_voice("af_heart", "en")  # loaded once per test process


def spoken(voice: KokoroVoice, text: str) -> bytes:
    """The caller saying `text`, as 8 kHz s16le."""
    pcm, rate = voice.speak(text)
    return resample_bytes(pcm, rate, RATE)


def voiced(track: bytes | bytearray) -> np.ndarray:
    """Per 20 ms frame of what the caller heard: whether the bot was speaking."""
    samples = np.frombuffer(bytes(track[: len(track) // FRAME * FRAME]), "<i2").astype(np.float64) / 32768
    return np.sqrt((samples.reshape(-1, FRAME // 2) ** 2).mean(axis=1)) > QUIET


def seconds_of(text: str, engines: Engines) -> float:
    """How long the bot's voice takes to say `text`."""
    synthesizer = engines.synthesizer("en")
    return sum(len(chunk.pcm) for chunk in synthesizer.stream(text)) / 2 / synthesizer.sample_rate


async def eventually(predicate: Callable[[], bool], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - polling the recording and the dialogue
            await asyncio.sleep(0.02)


class Line:
    """One SIP call to the bot, recording what the caller hears."""

    def __init__(self, call: SipCall, handler: SipPipelineHandler) -> None:
        self.call = call
        self.handler = handler
        self.track = bytearray()
        self.arrivals: list[tuple[float, int]] = []
        """(`time.monotonic()`, length of `track`) at each frame."""
        self.transport: SipTransport | None = None
        """The bot's side of the call (its barge-ins), once the handler runs it."""
        self._recording = asyncio.create_task(self._record())

    async def _record(self) -> None:
        async for event in self.call.events():
            if isinstance(event, Audio):
                self.track += event.pcm
                self.arrivals.append((time.monotonic(), len(self.track)))
                self.transport = self.transport or self.handler.transports.get(self.call.call_id)

    def position_at(self, moment: float) -> int:
        """Where the recording was at `moment` (`time.monotonic()`)."""
        return next((length for when, length in self.arrivals if when >= moment), len(self.track))

    def clears(self) -> list[int]:
        """Where in the recording the bot's side dropped queued audio (barge-ins while it spoke)."""
        assert self.transport is not None
        return [self.position_at(when) for when, queued in self.transport.output().barge_ins if queued > 0]

    def transcript(self) -> list[tuple[str, str]]:
        built = self.handler.active.get(self.call.call_id)
        return list(built.dialogue.transcript) if built is not None else []

    def turn_start(self, after: int) -> int | None:
        """Where the bot next started speaking after byte `after` of the recording (after a second of quiet)."""
        track = voiced(self.track)
        for frame in range(max(after // FRAME, 50), len(track)):
            if track[frame] and not track[frame - 50 : frame].any():
                return frame * FRAME
        return None

    def quiet_since(self, position: int, seconds: float) -> bool:
        """Whether the bot has said nothing for `seconds` after having spoken since `position`."""
        track = voiced(self.track)[position // FRAME :]
        frames = int(seconds * 50)
        return bool(track.any()) and len(track) > frames and not track[-frames:].any()

    async def close(self) -> None:
        await self.call.hang_up()
        await asyncio.wait_for(self._recording, 5)


def in_call(tmp_path: Path, engines: Engines, body: Callable[[Line], object], timeout: float = 150) -> Line:
    """Run `body(line)` on a call to a fresh English surgery; the handler must leave no call behind."""
    service, now = open_service(tmp_path, "en")
    handler = SipPipelineHandler(service, lambda: now, engines, locale="en")
    lines: list[Line] = []

    async def main() -> None:
        server = SipServer(handler.handle, port=0)
        async with asyncio.timeout(timeout):
            await server.start()
            try:
                host, port = server.address
                line = Line(await dial(f"sip:bot@{host}:{port}", caller="+447700900555"), handler)
                lines.append(line)
                try:
                    await body(line)  # type: ignore[misc]
                finally:
                    await line.close()
                await eventually(lambda: not handler.active, 10)
            finally:
                await server.close()

    asyncio.run(main())
    assert handler.finished and handler.finished[-1].outcome == "hung_up", handler.finished
    return lines[0]


def test_talking_over_the_slot_offer_stops_it_and_the_bot_answers(
    tmp_path: Path, engines: Engines, caller_voice: KokoroVoice
) -> None:
    request = spoken(caller_voice, "I'd like to see Doctor Patel on Tuesday morning for a flu jab.")
    change = spoken(caller_voice, "Actually, I'd prefer Wednesday.")
    marks: dict[str, int] = {}

    async def body(line: Line) -> None:
        await eventually(lambda: line.quiet_since(0, 1.5), 40)  # greeting, notice, open question
        marks["asked"] = len(line.track)
        line.call.play(request)
        await eventually(lambda: line.turn_start(marks["asked"] + len(request)) is not None, 30)
        marks["offer"] = line.turn_start(marks["asked"] + len(request)) or 0
        await eventually(lambda: len(line.track) >= marks["offer"] + RATE * 2, 10)  # a second into the offer
        marks["over"] = len(line.track)
        line.call.play(change)
        await eventually(lambda: [who for who, _ in line.transcript()].count("caller") == 2, 20)
        await eventually(lambda: any(text.startswith("I have Wednesday") for _, text in line.transcript()), 40)
        await eventually(lambda: line.quiet_since(marks["over"], 1.5), 40)  # the new offer was heard

    line = in_call(tmp_path, engines, body)
    said = line.handler.finished[-1].transcript
    bot = [text for who, text in said if who == "bot"]
    offer = next(i for i, text in enumerate(bot) if text.startswith("I have Tuesday"))
    assert bot[offer + 1] == "Which would you prefer?", bot
    # One barge-in while the bot spoke: during the offer, before its end (a second to spare)...
    full = seconds_of(" ".join(bot[offer : offer + 2]), engines)
    (cleared,) = line.clears()
    assert marks["over"] < cleared < marks["offer"] + int((full - 1.0) * 2 * RATE), (cleared, marks, full)
    # ... and the caller heard the bot stop there: quiet within 0.4 s (frames in flight, the jitter buffer), as
    # on the Twilio line: a gap of 0.1 s at least, until the bot's answer, which can follow at once (the words
    # said over the offer were recognised before the barge-in, so the turn is over as soon as it is).
    track = voiced(line.track)
    at = cleared // FRAME
    assert any(not track[frame : frame + 5].any() for frame in range(at, at + 20)), track[at : at + 40]
    # The dialogue went on with what was said over the offer.
    assert any("wednesday" in text.lower() for who, text in said if who == "caller"), said
    assert any(text.startswith("I have Wednesday") for text in bot[offer + 1 :]), bot


def test_talking_over_the_notice_does_not_cut_it(tmp_path: Path, engines: Engines, caller_voice: KokoroVoice) -> None:
    from dialogue.wording.phrases import load_phrases

    phrases = load_phrases("en")
    request = spoken(caller_voice, "An appointment, please.")
    marks: dict[str, int] = {}

    async def body(line: Line) -> None:
        await eventually(lambda: line.turn_start(0) is not None or voiced(line.track)[:50].any(), 20)
        marks["start"] = int(np.flatnonzero(voiced(line.track))[0]) * FRAME
        hello = phrases.get("greeting.hello", practice="Riverside Surgery")
        marks["notice"] = marks["start"] + int(seconds_of(hello, engines) * 2 * RATE)
        marks["end"] = marks["notice"] + int(seconds_of(phrases.get("greeting.notice"), engines) * 2 * RATE)
        await eventually(lambda: len(line.track) >= marks["notice"] + RATE, 20)  # half a second into the notice
        line.call.play(request)
        await eventually(lambda: any(who == "caller" for who, _ in line.transcript()), 20)
        marks["understood"] = len(line.track)
        await eventually(lambda: len(line.track) >= marks["end"] + RATE, 20)
        await eventually(lambda: line.quiet_since(marks["end"], 1.5), 30)  # and the answer

    line = in_call(tmp_path, engines, body)
    track = voiced(line.track)
    # The caller was understood while the notice was still playing, yet nothing was cleared and the notice
    # played to its end: the bot spoke during the last second of its synthesised length (0.3 s of slack for the
    # trailing pause).
    assert marks["understood"] < marks["end"], marks
    assert not [at for at in line.clears() if marks["start"] <= at < marks["end"]], (line.clears(), marks)
    assert track[(marks["end"] - 2 * RATE * 12 // 10) // FRAME : (marks["end"] - 2 * RATE * 3 // 10) // FRAME].any()
    said = line.handler.finished[-1].transcript
    heard = next(i for i, (who, _) in enumerate(said) if who == "caller")
    assert "appointment" in said[heard][1].lower(), said
    assert said[heard + 1 :] and said[heard + 1][0] == "bot", said
