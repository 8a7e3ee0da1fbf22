"""The softphone of `voicebot softphone`: a SIP call placed with `telephony.sip.dial`, seen as the caller's side
of a phone line (`voicebot.simulate.carrier.CarrierCall`), so that `CallerScript` drives it exactly as it drives the
simulated Twilio call of `voicebot call`.

The 20 ms clock of `telephony.caller_side.CallerSide`, as the Twilio carrier's, does both sides: it hands the
caller's audio to the SIP call a frame at a time (mu-law from `CallerScript` to 8 kHz PCM), keeping the stack's
queue two frames ahead so that its paced RTP never runs dry, and plays the bot's audio received from
`call.events()` (PCM to mu-law) to `on_tick` in real time. Both sides are kept, aligned to the tick, for `--record`.

SIP says nothing of the bot's barge-in (its `clear` drops queued audio; the RTP stream goes on with silence), so
`clears` counts what the line shows of one: the bot's audio stopping for good (`CLEAR_FRAMES` quiet frames)
while the caller was talking over it.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telephony.caller_side import CallerSide, wait_first
from telephony.errors import TelephonyError
from telephony.g711 import FRAME_BYTES, ULAW_SILENCE, rms, ulaw_decode, ulaw_encode

if TYPE_CHECKING:
    from telephony.sip.call import SipCall

DEFAULT_URI = "sip:voicebot@127.0.0.1:5060"
"""The local bot (`voicebot serve`'s default SIP address)."""
LEAD_SECONDS = 0.04
"""Caller audio kept queued in the SIP stack ahead of its packet clock."""
VOICED = 0.01
"""RMS (0..1 of full scale) above which a bot frame is speech (as `BotTurns`)."""
CLEAR_FRAMES = 8
"""Quiet bot frames, after audio the caller talked over, that read as the bot cut off (barge-in)."""
BACKLOG_FRAMES = 25
"""Bot audio received but not played yet beyond which the clock plays two frames per tick (catches up)."""

Dialer = Callable[..., Awaitable["SipCall"]]


@dataclass(frozen=True)
class SipTarget:
    """Where a SIP URI points."""

    uri: str
    """The URI, with its `sip:` scheme."""
    user: str
    host: str
    port: int


def parse_target(text: str) -> SipTarget:
    """A `sip:[user@]host[:port][;params]` URI (the scheme may be left out); `ValueError` saying what is wrong."""
    uri = text.strip()
    if uri.casefold().startswith("sips:"):
        raise ValueError(f"{text!r}: sips: (TLS) is not supported, use sip:")
    if not uri.casefold().startswith("sip:"):
        uri = "sip:" + uri
    rest = uri[4:].split(";", 1)[0].split("?", 1)[0]
    user, _, hostport = rest.rpartition("@")
    if hostport.startswith("["):  # an IPv6 literal
        host, _, tail = hostport[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    if not host or any(char.isspace() for char in uri):
        raise ValueError(f"{text!r} is not a SIP URI (expected sip:user@host[:port])")
    try:
        port = int(port_text) if port_text else 5060
    except ValueError:
        raise ValueError(f"{text!r}: bad port {port_text!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"{text!r}: port {port} out of range")
    return SipTarget(uri, user, host, port)


def local_host_for(host: str) -> str:
    """The local address that routes to `host` (loopback for loopback); no packet is sent."""
    try:
        family = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)[0][0]
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((host, 9))
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


class SoftphoneCall(CallerSide):
    """One SIP call to the bot, from the caller's side (`CarrierCall`). `await start()` dials.

    Args:
        target: The URI dialled.
        caller: The From user (`anonymous` withholds the number).
        codecs: The codecs offered, in order of preference (`PCMU`, `PCMA`).
        ring_timeout: Seconds to wait for a final answer to the INVITE.
        credentials: Digest credentials (user, password) when the far end asks.
        on_tick: Called every 20 ms with the bot audio just played (mu-law), e.g. to detect turns.
        dialer: `telephony.sip.dial` (a test may pass another).
        monotonic: The pacing clock.
    """

    def __init__(
        self,
        target: SipTarget,
        *,
        caller: str = "anonymous",
        codecs: tuple[str, ...] = ("PCMU", "PCMA"),
        ring_timeout: float = 10.0,
        credentials: tuple[str, str] | None = None,
        on_tick: Callable[[bytes], None] | None = None,
        dialer: Dialer | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(on_tick=on_tick, monotonic=monotonic)
        self.target = target
        self.caller = caller
        self.codecs = codecs
        self.ring_timeout = ring_timeout
        self.credentials = credentials
        self._dialer = dialer
        self.sip: SipCall | None = None
        """The SIP call once answered."""
        self.end_reason: str | None = None
        """The SIP call's (`remote_bye`, `local_bye`, `transferred`, `media_timeout`...)."""
        self.digits_heard: list[str] = []
        """Keys the far end pressed (RFC 4733)."""
        self._incoming = bytearray()
        self._caller_talking = False
        self._quiet = CLEAR_FRAMES
        self._talked_over = False

    # -- placing the call -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Dial; `TelephonyError` with a one-line reason when nobody answers or the call is refused."""
        from telephony.sip.dialer import dial
        from telephony.sip.errors import CallFailed, SipError

        dialer = self._dialer or dial
        where = self.target.uri
        try:
            self.sip = await dialer(
                where,
                caller=self.caller,
                local_host=local_host_for(self.target.host),
                codecs=self.codecs,
                timeout=self.ring_timeout,
                credentials=self.credentials,
            )
        except CallFailed as error:
            raise TelephonyError(f"{where} refused the call: {error.status} {error.reason}") from error
        except SipError as error:
            if not str(error).startswith("no answer"):  # a host that does not resolve, no local port...
                raise TelephonyError(f"cannot call {where}: {error}") from error
            raise TelephonyError(
                f"No SIP answer from {where}: is `voicebot serve` running with --sip-port {self.target.port}?"
            ) from error
        except OSError as error:
            raise TelephonyError(f"cannot call {where}: {error.strerror or error}") from error
        self._tasks = [
            asyncio.create_task(self._receive(), name=f"softphone-receive-{self.sip.call_id}"),
            asyncio.create_task(self._clock(), name=f"softphone-clock-{self.sip.call_id}"),
        ]

    # -- the caller's side (`say`: `CallerSide`) -------------------------------------------------------------

    async def wait_said(self) -> None:
        """Wait until all queued caller audio has gone down the line (or the call ended)."""
        await super().wait_said()
        if self.sip is not None and not self.ended.is_set():
            await wait_first(self.sip.drained(), self.ended.wait())

    async def send_dtmf(self, digit: str) -> None:
        """A key pressed (RFC 4733 events); nothing once the call is over."""
        if self.sip is None:
            raise TelephonyError("the call is not placed: no key can be pressed")
        if not self.ended.is_set():
            try:
                await self.sip.send_digit(digit)
            except ValueError:
                raise TelephonyError(f"{digit!r} is not a key of the keypad (0-9, *, #, A-D)") from None

    async def hang_up(self) -> None:
        """The caller hangs up (BYE)."""
        try:
            if self.sip is not None:
                await self.sip.hang_up()
        finally:
            self._finish()

    async def close(self) -> None:
        """Stop everything (idempotent); hangs up first when the call is still up."""
        if not self.ended.is_set():
            await self.hang_up()
        await self._cancel_tasks()

    # -- internals ------------------------------------------------------------------------------------------

    def _finish(self) -> None:
        """The call is over: play what was received, note why it ended (once)."""
        if self.ended.is_set():
            return
        while self._incoming:
            self._play_frame()
        sip = self.sip
        self.end_reason = (sip.end_reason if sip is not None else None) or "local_bye"
        self.transfer_to = sip.referred_to if sip is not None else None  # a REFER we accepted
        self.ended.set()

    async def _receive(self) -> None:
        from telephony.sip.call import Audio, Digit

        assert self.sip is not None
        try:
            async for event in self.sip.events():
                if isinstance(event, Audio):
                    self._incoming += ulaw_encode(event.pcm)
                elif isinstance(event, Digit):
                    self.digits_heard.append(event.digit)
        finally:
            self._finish()

    def _play_frame(self) -> None:
        """Play one 20 ms frame of the bot's audio (empty when none came)."""
        played = bytes(self._incoming[:FRAME_BYTES])
        del self._incoming[:FRAME_BYTES]
        self.bot_track += played.ljust(FRAME_BYTES, bytes([ULAW_SILENCE]))
        if rms(played) > VOICED:
            self._quiet = 0
            self._talked_over = self._talked_over or self._caller_talking
        else:
            self._quiet += 1
            if self._quiet == CLEAR_FRAMES:
                self.clears += int(self._talked_over)
                self._talked_over = False
        if self.on_tick is not None:
            self.on_tick(played)

    def _send_caller(self) -> None:
        """Top the SIP call's queue up to `LEAD_SECONDS` with the caller's audio; record what went."""
        assert self.sip is not None
        sent = bytearray()
        while self._caller_queued and self.sip.queued_seconds < LEAD_SECONDS and len(sent) < 3 * FRAME_BYTES:
            frame = self._next_caller_frame()
            self.sip.play(ulaw_decode(frame))
            sent += frame
        self._caller_talking = bool(sent)
        self.caller_track += bytes(sent) if sent else bytes([ULAW_SILENCE]) * FRAME_BYTES

    async def _tick(self) -> bool:
        """Hand caller audio to the line, play one bot frame (two when behind); stop once the SIP call ended."""
        assert self.sip is not None
        if self.sip.ended.is_set():
            return False  # `_receive` takes the audio still received, then finishes
        self._send_caller()
        self._play_frame()
        if len(self._incoming) > BACKLOG_FRAMES * FRAME_BYTES:
            self._play_frame()
        return True
