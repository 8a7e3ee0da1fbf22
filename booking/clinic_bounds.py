"""The ranges the clinic file's numbers must stay in, so that every time computed from them is a real time.

Each bound is generous for a practice and small enough that no slot search, booking or reminder overflows the
calendar: without them, a `duration_minutes` of 3,000,000,000 was accepted and every later step failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from booking.clinic_entry import Entry


@dataclass(frozen=True)
class Bound:
    """The whole numbers a key accepts, both ends included."""

    minimum: int
    maximum: int
    unit: str
    """What the number counts ("minutes", "days"), as the problem says it."""


DURATION = Bound(5, 480, "minutes")
"""`duration_minutes`: from a quick vaccination to a whole day's session (8 hours)."""
BUFFER = Bound(0, 240, "minutes")
"""`buffer_minutes`: free time after an appointment, up to half a day (4 hours)."""
SLOT_STEP = Bound(5, 240, "minutes")
"""`slot_step_minutes`: the grid of start times, from every 5 minutes to every 4 hours."""
MIN_NOTICE = Bound(0, 30 * 24 * 60, "minutes")
"""`min_notice_minutes`: from none to 30 days (43,200 minutes)."""
HORIZON = Bound(1, 730, "days")
"""`horizon_days`: from tomorrow to two years ahead."""


def bounded(entry: Entry, key: str, bound: Bound, default: Any = ...) -> Any:
    """The whole number at `key`, inside `bound`; `None` after recording a problem that names the range."""
    return entry.number(key, default, minimum=bound.minimum, maximum=bound.maximum, unit=bound.unit)


def check_notice_within_horizon(notice: Any, horizon: Any, entry: Entry) -> None:
    """Record a problem when the minimum notice leaves no time to book before the horizon."""
    if isinstance(notice, int) and isinstance(horizon, int) and notice >= horizon * 24 * 60:
        entry.fail(
            "min_notice_minutes",
            f"{notice} minutes is not shorter than horizon_days = {horizon} ({horizon * 24 * 60} minutes): "
            "no appointment could ever be booked",
        )
