"""The SMS sender (`voicebot.sms_sender`) over a real outbox (SQLite and PostgreSQL) and the fake Twilio API on
127.0.0.1: retries with backoff, failures stored, never a message twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from booking.db import migrate, open_engine
from booking.sms_outbox import Outbox
from telephony.twilio.rest import TwilioRestClient
from telephony.twilio.sim.fake_rest import FakeTwilio
from tests.conftest import NOW
from voicebot.sms_sender import RetryPolicy, SmsSender

ACCOUNT, TOKEN = "AC" + "5" * 32, "sender-test-token"
PRACTICE = "+33184800000"
PATIENT = "+33612345678"
POLICY = RetryPolicy(delays=(5.0, 30.0, 120.0), max_attempts=6)


class Ticking:
    """A clock the test moves."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def outbox_on(url: str) -> Outbox:
    engine = open_engine(url)
    migrate(engine)
    return Outbox(engine)


def sender(outbox: Outbox, fake: FakeTwilio, clock: Ticking, *, timeout: float = 2.0) -> SmsSender:
    api = TwilioRestClient(ACCOUNT, TOKEN, fake.base_url, timeout=timeout)
    return SmsSender(outbox, api, lambda: PRACTICE, clock, policy=POLICY, lease_seconds=30)


def run(test: Callable[[FakeTwilio], Awaitable[None]]) -> None:
    async def main() -> None:
        async with asyncio.timeout(60), FakeTwilio(ACCOUNT, TOKEN, hang_seconds=3) as fake:
            await test(fake)

    asyncio.run(main())


def the_one(outbox: Outbox, to: str = PATIENT):  # type: ignore[no-untyped-def]
    (record,) = outbox.find(to_phone=to)
    return record


def test_a_message_is_sent_once_with_its_key(db_url: str) -> None:
    outbox, clock = outbox_on(db_url), Ticking(NOW)
    queued = outbox.queue("confirmation", PATIENT, "Rendez-vous confirmé", NOW, reference="123456")
    assert queued is not None

    async def test(fake: FakeTwilio) -> None:
        sms = sender(outbox, fake, clock)
        assert await sms.round() == 1
        assert await sms.round() == 0
        (message,) = fake.messages
        assert (message.to, message.from_, message.body) == (PATIENT, PRACTICE, "Rendez-vous confirmé")
        record = the_one(outbox)
        assert (record.status, record.attempts, record.twilio_sid) == ("sent", 1, message.sid)
        assert record.sent_at is not None
        assert message.idempotency_key  # the outbox's own key went with it

    run(test)


def test_a_storm_of_500s_then_sent_once_when_twilio_recovers(db_url: str) -> None:
    outbox, clock = outbox_on(db_url), Ticking(NOW)
    outbox.queue("confirmation", PATIENT, "Bonjour", NOW)

    async def test(fake: FakeTwilio) -> None:
        fake.fail_messages(500, 4)
        sms = sender(outbox, fake, clock)
        waits = []
        for _ in range(4):
            assert await sms.round() == 1
            record = the_one(outbox)
            assert record.status == "queued" and (record.last_error or "").startswith("500 20500")
            assert await sms.round() == 0  # not due before its delay
            waits.append(record.attempts)
            clock.advance(POLICY.delay(record.attempts))
        assert await sms.round() == 1
        record = the_one(outbox)
        assert (record.status, record.attempts) == ("sent", 5)
        assert waits == [1, 2, 3, 4]
        assert len(fake.messages) == 1 and fake.sms.creates == 5

    run(test)


def test_429_is_retried_after_the_delay(db_url: str) -> None:
    outbox, clock = outbox_on(db_url), Ticking(NOW)
    outbox.queue("reminder", PATIENT, "Rappel", NOW)

    async def test(fake: FakeTwilio) -> None:
        fake.fail_messages(429)
        sms = sender(outbox, fake, clock)
        await sms.round()
        assert "429" in (the_one(outbox).last_error or "")
        clock.advance(4.9)
        assert await sms.round() == 0
        clock.advance(0.1)
        assert await sms.round() == 1
        assert the_one(outbox).status == "sent" and len(fake.messages) == 1

    run(test)


def test_400_fails_at_once_with_the_error_stored(db_url: str) -> None:
    outbox, clock = outbox_on(db_url), Ticking(NOW)
    outbox.queue("confirmation", PATIENT, "Bonjour", NOW)

    async def test(fake: FakeTwilio) -> None:
        fake.fail_messages(400)
        sms = sender(outbox, fake, clock)
        await sms.round()
        clock.advance(3600)
        assert await sms.round() == 0
        record = the_one(outbox)
        assert (record.status, record.attempts) == ("failed", 1)
        assert record.last_error == "400 21211: Invalid 'To' Phone Number"
        assert fake.messages == []

    run(test)


def test_gives_up_after_max_attempts(db_url: str) -> None:
    outbox, clock = outbox_on(db_url), Ticking(NOW)
    outbox.queue("confirmation", PATIENT, "Bonjour", NOW)

    async def test(fake: FakeTwilio) -> None:
        fake.fail_messages(500, 50)
        sms = sender(outbox, fake, clock)
        for _ in range(POLICY.max_attempts + 2):
            await sms.round()
            clock.advance(3600)
        record = the_one(outbox)
        assert (record.status, record.attempts) == ("failed", POLICY.max_attempts)
        assert fake.sms.creates == POLICY.max_attempts

    run(test)


def test_a_timeout_then_success_sends_once_through_the_idempotency_key(db_url: str) -> None:
    outbox, clock = outbox_on(db_url), Ticking(NOW)
    outbox.queue("move", PATIENT, "Déplacé", NOW)

    async def test(fake: FakeTwilio) -> None:
        fake.fail_messages("timeout")  # Twilio makes the message, its answer never comes
        sms = sender(outbox, fake, clock, timeout=0.5)
        await sms.round()
        record = the_one(outbox)
        assert record.status == "queued" and (record.last_error or "").startswith("no answer")
        assert len(fake.messages) == 1
        clock.advance(5)
        await sms.round()
        record = the_one(outbox)
        (message,) = fake.messages
        assert (record.status, record.twilio_sid, fake.sms.creates) == ("sent", message.sid, 2)

    run(test)


def test_two_senders_on_one_database_send_each_message_once(db_url: str) -> None:
    first, second, clock = outbox_on(db_url), outbox_on(db_url), Ticking(NOW)
    phones = [f"+3361234{n:04d}" for n in range(24)]
    for phone in phones:
        first.queue("confirmation", phone, f"Bonjour {phone[-4:]}", NOW)

    async def test(fake: FakeTwilio) -> None:
        one, two = sender(first, fake, clock), sender(second, fake, clock)
        one.batch = two.batch = 5
        for _ in range(10):
            counts = await asyncio.gather(one.round(), two.round())
            if sum(counts) == 0:
                break
        assert fake.sms.creates == len(phones)  # no message was even tried twice
        assert sorted(m.to for m in fake.messages) == sorted(phones)
        assert all(the_one(first, phone).status == "sent" for phone in phones)

    run(test)
