"""`TwilioRestClient.send_message` against the fake's Messages resource, over real HTTP on 127.0.0.1."""

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from telephony.twilio.rest import IDEMPOTENCY_HEADER, MessageResult, TwilioRestClient
from telephony.twilio.sim.fake_messages import segment_count
from telephony.twilio.sim.fake_rest import FakeTwilio
from tests.pg import free_port

ACCOUNT, TOKEN = "AC0123456789abcdef0123456789abcdef", "auth-token-for-tests"
PATIENT, PRACTICE = "+33612345678", "+33100000001"


def run(test: Callable[[FakeTwilio, TwilioRestClient], Awaitable[None]]) -> None:
    async def main() -> None:
        async with asyncio.timeout(15), FakeTwilio(ACCOUNT, TOKEN, hang_seconds=3) as fake:
            await test(fake, TwilioRestClient(ACCOUNT, TOKEN, fake.base_url, timeout=0.5))

    asyncio.run(main())


def test_send_posts_the_form_with_the_idempotency_token() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        result = await client.send_message(PATIENT, PRACTICE, "Rendez-vous confirmé", "key-1")
        assert result.ok and not result.retryable and result.status_code == 201
        assert result.sid is not None and result.sid.startswith("SM") and len(result.sid) == 34
        (request,) = fake.requests
        assert (request.method, request.path, request.status, request.message_sid) == (
            "POST",
            f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
            201,
            result.sid,
        )
        assert request.form == {"To": PATIENT, "From": PRACTICE, "Body": "Rendez-vous confirmé"}
        (message,) = fake.messages
        assert (message.sid, message.to, message.from_, message.body, message.idempotency_key) == (
            result.sid,
            PATIENT,
            PRACTICE,
            "Rendez-vous confirmé",
            "key-1",
        )

    run(test)


def test_the_same_token_gets_the_same_message_not_a_second_one() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        first = await client.send_message(PATIENT, PRACTICE, "Un", "key-1")
        again = await client.send_message(PATIENT, PRACTICE, "Un", "key-1")
        other = await client.send_message(PATIENT, PRACTICE, "Un", "key-2")
        assert first.ok and again.ok and other.ok
        assert first.sid == again.sid != other.sid
        assert [m.idempotency_key for m in fake.messages] == ["key-1", "key-2"]
        assert fake.sms.creates == 3

    run(test)


def test_failures_on_demand_are_results_retryable_or_not() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        fake.fail_messages(500, 2)
        fake.fail_messages(429)
        fake.fail_messages(400)
        results = [await client.send_message(PATIENT, PRACTICE, "x", f"k{i}") for i in range(5)]
        assert [(r.status_code, r.error_code, r.retryable, r.ok) for r in results] == [
            (500, 20500, True, False),
            (500, 20500, True, False),
            (429, 20429, True, False),
            (400, 21211, False, False),
            (201, None, False, True),
        ]
        assert results[3].describe() == "400 21211: Invalid 'To' Phone Number"
        assert len(fake.messages) == 1 and fake.sms.failures_left == 0

    run(test)


def test_a_timeout_is_retryable_and_the_retry_finds_the_message_made() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        fake.fail_messages("timeout")
        lost = await client.send_message(PATIENT, PRACTICE, "x", "key-1")
        assert (lost.status_code, lost.ok, lost.retryable, lost.sid) == (0, False, True, None)
        assert lost.describe().startswith("no answer")
        retry = await client.send_message(PATIENT, PRACTICE, "x", "key-1")
        assert retry.ok
        (message,) = fake.messages
        assert retry.sid == message.sid

    run(test)


def test_bad_requests_and_bad_credentials() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        landline_typo = await client.send_message("0612", PRACTICE, "x", "k1")
        assert (landline_typo.status_code, landline_typo.error_code, landline_typo.retryable) == (400, 21211, False)
        empty = await client.send_message(PATIENT, PRACTICE, "", "k2")
        assert (empty.status_code, empty.error_code) == (400, 21602)
        wrong = await TwilioRestClient(ACCOUNT, "wrong", fake.base_url).send_message(PATIENT, PRACTICE, "x", "k3")
        assert (wrong.status_code, wrong.error_code, wrong.retryable) == (401, 20003, False)
        assert fake.messages == []

    run(test)


def test_unreachable_api_is_a_retryable_result() -> None:
    async def main() -> None:
        client = TwilioRestClient(ACCOUNT, TOKEN, f"http://127.0.0.1:{free_port()}", timeout=2)
        result = await client.send_message(PATIENT, PRACTICE, "x", "k")
        assert result == MessageResult(0, message=result.message) and result.retryable
        assert TOKEN not in result.describe()

    asyncio.run(main())


def test_the_fake_lists_messages_newest_first() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        await client.send_message(PATIENT, PRACTICE, "premier", "k1")
        await client.send_message("+33698765432", PRACTICE, "second", "k2")
        auth = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()}
        async with aiohttp.ClientSession() as session:
            async with session.get(client.messages_url, headers=auth) as response:
                listing: dict[str, Any] = await response.json()
            async with session.get(client.messages_url, params={"To": PATIENT}, headers=auth) as response:
                mine: dict[str, Any] = await response.json()
            async with session.post(client.messages_url, data={"To": PATIENT}, headers={IDEMPOTENCY_HEADER: "x"}) as r:
                assert r.status == 401
        assert [m["body"] for m in listing["messages"]] == ["second", "premier"]
        assert [m["body"] for m in mine["messages"]] == ["premier"]
        first = mine["messages"][0]
        assert first["to"] == PATIENT and first["from"] == PRACTICE and first["status"] == "queued"
        assert first["uri"].endswith(f"/Messages/{first['sid']}.json")

    run(test)


def test_unknown_failure_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown failure"):
        FakeTwilio(ACCOUNT, TOKEN).fail_messages(404)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "parts"),
    [("a" * 160, 1), ("a" * 161, 2), ("é" * 160, 1), ("ê" * 70, 1), ("ê" * 71, 2), ("’" * 134, 2), ("ê" * 135, 3)],
)
def test_the_fake_bills_segments_in_the_encoding_the_body_needs(body: str, parts: int) -> None:
    assert segment_count(body) == parts
