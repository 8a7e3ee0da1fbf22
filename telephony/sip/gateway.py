"""The SIP gateway of `voicebot serve`: the SIP server (`telephony.sip.SipServer`) and the calls in progress.

Each established call goes to a handler (`voicebot.phone.sip.SipPipelineHandler`, the voice pipeline;
`SipToneHandler`'s beeps when no speech models are loaded). Draining (`drain`, on SIGTERM; `telephony.draining`,
shared with the Twilio gateway): new calls get 503 + Retry-After from the server (a dispatcher in front tries
another worker); a call answered just as the drain begins hears a short "please call back later"; calls in
progress go on for a grace period, then each is asked to close (`handler.close(call_id)`: a goodbye, then BYE);
calls still there after that are cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from telephony.draining import DrainingGateway
from telephony.errors import TelephonyError
from telephony.g711 import tone
from telephony.sip.call import SipCall
from telephony.sip.errors import ListenFailed
from telephony.sip.events import Digit
from telephony.sip.server import SipServer
from telephony.sip.settings import SipSettings

log = logging.getLogger(__name__)

REFUSAL_SECONDS = 15.0
"""Longest a refused call may take to hear its refusal before the BYE."""


class SipCallHandler(Protocol):
    """Runs one established SIP call (and may close it politely: `close(call_id)`)."""

    async def handle(self, call: SipCall) -> None:
        """Talk with the caller until the call is over."""
        ...


class SipToneHandler:
    """The stand-in for the voice pipeline: a beep, then keys answered (a short beep each; `#` plays a goodbye
    beep and hangs up).
    """

    async def handle(self, call: SipCall) -> None:
        """Answer with a beep and react to keys until the caller hangs up or presses `#`."""
        call.play(tone(440, 0.3))
        async for event in call.events():
            if not isinstance(event, Digit):
                continue
            if event.digit == "#":
                call.play(tone(330, 0.3))
                await call.played()
                await call.hang_up()
                return
            call.play(tone(880, 0.1))


class SipGateway(DrainingGateway[SipCall, SipCallHandler]):
    """The SIP server and the calls it runs (`draining`, `active`, `drain`: `telephony.draining`).

    Args:
        settings: Address, port, call limit, allowed networks, credentials.
        handler: Runs each call.
        refusal: The 8 kHz audio a call arriving while the server drains hears (built when first needed, in a
            thread); `None`: hung up at once.
    """

    def __init__(
        self, settings: SipSettings, handler: SipCallHandler, *, refusal: Callable[[], bytes] | None = None
    ) -> None:
        super().__init__("SIP")
        self.settings = settings
        self.handler = handler
        self.refusal = refusal
        self._refusal_audio: bytes | None = None
        self.server = SipServer(
            self._on_call,
            host=settings.host,
            port=settings.port,
            max_calls=settings.max_calls,
            invites_per_second=settings.invites_per_second,
            allow=list(settings.allow),
            credentials=settings.credentials,
        )
        self.server.accepting = lambda: not self.draining  # a dispatcher's OPTIONS gets 503 while draining

    async def start(self) -> None:
        """Bind the SIP port.

        Raises:
            ListenFailed: The port cannot be bound (taken, or not ours to take).
        """
        try:
            await self.server.start()
        except (OSError, TelephonyError) as error:
            cause = error.__cause__ if isinstance(error.__cause__, OSError) else error
            reason = getattr(cause, "strerror", None) or str(cause)
            raise ListenFailed(self.settings.host, self.settings.port, reason) from error

    @property
    def address(self) -> tuple[str, int]:
        """Where the server listens (host, port)."""
        return self.server.address

    async def close(self) -> None:
        """Stop listening, hang up the calls still up (BYE) and cancel their tasks."""
        await self.server.close()

    async def _on_call(self, call: SipCall) -> None:
        """One established call: refused while draining, else run by the handler."""
        if self.draining:
            await self._refuse(call)
            return
        with self.calls.running(call.call_id, call, asyncio.current_task()):
            log.info("call %s: SIP call answered", call.call_id)
            try:
                await self.handler.handle(call)
            except Exception:
                log.exception("call %s: the handler failed", call.call_id)

    async def _refuse(self, call: SipCall) -> None:
        log.info("call %s: refused, the server is closing", call.call_id)
        try:
            if self.refusal is not None:
                if self._refusal_audio is None:
                    self._refusal_audio = await asyncio.to_thread(self.refusal)
                call.play(self._refusal_audio)
                async with asyncio.timeout(REFUSAL_SECONDS):
                    await call.played()
        except Exception:
            log.exception("call %s: the refusal could not be played", call.call_id)
        finally:
            with contextlib.suppress(TelephonyError, OSError):
                await call.hang_up()
