"""The database goes away during a call (`voicebot chat` on a real database): PostgreSQL stopped before the final
yes, or SQLite locked by another writer past its busy timeout. The caller hears an apology and is put through to
the staff (the practice is open and has a number); the call ends cleanly, nothing is half-written, and once the
database is back the next call books."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from booking.clinic import load_clinic
from booking.records import Status
from booking.service import BookingService
from booking.store import apply_clinic
from dialogue.wording.phrases import load_phrases
from tests.pg import Cluster
from voicebot.simulate.chat import run_chat

ROOT = Path(__file__).resolve().parents[2]
CLINIC = load_clinic(ROOT / "config" / "clinic.toml")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=CLINIC.practice.zone)
"""Saturday 10:00: the practice is open."""
CALLER = "+33698765432"
BOOKING = [
    "Bonjour, je voudrais voir le docteur Martin mardi prochain vers 10 h pour un vaccin",
    "celui de 10 h",
    "Jean Dupont",
    "le 14 juillet 1985",
    "oui",
    "oui c'est parfait",
]
"""A booking call: the slot is chosen, the details given, the read-back confirmed by the last line."""
PHRASES = load_phrases("fr")
LOCK_SECONDS = 60
"""The most the other writer ever holds its lock (the test releases it much sooner)."""


def _open(url: str) -> BookingService:
    service = BookingService.open(url)
    apply_clinic(service.engine, CLINIC, NOW)
    return service


def _chat(service: BookingService, lines: Iterator[str]) -> tuple[int, list[dict[str, Any]], str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_chat(
        service, locale="fr", caller_id=CALLER, now_fn=lambda: NOW, lines=lines, json_mode=True, out=out, err=err
    )
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def _outage_before_the_final_yes(outage: Callable[[], None]) -> Iterator[str]:
    yield from BOOKING[:-1]
    outage()  # the slot is chosen and read back: the caller is about to say yes
    yield BOOKING[-1]


def _assert_apology_and_transfer(code: int, events: list[dict[str, Any]], err: str) -> None:
    assert code == 0, err
    listens = [i for i, e in enumerate(events) if e["type"] == "listen"]
    assert len(listens) == len(BOOKING)  # every line answered, the final yes included
    assert any("Je récapitule" in e.get("text", "") for e in events[: listens[-1]])  # the read-back was heard
    staff = CLINIC.practice.staff_phone
    assert events[listens[-1] + 1 :] == [
        {"type": "say", "text": PHRASES.get("unavailable.sorry")},
        {"type": "say", "text": PHRASES.get("transfer.now")},
        {"type": "end", "outcome": "transferred", "reference": None, "transfer_to": staff},
    ]


def _assert_nothing_written_then_a_call_books(service: BookingService) -> None:
    assert service.list_appointments(status=Status.BOOKED) == []
    assert service.find_patients(last_name="Dupont", birth_date=date(1985, 7, 14)) == []  # no half-written booking
    code, events, err = _chat(service, iter(BOOKING))
    assert code == 0, err
    assert events[-1]["type"] == "end" and events[-1]["outcome"] == "booked"
    [booked] = service.list_appointments(status=Status.BOOKED)
    assert booked.reference == events[-1]["reference"]
    assert booked.start == datetime(2026, 12, 1, 10, 0, tzinfo=CLINIC.practice.zone)
    assert booked.patient.last_name == "Dupont"


@pytest.mark.postgres
@pytest.mark.slow
def test_postgresql_stopped_mid_call_then_restarted(pg_cluster: Cluster, postgres_url: str) -> None:
    service = _open(postgres_url)
    try:
        code, events, err = _chat(service, _outage_before_the_final_yes(pg_cluster.pause))
    finally:
        pg_cluster.resume()  # the whole session shares the cluster: always back, on the same port
    _assert_apology_and_transfer(code, events, err)
    _assert_nothing_written_then_a_call_books(service)


HOLD_LOCK = f"""
import signal, sqlite3, sys
signal.alarm({LOCK_SECONDS})  # never longer, whatever the test does
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.rollback()
"""


def test_sqlite_locked_past_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "voicebot.db"
    service = _open(f"sqlite:///{path}")

    @event.listens_for(service.engine, "connect")
    def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        # booking.db waits 30 s for a lock; 0.3 s here, so that the other writer holds it past the timeout quickly
        dbapi_connection.execute("PRAGMA busy_timeout=300")

    service.engine.dispose()  # every connection from now on gets the short timeout
    writer: subprocess.Popen[str] | None = None

    def lock() -> None:
        nonlocal writer
        writer = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None and writer.stdout.readline() == "locked\n"

    try:
        code, events, err = _chat(service, _outage_before_the_final_yes(lock))
        assert writer is not None and writer.poll() is None  # the lock was held all along
    finally:
        if writer is not None:
            writer.communicate("\n", timeout=30)  # released
    assert writer.returncode == 0
    _assert_apology_and_transfer(code, events, err)
    _assert_nothing_written_then_a_call_books(service)
