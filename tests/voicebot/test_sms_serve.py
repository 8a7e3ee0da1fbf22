"""The SMS outbox through real `voicebot serve` processes, their Twilio REST API the fake one on 127.0.0.1: a server
killed (SIGKILL) with a text in flight sends it once after its restart, a storm of 500s ends in one text, two servers
on one PostgreSQL share the outbox, and a landline is never texted."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from booking.clinic import load_clinic
from booking.db import migrate, open_engine
from booking.records import PatientDetails, Source
from booking.service import BookingService
from booking.slots import Slot
from booking.sms_outbox import Outbox, SmsRecord
from booking.store import apply_clinic
from telephony.twilio.sim.fake_messages import FakeMessage
from tests.conftest import NOW, PARIS, SAMPLE_CLINIC
from tests.voicebot.serve_process import SMS_FROM, BlackHole, FakeApi, Serve, wait_until
from tests.voicebot.test_cli import voicebot
from voicebot.settings import BadSetting
from voicebot.sms_sender import RetryPolicy, SenderTuning, sender_tuning
from voicebot.sms_texts import SmsTexts

MOBILE, LANDLINE = "+33612345678", "+33142000000"
SERVED_AT = NOW + timedelta(hours=1)
"""Where the servers' clocks start (`--now`): the texts were queued an hour before (at `NOW`)."""
RESTARTED_AT = SERVED_AT + timedelta(minutes=1)
"""The restarted server's: a minute later, past the killed server's lease (5 s here)."""


def texting(url: str, tmp_path: Path) -> BookingService:
    """The sample practice with texts on (`[sms]`), applied to the database at `url`; its booking service."""
    clinic_file = tmp_path / "clinic.toml"
    clinic_file.write_text(SAMPLE_CLINIC.read_text(encoding="utf-8") + "\n[sms]\nenabled = true\n", encoding="utf-8")
    engine = open_engine(url)
    migrate(engine)
    apply_clinic(engine, load_clinic(clinic_file), NOW)
    return BookingService(engine, texts=SmsTexts())


def book(service: BookingService, start: datetime, phone: str, last_name: str = "Dupont") -> str:
    """A 20-minute consultation with Dr Martin booked by the staff (its confirmation queued); its reference."""
    slot = Slot(start, start + timedelta(minutes=20), "martin", "consultation")
    patient = PatientDetails("Jean", last_name, date(1985, 7, 14), phone)
    return service.book(slot, patient, NOW, source=Source.STAFF).reference


def book_with_cli(db: str, start: str) -> str:
    """`voicebot appointments book` (at `NOW`) for the mobile `MOBILE`; the reference it prints."""
    patient = ("--first-name", "Jean", "--last-name", "Dupont", "--birth-date", "1985-07-14", "--phone", MOBILE)
    booked = voicebot(
        "appointments", "book", "--practitioner", "martin", "--motif", "consultation", "--start", start, *patient, db=db
    )
    assert booked.returncode == 0, booked.stderr
    return booked.stdout.strip()


def the_text(outbox: Outbox, reference: str) -> SmsRecord:
    """The one text of this appointment."""
    (record,) = outbox.find(reference=reference)
    return record


def status(outbox: Outbox, reference: str) -> str:
    """Where the appointment's text stands (`none` before it is queued)."""
    records = outbox.find(reference=reference)
    return records[0].status if records else "none"


def wait_sent(outbox: Outbox, reference: str, server: Serve) -> SmsRecord:
    """Wait until the text is done with (40 s at most), then check it was sent; its record."""
    wait_until(lambda: status(outbox, reference) in ("sent", "failed"), 40, "the text sent", details=server.log_text)
    record = the_text(outbox, reference)
    assert record.status == "sent", (record, server.log_text())
    return record


def the_one_message(api: FakeApi) -> FakeMessage:
    """The only message the fake made."""
    messages = api.messages()
    assert len(messages) == 1, messages
    return messages[0]


@pytest.mark.slow
def test_killed_before_twilio_answered_then_sent_once_after_the_restart(sqlite_url: str, tmp_path: Path) -> None:
    """SIGKILL while the send hangs (Twilio made nothing): after the lease the restarted server sends it once."""
    outbox, hole, servers = Outbox(texting(sqlite_url, tmp_path).engine), BlackHole(), []
    try:
        with FakeApi() as api:
            servers.append(first := Serve(sqlite_url, hole.url, tmp_path / "serve-1.log", now=SERVED_AT))
            reference = book_with_cli(sqlite_url, "2026-12-08T10:30")  # queued in the booking's transaction
            wait_until(lambda: status(outbox, reference) == "sending", 40, "the text claimed", details=first.log_text)
            first.kill()
            assert the_text(outbox, reference).status == "sending"  # killed with the send in flight

            servers.append(second := Serve(sqlite_url, api.url, tmp_path / "serve-2.log", now=RESTARTED_AT))
            record = wait_sent(outbox, reference, second)
            message = the_one_message(api)
            assert (message.to, message.from_, message.body) == (MOBILE, SMS_FROM, record.body)
            assert (record.twilio_sid, record.attempts, api.creates()) == (message.sid, 2, 1)
    finally:
        for server in servers:
            server.close()
        hole.close()


@pytest.mark.slow
def test_killed_after_twilio_made_the_message_the_repeat_makes_no_second(sqlite_url: str, tmp_path: Path) -> None:
    """SIGKILL after Twilio made the message but before its answer: the repeat carries the same idempotency key."""
    outbox, servers = Outbox(texting(sqlite_url, tmp_path).engine), []
    try:
        with FakeApi(hang_seconds=30) as api:
            api.fail("timeout")  # the next create is made, its answer held past the sender's timeout
            servers.append(first := Serve(sqlite_url, api.url, tmp_path / "serve-1.log", now=SERVED_AT))
            reference = book_with_cli(sqlite_url, "2026-12-08T10:30")
            wait_until(lambda: len(api.messages()) == 1, 40, "Twilio made the message", details=first.log_text)
            first.kill()
            assert the_text(outbox, reference).status == "sending"  # killed before its answer came

            servers.append(second := Serve(sqlite_url, api.url, tmp_path / "serve-2.log", now=RESTARTED_AT))
            record = wait_sent(outbox, reference, second)
            message = the_one_message(api)  # the second create got the first message back
            assert (record.twilio_sid, record.attempts, api.creates()) == (message.sid, 2, 2)
            assert message.to == MOBILE and message.idempotency_key
    finally:
        for server in servers:
            server.close()


@pytest.mark.slow
def test_a_storm_of_500s_through_serve_then_sent_once(sqlite_url: str, tmp_path: Path) -> None:
    service, servers = texting(sqlite_url, tmp_path), []
    outbox = Outbox(service.engine)
    try:
        with FakeApi() as api:
            api.fail(500, 6)
            reference = book(service, datetime(2026, 12, 8, 10, 30, tzinfo=PARIS), MOBILE)
            servers.append(server := Serve(sqlite_url, api.url, tmp_path / "serve.log", now=SERVED_AT))
            record = wait_sent(outbox, reference, server)
            message = the_one_message(api)
            assert (record.twilio_sid, record.attempts, record.last_error) == (message.sid, 7, None)
            assert api.creates() == 7
            log = server.log.read_text(encoding="utf-8")
            assert len(re.findall(r"SMS \d+ not sent \(500 20500: Internal Server Error\): try \d", log)) == 6
            assert record.body not in log and MOBILE not in log  # nothing of the text in the server's log
    finally:
        for server in servers:
            server.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_two_servers_on_one_postgresql_send_each_text_once(postgres_url: str, tmp_path: Path) -> None:
    """30 texts, two servers. First the test holds a row lock on every text while both servers go round: their
    claims skip the rows (`SKIP LOCKED`: a plain `FOR UPDATE` would wait, and no lock at all would have both take
    the same rows once it ends).
    Then each claims a batch of 10, held at the fake until both hold theirs, and they share the last 10."""
    service, servers = texting(postgres_url, tmp_path), []
    outbox = Outbox(service.engine)
    phones = [f"+336123400{n:02d}" for n in range(30)]
    days = [datetime(2026, 11, 30, 8, 30, tzinfo=PARIS) + timedelta(days=d) for d in (0, 1, 3)]  # Mon, Tue, Thu
    starts = [day + timedelta(minutes=20 * n) for day in days for n in range(10)]
    references = [
        book(service, start, phone, f"Patient{n}") for n, (start, phone) in enumerate(zip(starts, phones, strict=True))
    ]
    slow_sends = {"VOICEBOT_SMS_TIMEOUT_SECONDS": "20", "VOICEBOT_SMS_LEASE_SECONDS": "30"}  # both start meanwhile
    try:
        with FakeApi() as api, service.engine.connect() as locking:
            api.hold()
            locked = locking.begin()
            assert len(locking.execute(text("SELECT id FROM sms_message FOR UPDATE")).all()) == 30
            for name in ("serve-a", "serve-b"):
                servers.append(Serve(postgres_url, api.url, tmp_path / f"{name}.log", now=SERVED_AT, env=slow_sends))
            logs = lambda: "\n".join(server.log_text() for server in servers)  # noqa: E731
            for server in servers:
                server.wait_ready()
            time.sleep(1.0)  # a few rounds of each (every 0.2 s) against the locked rows
            assert api.creates() == 0 and all(status(outbox, r) == "queued" for r in references)
            waiting = locking.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one()
            assert waiting == 0  # they skipped the locked rows: no claim waits for them
            locked.rollback()
            wait_until(lambda: api.held() == 20, 40, "both servers holding a batch of 10", details=logs)
            api.release()
            wait_until(lambda: all(status(outbox, r) == "sent" for r in references), 40, "every text sent", every=0.2)
            assert api.creates() == 30  # no text was even tried twice
            assert sorted(m.to for m in api.messages()) == phones
            sent_by = [
                len(re.findall(r"SMS \d+ sent \(SM", server.log.read_text(encoding="utf-8"))) for server in servers
            ]
            assert sum(sent_by) == 30 and min(sent_by) >= 10, sent_by
    finally:
        for server in servers:
            server.close()


@pytest.mark.slow
def test_a_landline_is_never_texted(sqlite_url: str, tmp_path: Path) -> None:
    service, servers = texting(sqlite_url, tmp_path), []
    outbox = Outbox(service.engine)
    landline = book(service, datetime(2026, 12, 8, 10, 30, tzinfo=PARIS), LANDLINE, "Fixe")
    mobile = book(service, datetime(2026, 12, 8, 11, 30, tzinfo=PARIS), MOBILE, "Portable")
    try:
        with FakeApi() as api:
            servers.append(server := Serve(sqlite_url, api.url, tmp_path / "serve.log", now=SERVED_AT))
            wait_sent(outbox, mobile, server)
            assert [m.to for m in api.messages()] == [MOBILE] and api.creates() == 1
            assert outbox.find(reference=landline) == [] and outbox.find(to_phone=LANDLINE) == []
    finally:
        for server in servers:
            server.close()


def test_the_senders_pace_comes_from_the_environment() -> None:
    """What `compose_sender` reads (these tests use it to shorten the lease); unusable values stop `serve`."""
    assert sender_tuning({}) == SenderTuning(5.0, 10.0, 60.0, RetryPolicy().delays)
    tuned = sender_tuning(
        {
            "VOICEBOT_SMS_EVERY_SECONDS": "0.2",
            "VOICEBOT_SMS_TIMEOUT_SECONDS": "4",
            "VOICEBOT_SMS_LEASE_SECONDS": " 5 ",
            "VOICEBOT_SMS_RETRY_SECONDS": "1, 2.5,10",
        }
    )
    assert tuned == SenderTuning(0.2, 4.0, 5.0, (1.0, 2.5, 10.0))
    for name, value in (
        ("VOICEBOT_SMS_EVERY_SECONDS", "0"),
        ("VOICEBOT_SMS_TIMEOUT_SECONDS", "soon"),
        ("VOICEBOT_SMS_RETRY_SECONDS", "5,,30"),
        ("VOICEBOT_SMS_LEASE_SECONDS", "nan"),
    ):
        with pytest.raises(BadSetting, match=f"^{name} must be a number of seconds"):
            sender_tuning({name: value})
    with pytest.raises(BadSetting, match="VOICEBOT_SMS_LEASE_SECONDS \\(10\\) must be longer than a send"):
        sender_tuning({"VOICEBOT_SMS_LEASE_SECONDS": "10"})
