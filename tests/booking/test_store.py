"""Applying clinic files to the database: idempotent, round-trips, refuses stranding bookings."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine, MetaData, select
from sqlmodel import Session

from booking.clinic import TimeRange, load_clinic, parse_clinic
from booking.clinic_export import clinic_to_dict, clinic_to_toml
from booking.errors import NotConfigured, RemovalRefused
from booking.service import BookingService
from booking.store import apply_clinic, read_clinic
from tests.booking.service_helpers import patient, sample_service, slot
from tests.conftest import NOW, SAMPLE_CLINIC, SAMPLE_CLINIC_EN


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(str, row)) for row in connection.execute(select(table)))
            for name, table in metadata.tables.items()
            if name != "alembic_version"
        }


def test_apply_twice_is_the_same_state(db_url: str) -> None:
    service = BookingService.open(db_url)
    with pytest.raises(NotConfigured, match="voicebot clinic apply"):
        service.clinic()
    clinic = load_clinic(SAMPLE_CLINIC)
    first = apply_clinic(service.engine, clinic, NOW)
    assert first.changed and first.version == 1 and "practitioner martin" in first.added
    before = snapshot(service.engine)
    second = apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC), NOW)
    assert not second.changed and second.version == 1
    assert snapshot(service.engine) == before
    assert service.clinic() == clinic


@pytest.mark.parametrize("path", [SAMPLE_CLINIC, SAMPLE_CLINIC_EN])
def test_round_trips(sqlite_url: str, path: object) -> None:
    clinic = load_clinic(path)  # type: ignore[arg-type]
    assert parse_clinic(clinic_to_dict(clinic)) == clinic
    import tomllib

    assert parse_clinic(tomllib.loads(clinic_to_toml(clinic))) == clinic
    service = BookingService.open(sqlite_url)
    apply_clinic(service.engine, clinic, NOW)
    with Session(service.engine) as session:
        assert read_clinic(session) == clinic


def test_switching_practice_files_replaces_the_configuration(sqlite_url: str) -> None:
    service = BookingService.open(sqlite_url)
    apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC), NOW)
    report = apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC_EN), NOW)
    assert "practitioner martin" in report.removed and "practitioner patel" in report.added
    assert service.clinic() == load_clinic(SAMPLE_CLINIC_EN)
    # and back: removed practitioners come back to life (past appointments keep their references)
    apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC), NOW)
    assert service.clinic() == load_clinic(SAMPLE_CLINIC)


def test_removing_a_practitioner_with_future_bookings_is_refused(db_url: str) -> None:
    service = sample_service(db_url)
    record = service.book(slot("girard", "frottis", "2026-11-30T09:00", 30), patient(), NOW)
    clinic = load_clinic(SAMPLE_CLINIC)
    without_girard = dataclasses.replace(
        clinic, practitioners=tuple(p for p in clinic.practitioners if p.id != "girard")
    )
    with pytest.raises(RemovalRefused, match=f'practitioner "girard" still has appointment {record.reference}'):
        apply_clinic(service.engine, without_girard, NOW)
    without_frottis = dataclasses.replace(
        clinic,
        motifs=tuple(m for m in clinic.motifs if m.id != "frottis"),
        practitioners=tuple(
            dataclasses.replace(p, motifs=tuple(m for m in p.motifs if m != "frottis")) for p in clinic.practitioners
        ),
    )
    with pytest.raises(RemovalRefused, match='motif "frottis"'):
        apply_clinic(service.engine, without_frottis, NOW)
    assert service.clinic() == clinic  # nothing changed
    service.cancel(record.reference, NOW)
    assert apply_clinic(service.engine, without_girard, NOW).removed == ("practitioner girard",)


def test_hours_change_reports_stranded_bookings(sqlite_url: str) -> None:
    service = sample_service(sqlite_url)
    record = service.book(slot("martin", "consultation", "2026-12-01T09:10", 20), patient(), NOW)
    clinic = load_clinic(SAMPLE_CLINIC)
    martin = clinic.practitioner("martin")
    later = dataclasses.replace(martin, hours={**martin.hours, 1: (TimeRange(*_times("14:00", "18:30")),)})
    changed = dataclasses.replace(
        clinic, practitioners=tuple(later if p.id == "martin" else p for p in clinic.practitioners)
    )
    with pytest.raises(RemovalRefused, match=record.reference):
        apply_clinic(service.engine, changed, NOW, allow_stranded=False)
    report = apply_clinic(service.engine, changed, NOW)
    assert len(report.stranded) == 1 and record.reference in report.stranded[0]
    assert service.get(record.reference).status.value == "booked"  # kept, for staff to call the patient


def _times(a: str, b: str) -> tuple[object, object]:
    from datetime import time

    return time.fromisoformat(a), time.fromisoformat(b)
