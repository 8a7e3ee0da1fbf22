"""Twilio's side of an inbound call, simulated over the real network protocol.

`SimulatedTwilioCall` does what Twilio does when someone dials the practice: it signs and posts the voice
webhook, follows the `<Connect><Stream>` TwiML to the websocket (signed too), sends `connected` and `start`,
then streams the caller's audio in 20 ms mu-law frames in real time (silence when the caller says nothing),
plays the bot's audio at the same pace, echoes `mark`s once the audio before them was played, honours
`clear`, and stops when either side hangs up. Both sides are kept, aligned, for recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from telephony.caller_side import CallerSide
from telephony.errors import CallClosed, TelephonyError
from telephony.g711 import FRAME_BYTES, FRAME_SECONDS, ULAW_SILENCE
from telephony.twilio import protocol as wire
from telephony.twilio.auth import SIGNATURE_HEADER, sign_webhook, sign_websocket
from telephony.twilio.buffers import PlayoutBuffer
from telephony.twilio.twiml import DialVerb, StreamVerb, TwimlVerb, parse_twiml, public_url, public_ws_url

WITHHELD = "anonymous"
"""What Twilio puts in `From` when the caller withholds the number."""
FRAME_MS = round(FRAME_SECONDS * 1000)
"""A media frame's length in the `timestamp` of Twilio's `media` messages."""


class CallRejected(TelephonyError):
    """The server refused the call (the webhook or the websocket upgrade answered an error)."""

    def __init__(self, stage: str, status: int) -> None:
        super().__init__(f"{stage} answered HTTP {status}")
        self.stage = stage
        self.status = status


@dataclass(frozen=True)
class CallPlacement:
    """Where and how to place the call.

    Args:
        server_url: Where the server really listens (`http://127.0.0.1:8000`).
        account_sid: The Twilio account the server expects.
        auth_token: Signs the requests as Twilio would.
        public_url: The URL the server believes Twilio calls (its `VOICEBOT_PUBLIC_URL`); signatures are computed
            over it. Default: `server_url`.
        caller: The caller's number (`From`); `None` for a withheld number.
        called: The practice's number (`To`).
        voice_path: The voice webhook's path.
    """

    server_url: str
    account_sid: str
    auth_token: str
    public_url: str | None = None
    caller: str | None = "+33612345678"
    called: str = "+33100000000"
    voice_path: str = "/twilio/voice"

    def __repr__(self) -> str:
        return f"CallPlacement(server_url={self.server_url!r}, caller={self.caller!r})"


def new_sid(prefix: str) -> str:
    """A random Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


class SimulatedTwilioCall(CallerSide):
    """One call, from Twilio's side. `await start()`, queue audio with `say`, then `hang_up()` or wait `ended`.

    Args:
        placement: Server, credentials and numbers.
        on_tick: Called every 20 ms with the bot audio just played (empty when none), e.g. to detect turns.
        monotonic: The pacing clock.
    """

    def __init__(
        self,
        placement: CallPlacement,
        *,
        on_tick: Callable[[bytes], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(on_tick=on_tick, monotonic=monotonic)
        self.placement = placement
        self.call_sid = new_sid("CA")
        self.stream_sid = new_sid("MZ")
        self.twiml: list[TwimlVerb] = []
        self.marks_echoed: list[str] = []
        self.clear_log: list[tuple[int, int]] = []
        """Per `clear`: where it came in `bot_track` (bytes) and how many bytes of bot audio it dropped."""
        self.media_arrivals: list[int] = []
        """Where each `media` message of the bot arrived in `bot_track` (bytes): gaps show when it sent nothing."""
        self.answer = ""
        """The voice webhook's answer (TwiML), as received."""
        self.rejected: list[wire.Rejected] = []
        """Messages from the server that Twilio would refuse (error 31924) or could not read."""
        self.end_reason: str | None = None
        """`caller-hung-up`, `completed` (REST hang-up), `redirected` (REST redirect) or `server-closed`."""
        self._playout = PlayoutBuffer()
        self._sequence = 0
        self._ws: ClientConnection | None = None

    # -- placing the call -------------------------------------------------------------------------------------

    def _public(self) -> str:
        return self.placement.public_url or self.placement.server_url

    def webhook_form(self) -> dict[str, str]:
        """The form Twilio posts to the voice webhook."""
        caller = self.placement.caller or WITHHELD
        return {
            "AccountSid": self.placement.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "ringing",
            "Called": self.placement.called,
            "Caller": caller,
            "Direction": "inbound",
            "From": caller,
            "To": self.placement.called,
        }

    async def post_webhook(self) -> list[TwimlVerb]:
        """Post the signed voice webhook and return the TwiML verbs of the answer."""
        form = self.webhook_form()
        signed_url = public_url(self._public(), self.placement.voice_path)
        headers = {SIGNATURE_HEADER: sign_webhook(self.placement.auth_token, signed_url, form)}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            url = public_url(self.placement.server_url, self.placement.voice_path)
            async with session.post(url, data=form, headers=headers) as response:
                if response.status != 200:
                    raise CallRejected("webhook", response.status)
                self.answer = await response.text()
                verbs = parse_twiml(self.answer)
        if verbs is None:
            raise TelephonyError("the webhook did not answer TwiML")
        self.twiml = verbs
        return verbs

    async def open_stream(self) -> None:
        """Connect the websocket named in the TwiML, send `connected` and `start`, and start streaming."""
        stream = next((verb for verb in self.twiml if isinstance(verb, StreamVerb)), None)
        if stream is None:
            raise TelephonyError("the TwiML has no <Connect><Stream>")
        public_root = public_ws_url(self._public(), "/")
        target = stream.url
        if target.startswith(public_root):
            target = public_ws_url(self.placement.server_url, "/") + target[len(public_root) :]
        headers = {SIGNATURE_HEADER: sign_websocket(self.placement.auth_token, stream.url)}
        try:
            self._ws = await connect(target, additional_headers=headers, proxy=None, open_timeout=10, compression=None)
        except InvalidStatus as error:
            raise CallRejected("websocket", error.response.status_code) from error
        await self._send(wire.Connected())
        await self._send(
            wire.Start(
                self.stream_sid,
                self.call_sid,
                self.placement.account_sid,
                dict(stream.parameters),
                sequence=self._next_sequence(),
            )
        )
        self._tasks = [
            asyncio.create_task(self._receive(), name=f"twilio-receive-{self.call_sid}"),
            asyncio.create_task(self._clock(), name=f"twilio-clock-{self.call_sid}"),
        ]

    async def start(self) -> None:
        """Post the webhook, then open the stream."""
        await self.post_webhook()
        await self.open_stream()

    # -- the caller's side (`say`, `wait_said`: `CallerSide`) ------------------------------------------------

    async def send_dtmf(self, digit: str) -> None:
        """A key pressed (Twilio sends one `dtmf` message per key)."""
        await self._send(wire.Dtmf(digit, self._next_sequence()))

    async def send_raw(self, data: str | bytes) -> None:
        """Anything on the socket, as is (tests of malformed input); bytes go as a binary message."""
        if self._ws is None or self.ended.is_set():
            raise CallClosed("the stream is closed")
        await self._ws.send(data)

    async def hang_up(self) -> None:
        """The caller hangs up: `stop`, then the socket closes."""
        await self._finish("caller-hung-up")

    def vanish(self) -> None:
        """The network drops the call: the connection is cut, no `stop`, no closing handshake."""
        if self._ws is not None:
            self._ws.transport.abort()

    def on_rest_update(self, call_sid: str, form: dict[str, str]) -> None:
        """Listener for `FakeTwilio`: a hang-up or redirect through the REST API ends the stream."""
        if call_sid != self.call_sid or self.ended.is_set():
            return
        if "Twiml" in form:
            verbs = parse_twiml(form["Twiml"]) or []
            self.transfer_to = next((verb.target for verb in verbs if isinstance(verb, DialVerb)), None)
        reason = "completed" if form.get("Status") in ("completed", "canceled") else "redirected"
        task = asyncio.get_running_loop().create_task(self._finish(reason))
        self._tasks.append(task)

    async def close(self) -> None:
        """Stop everything (idempotent); the call counts as hung up by the caller if still going."""
        await self._finish("caller-hung-up")
        await self._cancel_tasks()

    # -- internals ------------------------------------------------------------------------------------------

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    async def _send(self, message: wire.InboundMessage) -> None:
        if self._ws is None:
            raise CallClosed("the stream is not open")
        await self._ws.send(wire.encode_inbound(message, self.stream_sid))

    async def _finish(self, reason: str) -> None:
        if self.ended.is_set():
            return
        self.end_reason = reason
        self.ended.set()
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(
                    wire.encode_inbound(
                        wire.Stop(self.call_sid, self.placement.account_sid, self._next_sequence()), self.stream_sid
                    )
                )
            await self._ws.close()

    async def _receive(self) -> None:
        assert self._ws is not None
        try:
            async for data in self._ws:
                message = wire.parse_outbound(data)
                if isinstance(message, wire.OutboundMedia):
                    self.media_arrivals.append(len(self.bot_track))
                    self._playout.add_audio(message.payload)
                elif isinstance(message, wire.OutboundMark):
                    self._playout.add_mark(message.name)
                elif isinstance(message, wire.Clear):
                    self.clears += 1
                    self.clear_log.append((len(self.bot_track), self._playout.buffered))
                    await self._echo(self._playout.clear())
                else:
                    self.rejected.append(message)
        except ConnectionClosed:
            pass
        if not self.ended.is_set():  # the server closed the socket: Twilio runs the TwiML after <Connect>
            after = self.twiml[next(i for i, v in enumerate(self.twiml) if isinstance(v, StreamVerb)) + 1 :]
            self.transfer_to = next((verb.target for verb in after if isinstance(verb, DialVerb)), None)
            self.end_reason = "server-closed"
            self.ended.set()

    async def _echo(self, marks: list[str]) -> None:
        for name in marks:
            self.marks_echoed.append(name)
            await self._send(wire.Mark(name, self._next_sequence()))

    async def _tick(self) -> bool:
        """Send one caller frame (silence when none is queued), play one bot frame, echo the marks it passed."""
        try:
            frame = self._next_caller_frame().ljust(FRAME_BYTES, bytes([ULAW_SILENCE]))
            chunk = len(self.caller_track) // FRAME_BYTES + 1
            await self._send(wire.Media(frame, chunk, (chunk - 1) * FRAME_MS, self._next_sequence()))
            self.caller_track += frame
            played, marks = self._playout.play(FRAME_BYTES)
            self.bot_track += played.ljust(FRAME_BYTES, bytes([ULAW_SILENCE]))
            await self._echo(marks)
        except (ConnectionClosed, CallClosed):
            return False
        if self.on_tick is not None:
            self.on_tick(played)
        return True
