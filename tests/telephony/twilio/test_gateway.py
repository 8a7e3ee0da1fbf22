"""The Twilio gateway on a real uvicorn (127.0.0.1), driven by the simulated carrier over real websockets."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
import websockets
from fastapi.testclient import TestClient
from websockets.asyncio.client import connect

from booking.service import BookingService
from telephony.errors import CallClosed
from telephony.g711 import tone, ulaw_encode
from telephony.twilio import protocol as wire
from telephony.twilio.auth import SIGNATURE_HEADER, sign_webhook, sign_websocket
from telephony.twilio.call import TwilioCall
from telephony.twilio.gateway import ToneHandler, TwilioGateway
from telephony.twilio.sim.carrier import CallRejected
from telephony.twilio.twiml import StreamVerb
from tests.telephony.twilio.live import (
    ACCOUNT,
    PUBLIC,
    STAFF,
    TOKEN,
    RecordingHandler,
    eventually,
    live_gateway,
    run,
)
from voicebot.server import create_app
from voicebot.settings import Clock, TwilioSettings

WSS = "wss://bot.example.org/twilio/stream"


def test_webhook_answers_a_stream_with_token_and_caller() -> None:
    async def test() -> None:
        async with live_gateway(RecordingHandler()) as live:
            call = live.call(caller="+33611223344")
            (verb,) = await call.post_webhook()
            assert isinstance(verb, StreamVerb) and verb.url == WSS
            assert set(verb.parameters) == {"token", "caller"} and verb.parameters["caller"] == "+33611223344"
            assert TOKEN not in verb.parameters["token"]

    run(test)


def test_webhook_refuses_bad_signatures_with_403() -> None:
    async def test() -> None:
        async with live_gateway(RecordingHandler()) as live, aiohttp.ClientSession() as session:
            form = live.call().webhook_form()
            url = f"{live.server_url}/twilio/voice"
            signed = sign_webhook(TOKEN, f"{PUBLIC}/twilio/voice", form)
            cases = [
                ({}, form),  # unsigned
                ({SIGNATURE_HEADER: sign_webhook("other-token", f"{PUBLIC}/twilio/voice", form)}, form),
                ({SIGNATURE_HEADER: sign_webhook(TOKEN, url, form)}, form),  # signed over the private URL
                ({SIGNATURE_HEADER: signed}, {**form, "From": "+33700000000"}),  # tampered
                (
                    {SIGNATURE_HEADER: sign_webhook(TOKEN, f"{PUBLIC}/twilio/voice", {**form, "AccountSid": "AC2"})},
                    {**form, "AccountSid": "AC2"},
                ),  # well signed, other account
            ]
            for headers, data in cases:
                async with session.post(url, data=data, headers=headers) as response:
                    assert response.status == 403
            async with session.post(url, data=form, headers={SIGNATURE_HEADER: signed}) as response:
                assert response.status == 200 and response.content_type == "text/xml"

    run(test)


def test_websocket_refuses_bad_signatures_with_403() -> None:
    handler = RecordingHandler()

    async def test() -> None:
        async with live_gateway(handler) as live:
            target = f"ws://{live.server_url.split('://')[1]}/twilio/stream"
            for headers in (
                {},
                {SIGNATURE_HEADER: sign_websocket(TOKEN, f"{PUBLIC}/twilio/stream")},
                {SIGNATURE_HEADER: sign_websocket("other-token", WSS)},
                {SIGNATURE_HEADER: sign_websocket(TOKEN, target)},
            ):
                with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                    await connect(target, additional_headers=headers, proxy=None)
                assert refused.value.response.status_code == 403
            intruder = live.call(token="other-token")
            with pytest.raises(CallRejected) as rejected:
                await intruder.start()
            assert (rejected.value.stage, rejected.value.status) == ("webhook", 403)
            intruder.twiml = await live.call().post_webhook()  # a real TwiML, but the socket signed wrongly
            with pytest.raises(CallRejected) as rejected:
                await intruder.open_stream()
            assert (rejected.value.stage, rejected.value.status) == ("websocket", 403)

    run(test)
    assert handler.calls == []


def test_stream_needs_a_valid_unused_call_token() -> None:
    handler = RecordingHandler()

    async def test() -> None:
        async with live_gateway(handler) as live:
            forged = live.call()
            (verb,) = await forged.post_webhook()
            forged.twiml = [StreamVerb(verb.url, {**verb.parameters, "token": "9999999999.forged"})]
            await forged.open_stream()
            await asyncio.wait_for(forged.ended.wait(), 3)
            assert forged.end_reason == "server-closed"
            assert handler.calls == []

            first = live.call()
            await first.start()
            await asyncio.wait_for(handler.started.wait(), 3)
            replay = live.call()
            replay.call_sid, replay.twiml = first.call_sid, first.twiml
            await replay.open_stream()
            await asyncio.wait_for(replay.ended.wait(), 3)
            assert len(handler.calls) == 1 and not first.ended.is_set()

    run(test)


def test_audio_and_dtmf_reach_the_handler_in_order() -> None:
    handler = RecordingHandler(until="#")

    async def test() -> None:
        async with live_gateway(handler) as live:
            call = live.call(caller=None)
            await call.start()
            call.say(ulaw_encode(tone(500, 0.2)))
            await call.wait_said()
            for digit in "12#":
                await call.send_dtmf(digit)
            await asyncio.wait_for(call.ended.wait(), 3)
            assert call.end_reason == "server-closed"  # the handler returned: the gateway closed the stream
            (seen,) = handler.calls
            assert seen.call_sid == call.call_sid and seen.stream_sid == call.stream_sid
            assert seen.caller is None  # withheld

    run(test)
    assert handler.digits() == ["1", "2", "#"]
    chunks = [m.chunk for m in handler.media()]
    assert len(chunks) >= 10 and chunks == sorted(set(chunks))
    assert ulaw_encode(tone(500, 0.2))[:160] in b"".join(m.payload for m in handler.media())


def test_malformed_messages_and_out_of_order_media_do_not_end_the_call() -> None:
    handler = RecordingHandler(until="#")

    async def test() -> None:
        async with live_gateway(handler) as live:
            call = live.call()
            await call.start()
            await asyncio.wait_for(handler.started.wait(), 3)
            for junk in (
                "{oops",
                '{"event": "media", "media": {"payload": "%%%"}}',
                '{"event": "hello"}',
                b"\x00\xff\x10",
                '{"event": "media"}',
                '{"event": "dtmf", "dtmf": {"digit": "x"}}',
                "[]",
            ):
                await call.send_raw(junk)
            ahead = len(call.caller_track) // 160 + 12
            for chunk in (ahead + 1, ahead):  # out of order, ~240 ms ahead of the carrier's own frames
                await call.send_raw(wire.encode_inbound(wire.Media(bytes([chunk % 251]) * 160, chunk), call.stream_sid))
            await asyncio.sleep(0.4)
            await call.send_dtmf("5")
            await call.send_dtmf("#")
            await asyncio.wait_for(call.ended.wait(), 3)
            (seen,) = handler.calls
            assert seen.rejected == 7
            assert seen.dropped_audio >= 2  # the carrier's own frames `ahead` and `ahead + 1` came late
            media = handler.media()
            chunks = [m.chunk for m in media]
            assert chunks == sorted(set(chunks))
            injected = [m for m in media if m.chunk in (ahead, ahead + 1)]
            assert [m.payload[0] for m in injected] == [ahead % 251, (ahead + 1) % 251]

    run(test)
    assert handler.digits() == ["5", "#"]


def test_client_vanishing_cancels_the_handler_and_leaks_no_task() -> None:
    handler = RecordingHandler(until=None)

    async def test() -> None:
        async with live_gateway(handler) as live:
            call = live.call()
            await call.start()
            await asyncio.wait_for(handler.started.wait(), 3)
            call.vanish()
            await asyncio.wait_for(handler.finished.wait(), 3)
            await eventually(lambda: not live.gateway.active)

    run(test)
    assert handler.cancelled


def test_caller_hang_up_ends_the_handler_with_stop() -> None:
    handler = RecordingHandler(until=None)

    async def test() -> None:
        async with live_gateway(handler) as live:
            call = live.call()
            await call.start()
            await asyncio.wait_for(handler.started.wait(), 3)
            await call.hang_up()
            await asyncio.wait_for(handler.finished.wait(), 3)

    run(test)
    assert not handler.cancelled
    assert isinstance(handler.events[-1], wire.Stop)


class Stubborn:
    """Ignores the end of the stream; must be cancelled after the grace period."""

    def __init__(self) -> None:
        self.cancelled = False
        self.closed_error: Exception | None = None

    async def handle(self, call: TwilioCall) -> None:
        async for _ in call.events():
            pass
        try:
            await call.send_audio(b"\xff" * 160)
        except CallClosed as error:
            self.closed_error = error
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled = True
            raise


def test_handler_ignoring_stop_is_cancelled_after_the_grace() -> None:
    handler = Stubborn()

    async def test() -> None:
        async with live_gateway(handler, stop_grace=0.2) as live:
            call = live.call()
            await call.start()
            await asyncio.sleep(0.1)
            await call.hang_up()
            await eventually(lambda: handler.cancelled)

    run(test)
    assert isinstance(handler.closed_error, CallClosed)


def test_hang_up_after_the_goodbye_was_played() -> None:
    async def test() -> None:
        async with live_gateway(ToneHandler()) as live:
            call = live.call()
            await call.start()
            await call.send_dtmf("4")
            await asyncio.sleep(0.3)
            await call.send_dtmf("#")
            await asyncio.wait_for(call.ended.wait(), 5)
            assert call.end_reason == "completed"
            assert call.marks_echoed == ["greeting", "dtmf-4", "goodbye"]
            (request,) = live.fake.requests
            assert request.form == {"Status": "completed"} and request.call_sid == call.call_sid
            assert live.fake.calls[call.call_sid].status == "completed"
            # the goodbye beep (0.3 s) was played in full before the hang-up
            assert ulaw_encode(tone(330, 0.3))[-160:] in bytes(call.bot_track)

    run(test)


def test_transfer_redirects_the_call_to_the_staff_number() -> None:
    async def test() -> None:
        async with live_gateway(ToneHandler()) as live:
            call = live.call()
            await call.start()
            await call.send_dtmf("0")
            await asyncio.wait_for(call.ended.wait(), 5)
            assert (call.end_reason, call.transfer_to) == ("redirected", STAFF)
            assert "<Dial><Number>+33100000009</Number></Dial>" in live.fake.calls[call.call_sid].twiml[0]

    run(test)


class Crashing:
    async def handle(self, call: TwilioCall) -> None:
        raise ValueError("boom")


def test_a_crashing_handler_closes_its_call_only(caplog: pytest.LogCaptureFixture) -> None:
    async def test() -> None:
        async with live_gateway(Crashing()) as live:
            call = live.call()
            await call.start()
            await asyncio.wait_for(call.ended.wait(), 3)
            assert call.end_reason == "server-closed"

    with caplog.at_level(logging.ERROR, logger="telephony.twilio.gateway"):
        run(test)
    assert "the handler failed" in caplog.text and "boom" in caplog.text
    assert TOKEN not in caplog.text


def test_create_app_mounts_the_gateway_beside_the_console(tmp_path: Path) -> None:
    service = BookingService.open(f"sqlite:///{tmp_path / 'voicebot.db'}")
    settings = TwilioSettings(PUBLIC, ACCOUNT, TOKEN, "http://127.0.0.1:9", STAFF)
    with TestClient(create_app(service, Clock(), twilio=TwilioGateway(settings, ToneHandler()))) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/twilio/voice", data={"CallSid": "CA1"}).status_code == 403
        assert client.get("/admin/login").status_code == 200
    with TestClient(create_app(service, Clock())) as client:
        assert client.post("/twilio/voice", data={"CallSid": "CA1"}).status_code == 404
    assert TOKEN not in repr(settings)


def test_twilio_settings_from_the_environment(tmp_path: Path) -> None:
    from voicebot.settings import BadSetting, twilio_settings

    assert twilio_settings({}) is None
    env = {"TWILIO_AUTH_TOKEN": " tok ", "TWILIO_ACCOUNT_SID": "AC1", "VOICEBOT_PUBLIC_URL": "https://x.org/"}
    settings = twilio_settings(env)
    assert settings == TwilioSettings("https://x.org", "AC1", "tok", "https://api.twilio.com", None)
    assert "tok" not in repr(settings)
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n", encoding="utf-8")
    settings = twilio_settings(
        {
            "TWILIO_AUTH_TOKEN_FILE": str(token_file),
            "TWILIO_ACCOUNT_SID": "AC1",
            "VOICEBOT_TWILIO_API_URL": "http://127.0.0.1:9",
            "VOICEBOT_STAFF_NUMBER": "+331",
        },
        default_public_url="http://127.0.0.1:8000",
    )
    assert settings is not None
    assert (settings.auth_token, settings.api_base_url, settings.staff_number, settings.public_base_url) == (
        "from-file",
        "http://127.0.0.1:9",
        "+331",
        "http://127.0.0.1:8000",
    )
    secret = "s3cr3t-token-value"
    for bad in (
        {"TWILIO_AUTH_TOKEN": secret, "VOICEBOT_PUBLIC_URL": "https://x.org"},
        {"TWILIO_AUTH_TOKEN": secret, "TWILIO_ACCOUNT_SID": "AC1"},
        {"TWILIO_AUTH_TOKEN": secret, "TWILIO_ACCOUNT_SID": "AC1", "VOICEBOT_PUBLIC_URL": "x.org"},
        {"TWILIO_AUTH_TOKEN_FILE": str(tmp_path / "missing"), "TWILIO_ACCOUNT_SID": "AC1"},
    ):
        with pytest.raises(BadSetting) as raised:
            twilio_settings(bad)
        assert secret not in str(raised.value)


class SocketTaker:
    """Reads the socket itself, as pipecat's transport would after the gateway consumed `start`."""

    takes_socket = True

    def __init__(self) -> None:
        self.events: list[str] = []
        self.start: tuple[str, str] | None = None

    async def handle(self, call: TwilioCall) -> None:
        self.start = (call.call_sid, call.stream_sid)
        while True:
            message = await call.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            parsed = wire.parse_inbound(message.get("text") or "")
            self.events.append(type(parsed).__name__)
            if isinstance(parsed, wire.Dtmf):
                return


def test_a_handler_may_take_the_socket_after_start() -> None:
    handler = SocketTaker()

    async def test() -> None:
        async with live_gateway(handler) as live:
            call = live.call()
            await call.start()
            await asyncio.sleep(0.1)
            await call.send_dtmf("3")
            await asyncio.wait_for(call.ended.wait(), 3)
            assert handler.start == (call.call_sid, call.stream_sid)

    run(test)
    assert "Start" not in handler.events and "Connected" not in handler.events
    assert handler.events[0] == "Media" and handler.events[-1] == "Dtmf"


def test_the_tone_handler_warns_once_when_the_rest_api_refuses_or_is_down(caplog: pytest.LogCaptureFixture) -> None:
    from telephony.twilio.gateway import _update
    from telephony.twilio.rest import CallUpdateResult

    class Sid:
        call_sid = "CA123"

    async def refused() -> CallUpdateResult:
        return CallUpdateResult(status_code=500, message="call +33612345678 failed")

    async def down() -> CallUpdateResult:
        raise ConnectionRefusedError("+33612345678")

    async def test() -> None:
        with caplog.at_level(logging.WARNING, logger="telephony.twilio.gateway"):
            await _update(Sid(), "hang-up", refused)  # type: ignore[arg-type]
            await _update(Sid(), "transfer", down)  # type: ignore[arg-type]

    run(test)
    lines = [r.getMessage() for r in caplog.records if r.name == "telephony.twilio.gateway"]
    assert lines == [
        "call CA123: the hang-up through Twilio's REST API failed (HTTP 500)",
        "call CA123: the transfer through Twilio's REST API failed (ConnectionRefusedError)",
    ]
