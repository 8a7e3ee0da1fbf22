"""The simulated carrier behind `voicebot call`: a scripted caller on a real Twilio-protocol call.

Caller lines (typed, from a `--script` file, or from stdin in JSON mode), as in `voicebot chat`:

* any text: spoken by the caller's voice (needs a `Voice`);
* `wav:PATH`: a recording played as the caller's speech;
* `dtmf:123`: keys pressed on the keypad;
* `silence` (or an empty line): the caller says nothing and waits for the bot;
* `hangup`, or the end of the input: the caller hangs up.

The bot's audio is cut into turns at pauses of `turn_gap` seconds, transcribed (needs a `Transcriber`) and
printed. In JSON mode stdout carries exactly `voicebot chat --json`'s objects: `{"type": "say", "text": ...}`
per bot turn, `{"type": "listen"}` when the bot has finished and waits, and `{"type": "end", "outcome": ...,
"reference": null}` (`"transfer_to"` added for a transfer). The outcome is what the line shows: `completed` (the
bot hung up), `transferred`, `hung_up` (the caller hung up) or `error`; what was booked is in the database.
"""

from __future__ import annotations

import asyncio
import json
import sys
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

import numpy as np

from telephony.errors import TelephonyError
from telephony.g711 import FRAME_BYTES, PHONE_RATE, rms, ulaw_decode, ulaw_encode
from telephony.twilio_carrier import SimulatedTwilioCall

TRANSCRIBE_RATE = 16_000
OUTCOMES = {"completed": "completed", "server-closed": "completed", "redirected": "transferred",
            "caller-hung-up": "hung_up"}


class Transcriber(Protocol):
    """Speech to text for the bot's side."""

    def transcribe(self, pcm16k: bytes) -> str:
        """Mono int16 PCM at 16 kHz to text ("" when nothing was understood)."""
        ...


class Voice(Protocol):
    """Text to speech for the caller's side."""

    def speak(self, text: str) -> tuple[bytes, int]:
        """`text` as mono int16 PCM and its sample rate."""
        ...


class BotTurns:
    """Cuts the bot's played audio into turns: a turn ends after `gap_frames` quiet 20 ms frames.

    Args:
        gap_frames: Quiet frames that end a turn (50 = 1 s).
        threshold: RMS level (0..1 of full scale) above which a frame is speech.
    """

    def __init__(self, gap_frames: int = 50, threshold: float = 0.01) -> None:
        self.gap_frames = gap_frames
        self.threshold = threshold
        self._audio = bytearray()
        self._quiet = 0

    @property
    def speaking(self) -> bool:
        """Whether a turn is under way."""
        return bool(self._audio)

    def feed(self, played: bytes) -> bytes | None:
        """One tick of played audio (mu-law, maybe empty); the turn's audio when this tick ended one."""
        voiced = rms(played) > self.threshold
        if voiced:
            self._quiet = 0
            self._audio += played
        elif self._audio:
            self._quiet += 1
            self._audio += played.ljust(FRAME_BYTES, b"\xff")
            if self._quiet >= self.gap_frames:
                return self.flush()
        return None

    def flush(self) -> bytes | None:
        """End the turn under way (the call ended); its audio without the trailing pause."""
        if not self._audio:
            return None
        turn = bytes(self._audio[: len(self._audio) - self._quiet * FRAME_BYTES])
        self._audio.clear()
        self._quiet = 0
        return turn


@dataclass(frozen=True)
class CallerLine:
    """One parsed caller line."""

    kind: str
    """`say`, `wav`, `dtmf`, `silence` or `hangup`."""
    value: str = ""


def parse_line(line: str) -> CallerLine | None:
    """A caller line (see the module docstring); `None` for a comment ("# ...")."""
    text = line.strip()
    folded = text.casefold()
    if text.startswith("#"):
        return None
    for prefix in ("dtmf", "wav"):
        if folded.startswith(prefix + ":"):
            return CallerLine(prefix, text[len(prefix) + 1:].strip())
    if folded in ("", "silence"):
        return CallerLine("silence")
    if folded == "hangup":
        return CallerLine("hangup")
    return CallerLine("say", text)


def to_phone(pcm: bytes, rate: int) -> bytes:
    """int16 PCM at any rate to 8 kHz mu-law."""
    from voicebot.speech.audio import resample_bytes

    return ulaw_encode(resample_bytes(pcm, rate, PHONE_RATE))


def from_phone(ulaw: bytes, rate: int = TRANSCRIBE_RATE) -> bytes:
    """8 kHz mu-law to int16 PCM at `rate`."""
    from voicebot.speech.audio import resample_bytes

    return resample_bytes(ulaw_decode(ulaw), PHONE_RATE, rate)


def write_recording(path: str | Path, caller: bytes, bot: bytes) -> None:
    """Both sides as an 8 kHz stereo WAV: the caller left, the bot right."""
    size = max(len(caller), len(bot))
    left = np.frombuffer(ulaw_decode(caller.ljust(size, b"\xff")), dtype="<i2")
    right = np.frombuffer(ulaw_decode(bot.ljust(size, b"\xff")), dtype="<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(PHONE_RATE)
        writer.writeframes(np.column_stack([left, right]).astype("<i2").tobytes())


class CallerScript:
    """Plays caller lines on a call and reports the bot's turns.

    Args:
        call: The call (not started yet).
        transcriber: Transcribes the bot; without one a turn is reported as "[bot audio N.N s]".
        voice: Speaks the caller's text lines; without one they fail the call.
        json_mode: Chat-protocol JSON lines on `out`, else a readable transcript.
        out: stdout.
        err: Where problems are reported.
        answer_timeout: Seconds to wait for the bot to speak before handing the turn back to the caller.
        key_gap: Seconds between keys of a `dtmf:` line.
    """

    def __init__(self, call: SimulatedTwilioCall, *, transcriber: Transcriber | None, voice: Voice | None,
                 json_mode: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
                 answer_timeout: float = 15.0, key_gap: float = 0.25, turns: BotTurns | None = None) -> None:
        self.call = call
        self.transcriber = transcriber
        self.voice = voice
        self.json_mode = json_mode
        self.out = out
        self.err = err
        self.answer_timeout = answer_timeout
        self.key_gap = key_gap
        self.turns = turns or BotTurns()
        self.said: list[str] = []
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        call.on_tick = self._tick

    def _tick(self, played: bytes) -> None:
        turn = self.turns.feed(played)
        if turn is not None:
            self._queue.put_nowait(turn)

    def _emit(self, payload: dict[str, object], human: str | None) -> None:
        if self.json_mode:
            self.out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        elif human is not None:
            self.out.write(human + "\n")
        self.out.flush()

    async def _report(self, turn: bytes) -> None:
        if self.transcriber is None:
            text = f"[bot audio {len(turn) / PHONE_RATE:.1f} s]"
        else:
            text = await asyncio.to_thread(self.transcriber.transcribe, from_phone(turn))
        self.said.append(text)
        self._emit({"type": "say", "text": text}, f"bot> {text}")

    async def _next_turn(self, seconds: float) -> bytes | None:
        getter = asyncio.ensure_future(self._queue.get())
        ended = asyncio.ensure_future(self.call.ended.wait())
        try:
            await asyncio.wait({getter, ended}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            if not getter.done():
                getter.cancel()
        return getter.result() if getter.done() and not getter.cancelled() else None

    async def bot_turn(self) -> None:
        """Wait for the bot to speak and finish, or the call to end; report what it said.

        The bot has `answer_timeout` seconds to start speaking; once it has started, its turn is waited for.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.answer_timeout
        turns: list[bytes] = []
        while not self.call.ended.is_set() and (loop.time() < deadline or self.turns.speaking):
            turn = await self._next_turn(max(0.05, deadline - loop.time()))
            if turn is not None:
                turns.append(turn)
                break
        while not self._queue.empty():
            turns.append(self._queue.get_nowait())
        if self.call.ended.is_set() and (last := self.turns.flush()) is not None:
            turns.append(last)
        for turn in turns:
            await self._report(turn)

    async def play(self, line: CallerLine) -> None:
        """Do what the caller line says."""
        if line.kind == "dtmf":
            for digit in line.value.replace(" ", ""):
                await self.call.send_dtmf(digit)
                await asyncio.sleep(self.key_gap)
        elif line.kind in ("say", "wav"):
            if line.kind == "wav":
                from voicebot.speech.audio import int16_bytes, read_wav

                samples, rate = read_wav(line.value)
                pcm = int16_bytes(samples)
            elif self.voice is None:
                raise TelephonyError("no caller voice: text lines need the speech models (voicebot models install)")
            else:
                pcm, rate = await asyncio.to_thread(self.voice.speak, line.value)
            self.call.say(to_phone(pcm, rate))
            await self.call.wait_said()
        elif line.kind == "hangup":
            await self.call.hang_up()

    async def run(self, lines: AsyncIterator[str]) -> int:
        """Place the call, alternate bot turns and caller lines until the call ends; the exit status."""
        outcome = "error"
        try:
            await self.call.start()
            while True:
                await self.bot_turn()
                if self.call.ended.is_set():
                    break
                self._emit({"type": "listen"}, None)
                line = None
                while line is None:
                    text = await anext(lines, None)
                    line = CallerLine("hangup") if text is None else parse_line(text)
                if not self.json_mode and line.kind != "silence":
                    self._emit({}, f"you> {line.kind + ':' if line.kind in ('dtmf', 'wav') else ''}{line.value}")
                await self.play(line)
            outcome = "transferred" if self.call.transfer_to else OUTCOMES.get(self.call.end_reason or "", "completed")
        except Exception as error:  # the simulator reports any failure instead of a traceback on stdout
            self.err.write(f"voicebot call: {type(error).__name__}: {error}\n")
        finally:
            await self.call.close()
        payload: dict[str, object] = {"type": "end", "outcome": outcome, "reference": None}
        if self.call.transfer_to:
            payload["transfer_to"] = self.call.transfer_to
        target = f" -> {self.call.transfer_to}" if self.call.transfer_to else ""
        self._emit(payload, f"[call ended: {outcome}{target}]")
        return 0 if outcome != "error" else 1


CALLER_VOICES = {"fr": "pm_alex", "en": "af_heart"}
"""Kokoro voices for the simulated caller (the agent speaks with others)."""


class WhisperTranscriber:
    """`Transcriber` over the shared Whisper recognizer of `voicebot.speech`."""

    def __init__(self, language: str) -> None:
        from voicebot.speech.stt import Recognizer

        self.language = language
        self.recognizer = Recognizer()

    def transcribe(self, pcm16k: bytes) -> str:
        """Whisper's text for one bot turn."""
        return self.recognizer.transcribe(pcm16k, self.language).text


class KokoroVoice:
    """`Voice` over a Kokoro voice of `voicebot.speech` (the caller's)."""

    def __init__(self, voice: str, language: str) -> None:
        from voicebot.speech.tts import KokoroSynthesizer

        self.synthesizer = KokoroSynthesizer(voice, language)

    def speak(self, text: str) -> tuple[bytes, int]:
        """The caller saying `text`."""
        chunk = self.synthesizer.synthesize(text)
        return chunk.pcm, chunk.sample_rate
