"""`voicebot sms list` and `--no-sms` on `voicebot appointments`, run as a real program on a real database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from booking.db import open_engine
from booking.service import BookingService
from booking.sms_outbox import Outbox
from tests.conftest import NOW, SAMPLE_CLINIC
from tests.voicebot.test_cli import voicebot
from voicebot.sms_replies import sms_replier
from voicebot.sms_texts import SmsTexts

MOBILE = "+33612345678"
LANDLINE = "+33142000000"


@pytest.fixture
def texting(sqlite_url: str, tmp_path: Path) -> str:
    """A database holding the sample practice with texts turned on."""
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(SAMPLE_CLINIC.read_text(encoding="utf-8") + "\n[sms]\nenabled = true\n", encoding="utf-8")
    result = voicebot("clinic", "apply", str(clinic), db=sqlite_url)
    assert result.returncode == 0, result.stderr
    return sqlite_url


def book(db: str, start: str, phone: str = MOBILE, *extra: str) -> str:
    result = voicebot(
        "appointments",
        "book",
        "--practitioner",
        "martin",
        "--motif",
        "consultation",
        "--start",
        start,
        "--first-name",
        "Jean",
        "--last-name",
        "Dupont",
        "--birth-date",
        "1985-07-14",
        "--phone",
        phone,
        *extra,
        db=db,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def listed(db: str, *extra: str) -> list[dict[str, object]]:
    result = voicebot("sms", "list", "--json", *extra, db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_book_move_cancel_each_queue_one_text_listed_newest_first(texting: str) -> None:
    first = book(texting, "2026-12-08T10:30")
    [confirmation] = listed(texting)
    assert confirmation["to"] == MOBILE and confirmation["kind"] == "confirmation"
    assert confirmation["status"] == "queued" and confirmation["reference"] == first
    assert "mardi 8 décembre à 10 h 30" in str(confirmation["body"]) and "consultation" not in str(confirmation["body"])
    moved = voicebot("appointments", "move", first, "--start", "2026-12-09T11:00", db=texting)
    assert moved.returncode == 0, moved.stderr
    second = moved.stdout.strip()
    cancelled = voicebot("appointments", "cancel", second, db=texting)
    assert cancelled.returncode == 0, cancelled.stderr
    assert [m["kind"] for m in listed(texting)] == ["cancellation", "move", "confirmation"]
    assert [m["kind"] for m in listed(texting, "--reference", second)] == ["cancellation", "move"]
    text = voicebot("sms", "list", "--reference", first, db=texting)
    assert text.returncode == 0 and "confirmation" in text.stdout and MOBILE in text.stdout
    assert "Répondez ANNULER pour annuler." in text.stdout


def test_no_sms_and_a_landline_queue_nothing(texting: str) -> None:
    quiet = book(texting, "2026-12-08T10:30", MOBILE, "--no-sms")
    moved = voicebot("appointments", "move", quiet, "--start", "2026-12-09T11:00", "--no-sms", db=texting)
    assert moved.returncode == 0, moved.stderr
    cancelled = voicebot("appointments", "cancel", moved.stdout.strip(), "--no-sms", db=texting)
    assert cancelled.returncode == 0, cancelled.stderr
    book(texting, "2026-12-10T10:30", LANDLINE)
    assert listed(texting) == []
    empty = voicebot("sms", "list", db=texting)
    assert empty.returncode == 0 and empty.stdout.strip() == "No text message."


def test_the_sample_practice_sends_no_text_until_it_turns_them_on(sqlite_url: str) -> None:
    applied = voicebot("clinic", "apply", str(SAMPLE_CLINIC), db=sqlite_url)
    assert applied.returncode == 0, applied.stderr
    book(sqlite_url, "2026-12-08T10:30")
    assert listed(sqlite_url) == []


def test_a_patients_annuler_and_the_bots_answer_are_listed_with_the_appointments_texts(texting: str) -> None:
    reference = book(texting, "2026-12-08T10:30")
    engine = open_engine(texting)
    service = BookingService(engine, texts=SmsTexts())
    reply = sms_replier(service, Outbox(engine), lambda: NOW)
    answer = asyncio.run(reply(MOBILE, "ANNULER svp, je suis malade"))
    engine.dispose()
    exchange = listed(texting, "--reference", reference)
    assert [(m["kind"], m["status"]) for m in exchange] == [
        ("reply", "sent"),
        ("cancellation", "queued"),
        ("confirmation", "queued"),
    ]
    assert exchange[0]["body"] == answer and exchange[0]["to"] == MOBILE and exchange[0]["sent_at"] is not None
    shown = voicebot("sms", "list", "--reference", reference, db=texting).stdout
    assert "reply" in shown and "malade" not in shown
