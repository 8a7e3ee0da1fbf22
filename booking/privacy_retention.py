"""How long the practice keeps what it knows: the clinic file's `[privacy]` section, read and checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from booking.clinic_entry import Entry

MAX_PATIENT_DATA_YEARS = 3
"""The longest a patient's identity may be kept after their last appointment (the CNIL's guidance)."""


@dataclass(frozen=True)
class Retention:
    """The `[privacy]` limits; the purge (`booking.privacy.purge`) applies them every day."""

    transcript_days: int = 30
    """Days a call's pseudonymised transcript is kept."""
    call_log_days: int = 90
    """Days a call stays in the call log (its transcript never outlives it)."""
    patient_data_years: int = 3
    """Years after their last appointment (or their record's creation, without one) that a patient's name, birth
    date and phone are kept; at most `MAX_PATIENT_DATA_YEARS`."""


def parse_retention(table: Any, problems: list[str]) -> Retention:
    """The `[privacy]` table (absent: the defaults); problems are appended in the clinic file's style."""
    if table is None:
        return Retention()
    entry = Entry(table, "[privacy]", problems)
    before = len(problems)
    default = Retention()
    transcript_days = entry.number("transcript_days", default.transcript_days, minimum=1)
    call_log_days = entry.number("call_log_days", default.call_log_days, minimum=1)
    years = entry.number("patient_data_years", default.patient_data_years, minimum=1)
    entry.finish()
    if isinstance(years, int) and years > MAX_PATIENT_DATA_YEARS:
        problems.append(
            f"[privacy] patient_data_years = {years}: more than {MAX_PATIENT_DATA_YEARS} years is not allowed (CNIL)"
        )
    if isinstance(transcript_days, int) and isinstance(call_log_days, int) and transcript_days > call_log_days:
        problems.append(
            f"[privacy] transcript_days = {transcript_days} is more than call_log_days = {call_log_days}: "
            "a transcript cannot be kept longer than its call"
        )
    if len(problems) > before:
        return default
    return Retention(transcript_days, call_log_days, years)


def retention_to_dict(retention: Retention) -> dict[str, int]:
    """The `[privacy]` table of a clinic file."""
    return {
        "transcript_days": retention.transcript_days,
        "call_log_days": retention.call_log_days,
        "patient_data_years": retention.patient_data_years,
    }
