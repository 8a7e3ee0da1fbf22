"""The inbound SMS webhook (`POST /twilio/sms`) of the Twilio gateway on a real uvicorn (127.0.0.1)."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from twilio.twiml.messaging_response import MessagingResponse

from telephony.twilio.auth import SIGNATURE_HEADER, sign_webhook
from telephony.twilio.twiml import message_twiml
from tests.telephony.twilio.live import ACCOUNT, PUBLIC, TOKEN, RecordingHandler, live_gateway, run

PATIENT = "+33612345678"


def sms_form(body: str = "ANNULER", sender: str = PATIENT) -> dict[str, str]:
    """What Twilio posts for an inbound SMS (the fields we read and a few we do not)."""
    return {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": ACCOUNT,
        "From": sender,
        "To": "+33100000001",
        "Body": body,
        "NumMedia": "0",
    }


def signed(form: dict[str, str], token: str = TOKEN, url: str = f"{PUBLIC}/twilio/sms") -> dict[str, str]:
    return {SIGNATURE_HEADER: sign_webhook(token, url, form)}


def test_a_signed_sms_gets_the_replier_answer_as_a_message() -> None:
    seen: list[tuple[str, str]] = []

    async def reply(from_: str, body: str) -> str | None:
        seen.append((from_, body))
        return "Votre rendez-vous est annulé & <noté>." if body == "ANNULER" else None

    async def test() -> None:
        async with live_gateway(RecordingHandler()) as live, aiohttp.ClientSession() as session:
            live.gateway.sms_reply = reply
            url = f"{live.server_url}/twilio/sms"
            form = sms_form()
            async with session.post(url, data=form, headers=signed(form)) as response:
                assert response.status == 200 and response.content_type == "text/xml"
                answer = await response.text()
            other = sms_form("Bonjour")
            async with session.post(url, data=other, headers=signed(other)) as response:
                assert response.status == 200
                silent = await response.text()
        expected = MessagingResponse()
        expected.message("Votre rendez-vous est annulé & <noté>.")
        assert answer == str(expected.to_xml()) == message_twiml("Votre rendez-vous est annulé & <noté>.")
        assert "&lt;noté&gt;" in answer
        assert silent == message_twiml(None) and "<Message>" not in silent
        assert seen == [(PATIENT, "ANNULER"), (PATIENT, "Bonjour")]

    run(test)


def test_sms_webhook_refuses_bad_signatures_and_other_accounts() -> None:
    seen: list[str] = []

    async def reply(from_: str, body: str) -> str | None:
        seen.append(body)
        return "non"

    async def test() -> None:
        async with live_gateway(RecordingHandler()) as live, aiohttp.ClientSession() as session:
            live.gateway.sms_reply = reply
            url = f"{live.server_url}/twilio/sms"
            form = sms_form()
            other_account = {**form, "AccountSid": "AC" + "2" * 32}
            cases = [
                ({}, form),
                (signed(form, token="other-token"), form),
                (signed(form, url=url), form),  # signed over the private URL
                (signed(form, url=f"{PUBLIC}/twilio/voice"), form),  # the voice webhook's signature
                (signed(form), {**form, "Body": "STOP"}),  # tampered
                (signed(other_account), other_account),
            ]
            for headers, data in cases:
                async with session.post(url, data=data, headers=headers) as response:
                    assert response.status == 403
            no_sender = {key: value for key, value in form.items() if key != "From"}
            async with session.post(url, data=no_sender, headers=signed(no_sender)) as response:
                assert response.status == 400

    run(test)
    assert seen == []


def test_without_a_replier_texts_get_an_empty_response(caplog: pytest.LogCaptureFixture) -> None:
    async def test() -> None:
        async with live_gateway(RecordingHandler()) as live, aiohttp.ClientSession() as session:
            form = sms_form("J'ai mal au dos, je viens pour ma sciatique")
            async with session.post(f"{live.server_url}/twilio/sms", data=form, headers=signed(form)) as response:
                assert response.status == 200
                assert await response.text() == message_twiml(None)

    with caplog.at_level(logging.DEBUG):
        run(test)
    assert "sciatique" not in caplog.text and PATIENT not in caplog.text


def test_a_failing_replier_answers_500_and_logs_no_text(caplog: pytest.LogCaptureFixture) -> None:
    async def reply(from_: str, body: str) -> str | None:
        raise RuntimeError(body)

    async def test() -> None:
        async with live_gateway(RecordingHandler()) as live, aiohttp.ClientSession() as session:
            live.gateway.sms_reply = reply
            form = sms_form("ma sciatique")
            async with session.post(f"{live.server_url}/twilio/sms", data=form, headers=signed(form)) as response:
                assert response.status == 500

    with caplog.at_level(logging.DEBUG):
        run(test)
    assert "RuntimeError" in caplog.text and "sciatique" not in caplog.text
