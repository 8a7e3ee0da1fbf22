"""Errors raised by the booking core. Each carries a message a clinic secretary can read."""

from __future__ import annotations

import enum


class Refusal(enum.StrEnum):
    """Why a time cannot be booked (`SlotUnavailable.reason`): stable keys, for programs; people read the message."""

    TAKEN = "taken"
    """Another appointment (or the buffer kept after it) overlaps the time."""
    OFF_HOURS = "off_hours"
    """Outside the practitioner's opening hours."""
    CLOSED = "closed"
    """The practice or the practitioner is closed then (a closure, a public holiday)."""
    TOO_SOON = "too_soon"
    """Inside the practice's minimum notice."""
    TOO_FAR = "too_far"
    """Beyond the practice's booking horizon."""
    NOT_OFFERED = "not_offered"
    """The practitioner does not offer the motif."""


class BookingError(Exception):
    """Base class of every booking error."""


class ClinicFileError(BookingError):
    """A clinic file (or configuration change) is invalid; `problems` lists every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))

    def __str__(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s) found"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class UnknownEntity(BookingError):
    """An id (practitioner, motif) or reference that the practice does not know."""


class SlotUnavailable(BookingError):
    """The requested time is taken, closed, outside opening hours, or outside notice and horizon.

    Args:
        message: Why, in English (what the command line prints).
        reason: Why, as a key (`None` when a caller gave only a message).
    """

    def __init__(self, message: str, reason: Refusal | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        """Why, as a key: what a program (the console) maps to its own words."""

    def __reduce__(self) -> tuple[type[SlotUnavailable], tuple[str, Refusal | None]]:
        return type(self), (str(self), self.reason)


class AppointmentNotFound(UnknownEntity):
    """No appointment has this reference."""


class RemovalRefused(BookingError):
    """A configuration change would strand existing future bookings."""

    def __init__(self, message: str, affected: list[str]) -> None:
        self.affected = affected
        super().__init__(message)


class NotConfigured(BookingError):
    """The database holds no practice yet: apply a clinic file first."""


class BookingUnavailable(Exception):
    """The appointment book cannot be reached right now (database down, locked too long, connections exhausted).

    Not a `BookingError`: nothing is wrong with the request, and the flows that answer a refused change
    ("I couldn't record that change") must not take an outage for one. Nothing was written: the transaction
    that failed was rolled back. The database's own error is the `__cause__` (its text may quote a patient, so
    it is not repeated in the message).
    """

    def __init__(self, message: str = "the appointment book cannot be reached right now") -> None:
        super().__init__(message)
