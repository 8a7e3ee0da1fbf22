"""Errors raised by the booking core. Each carries a message a clinic secretary can read."""

from __future__ import annotations


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
    """The requested time is taken, closed, outside opening hours, or outside notice and horizon."""


class AppointmentNotFound(UnknownEntity):
    """No appointment has this reference."""


class RemovalRefused(BookingError):
    """A configuration change would strand existing future bookings."""

    def __init__(self, message: str, affected: list[str]) -> None:
        self.affected = affected
        super().__init__(message)


class NotConfigured(BookingError):
    """The database holds no practice yet: apply a clinic file first."""
