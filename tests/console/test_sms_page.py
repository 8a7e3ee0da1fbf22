"""The appointment page lists the texts sent to the patient about it: kind, status, time, number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from booking.clinic import load_clinic
from booking.db import migrate, open_engine
from booking.service import BookingService
from booking.sms_outbox import Outbox
from booking.staff import StaffStore
from booking.store import apply_clinic
from tests.booking.service_helpers import patient, slot
from tests.conftest import SAMPLE_CLINIC
from tests.console.conftest import FAST, FROZEN, NOW, PASSWORD, Console, FakeMonotonic, csrf_of, login
from voicebot.console.passwords import hash_password
from voicebot.server import create_app
from voicebot.settings import Clock
from voicebot.sms_texts import SmsTexts


@pytest.fixture
def texting_console(sqlite_url: str, tmp_path: Path) -> Iterator[Console]:
    """The console on a practice that sends texts, its service wired with the real composer."""
    clinic_file = tmp_path / "clinic.toml"
    clinic_file.write_text(SAMPLE_CLINIC.read_text(encoding="utf-8") + "\n[sms]\nenabled = true\n", encoding="utf-8")
    engine = open_engine(sqlite_url)
    migrate(engine)
    apply_clinic(engine, load_clinic(clinic_file), NOW)
    service = BookingService(engine, texts=SmsTexts())
    staff = StaffStore(engine)
    staff.add("sam", "secretary", hash_password(PASSWORD, FAST), NOW)
    monotonic = FakeMonotonic()
    app = create_app(service, Clock(FROZEN), secret_key="test-secret", monotonic=monotonic, hasher=FAST)
    yield Console(app, service, staff, monotonic)
    engine.dispose()


def test_the_page_lists_the_texts_of_the_appointment(texting_console: Console) -> None:
    client = texting_console.client()
    token = login(client, "sam")
    booked = texting_console.service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    page = client.get(f"/admin/appointments/{booked.reference}")
    assert page.status_code == 200
    assert 'id="texts"' in page.text and "confirmation" in page.text and "en attente" in page.text
    assert patient(1).phone in page.text
    outbox = Outbox(texting_console.service.engine)
    [message] = outbox.find(reference=booked.reference)
    outbox.mark_sent(message.id, "SM0123", NOW)
    page = client.get(f"/admin/appointments/{booked.reference}")
    assert "envoyé" in page.text and "en attente" not in page.text
    moved = client.post(
        f"/admin/appointments/{booked.reference}/move",
        data={"csrf_token": csrf_of(page.text) or token, "day": "2026-12-02", "at": "10:00", "practitioner": "martin"},
    )
    assert moved.status_code == 303
    new_page = client.get(moved.headers["location"])
    assert "déplacement" in new_page.text


def test_an_appointment_without_texts_says_so(console: Console) -> None:
    client = console.client()
    login(client, "sam")
    booked = console.service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    page = client.get(f"/admin/appointments/{booked.reference}")
    assert page.status_code == 200 and 'id="no-texts"' in page.text and "Aucun SMS pour ce rendez-vous." in page.text
