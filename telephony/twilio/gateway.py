"""The Twilio gateway: the voice webhook, the media-stream websocket and the inbound SMS webhook, as a FastAPI
router.

`POST /twilio/voice` checks Twilio's signature and answers `<Connect><Stream>` with a fresh per-call token;
`WS /twilio/stream` checks the signature of the upgrade and the token of the `start` message, then hands the
call to a `CallHandler` (the voice pipeline; `ToneHandler` until then). The caller hanging up (`stop`) or the
socket vanishing ends the handler: after a short grace for `stop`, at once for a vanished socket.
`POST /twilio/sms` (a patient's text) is checked like the voice webhook, then `From` and `Body` go to the
`SmsReplier` the composition gave; its answer comes back as `<Response><Message>` (or an empty `<Response />`).

Draining (`drain`, on SIGTERM; `telephony.draining`, shared with the SIP gateway): new calls are answered with
a polite `<Say>` and `<Hangup/>` (or 503 when no wording was given), calls in progress go on for a grace period,
then each is asked to close (a handler's `close(call_sid)`: a short goodbye, then the hang-up); calls still there
after that are cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket
from starlette.websockets import WebSocketDisconnect
from twilio.twiml.voice_response import VoiceResponse

from telephony.draining import DrainingGateway
from telephony.errors import CallClosed, TelephonyError
from telephony.g711 import tone, ulaw_encode
from telephony.twilio import protocol as wire
from telephony.twilio.auth import (
    SIGNATURE_HEADER,
    TOKEN_TTL_SECONDS,
    call_token_key,
    check_call_token,
    issue_call_token,
    validate_webhook,
    validate_websocket,
)
from telephony.twilio.call import CallHandler, StreamEnd, TwilioCall
from telephony.twilio.rest import CallUpdateResult, TwilioRestClient
from telephony.twilio.settings import TwilioSettings
from telephony.twilio.twiml import message_twiml, public_url, public_ws_url, stream_twiml

log = logging.getLogger(__name__)

VOICE_PATH = "/twilio/voice"
STREAM_PATH = "/twilio/stream"
SMS_PATH = "/twilio/sms"

SmsReplier = Callable[[str, str], Awaitable[str | None]]
"""`async (from_, body) -> the text to answer, or None`: what a patient's SMS gets (written by the composition)."""
StreamClaim = Callable[[str, float, float], bool]
"""`(key, now, until) -> True` the first time a call's stream starts (`key`: a digest of its CallSid), `False` while
an earlier claim holds (until `until`, Unix seconds). Several servers behind one proxy share one (the composition
gives a database-backed one), so a replayed token opens no second stream on another server."""

__all__ = [
    "CallHandler",
    "SMS_PATH",
    "STREAM_PATH",
    "SmsReplier",
    "StreamClaim",
    "ToneHandler",
    "TwilioCall",
    "TwilioGateway",
    "VOICE_PATH",
    "say_twiml",
]


def say_twiml(text: str, language: str) -> str:
    """`<Response><Say language=...>text</Say><Hangup/></Response>`: answered by Twilio's own voice, then ended."""
    response = VoiceResponse()
    response.say(text, language=language)
    response.hangup()
    return str(response.to_xml())


class ToneHandler:
    """The stand-in for the voice pipeline: a beep, then keys answered.

    A key gets a short beep and a mark `dtmf-KEY`; `#` plays a goodbye beep, waits until it was heard, and
    hangs up; `0` transfers to the staff number.
    """

    async def handle(self, call: TwilioCall) -> None:
        """Answer with a beep and react to keys until the caller hangs up."""
        await call.send_audio(ulaw_encode(tone(440, 0.3)))
        await call.send_mark("greeting")
        async for event in call.events():
            if not isinstance(event, wire.Dtmf):
                continue
            if event.digit == "#":
                await call.send_audio(ulaw_encode(tone(330, 0.3)))
                await call.send_mark("goodbye")
                await call.wait_played("goodbye")
                await _update(call, "hang-up", call.hang_up)
                return
            if event.digit == "0" and call.staff_number:
                await _update(call, "transfer", call.transfer)
                return
            await call.send_audio(ulaw_encode(tone(880, 0.1)))
            await call.send_mark(f"dtmf-{event.digit}")


async def _update(call: TwilioCall, what: str, update: Callable[[], Awaitable[CallUpdateResult]]) -> None:
    """Hang up or transfer through Twilio's REST API; a refusal or an unreachable API is one warning, never raised
    (the error's text is left out: Twilio's messages may quote numbers).
    """
    try:
        result = await update()
    except (TelephonyError, OSError) as error:
        log.warning("call %s: the %s through Twilio's REST API failed (%s)", call.call_sid, what, type(error).__name__)
        return
    if not result.ok and not result.already_ended:
        log.warning(
            "call %s: the %s through Twilio's REST API failed (HTTP %s)", call.call_sid, what, result.status_code
        )


class UsedStreams:
    """The default `StreamClaim`: the claims of this process alone, each kept until it expires."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()  # claims are made in worker threads

    def __call__(self, key: str, now: float, until: float) -> bool:
        with self._lock:
            self._until = {k: end for k, end in self._until.items() if end >= now}
            if key in self._until:
                return False
            self._until[key] = until
            return True


class TwilioGateway(DrainingGateway[TwilioCall, CallHandler]):
    """The router and the calls in progress (`draining`, `active`, `drain`: `telephony.draining`).

    Args:
        settings: Public URL, account and token, REST API root, staff number.
        handler: Runs each call.
        wall_clock: Unix time, for the per-call tokens.
        stop_grace: Seconds a handler may still run after the caller hung up, before it is cancelled.
        start_timeout: Seconds allowed between the upgrade and the `start` message.
        refusal: What a call arriving while the server drains hears, and its language ("fr-FR"): `<Say>`
            then `<Hangup/>`; `None` = HTTP 503.
        sms_reply: Answers a patient's SMS (`None`: texts get no answer).
        claim_stream: Which calls already have a stream (default: this process's `UsedStreams`); called in a
            worker thread.
    """

    def __init__(
        self,
        settings: TwilioSettings,
        handler: CallHandler,
        *,
        wall_clock: Callable[[], float] = time.time,
        stop_grace: float = 2.0,
        start_timeout: float = 10.0,
        refusal: tuple[str, str] | None = None,
        sms_reply: SmsReplier | None = None,
        claim_stream: StreamClaim | None = None,
    ) -> None:
        super().__init__("Twilio")
        self.settings = settings
        self.handler = handler
        self.wall_clock = wall_clock
        self.stop_grace = stop_grace
        self.start_timeout = start_timeout
        self.refusal = refusal
        self.sms_reply = sms_reply
        self.sms_url = public_url(settings.public_base_url, SMS_PATH)
        self.voice_url = public_url(settings.public_base_url, VOICE_PATH)
        self.stream_url = public_ws_url(settings.public_base_url, STREAM_PATH)
        self.rest = TwilioRestClient(settings.account_sid, settings.auth_token, settings.api_base_url)
        self._key = call_token_key(settings.auth_token)
        self._claim_stream = claim_stream or UsedStreams()
        self.router = APIRouter()
        self.router.add_api_route(VOICE_PATH, self.voice, methods=["POST"], include_in_schema=False)
        self.router.add_api_websocket_route(STREAM_PATH, self.stream)
        self.router.add_api_route(SMS_PATH, self.sms, methods=["POST"], include_in_schema=False)

    def _signed(self, request: Request, public: str, fields: list[tuple[str, str]], account: object) -> bool:
        """Whether Twilio signed this form post to our public URL `public`, for our account."""
        url = public + (f"?{request.url.query}" if request.url.query else "")
        return (
            validate_webhook(self.settings.auth_token, url, fields, request.headers.get(SIGNATURE_HEADER))
            and account == self.settings.account_sid
        )

    async def sms(self, request: Request) -> Response:
        """The inbound SMS webhook: the replier's answer as `<Message>`, or an empty `<Response />`.

        Nothing of the text is logged (a patient may write anything, health included).
        """
        form = await request.form()
        fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        if not self._signed(request, self.sms_url, fields, form.get("AccountSid")):
            log.warning("SMS webhook refused: bad signature or account (from %s)", request.client)
            return Response(status_code=403)
        sender, body = form.get("From"), form.get("Body")
        if not isinstance(sender, str) or not sender or not isinstance(body, str):
            return Response(status_code=400)
        answer: str | None = None
        if self.sms_reply is not None:
            try:
                answer = await self.sms_reply(sender, body)
            except Exception as error:  # the patient gets no answer; Twilio is told it went wrong
                log.error("SMS %s: the reply failed (%s)", form.get("MessageSid"), type(error).__name__)
                return Response(status_code=500)
        log.info("SMS %s received: %s", form.get("MessageSid"), "answered" if answer else "no answer")
        return Response(message_twiml(answer), media_type="text/xml")

    async def voice(self, request: Request) -> Response:
        """The voice webhook: `<Connect><Stream>` with a per-call token and the caller's number."""
        form = await request.form()
        fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        if not self._signed(request, self.voice_url, fields, form.get("AccountSid")):
            log.warning("voice webhook refused: bad signature or account (from %s)", request.client)
            return Response(status_code=403)
        call_sid = form.get("CallSid")
        if not isinstance(call_sid, str) or not call_sid:
            return Response(status_code=400)
        if self.draining:
            log.info("call %s: refused, the server is closing", call_sid)
            if self.refusal is None:
                return Response(status_code=503, headers={"Retry-After": "60"})
            return Response(say_twiml(*self.refusal), media_type="text/xml")
        parameters = {"token": issue_call_token(self._key, call_sid, self.wall_clock())}
        caller = form.get("From")
        if isinstance(caller, str) and caller:
            parameters["caller"] = caller
        log.info("call %s: answering with the media stream", call_sid)
        return Response(stream_twiml(self.stream_url, parameters), media_type="text/xml")

    async def stream(self, websocket: WebSocket) -> None:
        """The media stream of one call."""
        if not validate_websocket(self.settings.auth_token, self.stream_url, websocket.headers.get(SIGNATURE_HEADER)):
            log.warning("media stream refused: bad signature (from %s)", websocket.client)
            await websocket.close(code=1008)  # before accept: the client gets HTTP 403
            return
        await websocket.accept()
        start = await self._read_start(websocket)
        if start is None or not await self._claim(start):
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await websocket.close(code=1008)
            return
        call = TwilioCall(websocket, start, self.rest, self.settings.staff_number)
        with self.calls.running(call.call_sid, call):
            await self._run(call)

    async def _read_start(self, websocket: WebSocket) -> wire.Start | None:
        """The stream's `start`, or `None` (logged) when the socket closed or sent something else first.

        Twilio sends only `connected` before `start`: an unreadable message there is refused, not skipped.
        The log line describes it by its reason and length only (a payload may hold anything).
        """
        try:
            async with asyncio.timeout(self.start_timeout):
                for _ in range(10):
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        return None
                    data = message.get("text") or message.get("bytes") or ""
                    parsed = wire.parse_inbound(data)
                    if isinstance(parsed, wire.Start):
                        return parsed
                    if isinstance(parsed, wire.Rejected):
                        log.warning(
                            "media stream refused: unreadable message before start (%s; %d characters)",
                            parsed.reason,
                            len(data),
                        )
                        return None
                log.warning("media stream refused: no start message in the first 10")
        except TimeoutError:
            log.warning("media stream: no start message within %.0f s", self.start_timeout)
        return None

    async def _claim(self, start: wire.Start) -> bool:
        """The stream's token is valid for its call, and the call has no stream yet (on any server)."""
        now = self.wall_clock()
        if not check_call_token(self._key, start.custom_parameters.get("token"), start.call_sid, now):
            log.warning("media stream refused: bad or expired token for call %s", start.call_sid)
            return False
        key = hashlib.sha256(start.call_sid.encode()).hexdigest()
        try:
            first = await asyncio.to_thread(self._claim_stream, key, now, now + TOKEN_TTL_SECONDS)
        except Exception as error:  # e.g. the shared database is unreachable: refused, not answered twice
            log.error("media stream refused: call %s could not be claimed (%s)", start.call_sid, type(error).__name__)
            return False
        if not first:
            log.warning("media stream refused: call %s already has one", start.call_sid)
        return first

    async def _run(self, call: TwilioCall) -> None:
        log.info("call %s: stream %s started", call.call_sid, call.stream_sid)
        handler = asyncio.create_task(self.handler.handle(call), name=f"call-{call.call_sid}")
        self.calls.attach(call.call_sid, handler)
        pump: asyncio.Task[StreamEnd] | None = None
        if not getattr(self.handler, "takes_socket", False):
            pump = asyncio.create_task(call.pump(), name=f"stream-{call.call_sid}")
        tasks: list[asyncio.Task[Any]] = [handler] if pump is None else [handler, pump]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if not handler.done() and pump is not None:
                # the stream ended first: the handler stops at once if it vanished, after a grace on `stop`
                grace = self.stop_grace if pump.result() is StreamEnd.STOP else 0.0
                await asyncio.wait({handler}, timeout=grace)
        finally:
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            self.calls.detach(call.call_sid)
            call.finish()
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await call.websocket.close()
        error = results[0]
        if isinstance(error, BaseException) and not isinstance(error, asyncio.CancelledError | CallClosed):
            log.error("call %s: the handler failed", call.call_sid, exc_info=error)
        log.info(
            "call %s: stream ended (%d messages skipped, %d frames dropped)",
            call.call_sid,
            call.rejected,
            call.dropped_audio,
        )
