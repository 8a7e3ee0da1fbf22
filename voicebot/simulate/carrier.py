"""The simulated carrier behind `voicebot call`: a scripted caller on a real Twilio-protocol call.

Caller lines (typed, from a `--script` file, or from stdin in JSON mode), as in `voicebot chat`:

* any text: spoken by the caller's voice (needs a `Voice`);
* `wav:PATH`: a recording played as the caller's speech;
* `human:TEXT`: TEXT said by a real person: Debian's Asterisk recordings of its words (numbers, weekdays, months,
  letters: `voicebot.simulate.human_speech`), e.g. `human:14 juillet 1982`;
* `dtmf:123`: keys pressed on the keypad;
* `silence` (or an empty line): the caller says nothing and waits for the bot;
* `hangup`, or the end of the input: the caller hangs up;
* `over:SECONDS LINE` (LINE being text, `wav:`, `human:` or `dtmf:`): the caller does not wait for the bot to
  finish: LINE starts SECONDS after the bot starts its next turn, over it (barge-in). The line is taken as soon as it is
  available (a script, piped input, or typed while the bot talks), while the bot is still speaking; after it,
  the caller waits for the bot's turn to end as usual (add `silence` to wait for a further turn).

The bot's audio is cut into turns at pauses of `turn_gap` seconds, transcribed (needs a `Transcriber`) and
printed. In JSON mode stdout carries exactly `voicebot chat --json`'s objects: `{"type": "say", "text": ...}`
per bot turn, `{"type": "listen"}` when the bot has finished and waits, and `{"type": "end", "outcome": ...,
"reference": null}` (`"transfer_to"` added for a transfer). The outcome is what the line shows: `completed` (the
bot hung up), `transferred`, `hung_up` (the caller hung up) or `error`; what was booked is in the database.

The call itself is any `CarrierCall`: the simulated Twilio call of `voicebot call`, or the SIP call of
`voicebot softphone` (`voicebot.simulate.softphone.SoftphoneCall`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from typing import Generic, TextIO, TypeVar

from telephony.errors import TelephonyError
from telephony.g711 import PHONE_RATE
from voicebot.simulate.caller_audio import (
    CALLER_VOICES,
    TRANSCRIBE_RATE,
    BotTurns,
    KokoroVoice,
    Transcriber,
    Voice,
    WhisperTranscriber,
    from_phone,
    to_phone,
    write_recording,
)
from voicebot.simulate.caller_lines import CallerLine, CarrierCall, Lines, parse_line

__all__ = [
    "CALLER_VOICES",
    "TRANSCRIBE_RATE",
    "BotTurns",
    "CallerLine",
    "CallerScript",
    "CarrierCall",
    "KokoroVoice",
    "Transcriber",
    "Voice",
    "WhisperTranscriber",
    "from_phone",
    "parse_line",
    "to_phone",
    "write_recording",
]

OUTCOMES = {
    "completed": "completed",
    "server-closed": "completed",
    "redirected": "transferred",
    "caller-hung-up": "hung_up",
    # SIP (`telephony.sip.SipCall.end_reason`)
    "remote_bye": "completed",
    "local_bye": "hung_up",
    "transferred": "transferred",
    "closed": "hung_up",
    "media_timeout": "error",
    "cancelled": "error",
}
"""A call's end reason to the outcome shown (an unknown reason reads as `completed`)."""


CallT = TypeVar("CallT", bound=CarrierCall)


class CallerScript(Generic[CallT]):
    """Plays caller lines on a call and reports the bot's turns.

    Args:
        call: The call (not started yet): a simulated Twilio call, a SIP softphone call.
        transcriber: Transcribes the bot; without one a turn is reported as "[bot audio N.N s]".
        voice: Speaks the caller's text lines; without one they fail the call.
        json_mode: Chat-protocol JSON lines on `out`, else a readable transcript.
        out: stdout.
        err: Where problems are reported.
        answer_timeout: Seconds to wait for the bot to speak before handing the turn back to the caller.
        key_gap: Seconds between keys of a `dtmf:` line.
        program: Names the program in error messages.
        language: The language of `human:` lines.
    """

    def __init__(
        self,
        call: CallT,
        *,
        transcriber: Transcriber | None,
        voice: Voice | None,
        json_mode: bool,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
        answer_timeout: float = 15.0,
        key_gap: float = 0.25,
        turns: BotTurns | None = None,
        program: str = "voicebot call",
        language: str = "fr",
    ) -> None:
        self.call = call
        self.language = language
        self.program = program
        self.transcriber = transcriber
        self.voice = voice
        self.json_mode = json_mode
        self.out = out
        self.err = err
        self.answer_timeout = answer_timeout
        self.key_gap = key_gap
        self.turns = turns or BotTurns()
        self.said: list[str] = []
        self.interactive = False
        """Someone types the caller's lines on a terminal: the bot's lines keep a "you> " prompt below them."""
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._speaking = asyncio.Event()
        self._turn_start = 0.0
        call.on_tick = self._tick

    def _tick(self, played: bytes) -> None:
        was_speaking = self.turns.speaking
        turn = self.turns.feed(played)
        if turn is not None:
            self._queue.put_nowait(turn)
            self._speaking.clear()
        elif self.turns.speaking and not was_speaking:
            self._turn_start = asyncio.get_running_loop().time()
            self._speaking.set()

    def _emit(self, payload: dict[str, object], human: str | None, *, prompt: bool = True) -> None:
        if self.json_mode:
            self.out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        elif human is not None and self.interactive:
            # Over the pending "you> " (the caller may be typing), then the prompt again
            self.out.write(f"\r\033[K{human}\n" + ("you> " if prompt else ""))
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
        elif line.kind in ("say", "wav", "human"):
            if line.kind == "wav":
                from voicebot.speech.audio import int16_bytes, read_wav

                samples, rate = read_wav(line.value)
                pcm = int16_bytes(samples)
            elif line.kind == "human":
                from voicebot.simulate.human_speech import recorded_answer

                pcm, rate = recorded_answer(line.value, self.language)
            elif self.voice is None:
                raise TelephonyError("no caller voice: text lines need the speech models (voicebot models install)")
            else:
                pcm, rate = await asyncio.to_thread(self.voice.speak, line.value)
            self.call.say(to_phone(pcm, rate))
            await self.call.wait_said()
        elif line.kind == "hangup":
            await self.call.hang_up()

    async def _over(self, reader: Lines) -> bool:
        """Say the next line over the bot's turn if it is an `over:` line, SECONDS after the turn started (at
        once if the turn ended sooner); whether the bot still owes its answer (it was cut off, or had stopped).
        """
        line = await reader.peek()
        if line.over is None:
            return False
        await self._speaking.wait()
        delay = self._turn_start + line.over - asyncio.get_running_loop().time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.call.ended.wait(), delay)
        clears = self.call.clears
        self._said(reader.pop())
        await self.play(line)
        return self.call.clears > clears or not self.turns.speaking

    async def _turn_or_over(self, reader: Lines) -> None:
        """The bot's turn. A line said over it is said in full; then, if the bot was cut off (`clear`) or had
        already stopped, its next turn (the answer) is waited for too.
        """
        over = asyncio.ensure_future(self._over(reader))
        try:
            await self.bot_turn()
            if reader.taken:
                reader.taken = False
                if await over and not self.call.ended.is_set():
                    await self.bot_turn()
        finally:
            over.cancel()
            await asyncio.gather(over, return_exceptions=True)

    async def _next_line(self, reader: Lines) -> CallerLine | None:
        """The caller's next line. In a transcript (not JSON, whose protocol alternates strictly), the bot's turns
        are printed as they come meanwhile (a typing caller hears the bot go on), and the call may end: `None`.
        """
        if self.json_mode:
            return await reader.peek()
        peek = asyncio.ensure_future(reader.peek())  # shielded inside: cancelling it loses no line
        try:
            while not peek.done() and not self.call.ended.is_set():
                turn = asyncio.ensure_future(self._queue.get())
                ended = asyncio.ensure_future(self.call.ended.wait())
                await asyncio.wait({peek, turn, ended}, return_when=asyncio.FIRST_COMPLETED)
                ended.cancel()
                if turn.done():
                    await self._report(turn.result())
                else:
                    turn.cancel()
            if peek.done():
                return peek.result()
            await self.bot_turn()  # what the bot said last, before hanging up
            return None
        finally:
            if not peek.done():
                peek.cancel()

    def _said(self, line: CallerLine) -> None:
        if not self.json_mode and not self.interactive and line.kind != "silence":  # a terminal shows typing
            over = f"over:{line.over:g} " if line.over is not None else ""
            text = {"say": line.value, "hangup": "hangup"}.get(line.kind, f"{line.kind}:{line.value}")
            self._emit({}, f"you> {over}{text}")

    async def run(self, lines: AsyncIterator[str], *, comments: bool = True) -> int:
        """Place the call, alternate bot turns and caller lines until the call ends; the exit status.

        `comments`: lines starting with "#" are skipped (a script file's); else they are said.
        """
        outcome = "error"
        reader = Lines(lines, comments=comments)
        try:
            await self.call.start()
            while True:
                await self._turn_or_over(reader)
                if self.call.ended.is_set():
                    break
                self._emit({"type": "listen"}, None)
                line = await self._next_line(reader)
                if line is None:
                    break  # the bot hung up while the caller was thinking
                if line.over is not None:
                    continue  # said over the bot's next turn
                self._said(reader.pop())
                await self.play(line)
            outcome = "transferred" if self.call.transfer_to else OUTCOMES.get(self.call.end_reason or "", "completed")
        except Exception as error:  # the simulator reports any failure instead of a traceback on stdout
            kind = "" if isinstance(error, TelephonyError) else f"{type(error).__name__}: "  # ours read as they are
            self.err.write(f"{self.program}: {kind}{error}\n")
        finally:
            await reader.close()
            await self.call.close()
        payload: dict[str, object] = {"type": "end", "outcome": outcome, "reference": None}
        if self.call.transfer_to:
            payload["transfer_to"] = self.call.transfer_to
        target = f" -> {self.call.transfer_to}" if self.call.transfer_to else ""
        self._emit(payload, f"[call ended: {outcome}{target}]", prompt=False)
        return 0 if outcome != "error" else 1
