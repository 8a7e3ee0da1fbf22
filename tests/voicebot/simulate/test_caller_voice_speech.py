"""The caller's voices with the real models: Kokoro's speed, voices in turn, and a real person's recorded answer
played by a `human:` line across the simulated Twilio line and heard by Whisper on the bot's side.

Needs `voicebot models install` and asterisk-core-sounds-fr-wav; about fifteen seconds on two cores.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import AsyncIterator

import numpy as np
import pytest

from telephony.twilio import protocol as wire
from telephony.twilio.call import TwilioCall
from tests.telephony.twilio.live import live_gateway, run
from voicebot.simulate.caller_audio import SpeechUnavailable, caller_voice, from_phone, load_caller_speech, to_phone
from voicebot.simulate.caller_voice import HUMAN, CallerVoice, SpeedRange, VoiceSpec, Voicing
from voicebot.simulate.carrier import BotTurns, CallerScript
from voicebot.simulate.human_speech import sounds_folder
from voicebot.speech.expect import expectation_prompt
from voicebot.speech.stt import Recognizer

pytestmark = [pytest.mark.models, pytest.mark.slow]


@pytest.fixture(scope="module")
def mixed() -> CallerVoice:
    """ff_siwis and pm_alex in turn, speeds drawn in 0.8-1.25, and the recordings."""
    if sounds_folder("fr") is None:
        if os.environ.get("CI"):
            pytest.fail("apt-get install asterisk-core-sounds-fr-wav (see .ci/speech-deps)")
        pytest.skip("asterisk-core-sounds-fr-wav is not installed")
    voicing = Voicing((VoiceSpec("ff_siwis"), VoiceSpec("pm_alex")), True, SpeedRange(0.8, 1.25), seed=1)
    voice = caller_voice("fr", voicing)
    assert isinstance(voice, CallerVoice)
    return voice


def seconds(audio: tuple[bytes, int]) -> float:
    return len(audio[0]) / 2 / audio[1]


def test_speed_changes_the_voice_and_each_speed_is_kept_apart(mixed: CallerVoice) -> None:
    siwis = mixed.speakers[VoiceSpec("ff_siwis")]
    text = "Je voudrais un rendez-vous mardi matin."
    slow, fast = siwis.speak(text, 0.8), siwis.speak(text, 1.25)
    assert seconds(slow) > 1.3 * seconds(fast)
    assert siwis.speak(text, 0.8) == slow  # not the fast one from a cache that ignores the speed


def test_voices_take_turns_and_recordings_answer_what_they_can(mixed: CallerVoice) -> None:
    first, second = mixed.speak("Oui, c'est bien ça."), mixed.speak("Oui, c'est bien ça.")
    assert first[1] == second[1] == 24_000 and first[0] != second[0]  # two speakers
    recorded = mixed.speak("14 juillet 1982")
    assert recorded[1] == 8000
    assert [v.split("@")[0] for v in mixed.voiced] == ["ff_siwis", "pm_alex", HUMAN]


def test_a_voice_that_does_not_exist_is_named() -> None:
    with pytest.raises(SpeechUnavailable, match=r"no Kokoro voice xx_nope \(installed: .*ff_siwis.*; or human\)"):
        load_caller_speech("fr", "human,ff_siwis+xx_nope:0.3")


class Listener:
    """A bot that asks with a beep, records the caller until `#`, then hangs up."""

    def __init__(self) -> None:
        self.caller = bytearray()

    async def handle(self, call: TwilioCall) -> None:
        beep = (np.sin(np.arange(4000) * 0.5) * 8000).astype("<i2").tobytes()
        await call.send_audio(to_phone(beep, 8000))
        await call.send_mark("asked")
        async for event in call.events():
            if isinstance(event, wire.Media):
                self.caller += event.payload
            elif isinstance(event, wire.Dtmf) and event.digit == "#":
                break
        await call.hang_up()


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


def test_a_human_line_crosses_the_line_without_speech_models(recognizer: Recognizer) -> None:
    if sounds_folder("fr") is None:
        pytest.skip("asterisk-core-sounds-fr-wav is not installed")
    listener, out = Listener(), io.StringIO()

    async def test() -> None:
        async with live_gateway(listener) as live:
            script = CallerScript(
                live.call(), transcriber=None, voice=None, json_mode=True, out=out, answer_timeout=3,
                turns=BotTurns(gap_frames=25), language="fr",
            )  # fmt: skip
            assert await script.run(lines("human:mardi 8 décembre", "dtmf:#", "silence")) == 0

    run(test, timeout=60)
    assert json.loads(out.getvalue().splitlines()[-1])["outcome"] == "completed"
    heard = recognizer.transcribe(from_phone(bytes(listener.caller)), "fr", expectation_prompt("date", "fr")).text
    assert "mardi" in heard.lower() and "décembre" in heard.lower(), heard
