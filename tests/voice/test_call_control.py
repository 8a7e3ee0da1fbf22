"""Call control with the real pipeline and models over real websockets: barge-in (a `clear`, the bot listens), a
non-interruptible notice that is not cut, a one-word "okay" that cuts nothing, the caller vanishing mid-call
(nothing booked, no task left), and `voicebot serve` draining on SIGTERM (a polite goodbye, exit 0).

What a patient expects when talking over the data notice: the notice plays to its end (it is not cut, and no
`clear` drops the part Twilio has buffered), then the bot answers what they said; the open question that would
have followed is dropped, since it was just answered.
"""

from __future__ import annotations

import asyncio
import io
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from booking.service import BookingService
from telephony.g711 import FRAME_BYTES, PHONE_RATE, tone, ulaw_decode, ulaw_encode
from telephony.twilio.call import TwilioCall
from telephony.twilio.sim.carrier import CallPlacement, CallRejected, SimulatedTwilioCall
from telephony.twilio.sim.fake_rest import FakeTwilio
from telephony.twilio.twiml import HangupVerb
from tests.pipeline.conftest import open_service
from tests.telephony.twilio.live import Live, eventually, live_gateway
from tests.voice.conftest import ACCOUNT, TOKEN, ServeProcess, bot_tail_text, serve_process
from voicebot.phone.twilio import PipelineCallHandler
from voicebot.pipeline.engines import Engines, shared_engines
from voicebot.simulate.carrier import (
    BotTurns,
    CallerLine,
    CallerScript,
    KokoroVoice,
    parse_line,
    to_phone,
    write_recording,
)

CALLER = "+447700900555"
QUIET = 0.01
"""RMS (0..1) under which a 20 ms frame of the bot's track is silence."""


@pytest.fixture(scope="module")
def engines() -> Engines:
    return shared_engines()


@pytest.fixture(scope="module")
def caller_voice() -> KokoroVoice:
    from tests.speech.shared import kokoro_voice

    return kokoro_voice("af_heart", "en")  # loaded once per test process


def spoken(voice: KokoroVoice, text: str) -> bytes:
    pcm, rate = voice.speak(text)
    return to_phone(pcm, rate)


def voiced(track: bytes | bytearray) -> np.ndarray:
    """Per 20 ms frame of a mu-law track: whether the bot was speaking."""
    samples = np.frombuffer(ulaw_decode(bytes(track)[: len(track) // FRAME_BYTES * FRAME_BYTES]), "<i2")
    frames = samples.reshape(-1, FRAME_BYTES).astype(np.float64) / 32768
    return np.sqrt((frames**2).mean(axis=1)) > QUIET


def seconds_of(text: str, engines: Engines) -> float:
    """How long the bot's voice takes to say `text`."""
    synthesizer = engines.synthesizer("en")
    return sum(len(chunk.pcm) for chunk in synthesizer.stream(text)) / 2 / synthesizer.sample_rate


class Scene:
    """One call through the real handler on a live gateway (127.0.0.1), seen from the carrier."""

    def __init__(self, live: Live, handler: PipelineCallHandler, service: BookingService) -> None:
        self.live = live
        self.handler = handler
        self.service = service
        self.call = live.call(caller=CALLER)
        self.script = CallerScript(
            self.call,
            transcriber=None,
            voice=None,
            json_mode=True,
            out=io.StringIO(),
            err=io.StringIO(),
            answer_timeout=20.0,
            turns=BotTurns(gap_frames=50),
        )
        self.starts: list[int] = []
        """Where each of its turns started."""
        tick = self.call.on_tick
        assert tick is not None

        def on_tick(played: bytes) -> None:
            speaking = self.script.turns.speaking
            tick(played)
            if self.script.turns.speaking and not speaking:
                self.starts.append(len(self.call.bot_track) - FRAME_BYTES)

        self.call.on_tick = on_tick

    def transcript(self) -> list[tuple[str, str]]:
        """The dialogue's transcript, during or after the call."""
        active = self.handler.active.get(self.call.call_sid)
        if active is not None:
            return list(active.dialogue.transcript)
        return next(r.transcript for r in self.handler.finished if r.call_sid == self.call.call_sid)

    async def turn_start(self, after: int = -1) -> int:
        """Wait for the bot to start a turn after position `after` of its track; where it started."""
        await eventually(lambda: any(start > after for start in self.starts), 30)
        return next(start for start in self.starts if start > after)

    async def at(self, position: int) -> None:
        """Wait until the bot's track has reached `position` (bytes)."""
        await eventually(lambda: len(self.call.bot_track) >= position, 30)


def in_scene(tmp_path: Path, engines: Engines, body: object, timeout: float = 120, start: bool = True) -> Scene:
    """Run `body(scene)` on a fresh English surgery, the call placed first (unless `start` is false: the body
    places it); the gateway checks afterwards that no task was left."""
    service, now = open_service(tmp_path, "en")
    handler = PipelineCallHandler(None, service, lambda: now, engines, locale="en")  # type: ignore[arg-type]
    scenes: list[Scene] = []

    async def main() -> None:
        async with asyncio.timeout(timeout), live_gateway(handler) as live:
            handler.settings = live.gateway.settings
            scenes.append(scene := Scene(live, handler, service))
            try:
                if start:
                    await scene.call.start()
                await body(scene)  # type: ignore[operator]
            finally:
                await scene.call.close()
            await eventually(lambda: not handler.active, 10)

    asyncio.run(main())
    return scenes[0]


def speaking_before(track: np.ndarray, end: int) -> bool:
    """Whether the bot was speaking shortly before position `end` (bytes) where its sentences would end if played
    in full (their synthesised length includes pauses: the last second but 0.3 s)."""
    return bool(track[(end - PHONE_RATE * 12 // 10) // FRAME_BYTES : (end - PHONE_RATE * 3 // 10) // FRAME_BYTES].any())


@pytest.mark.models
@pytest.mark.slow
def test_talking_over_the_slot_offer_clears_it_and_the_bot_answers(
    tmp_path: Path, engines: Engines, caller_voice: KokoroVoice
) -> None:
    from voicebot.speech.audio import write_wav

    paths = []
    for index, text in enumerate(
        ("I'd like to see Doctor Patel on Tuesday morning for a flu jab.", "Actually, I'd prefer Wednesday.")
    ):
        pcm, rate = caller_voice.speak(text)
        write_wav(path := tmp_path / f"caller-{index}.wav", pcm, rate)
        paths.append(path)
    # The carrier's own barge-in line: the second sentence starts half a second into the bot's offer.
    lines = [f"wav:{paths[0]}", f"over:0.5 wav:{paths[1]}", "hangup"]

    async def body(scene: Scene) -> None:
        async def script() -> object:
            for line in lines:
                yield line

        assert await scene.script.run(script()) == 0  # type: ignore[arg-type]

    scene = in_scene(tmp_path, engines, body, start=False)
    call = scene.call
    bot = [text for who, text in scene.transcript() if who == "bot"]
    caller = [text for who, text in scene.transcript() if who == "caller"]
    offer = next(i for i, text in enumerate(bot) if text.startswith("I have Tuesday"))
    track = voiced(call.bot_track)
    # Every start of a caller turn sends `clear` (harmless while the bot is silent); one came while it spoke.
    barge_ins = [
        position // FRAME_BYTES
        for position, dropped in call.clear_log
        if dropped or track[max(0, position // FRAME_BYTES - 30) : position // FRAME_BYTES].any()
    ]
    assert len(barge_ins) == 1, (call.clear_log, bot)
    cleared_at = barge_ins[0]
    # The bot stopped sending right after it (a frame or two were in flight) until its answer...
    after = [position for position in call.media_arrivals if position > cleared_at * FRAME_BYTES]
    pause = next(
        (
            here
            for here, there in zip([cleared_at * FRAME_BYTES, *after], after, strict=False)
            if there - here >= PHONE_RATE // 10
        ),
        None,
    )
    assert pause is not None and pause - cleared_at * FRAME_BYTES <= PHONE_RATE * 3 // 10, (cleared_at, after[:20])
    # ... before the end of the offer ("I have Tuesday ... Which would you prefer?"), which was never finished.
    offer_start = max(start for start in scene.starts if start < cleared_at * FRAME_BYTES)
    played = (cleared_at * FRAME_BYTES - offer_start) / PHONE_RATE
    assert 0.5 < played < seconds_of(f"{bot[offer]} {bot[offer + 1]}", engines) - 0.5, played
    assert bot[offer + 1] == "Which would you prefer?" and bot[offer + 2] == "All right.", bot
    # The dialogue went on with what was said over the bot.
    assert any("wednesday" in text.lower() for text in caller), caller
    assert any(text.startswith("I have Wednesday") for text in bot[offer + 1 :]), bot


@pytest.mark.models
@pytest.mark.slow
def test_talking_over_the_notice_does_not_cut_it_and_is_answered_after_it(
    tmp_path: Path, engines: Engines, caller_voice: KokoroVoice
) -> None:
    from dialogue.wording.phrases import load_phrases

    phrases = load_phrases("en")
    request = spoken(caller_voice, "An appointment, please.")
    marks: dict[str, int] = {}

    async def body(scene: Scene) -> None:
        marks["start"] = await scene.turn_start()
        hello = phrases.get("greeting.hello", practice=scene.handler.port.clinic().practice.name)
        marks["notice"] = marks["start"] + int(seconds_of(hello, engines) * PHONE_RATE)
        marks["end"] = marks["notice"] + int(seconds_of(phrases.get("greeting.notice"), engines) * PHONE_RATE)
        await scene.at(marks["notice"])  # as the notice starts
        scene.call.say(request)
        await scene.call.wait_said()
        await eventually(lambda: any(who == "caller" for who, _ in scene.transcript()), 20)
        marks["understood"] = len(scene.call.bot_track)
        await scene.script.bot_turn()  # the notice's end and the answer

    scene = in_scene(tmp_path, engines, body)
    track = voiced(scene.call.bot_track)
    # The caller was understood (so the barge-in had been triggered) while the notice was still playing...
    assert marks["understood"] < marks["end"], marks
    # ... yet nothing of the greeting was cleared, and the notice played to its end.
    assert not [position for position, _ in scene.call.clear_log if marks["start"] <= position < marks["end"]]
    assert speaking_before(track, marks["end"]), "the notice was cut"
    # Then the bot answered what was said over the notice (the open question, now pointless, was dropped).
    said = scene.transcript()
    heard = next(i for i, (who, _) in enumerate(said) if who == "caller")
    assert "appointment" in said[heard][1].lower(), said
    assert said[heard + 1 :] and said[heard + 1][0] == "bot", said
    assert said[heard + 1][1] != phrases.get("open.question"), said


@pytest.mark.models
@pytest.mark.slow
def test_one_word_over_the_bot_does_not_cut_it(tmp_path: Path, engines: Engines, caller_voice: KokoroVoice) -> None:
    request = spoken(caller_voice, "I'd like to see Doctor Patel on Tuesday morning for a flu jab.")
    okay = spoken(caller_voice, "Okay.")
    marks: dict[str, int] = {}

    async def body(scene: Scene) -> None:
        await scene.script.bot_turn()  # the greeting
        scene.call.say(request)
        marks["offer"] = await scene.turn_start(after=len(scene.call.bot_track))
        await scene.at(marks["offer"] + PHONE_RATE)
        scene.call.say(okay)  # one word: fewer than the two needed to barge in
        await scene.call.wait_said()
        await scene.script.bot_turn()

    scene = in_scene(tmp_path, engines, body)
    bot = [text for who, text in scene.transcript() if who == "bot"]
    offer = next(i for i, text in enumerate(bot) if text.startswith("I have Tuesday"))
    length = int((seconds_of(bot[offer], engines) + seconds_of(bot[offer + 1], engines)) * PHONE_RATE)
    end = marks["offer"] + length
    track = voiced(scene.call.bot_track)
    assert not [position for position, _ in scene.call.clear_log if marks["offer"] <= position < end]
    assert speaking_before(track, end), "the offer was cut"
    print("\nafter a one-word 'okay' over the offer:", scene.transcript()[-4:])


@pytest.mark.models
@pytest.mark.slow
def test_caller_vanishing_before_the_last_yes_books_nothing_and_leaves_no_task(
    tmp_path: Path, engines: Engines, caller_voice: KokoroVoice
) -> None:
    lines = [
        CallerLine("say", "I'd like to see Doctor Patel on Tuesday morning for a flu jab."),
        CallerLine("dtmf", "1"),
        CallerLine("say", "Emily Clarke."),
        CallerLine("dtmf", "05051990#"),
        CallerLine("dtmf", "1"),
    ]
    audio = {line.value: spoken(caller_voice, line.value) for line in lines if line.kind == "say"}

    async def body(scene: Scene) -> None:
        scene.script.key_gap = 0.1
        await scene.script.bot_turn()
        for line in lines:
            if line.kind == "say":
                scene.call.say(audio[line.value])
                await scene.call.wait_said()
            else:
                await scene.script.play(line)
            await scene.script.bot_turn()
        # The read-back is being said and "Is that right?" waits for the caller: the line drops instead.
        await eventually(lambda: any("read that back" in text for _, text in scene.transcript()), 30)
        scene.call.vanish()
        await eventually(lambda: not scene.handler.active, 10)

    scene = in_scene(tmp_path, engines, body, timeout=180)
    (record,) = scene.handler.finished
    assert record.outcome == "hung_up", record
    assert any("read that back" in text for _, text in record.transcript), record.transcript
    assert scene.service.list_appointments() == []
    assert scene.live.fake.requests == []  # no REST hang-up for a caller who is gone


@pytest.fixture
def draining_server(tmp_path: Path) -> Iterator[ServeProcess]:
    """`voicebot serve` on the English surgery, draining for three seconds on SIGTERM."""
    yield from serve_process(tmp_path, "en", "--drain-seconds", "3")


@pytest.mark.models
@pytest.mark.slow
def test_sigterm_drains_a_call_in_progress_with_a_goodbye_and_exits_0(
    tmp_path: Path, draining_server: ServeProcess
) -> None:
    served = draining_server
    placement = CallPlacement(served.server.url, ACCOUNT, TOKEN, caller=CALLER)
    call = SimulatedTwilioCall(placement)
    late = SimulatedTwilioCall(placement)
    marks: dict[str, float] = {}

    async def main() -> None:
        async with FakeTwilio(
            ACCOUNT, TOKEN, host="127.0.0.1", port=served.api_port, on_update=call.on_rest_update
        ) as fake:
            fake.add_call(call.call_sid, from_=CALLER)
            script = CallerScript(
                call,
                transcriber=None,
                voice=None,
                json_mode=True,
                out=io.StringIO(),
                err=io.StringIO(),
                answer_timeout=30.0,
                turns=BotTurns(gap_frames=50),
            )
            try:
                await call.start()
                await script.bot_turn()  # the greeting
                await script.play(CallerLine("dtmf", "4"))  # opening hours and address: a long answer
                await asyncio.wait_for(script._speaking.wait(), 30)
                served.process.send_signal(signal.SIGTERM)
                marks["signal"] = len(call.bot_track)
                signalled = time.monotonic()
                await late.post_webhook()  # a call arriving meanwhile
                await asyncio.wait_for(call.ended.wait(), 40)
                marks["ended"] = time.monotonic() - signalled
                marks["code"] = await asyncio.to_thread(served.process.wait, 40)
                marks["exited"] = time.monotonic() - signalled
                marks["hung_up"] = any(
                    r.call_sid == call.call_sid and r.form == {"Status": "completed"} for r in fake.requests
                )
            finally:
                await call.close()

    asyncio.run(main())
    log = served.server.log.read_text(errors="replace")[-3000:]
    assert marks["code"] == 0 and marks["exited"] < 30, (marks, log)
    # The call arriving while draining heard a polite message from Twilio's voice, then was hung up.
    assert late.twiml == [HangupVerb()] and "<Say" in late.answer and "call back" in late.answer, late.answer
    # The call in progress went on after the signal (the bot kept talking for the drain's three seconds), then
    # heard the goodbye and was hung up through the REST API; nothing was booked.
    track = voiced(call.bot_track)
    start = int(marks["signal"]) // FRAME_BYTES
    assert track[start + 100 : start + 150].any(), "the call did not go on after SIGTERM"
    assert marks["hung_up"] and call.end_reason in ("completed", "server-closed"), (marks, call.end_reason, log)
    assert marks["ended"] < 25, marks
    write_recording(recording := tmp_path / "call.wav", bytes(call.caller_track), bytes(call.bot_track))
    tail = bot_tail_text(recording, 7.0, "en").lower()
    assert "call" in tail and ("goodbye" in tail or "minutes" in tail), tail
    assert served.server.appointments() == []


# -- fast: the carrier's barge-in lines, the gateway's drain with a stand-in handler ---------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("over:1.5 Actually, Wednesday", CallerLine("say", "Actually, Wednesday", 1.5)),
        ("OVER:0 wav:/tmp/a.wav", CallerLine("wav", "/tmp/a.wav", 0.0)),
        ("over:2 dtmf:1", CallerLine("dtmf", "1", 2.0)),
        ("over:1 hangup", CallerLine("say", "over:1 hangup")),  # only speech or keys can be said over the bot
        ("over: soon", CallerLine("say", "over: soon")),
    ],
)
def test_over_lines(line: str, expected: CallerLine) -> None:
    assert parse_line(line) == expected


class Closable:
    """Answers calls until `close(call_sid)`, which plays a goodbye beep and ends the call; `stuck` ignores it."""

    takes_socket = False

    def __init__(self, stuck: bool = False) -> None:
        self.stuck = stuck
        self.started = asyncio.Event()
        self.closing: dict[str, asyncio.Event] = {}
        self.closed: list[str] = []
        self.cancelled: list[str] = []

    async def handle(self, call: TwilioCall) -> None:
        self.closing[call.call_sid] = asyncio.Event()
        self.started.set()
        try:
            await self.closing[call.call_sid].wait()
            await call.send_audio(ulaw_encode(tone(330, 0.2)))
            await call.send_mark("goodbye")
            await call.wait_played("goodbye")
            self.closed.append(call.call_sid)
        except asyncio.CancelledError:
            self.cancelled.append(call.call_sid)
            raise

    async def close(self, call_sid: str) -> bool:
        if not self.stuck:
            self.closing[call_sid].set()
        return True


@pytest.mark.parametrize("stuck", [False, True])
def test_drain_refuses_new_calls_then_closes_or_cancels_the_rest(stuck: bool) -> None:
    handler = Closable(stuck)

    async def test() -> None:
        async with asyncio.timeout(20), live_gateway(handler) as live:
            live.gateway.refusal = ("Please call back later.", "en-GB")
            call = live.call()
            await call.start()
            await asyncio.wait_for(handler.started.wait(), 5)
            drain = asyncio.create_task(live.gateway.drain(0.3, closing=0.5))
            await eventually(lambda: live.gateway.draining)
            late = live.call()
            assert await late.post_webhook() == [HangupVerb()]
            assert '<Say language="en-GB">Please call back later.</Say>' in late.answer
            await drain
            assert not live.gateway.active
            await asyncio.wait_for(call.ended.wait(), 5)
            live.gateway.refusal = None
            refused = live.call()
            with pytest.raises(CallRejected) as rejected:
                await refused.post_webhook()
            assert rejected.value.status == 503

    asyncio.run(test())
    (sid,) = handler.closing
    assert (handler.closed, handler.cancelled) == (([], [sid]) if stuck else ([sid], []))
