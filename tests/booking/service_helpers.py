"""Helpers for tests of the booking service on real databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from booking.clinic import load_clinic
from booking.records import PatientDetails
from booking.service import BookingService
from booking.slots import Slot
from booking.store import apply_clinic
from tests.conftest import NOW, PARIS, SAMPLE_CLINIC


def sample_service(url: str, now: datetime = NOW) -> BookingService:
    """A migrated database holding the sample French practice."""
    service = BookingService.open(url)
    apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC), now)
    return service


def patient(n: int = 0) -> PatientDetails:
    return PatientDetails(f"Jean{n}", "Dupont", date(1980, 1, 1) + timedelta(days=n), f"+336000000{n:02d}")


def slot(practitioner: str, motif: str, local: str, minutes: int) -> Slot:
    start = datetime.fromisoformat(local).replace(tzinfo=PARIS)
    return Slot(start, start + timedelta(minutes=minutes), practitioner, motif)
