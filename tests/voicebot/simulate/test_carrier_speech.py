"""`voicebot call`'s speech path with the real models: the caller's Kokoro voice and the bot's Piper voice cross
the simulated phone line (8 kHz mu-law, real time) and are understood by Whisper on the other side.

Needs `voicebot models install`; about twenty seconds on two cores.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator

import pytest

from telephony.twilio import protocol as wire
from telephony.twilio.call import TwilioCall
from tests.telephony.twilio.live import live_gateway, run
from voicebot.simulate.carrier import BotTurns, CallerScript, KokoroVoice, WhisperTranscriber, from_phone, to_phone

pytestmark = [pytest.mark.models, pytest.mark.slow]


class SpeakingHandler:
    """Asks a question with Piper, listens until `#`, says goodbye, then hangs up."""

    def __init__(self, transcriber: WhisperTranscriber) -> None:
        from voicebot.speech.tts import synthesizer_for

        self.voice = synthesizer_for("en")
        self.transcriber = transcriber
        self.heard = ""

    async def say(self, call: TwilioCall, text: str, mark: str) -> None:
        chunk = await asyncio.to_thread(self.voice.synthesize, text)
        await call.send_audio(to_phone(chunk.pcm, chunk.sample_rate))
        await call.send_mark(mark)

    async def handle(self, call: TwilioCall) -> None:
        await self.say(call, "Hello! Which day would suit you?", "question")
        caller = bytearray()
        async for event in call.events():
            if isinstance(event, wire.Media):
                caller += event.payload
            elif isinstance(event, wire.Dtmf) and event.digit == "#":
                break
        self.heard = await asyncio.to_thread(self.transcriber.transcribe, from_phone(bytes(caller)))
        await self.say(call, "Thank you. Goodbye.", "goodbye")
        await call.wait_played("goodbye")
        await call.hang_up()


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


def test_speech_crosses_the_line_both_ways() -> None:
    transcriber = WhisperTranscriber("en")
    from tests.speech.shared import kokoro_voice

    caller_voice: KokoroVoice = kokoro_voice("af_heart", "en")  # loaded once per test process
    handler = SpeakingHandler(transcriber)
    out = io.StringIO()

    async def test() -> None:
        async with live_gateway(handler) as live:
            script = CallerScript(
                live.call(),
                transcriber=transcriber,
                voice=caller_voice,
                json_mode=True,
                out=out,
                answer_timeout=3,
                turns=BotTurns(gap_frames=40),
            )
            # The bot stays silent until "#" (3 s of answer_timeout per line); then it transcribes and says goodbye,
            # which on busy cores may start after 3 s: the caller keeps listening until the bot hangs up (each
            # `silence` line waits 3 s more at most: four of them are a safety net of 12 s).
            said = ("I would like Tuesday morning, please.", "dtmf:#", *["silence"] * 4)
            assert await script.run(lines(*said)) == 0

    run(test, timeout=90)
    output = [json.loads(line) for line in out.getvalue().splitlines()]
    says = [o["text"].lower() for o in output if o["type"] == "say"]
    assert "which day" in says[0] and "bye" in says[-1], says  # Whisper hears "goodbye" or "bye bye"
    assert output[-1] == {"type": "end", "outcome": "completed", "reference": None}
    assert "tuesday" in handler.heard.lower(), handler.heard
