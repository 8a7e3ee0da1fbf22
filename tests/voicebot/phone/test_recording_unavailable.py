"""`RecordingPort` says "the book cannot be reached" (`BookingUnavailable`) for the database's outages only: a
pool with no connection to spare, a database locked past its busy timeout; a refused booking stays a refusal."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.exc import TimeoutError as PoolTimeout

from booking.db import open_engine
from booking.errors import BookingUnavailable, SlotUnavailable
from booking.records import PatientDetails
from booking.service import BookingService
from booking.slots import SlotQuery
from tests.pipeline.conftest import open_service
from voicebot.phone.recording import RecordingPort

JEAN = PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678")


def test_a_pool_with_no_connection_to_spare_is_an_outage(tmp_path: Path) -> None:
    open_service(tmp_path, "fr")
    engine = create_engine(f"sqlite:///{tmp_path / 'voicebot.db'}", pool_size=1, max_overflow=0, pool_timeout=0.1)
    port = RecordingPort(BookingService(engine))
    assert port.find_patients(phone=JEAN.phone) == []  # reachable
    with engine.connect():  # the pool's only connection, taken
        with pytest.raises(BookingUnavailable) as caught:
            port.find_patients(phone=JEAN.phone)
    assert isinstance(caught.value.__cause__, PoolTimeout)
    assert port.find_patients(phone=JEAN.phone) == []  # given back: reachable again


def test_a_database_locked_past_its_busy_timeout_is_an_outage(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    engine = open_engine(f"sqlite:///{tmp_path / 'voicebot.db'}")  # writes under BEGIN IMMEDIATE

    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")  # booking.db's 30 s, shortened

    slot = service.find_slots(SlotQuery("consultation", ("martin",)), now)[0]
    port = RecordingPort(BookingService(engine))
    writer = sqlite3.connect(tmp_path / "voicebot.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(BookingUnavailable) as caught:
            port.book(slot, JEAN, now)
        assert "locked" in str(caught.value.__cause__)
    finally:
        writer.rollback()
        writer.close()
    assert port.booked == [] and service.list_appointments() == []


def test_a_refused_booking_is_not_an_outage(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    slot = service.find_slots(SlotQuery("consultation", ("martin",)), now)[0]
    service.book(slot, JEAN, now)
    port = RecordingPort(service)
    with pytest.raises(SlotUnavailable):
        port.book(slot, PatientDetails("Marie", "Curie", date(1967, 11, 7), "+33612345678"), now)
    assert port.booked == []
