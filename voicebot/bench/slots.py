"""`voicebot bench slots`: slot-search latency on a busy practice of 10 practitioners.

Each query is timed three ways: after a configuration change (configuration and bookings read from the
database again), after a booking change by any process (bookings read again; what most searches of a busy
practice pay), and warm (nothing changed since the previous search).

The practice is booked solid from its earliest slots onwards (2,000 appointments by default, about two weeks
of a 10-practitioner practice), the case where "the earliest slot" has to look furthest.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking.clinic import Clinic, parse_clinic
from booking.records import PatientDetails, Source
from booking.service import BookingService
from booking.slots import MORNING, SlotQuery
from booking.store import apply_clinic

WEEK = ["08:30-12:00", "14:00-18:30"]


def bench_clinic(practitioners: int = 10, horizon_days: int = 90) -> Clinic:
    """A synthetic practice: `practitioners` GPs working weekdays, some on Saturday mornings."""
    data = {
        "practice": {
            "name": "Cabinet de test",
            "timezone": "Europe/Paris",
            "locale": "fr",
            "country": "FR",
            "phone": "+33100000000",
            "address": "1 rue du Test, Paris",
            "min_notice_minutes": 120,
            "horizon_days": horizon_days,
        },
        "motifs": [
            {"id": "consultation", "label": "consultation", "duration_minutes": 20},
            {"id": "vaccination", "label": "vaccination", "duration_minutes": 10},
            {"id": "long", "label": "consultation longue", "duration_minutes": 40, "buffer_minutes": 10},
        ],
        "practitioners": [
            {
                "id": f"p{i:02d}",
                "title": "Dr",
                "first_name": "Prénom",
                "last_name": f"Médecin{i}",
                "specialty": "médecin généraliste",
                "motifs": ["consultation", "vaccination", "long"],
                "hours": {d: WEEK for d in ("mon", "tue", "wed", "thu", "fri")}
                | ({"sat": ["09:00-12:00"]} if i % 3 == 0 else {}),
            }
            for i in range(practitioners)
        ],
        "closures": [{"practitioner": "p01", "start": "2026-12-21", "end": "2027-01-01", "label": "congés"}],
    }
    return parse_clinic(data, "bench")


@dataclass
class Timing:
    """Latencies of one query, in milliseconds."""

    name: str
    samples: list[float]

    def summary(self) -> dict[str, object]:
        """p50, p95, min and max."""
        ordered = sorted(self.samples)
        return {
            "query": self.name,
            "runs": len(ordered),
            "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
            "min_ms": round(ordered[0], 2),
            "max_ms": round(ordered[-1], 2),
        }


def seed(
    service: BookingService,
    now: datetime,
    appointments: int,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Book `appointments` consultations, filling the earliest slots first; returns how many were booked."""
    query = SlotQuery("consultation")
    slots = service.find_slots(query, now)
    booked = 0
    for index, slot in enumerate(slots[:appointments]):
        patient = PatientDetails(
            "Patient", f"Test{index}", date(1970, 1, 1) + timedelta(days=index), f"+3361{index:07d}"
        )
        service.book(slot, patient, now, source=Source.STAFF)
        booked += 1
        if booked % 100 == 0:
            progress(booked, appointments)
    return booked


def run(service: BookingService, now: datetime, runs: int) -> list[Timing]:
    """Time the two reference queries `runs` times each (after one warm-up)."""
    zone = service.clinic().practice.zone
    monday = now.astimezone(zone).date() + timedelta(days=7 - now.astimezone(zone).weekday())
    queries = {
        "earliest 3 slots, any practitioner, mornings only": SlotQuery("consultation", windows=(MORNING,), limit=3),
        "all slots of one practitioner for a week": SlotQuery(
            "consultation", practitioner_ids=("p04",), first_day=monday, last_day=monday + timedelta(days=6)
        ),
    }
    timings = []
    for name, query in queries.items():
        service.find_slots(query, now)
        for label, forget in (
            ("after a configuration change", lambda: service.forget_cache()),
            ("after a booking change", lambda: service.forget_cache(configuration=False)),
            ("warm", lambda: None),
        ):
            samples = []
            for _ in range(runs):
                forget()
                started = time.perf_counter()
                service.find_slots(query, now)
                samples.append((time.perf_counter() - started) * 1000)
            timings.append(Timing(f"{name} ({label})", samples))
    return timings


def prepare(
    url: str, now: datetime, appointments: int, progress: Callable[[int, int], None] = lambda done, total: None
) -> tuple[BookingService, int]:
    """Open the database, apply the synthetic practice and seed its bookings."""
    service = BookingService.open(url)
    apply_clinic(service.engine, bench_clinic(), now)
    return service, seed(service, now, appointments, progress)
