"""Fixtures for the voice pipeline tests: the real booking service on a temporary SQLite file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from booking.clinic import load_clinic
from booking.service import BookingService
from booking.store import apply_clinic

ROOT = Path(__file__).resolve().parents[2]
CLINICS = {"fr": ROOT / "config" / "clinic.toml", "en": ROOT / "config" / "clinic.en.toml"}


def open_service(tmp_path: Path, locale: str) -> tuple[BookingService, datetime]:
    clinic = load_clinic(CLINICS[locale])
    now = datetime(2026, 11, 28, 10, 0, tzinfo=clinic.practice.zone)
    service = BookingService.open(f"sqlite:///{tmp_path / 'voicebot.db'}")
    apply_clinic(service.engine, clinic, now)
    return service, now


@pytest.fixture
def english(tmp_path: Path) -> tuple[BookingService, datetime]:
    return open_service(tmp_path, "en")
