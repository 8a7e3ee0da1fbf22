"""The REST client against the local fake Twilio API, over real HTTP on 127.0.0.1."""

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from telephony.errors import TwilioRestError
from telephony.twilio.rest import TwilioRestClient
from telephony.twilio.sim.fake_rest import FakeTwilio
from telephony.twilio.twiml import DialVerb, parse_twiml
from tests.pg import free_port

ACCOUNT, TOKEN = "AC0123456789abcdef0123456789abcdef", "auth-token-for-tests"


def run(test: Callable[[FakeTwilio, TwilioRestClient], Awaitable[None]]) -> None:
    async def main() -> None:
        async with asyncio.timeout(10), FakeTwilio(ACCOUNT, TOKEN) as fake:
            fake.add_call("CA1", from_="+33612345678")
            await test(fake, TwilioRestClient(ACCOUNT, TOKEN, fake.base_url, timeout=5))

    asyncio.run(main())


def test_hang_up_posts_status_completed_with_basic_auth() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        result = await client.hang_up("CA1")
        assert result.ok and result.call_status == "completed"
        (request,) = fake.requests
        assert (request.method, request.path, request.form, request.status) == (
            "POST",
            f"/2010-04-01/Accounts/{ACCOUNT}/Calls/CA1.json",
            {"Status": "completed"},
            200,
        )
        assert fake.calls["CA1"].status == "completed"
        again = await client.hang_up("CA1")
        assert again.ok and again.already_ended

    run(test)


def test_transfer_redirects_to_dial_twiml() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        result = await client.transfer("CA1", "+33100000001")
        assert result.ok and result.call_status == "in-progress"
        assert parse_twiml(fake.requests[0].form["Twiml"]) == [DialVerb("+33100000001")]
        assert fake.calls["CA1"].twiml == [fake.requests[0].form["Twiml"]]

    run(test)


def test_refusals_come_back_as_results() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        wrong = await TwilioRestClient(ACCOUNT, "wrong-token", fake.base_url).hang_up("CA1")
        assert (wrong.ok, wrong.status_code, wrong.error_code) == (False, 401, 20003)
        other = await TwilioRestClient("AC" + "0" * 32, TOKEN, fake.base_url).hang_up("CA1")
        assert (other.ok, other.status_code) == (False, 401)
        unknown = await client.hang_up("CA404")
        assert (unknown.status_code, unknown.error_code, unknown.already_ended) == (404, 20404, True)
        assert fake.calls["CA1"].status == "in-progress"
        await client.hang_up("CA1")
        late = await client.transfer("CA1", "+33100000001")
        assert (late.ok, late.status_code, late.error_code) == (False, 400, 21220)
        empty = await client.update_call("CA1", {"Foo": "bar"})
        assert (empty.status_code, empty.error_code) == (400, 20001)

    run(test)


def test_fake_answers_json_like_twilio() -> None:
    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        async with aiohttp.ClientSession() as session:
            async with session.get(client.call_url("CA1"), headers={"Authorization": auth}) as response:
                body: dict[str, Any] = await response.json()
            async with session.post(client.call_url("CA1"), data={"Status": "completed"}) as response:
                assert response.status == 401 and "Basic" in response.headers["WWW-Authenticate"]
                error = json.loads(await response.text())
        assert body["sid"] == "CA1" and body["account_sid"] == ACCOUNT and body["status"] == "in-progress"
        assert body["from"] == "+33612345678" and body["uri"].endswith("/Calls/CA1.json")
        assert set(error) == {"code", "message", "more_info", "status"} and error["code"] == 20003

    run(test)


def test_unreachable_api_raises_twilio_rest_error() -> None:
    async def main() -> None:
        client = TwilioRestClient(ACCOUNT, TOKEN, f"http://127.0.0.1:{free_port()}", timeout=2)
        with pytest.raises(TwilioRestError) as raised:
            await client.hang_up("CA1")
        assert TOKEN not in str(raised.value)

    asyncio.run(main())


def test_the_token_stays_out_of_repr() -> None:
    assert TOKEN not in repr(TwilioRestClient(ACCOUNT, TOKEN))


def test_update_listener_is_told() -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    async def test(fake: FakeTwilio, client: TwilioRestClient) -> None:
        fake.on_update = lambda sid, form: seen.append((sid, form))
        await client.hang_up("CA1")
        await client.hang_up("CA404")

    run(test)
    assert seen == [("CA1", {"Status": "completed"})]
