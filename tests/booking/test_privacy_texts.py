"""Text messages are personal data too: the purge deletes those sent or given up past `call_log_days`, erasing a
patient deletes theirs (a STOP stays, honoured for the number), and a patient's export lists them."""

from __future__ import annotations

from datetime import timedelta

from booking.privacy import erase_patient, export_patient, find_patient, purge
from booking.sms_outbox import Outbox
from tests.booking.service_helpers import patient, slot
from tests.booking.test_sms_outbox import texting_service
from tests.conftest import NOW


def test_the_purge_deletes_texts_done_with_past_the_call_log_limit_and_keeps_waiting_ones(db_url: str) -> None:
    service = texting_service(db_url)
    outbox = Outbox(service.engine)
    sent = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    waiting = service.book(slot("martin", "consultation", "2026-12-01T09:30", 20), patient(2), NOW)
    claimed = {m.body.split()[-1]: m.id for m in outbox.claim(NOW)}
    outbox.mark_sent(claimed[sent.reference], "SM1", NOW)
    outbox.retry_later(claimed[waiting.reference], "timeout", NOW)
    assert purge(service.engine, NOW + timedelta(days=89)).texts_deleted == 0
    report = purge(service.engine, NOW + timedelta(days=91))
    assert report.texts_deleted == 1, report
    assert [m.reference for m in outbox.find()] == [waiting.reference]  # still to be sent: kept
    assert "1 text(s) deleted" in report.details()


def test_erasing_a_patient_deletes_their_texts_and_keeps_their_stop(db_url: str) -> None:
    service = texting_service(db_url)
    outbox = Outbox(service.engine)
    alice, bob = patient(1), patient(2)
    first = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), alice, NOW)
    service.book(slot("martin", "consultation", "2026-12-01T09:30", 20), bob, NOW)
    outbox.queue("reply", alice.phone, "C'est noté.", NOW)
    outbox.opt_out(alice.phone, NOW)
    alice_id = find_patient(service.engine, alice.first_name, alice.last_name, alice.birth_date)
    texts = export_patient(service.engine, alice_id, now=NOW)["texts"]
    assert [(t["kind"], t["reference"]) for t in texts] == [
        ("confirmation", first.reference),
        ("reply", None),
    ]  # type: ignore[index]
    report = erase_patient(service.engine, alice_id, NOW, by="admin")
    assert report.texts_deleted == 2
    assert [m.to_phone for m in outbox.find()] == [bob.phone]
    assert outbox.is_opted_out(alice.phone)
    assert export_patient(service.engine, alice_id, now=NOW)["texts"] == []
