"""No double booking under concurrency, on real SQLite and PostgreSQL: threads and separate processes
race for the same time; the database lets exactly one through.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from booking.errors import SlotUnavailable
from booking.records import Status
from booking.service import BookingService
from tests.booking.service_helpers import patient, sample_service, slot
from tests.conftest import NOW


def race(attempts: list[Callable[[], object]]) -> list[object]:
    """Run the attempts in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = attempts[index]()
        except Exception as error:  # noqa: BLE001 - collected for the assertions
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def assert_no_overlaps(service: BookingService) -> None:
    booked = service.list_appointments(status=Status.BOOKED)
    for a in booked:
        for b in booked:
            if a is not b and a.practitioner_id == b.practitioner_id:
                assert not (a.start < b.end and b.start < a.end), (a, b)


def test_twenty_concurrent_attempts_one_wins(db_url: str) -> None:
    service = sample_service(db_url)
    wanted = slot("martin", "consultation", "2026-12-01T09:10", 20)
    # each attempt uses its own service (own connection pool), like separate bot processes
    services = [BookingService.open(db_url) for _ in range(20)]
    results = race([lambda s=s, i=i: s.book(wanted, patient(i), NOW) for i, s in enumerate(services)])
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, SlotUnavailable) for r in losers), losers
    assert len(service.list_appointments(status=Status.BOOKED)) == 1
    for s in services:
        s.engine.dispose()


def test_overlapping_bookings_of_different_lengths_never_both(db_url: str) -> None:
    service = sample_service(db_url)
    services = [BookingService.open(db_url) for _ in range(2)]
    for day in range(5):  # Mme Girard works Monday mornings: 7, 14, 21, 28 Dec and 4 Jan
        monday = f"{(NOW.date() + timedelta(days=9 + 7 * day)).isoformat()}"
        long_one = slot("girard", "frottis", f"{monday}T09:00", 30)  # 09:00-09:30 (+10 min buffer)
        short_one = slot("girard", "consultation", f"{monday}T09:20", 20)  # 09:20-09:40
        results = race(
            [
                lambda long_one=long_one: services[0].book(long_one, patient(1), NOW),
                lambda short_one=short_one: services[1].book(short_one, patient(2), NOW),
            ]
        )
        assert sum(not isinstance(r, Exception) for r in results) == 1, results
        assert all(isinstance(r, SlotUnavailable) for r in results if isinstance(r, Exception))
    assert_no_overlaps(service)
    assert len(service.list_appointments(status=Status.BOOKED)) == 5


def test_reschedule_racing_a_booking_never_loses_the_original(db_url: str) -> None:
    service = sample_service(db_url)
    movers, bookers = BookingService.open(db_url), BookingService.open(db_url)
    outcomes = set()
    for day in range(6):
        date = (NOW.date() + timedelta(days=3 + day)).isoformat()  # Tue 1 Dec .. Sun 6 Dec
        original = (
            service.book(slot("bernard", "consultation", f"{date}T09:00", 20), patient(1), NOW)
            if _bernard_works(date)
            else None
        )
        if original is None:
            continue
        target = slot("bernard", "consultation", f"{date}T10:00", 20)
        moved, booked = race(
            [
                lambda o=original, t=target: movers.reschedule(o.reference, t, NOW),
                lambda t=target: bookers.book(t, patient(2), NOW),
            ]
        )
        at_target = [a for a in service.list_appointments(status=Status.BOOKED) if a.start == target.start]
        assert len(at_target) == 1
        if isinstance(moved, Exception):
            assert isinstance(moved, SlotUnavailable)
            assert service.get(original.reference).status is Status.BOOKED  # the original survives
            outcomes.add("booking won")
        else:
            assert isinstance(booked, SlotUnavailable)
            assert service.get(original.reference).status is Status.CANCELLED
            outcomes.add("move won")
    assert outcomes  # at least one race was run
    assert_no_overlaps(service)


def _bernard_works(day: str) -> bool:
    from datetime import date

    return date.fromisoformat(day).weekday() in (0, 1, 2, 4, 5)


def _book_in_process(url: str, index: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    service = BookingService.open(url)
    try:
        service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(index), NOW)
        queue.put("booked")
    except SlotUnavailable:
        queue.put("refused")


@pytest.mark.slow
def test_separate_processes_one_wins(db_url: str) -> None:
    """Several bot processes sharing one database."""
    service = sample_service(db_url)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_book_in_process, args=(db_url, i, queue)) for i in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    outcomes = sorted(queue.get(timeout=5) for _ in processes)
    assert outcomes == ["booked", "refused", "refused", "refused"]
    assert len(service.list_appointments(status=Status.BOOKED)) == 1
