"""The SMS outbox on real databases: a text is queued in its booking change's transaction, only to mobiles that
never answered STOP; senders claim each message once; a dead sender's messages come back after their lease."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from booking.clinic import load_clinic, parse_clinic
from booking.errors import ClinicFileError, SlotUnavailable
from booking.records import PatientDetails
from booking.service import BookingService
from booking.sms import SmsSettings, TextChange
from booking.sms_outbox import Outbox
from booking.store import apply_clinic
from tests.booking.service_helpers import patient, slot
from tests.conftest import NOW, SAMPLE_CLINIC

LANDLINE = "+33142000000"
TEXTS_ON = SmsSettings(enabled=True)


class KindAndReference:
    """A composer that writes what it was told (the real one is `voicebot.sms_texts`)."""

    def compose(self, change: TextChange) -> str | None:
        return f"{change.kind.value} {change.appointment.reference}"


def texting_service(url: str, settings: SmsSettings = TEXTS_ON) -> BookingService:
    """The sample practice with texts on (or as `settings` say)."""
    service = BookingService.open(url)
    apply_clinic(service.engine, replace(load_clinic(SAMPLE_CLINIC), sms=settings), NOW)
    return BookingService(service.engine, texts=KindAndReference())


def test_each_change_queues_one_text_in_its_own_transaction(db_url: str) -> None:
    service = texting_service(db_url)
    outbox = Outbox(service.engine)
    booked = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    with pytest.raises(SlotUnavailable):  # the same time again: rolled back, and no text with it
        service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(2), NOW)
    moved = service.reschedule(booked.reference, slot("martin", "consultation", "2026-12-01T10:10", 20), NOW)
    service.cancel(moved.reference, NOW)
    texts = [(r.kind, r.body, r.to_phone, r.status) for r in reversed(outbox.find())]
    assert texts == [
        ("confirmation", f"confirmation {booked.reference}", "+33600000001", "queued"),
        ("move", f"move {moved.reference}", "+33600000001", "queued"),  # one text for a move, not two
        ("cancellation", f"cancellation {moved.reference}", "+33600000001", "queued"),
    ]
    assert [r.kind for r in outbox.find(reference=moved.reference)] == ["cancellation", "move"]


def test_no_text_to_a_landline_after_stop_without_notify_or_with_texts_off(db_url: str) -> None:
    service = texting_service(db_url)
    outbox = Outbox(service.engine)
    landline = PatientDetails("Paul", "Fixe", patient(3).birth_date, LANDLINE)
    service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), landline, NOW)
    outbox.opt_out("+33600000004", NOW)
    service.book(slot("martin", "consultation", "2026-12-01T09:30", 20), patient(4), NOW)
    service.book(slot("martin", "consultation", "2026-12-01T09:50", 20), patient(5), NOW, notify=False)
    assert outbox.find() == [] and outbox.is_opted_out("+33600000004")
    off = texting_service(db_url, SmsSettings(enabled=False))
    off.book(slot("martin", "consultation", "2026-12-01T10:10", 20), patient(6), NOW)
    assert outbox.find() == []


def test_stop_drops_the_texts_still_waiting(db_url: str) -> None:
    service = texting_service(db_url)
    outbox = Outbox(service.engine)
    service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    outbox.opt_out("+33600000001", NOW)
    (text,) = outbox.find()
    assert text.status == "failed" and outbox.claim(NOW) == []
    assert outbox.queue("reply", "+33600000001", "hello", NOW) is None


def test_a_claimed_text_is_not_claimed_again_until_its_lease_ends(db_url: str) -> None:
    outbox = Outbox(texting_service(db_url).engine)
    queued = outbox.queue("reply", "+33600000001", "hello", NOW)
    assert queued is not None
    (first,) = outbox.claim(NOW, lease_seconds=60)
    assert outbox.claim(NOW + timedelta(seconds=59), lease_seconds=60) == []
    (again,) = outbox.claim(NOW + timedelta(seconds=61), lease_seconds=60)  # its sender died
    assert (again.id, again.idempotency_key, again.attempts) == (first.id, first.idempotency_key, 2)
    outbox.mark_sent(again.id, "SM1", NOW + timedelta(seconds=62))
    outbox.retry_later(again.id, "late answer", NOW)  # a late failure never un-sends it
    (sent,) = outbox.find()
    assert (sent.status, sent.twilio_sid, sent.attempts) == ("sent", "SM1", 2)
    assert outbox.claim(NOW + timedelta(hours=1)) == []


def test_retries_wait_and_failures_keep_their_error(db_url: str) -> None:
    outbox = Outbox(texting_service(db_url).engine)
    outbox.queue("reply", "+33600000001", "one", NOW)
    outbox.queue("reply", "+33600000002", "two", NOW)
    one, two = outbox.claim(NOW)
    outbox.retry_later(one.id, "500 server error", NOW + timedelta(seconds=30))
    outbox.mark_failed(two.id, "400 21211: Invalid 'To' Phone Number", NOW)
    assert outbox.claim(NOW + timedelta(seconds=29)) == []
    assert [m.id for m in outbox.claim(NOW + timedelta(seconds=30))] == [one.id]
    failed = outbox.find(to_phone="+33600000002")[0]
    assert (failed.status, failed.last_error) == ("failed", "400 21211: Invalid 'To' Phone Number")


def test_senders_on_two_threads_never_claim_the_same_text(db_url: str) -> None:
    outbox = Outbox(texting_service(db_url).engine)
    for n in range(30):
        outbox.queue("reply", f"+336000000{n:02d}", f"message {n}", NOW)
    claimed: list[list[int]] = [[], []]

    def sender(mine: list[int]) -> None:
        while batch := Outbox(outbox.engine).claim(NOW, limit=3):
            mine.extend(m.id for m in batch)

    threads = [threading.Thread(target=sender, args=(claimed[i],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = claimed[0] + claimed[1]
    assert sorted(every) == sorted({m.id for m in outbox.find()}) and len(every) == 30


def test_reminders_are_queued_once_and_never_for_a_cancelled_appointment(db_url: str) -> None:
    service = texting_service(db_url, SmsSettings(enabled=True, reminder_hours=24))
    outbox = Outbox(service.engine)
    soon = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW, notify=False)
    gone = service.book(slot("martin", "consultation", "2026-12-01T09:30", 20), patient(2), NOW, notify=False)
    later = service.book(slot("martin", "consultation", "2026-12-03T09:10", 20), patient(3), NOW, notify=False)
    service.cancel(gone.reference, NOW, notify=False)
    evening = NOW.replace(day=30, hour=18)  # Monday 18:00: Tuesday 9:10 is within 24 h, Thursday is not
    texts = KindAndReference()
    assert outbox.queue_reminders(evening, 24, texts) == 1
    assert outbox.queue_reminders(evening + timedelta(hours=1), 24, texts) == 0  # once
    assert [(r.kind, r.reference) for r in outbox.find()] == [("reminder", soon.reference)]
    assert later.reference not in {r.reference for r in outbox.find()}


def test_the_sms_section_is_read_checked_stored_and_exported(db_url: str) -> None:
    from booking.clinic_export import clinic_to_dict

    sample = load_clinic(SAMPLE_CLINIC)
    assert sample.sms == SmsSettings()  # off without the section
    data = clinic_to_dict(sample)
    assert "sms" not in data
    on = parse_clinic({**data, "sms": {"reminder_hours": 24}})
    assert on.sms == SmsSettings(enabled=True, reminder_hours=24)
    assert parse_clinic(clinic_to_dict(on)).sms == on.sms
    service = BookingService.open(db_url)
    apply_clinic(service.engine, on, NOW)
    assert service.clinic().sms == on.sms
    for bad, message in [
        ({"reminder_hours": 0}, "[sms], reminder_hours: must be at least 1, not 0"),
        ({"reminder_hours": 500}, "[sms] reminder_hours = 500: at most 168 (a week before)"),
        ({"enabled": "yes"}, "[sms], enabled: must be true or false, not 'yes'"),
        ({"remind": 24}, "[sms], remind: unknown key"),
    ]:
        with pytest.raises(ClinicFileError) as error:
            parse_clinic({**data, "sms": bad})
        assert message in str(error.value), str(error.value)
