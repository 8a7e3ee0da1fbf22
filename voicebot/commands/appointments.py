"""`voicebot appointments ...`: the appointment book from the command line (source "staff")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import click

from booking.clinic_bounds import HORIZON
from booking.errors import BookingError
from booking.phones import to_e164
from booking.records import AppointmentRecord, PatientDetails, Source, Status
from booking.slots import Slot
from voicebot.commands.base import Env, check_calendar, command, emit_json

STAFF_REACH_DAYS = HORIZON.maximum
"""How far from today staff may book or move an appointment, either way: the longest horizon a clinic file may
give (staff are not held to the practice's own `horizon_days`, which is for callers)."""


def parse_local(text: str, env: Env, option: str = "--start") -> datetime:
    """A date-time given on the command line; without an offset it is the practice's wall clock.

    Raises:
        BookingError: Not a date-time, or more than `STAFF_REACH_DAYS` days from today.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as err:
        raise BookingError(f'"{text}" is not a date-time like 2026-12-08T10:30') from err
    zone = env.service().clinic().practice.zone
    today = env.now().astimezone(zone).date()
    check_reach(value.date(), today, option)  # the day as written first: converting 9999-12-31 would overflow
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    check_reach(value.astimezone(zone).date(), today, option)
    return value


def check_reach(day: date, today: date, option: str) -> None:
    """Refuse, with a sentence, a day more than `STAFF_REACH_DAYS` days from `today`."""
    first, last = today - timedelta(days=STAFF_REACH_DAYS), today + timedelta(days=STAFF_REACH_DAYS)
    if day > last:
        raise BookingError(
            f"{option} {day.isoformat()} is too far ahead: appointments can be booked up to "
            f"{STAFF_REACH_DAYS} days from today ({today.isoformat()}), until {last.isoformat()}"
        )
    if day < first:
        raise BookingError(
            f"{option} {day.isoformat()} is too far back: appointments can be booked no more than "
            f"{STAFF_REACH_DAYS} days before today ({today.isoformat()}), from {first.isoformat()}"
        )


def parse_phone(text: str, country: str) -> str:
    """A phone number given on the command line, in E.164; national numbers are read in the practice's country."""
    e164 = to_e164(text, country)
    if e164 is None:
        raise BookingError(
            f'"{text}" is not a phone number: write it in international format, e.g. +33612345678, '
            f"or as dialled in the practice's country ({country})"
        )
    return e164


def describe(record: AppointmentRecord) -> str:
    """One line for people."""
    p = record.patient
    return (
        f"{record.reference} {record.status.value:<9} {record.start:%a %Y-%m-%d %H:%M}–{record.end:%H:%M} "
        f"{record.practitioner_id:<10} {record.motif_id:<13} {p.first_name} {p.last_name} "
        f"({p.birth_date.isoformat()}, {p.phone})"
    )


def register(main: click.Group) -> None:
    """Add the `appointments` group."""

    @main.group()
    def appointments() -> None:
        """Book, list, move and cancel appointments."""

    @command(appointments, "book")
    @click.option("--practitioner", "practitioner_id", required=True, help="Practitioner id.")
    @click.option("--motif", "motif_id", required=True, help="Motif id.")
    @click.option("--start", required=True, metavar="LOCAL-DATETIME", help="e.g. 2026-12-08T10:30 (practice time).")
    @click.option("--first-name", required=True)
    @click.option("--last-name", required=True)
    @click.option("--birth-date", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD.")
    @click.option("--phone", required=True, help="e.g. +33612345678, or as dialled in the practice's country.")
    @click.option("--json", "as_json", is_flag=True, help="Print the appointment as JSON.")
    @click.option("--no-sms", "no_sms", is_flag=True, help="Send the patient no text message about it.")
    def book(
        env: Env,
        practitioner_id: str,
        motif_id: str,
        start: str,
        first_name: str,
        last_name: str,
        birth_date: datetime,
        phone: str,
        as_json: bool,
        no_sms: bool,
    ) -> None:
        """Book an appointment; prints its reference (exit 1 with the reason if that time is not free).

        The patient gets a text when their number is a mobile and the practice sends texts, unless --no-sms.
        """
        if not first_name.strip() or not last_name.strip():
            raise BookingError("first and last name must not be empty")
        service = env.service()
        phone = parse_phone(phone, service.clinic().practice.country)
        begin = parse_local(start, env)
        motif = service.clinic().motif(motif_id) if motif_id in {m.id for m in service.clinic().motifs} else None
        end = begin + timedelta(minutes=motif.duration_minutes if motif else 0)
        patient = PatientDetails(first_name.strip(), last_name.strip(), birth_date.date(), phone)
        slot = Slot(begin, end, practitioner_id, motif_id)
        record = service.book(slot, patient, env.now(), source=Source.STAFF, notify=not no_sms)
        if as_json:
            emit_json(record.as_json())
        else:
            click.echo(record.reference)
            click.echo(f"Booked: {describe(record)}", err=True)

    @command(appointments, "list")
    @click.option("--from", "first_day", type=click.DateTime(["%Y-%m-%d"]), help="From this day (default: today).")
    @click.option("--until", "last_day", type=click.DateTime(["%Y-%m-%d"]), help="Up to this day, inclusive.")
    @click.option("--practitioner", "practitioner_id", help="Only this practitioner.")
    @click.option("--status", type=click.Choice([s.value for s in Status]), help="Only this status.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    def list_(
        env: Env,
        first_day: datetime | None,
        last_day: datetime | None,
        practitioner_id: str | None,
        status: str | None,
        as_json: bool,
    ) -> None:
        """List appointments, earliest first."""
        for option, day in (("--from", first_day), ("--until", last_day)):
            if day is not None:
                check_calendar(day.date(), option)
        service = env.service()
        zone = service.clinic().practice.zone
        start_day: date = first_day.date() if first_day else env.now().astimezone(zone).date()
        start = datetime.combine(start_day, datetime.min.time(), zone)
        until = datetime.combine(last_day.date() + timedelta(days=1), datetime.min.time(), zone) if last_day else None
        records = service.list_appointments(
            start_from=start,
            until=until,
            practitioner_id=practitioner_id,
            status=Status(status) if status else None,
        )
        if as_json:
            emit_json([r.as_json() for r in records])
            return
        if not records:
            click.echo("No appointment in that period.")
        for record in records:
            click.echo(describe(record))

    @command(appointments, "cancel")
    @click.argument("reference")
    @click.option("--no-sms", "no_sms", is_flag=True, help="Send the patient no text message about it.")
    def cancel(env: Env, reference: str, no_sms: bool) -> None:
        """Cancel the appointment with this REFERENCE (the patient gets a text unless --no-sms)."""
        record = env.service().cancel(reference, env.now(), notify=not no_sms)
        click.echo(f"Cancelled: {describe(record)}")

    @command(appointments, "move")
    @click.argument("reference")
    @click.option("--start", required=True, metavar="LOCAL-DATETIME", help="New time, e.g. 2026-12-09T11:00.")
    @click.option("--practitioner", "practitioner_id", help="New practitioner (default: the same).")
    @click.option("--no-sms", "no_sms", is_flag=True, help="Send the patient no text message about it.")
    def move(env: Env, reference: str, start: str, practitioner_id: str | None, no_sms: bool) -> None:
        """Move an appointment; the original is kept if the new time is not free. Prints the new reference.

        The patient gets one text with the new time unless --no-sms.
        """
        service = env.service()
        old = service.get(reference)
        begin = parse_local(start, env)
        slot = Slot(begin, begin + (old.end - old.start), practitioner_id or old.practitioner_id, old.motif_id)
        record = service.reschedule(reference, slot, env.now(), source=Source.STAFF, notify=not no_sms)
        click.echo(record.reference)
        click.echo(f"Moved: {describe(record)}", err=True)
