"""`voicebot slots`: free appointment times."""

from __future__ import annotations

from datetime import date, time, timedelta

import click

from booking.clinic import Practice
from booking.errors import BookingError
from booking.slots import AFTERNOON, EVENING, MORNING, SlotQuery, TimeWindow
from voicebot.commands.base import Env, command, emit_json

PARTS = {"morning": MORNING, "afternoon": AFTERNOON, "evening": EVENING}


def first_day_within_horizon(day: date, today: date, practice: Practice) -> date:
    """`--from`, refused with a sentence when no slot can start that day or later (past or beyond the horizon)."""
    last = today + timedelta(days=practice.horizon_days)
    if day > last:
        raise BookingError(
            f"--from {day.isoformat()} is beyond the booking horizon ({practice.horizon_days} days from "
            f"{today.isoformat()}): no slot is offered after {last.isoformat()}"
        )
    if day < today:
        raise BookingError(f"--from {day.isoformat()} is in the past: free slots start today ({today.isoformat()})")
    return day


def register(main: click.Group) -> None:
    """Add the `slots` command."""

    @command(main, "slots")
    @click.option("--motif", "motif_id", required=True, help="Motif id (see `voicebot clinic show`).")
    @click.option("--practitioner", "practitioners", multiple=True, help="Practitioner id (repeatable; default: any).")
    @click.option("--specialty", help='Any practitioner of this specialty, e.g. "pédiatre".')
    @click.option("--from", "first_day", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: today).")
    @click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True, help="Number of days.")
    @click.option("--part", type=click.Choice(sorted(PARTS)), help="Only this part of the day.")
    @click.option("--not-before", type=click.DateTime(["%H:%M"]), help="No slot starting before HH:MM.")
    @click.option("--limit", type=click.IntRange(1), help="At most this many slots, earliest first.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    def slots(
        env: Env,
        motif_id: str,
        practitioners: tuple[str, ...],
        specialty: str | None,
        first_day: object,
        days: int,
        part: str | None,
        not_before: object,
        limit: int | None,
        as_json: bool,
    ) -> None:
        """List free slots for a motif, earliest first."""
        service = env.service()
        now = env.now()
        practice = service.clinic().practice
        today = now.astimezone(practice.zone).date()
        start = first_day_within_horizon(first_day.date(), today, practice) if first_day else today  # type: ignore[attr-defined]
        windows: list[TimeWindow] = [PARTS[part]] if part else []
        if not_before is not None:
            earliest: time = not_before.time()  # type: ignore[attr-defined]
            windows = [TimeWindow(max(earliest, w.earliest or earliest), w.latest) for w in windows] or [
                TimeWindow(earliest, None)
            ]
        query = SlotQuery(
            motif_id=motif_id,
            practitioner_ids=practitioners,
            specialty=specialty,
            first_day=start,
            last_day=start + timedelta(days=days - 1),
            windows=tuple(windows),
            limit=limit,
        )
        found = service.find_slots(query, now)
        if as_json:
            emit_json(
                [
                    {
                        "practitioner_id": s.practitioner_id,
                        "motif_id": s.motif_id,
                        "start": s.start.isoformat(),
                        "end": s.end.isoformat(),
                    }
                    for s in found
                ]
            )
            return
        if not found:
            click.echo("No free slot in that period.")
        for s in found:
            click.echo(f"{s.start:%a %Y-%m-%d %H:%M}–{s.end:%H:%M}  {s.practitioner_id:<12} {s.motif_id}")
