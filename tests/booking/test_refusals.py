"""Why a time is refused, as a key (`booking.errors.Refusal`) beside the English sentence: from the slot engine
(`slot_refusal`), on the service's `SlotUnavailable` (`reason`), and from the database's own overlap guard."""

from __future__ import annotations

import pickle
from datetime import date, datetime

import pytest

from booking import service as service_module
from booking.errors import Refusal, SlotUnavailable
from booking.slots import ALREADY_BOOKED, slot_refusal, unavailable_reason
from tests.booking.clinic_factory import booked, closure, make_clinic, motif, paris, practitioner, utc
from tests.booking.service_helpers import patient, sample_service, slot
from tests.conftest import NOW

CLINIC = make_clinic(
    practitioners=[practitioner(motifs=("consultation",))],
    motifs=[motif("consultation", 20), motif("pediatrie", 30)],
    closures=[closure(date(2027, 1, 20), date(2027, 1, 22), "martin", "congés")],
)
MONDAY = utc(2027, 1, 4, 8)  # 09:00 in Paris; notice 120 minutes, horizon 60 days
TAKEN = (booked("martin", paris(2027, 1, 12, 10, 0), 20, "consultation"),)


def test_the_keys_are_stable() -> None:
    assert [r.value for r in Refusal] == ["taken", "off_hours", "closed", "too_soon", "too_far", "not_offered"]
    assert Refusal.TOO_SOON == "too_soon"


@pytest.mark.parametrize(
    ("start", "motif_id", "reason", "message"),
    [
        (paris(2027, 1, 12, 10, 10), "consultation", Refusal.TAKEN, "that time is already booked"),
        (paris(2027, 1, 16, 10), "consultation", Refusal.OFF_HOURS, "outside the practitioner's opening hours"),
        (paris(2027, 1, 21, 10), "consultation", Refusal.CLOSED, "the practice or the practitioner is closed then"),
        (
            paris(2027, 1, 4, 10, 30),
            "consultation",
            Refusal.TOO_SOON,
            "too soon: appointments need 120 minutes' notice",
        ),
        (paris(2027, 3, 8, 9), "consultation", Refusal.TOO_FAR, "too far ahead: appointments are open 60 days ahead"),
        (paris(2027, 1, 12, 10), "pediatrie", Refusal.NOT_OFFERED, "Dr Martin does not offer pediatrie"),
    ],
)
def test_each_refusal_has_its_key_and_sentence(start: datetime, motif_id: str, reason: Refusal, message: str) -> None:
    refusal = slot_refusal(CLINIC, TAKEN, "martin", motif_id, start, MONDAY)
    assert refusal is not None and (refusal.reason, refusal.message) == (reason, message)
    assert unavailable_reason(CLINIC, TAKEN, "martin", motif_id, start, MONDAY) == message


def test_a_free_time_is_not_refused() -> None:
    assert slot_refusal(CLINIC, TAKEN, "martin", "consultation", paris(2027, 1, 12, 9, 10), MONDAY) is None


@pytest.mark.parametrize(
    ("practitioner", "start", "reason"),
    [
        ("martin", "2026-12-01T12:00", Refusal.OFF_HOURS),
        ("martin", "2026-12-24T09:00", Refusal.CLOSED),
        ("bernard", "2026-12-25T09:00", Refusal.CLOSED),  # Christmas
        ("bernard", "2026-11-28T11:00", Refusal.TOO_SOON),
        ("bertrand", "2026-12-01T09:00", Refusal.NOT_OFFERED),
        ("martin", "2027-03-01T09:00", Refusal.TOO_FAR),
    ],
)
def test_the_service_raises_the_reason(sqlite_url: str, practitioner: str, start: str, reason: Refusal) -> None:
    service = sample_service(sqlite_url)
    with pytest.raises(SlotUnavailable) as refused:
        service.book(slot(practitioner, "consultation", start, 20), patient(), NOW)
    assert refused.value.reason is reason


def test_a_taken_time_raises_taken(sqlite_url: str) -> None:
    service = sample_service(sqlite_url)
    service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    with pytest.raises(SlotUnavailable, match="already booked") as refused:
        service.book(slot("martin", "consultation", "2026-12-01T09:20", 20), patient(2), NOW)
    assert refused.value.reason is Refusal.TAKEN


def test_the_databases_overlap_guard_says_taken_too(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A race the engine's check cannot see (here: the check skipped) ends at the database, refused the same way."""
    service = sample_service(db_url)
    service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(1), NOW)
    monkeypatch.setattr(service_module, "slot_refusal", lambda *args, **kwargs: None)
    with pytest.raises(SlotUnavailable) as refused:
        service.book(slot("martin", "consultation", "2026-12-01T09:20", 20), patient(2), NOW)
    assert (str(refused.value), refused.value.reason) == (ALREADY_BOOKED.message, Refusal.TAKEN)
    assert len(service.list_appointments()) == 1


def test_the_error_keeps_its_reason_across_processes() -> None:
    error = pickle.loads(
        pickle.dumps(SlotUnavailable("too soon: appointments need 120 minutes' notice", Refusal.TOO_SOON))
    )
    assert (str(error), error.reason) == ("too soon: appointments need 120 minutes' notice", Refusal.TOO_SOON)
    assert SlotUnavailable("that time is already booked").reason is None  # a message alone still works
