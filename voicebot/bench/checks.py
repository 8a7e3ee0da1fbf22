"""Whether a simulated call left the database right: the appointment booked, moved or cancelled (or none),
with the right practitioner, motif, time window and patient, and nothing else changed.
"""

from __future__ import annotations

from typing import Any

from booking.records import AppointmentRecord, Status
from booking.service import BookingService
from dialogue.understand.names import same_name
from voicebot.bench.patient import Persona


def check(
    expect: dict[str, Any], persona: Persona, url: str, seeded: list[AppointmentRecord], outcome: str | None
) -> list[str]:
    """What is wrong with the database after the call (nothing: the call ended right).

    Args:
        expect: The scenario's `expect` table.
        persona: The caller (their window and names).
        url: The scenario's database.
        seeded: The appointments the scenario started with.
        outcome: The `end` message's outcome.
    """
    service = BookingService.open(url)
    zone = service.clinic().practice.zone
    every = service.list_appointments()
    requests = getattr(service, "list_requests", None)
    held = list(requests()) if callable(requests) else []
    service.engine.dispose()
    old = {r.reference for r in seeded}
    new = [r for r in every if r.reference not in old and r.status is Status.BOOKED]
    cancelled = {r.reference for r in every if r.status is Status.CANCELLED}
    result = expect.get("result", "booked")
    problems: list[str] = []
    target = seeded[expect.get("target", 1) - 1] if seeded else None
    if result in ("cancelled", "moved"):
        if target is None or target.reference not in cancelled:
            problems.append(f"the appointment to {'cancel' if result == 'cancelled' else 'move'} was not cancelled")
        untouched = [r.reference for r in seeded if r is not target and r.reference in cancelled]
        if untouched:
            problems.append(f"another appointment was cancelled: {untouched}")
    elif cancelled & old:
        problems.append(f"an appointment was cancelled: {sorted(cancelled & old)}")
    if result in ("booked", "moved"):
        if len(new) != 1:
            problems.append(f"{len(new)} new appointments instead of 1")
        for record in new[:1]:
            problems += _check_booking(record, expect, persona, target, zone)
    elif new:
        problems.append(f"unexpected booking: {[_describe(r, zone) for r in new]}")
    if result == "request":
        if not callable(requests):
            problems.append("requests are not stored yet (pending feature)")
        elif not [
            q
            for q in held
            if q.category.value == expect.get("category", q.category.value)
            and q.patient.last_name.casefold() == persona.last_name.casefold()
        ]:
            problems.append(f"no {expect.get('category', '')} request left for {persona.last_name}")
    elif held:
        problems.append(f"unexpected request: {[q.category.value for q in held]}")
    if "outcome" in expect and outcome != expect["outcome"]:
        problems.append(f"the call ended {outcome!r}, not {expect['outcome']!r}")
    return problems


def _check_booking(
    record: AppointmentRecord, expect: dict[str, Any], persona: Persona, target: AppointmentRecord | None, zone: Any
) -> list[str]:
    problems = []
    allowed = expect.get("practitioner", target.practitioner_id if target else None)
    allowed = [allowed] if isinstance(allowed, str) else allowed
    if allowed and record.practitioner_id not in allowed:
        problems.append(f"practitioner {record.practitioner_id}, not {'/'.join(allowed)}")
    motif = expect.get("motif", target.motif_id if target else None)
    if motif and record.motif_id != motif:
        problems.append(f"motif {record.motif_id}, not {motif}")
    local = record.start.astimezone(zone).replace(tzinfo=None)
    if not persona.window.holds(local):
        problems.append(f"start {local:%a %Y-%m-%d %H:%M} outside {persona.window.describe()}")
    patient = target.patient if target else None
    want = {
        "first_name": expect.get("first_name", patient.first_name if patient else persona.first_name),
        "last_name": expect.get("last_name", patient.last_name if patient else persona.last_name),
    }
    for key, value in want.items():  # as the practice finds a file: case, accents, spaces and hyphens aside
        if not same_name(str(getattr(record.patient, key)), str(value)):
            problems.append(f"{key} {getattr(record.patient, key)!r}, not {value!r}")
    if "birth_date" in expect and record.patient.birth_date != expect["birth_date"]:
        problems.append(f"birth date {record.patient.birth_date}, not {expect['birth_date']}")
    if "phone" in expect and record.patient.phone != expect["phone"]:
        problems.append(f"phone {record.patient.phone}, not {expect['phone']}")
    return problems


def _describe(record: AppointmentRecord, zone: Any) -> str:
    local = record.start.astimezone(zone)
    return f"{record.practitioner_id} {record.motif_id} {local:%Y-%m-%d %H:%M} {record.patient.last_name}"
