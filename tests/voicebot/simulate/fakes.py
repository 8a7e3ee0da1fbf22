"""Small fakes shared by the simulator tests: a transcriber that reports lengths, a voice of tones, scripted lines,
and the quick `CallerScript` the tests drive calls with."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import TypeVar

from telephony.g711 import tone
from voicebot.simulate.caller_lines import CarrierCall
from voicebot.simulate.carrier import BotTurns, CallerScript

CallT = TypeVar("CallT", bound=CarrierCall)


class FakeTranscriber:
    """Hears each bot turn as "beep N.N" (its length in seconds); keeps the lengths (bytes at 16 kHz)."""

    def __init__(self) -> None:
        self.heard: list[int] = []

    def transcribe(self, pcm16k: bytes) -> str:
        self.heard.append(len(pcm16k))
        return f"beep {len(pcm16k) / 32000:.1f}"


class ToneVoice:
    """Says each text line as a 300 Hz tone, 50 ms a word."""

    def speak(self, text: str) -> tuple[bytes, int]:
        return tone(300, 0.05 * len(text.split()), rate=16_000), 16_000


async def lines(*items: str) -> AsyncIterator[str]:
    """The caller's lines, as `caller_lines` gives them."""
    for item in items:
        yield item


def quick_script(
    call: CallT,
    *,
    out: io.StringIO,
    err: io.StringIO | None = None,
    json_mode: bool = True,
    voice: ToneVoice | None = None,
    program: str = "voicebot call",
) -> CallerScript[CallT]:
    """A `CallerScript` on `call` with the fakes, short timeouts and 0.3 s turn gaps."""
    return CallerScript(
        call,
        transcriber=FakeTranscriber(),
        voice=voice,
        json_mode=json_mode,
        out=out,
        err=err or io.StringIO(),
        answer_timeout=1.0,
        key_gap=0.05,
        turns=BotTurns(gap_frames=15),
        program=program,
    )
