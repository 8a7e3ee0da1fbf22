"""Apply a configuration edited in the console: validate it like a clinic file, refuse removals that
future appointments still need, and ask before leaving appointments outside the new hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from booking.clinic import Clinic, parse_clinic
from booking.errors import ClinicFileError, RemovalRefused
from booking.records import AppointmentRecord, Status
from booking.service import BookingService
from booking.store import ApplyReport, apply_clinic


@dataclass(frozen=True)
class ApplyOutcome:
    """What happened to a configuration change."""

    report: ApplyReport | None = None
    """Set when the change was applied."""
    problems: tuple[str, ...] = ()
    """Validation problems, with the clinic file's messages; nothing was applied."""
    blocking: tuple[AppointmentRecord, ...] = ()
    """Future appointments that use what the change removes; nothing was applied, and it cannot be forced."""
    stranded: tuple[AppointmentRecord, ...] = ()
    """Future appointments the new hours or closures leave uncovered; nothing was applied: ask, then confirm."""
    clinic: Clinic | None = field(default=None, compare=False)
    """The validated configuration, when it was valid."""

    @property
    def applied(self) -> bool:
        """Whether the configuration is now in force."""
        return self.report is not None


def blocking_appointments(clinic: Clinic, future: list[AppointmentRecord]) -> tuple[AppointmentRecord, ...]:
    """Future appointments whose practitioner, motif, or practitioner–motif pair `clinic` no longer has."""
    offered = {(p.id, m) for p in clinic.practitioners for m in p.motifs}
    return tuple(a for a in future if (a.practitioner_id, a.motif_id) not in offered)


def apply_change(
    service: BookingService, data: Mapping[str, Any], now: datetime, *, confirm: bool, source: str = "console"
) -> ApplyOutcome:
    """Validate `data` (the clinic file's structure) and apply it.

    Without `confirm`, a change that leaves future appointments outside opening hours is not applied: the
    outcome lists them so that staff can decide. Removing what future appointments use is never forced.
    """
    try:
        clinic = parse_clinic(data, source)
    except ClinicFileError as error:
        return ApplyOutcome(problems=_root_causes(error.problems, data))
    future = [a for a in service.list_appointments(start_from=now, status=Status.BOOKED)]
    blocking = blocking_appointments(clinic, future)
    if blocking:
        return ApplyOutcome(blocking=blocking, clinic=clinic)
    try:
        report = apply_clinic(service.engine, clinic, now, allow_stranded=confirm)
    except RemovalRefused as error:
        named = " ".join(error.affected)
        affected = tuple(a for a in future if a.reference in named)
        if not affected:
            return ApplyOutcome(problems=tuple(error.affected) or (str(error),), clinic=clinic)
        if confirm:  # only a removal is refused once stranding is allowed (someone booked meanwhile)
            return ApplyOutcome(blocking=affected, clinic=clinic)
        return ApplyOutcome(stranded=affected, clinic=clinic)
    return ApplyOutcome(report=report, clinic=clinic)


def _root_causes(problems: list[str], data: Mapping[str, Any]) -> tuple[str, ...]:
    """Drop "unknown practitioner" echoes: a practitioner with a mistake in their own entry is left out of
    the parsed roster, so their closures would be reported too, which only confuses.
    """
    people = data.get("practitioners")
    named = {p.get("id") for p in people if isinstance(p, Mapping)} if isinstance(people, list) else set()
    echoes = {f'unknown practitioner "{name}"' for name in named if isinstance(name, str)}
    kept = tuple(p for p in problems if not any(p.endswith(echo) for echo in echoes))
    return kept or tuple(problems)
