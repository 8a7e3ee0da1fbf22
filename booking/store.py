"""The clinic configuration in the database: read it back as a `Clinic`, apply a new one idempotently."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlmodel import Session

from booking.clinic import Clinic, Closure, Motif, Practice, Practitioner, TimeRange, parse_time_range
from booking.errors import NotConfigured, RemovalRefused
from booking.models import (
    AppointmentRow,
    ClosureRow,
    MotifRow,
    OpeningHoursRow,
    PracticeRow,
    PractitionerMotifRow,
    PractitionerRow,
)
from booking.privacy_retention import Retention
from booking.slots import unavailable_reason
from booking.sms import SmsSettings


@dataclass(frozen=True)
class ApplyReport:
    """What applying a configuration changed."""

    changed: bool
    version: int
    """The configuration version now in force."""
    added: tuple[str, ...] = ()
    """E.g. `practitioner dupont`, `motif vaccination`."""
    removed: tuple[str, ...] = ()
    stranded: tuple[str, ...] = ()
    """Future appointments that the new hours or closures no longer cover (kept, listed for staff)."""


def read_clinic(session: Session) -> Clinic:
    """The configuration stored in the database; `NotConfigured` if no clinic file was applied yet."""
    practice_row = session.get(PracticeRow, 1)
    if practice_row is None:
        raise NotConfigured("no practice is configured yet: run `voicebot clinic apply config/clinic.toml`")
    practice = Practice(
        name=practice_row.name,
        timezone=practice_row.timezone,
        locale=practice_row.locale,
        country=practice_row.country,
        phone=practice_row.phone,
        address=practice_row.address,
        min_notice_minutes=practice_row.min_notice_minutes,
        horizon_days=practice_row.horizon_days,
        subdivision=practice_row.subdivision,
        slot_step_minutes=practice_row.slot_step_minutes,
        staff_phone=practice_row.staff_phone,
    )
    motifs = tuple(
        Motif(
            m.id,
            m.label,
            m.duration_minutes,
            m.new_patients,
            m.buffer_minutes,
            tuple(k for k in m.keywords.split("\n") if k),
        )
        for m in session.scalars(select(MotifRow).where(MotifRow.active).order_by(MotifRow.position))
    )
    links: dict[str, list[str]] = defaultdict(list)
    for link in session.scalars(select(PractitionerMotifRow).order_by(PractitionerMotifRow.position)):
        links[link.practitioner_id].append(link.motif_id)
    hours: dict[str, dict[int, list[TimeRange]]] = defaultdict(lambda: defaultdict(list))
    for row in session.scalars(select(OpeningHoursRow).order_by(OpeningHoursRow.id)):
        time_range = parse_time_range(f"{row.start}-{row.end}")
        if time_range is not None:
            hours[row.practitioner_id][row.weekday].append(time_range)
    practitioners = tuple(
        Practitioner(
            p.id,
            p.title,
            p.first_name,
            p.last_name,
            p.specialty,
            tuple(links[p.id]),
            {day: tuple(sorted(ranges)) for day, ranges in sorted(hours[p.id].items())},
        )
        for p in session.scalars(
            select(PractitionerRow).where(PractitionerRow.active).order_by(PractitionerRow.position)
        )
    )
    closures = tuple(
        Closure(
            datetime.fromisoformat(c.start_local),
            datetime.fromisoformat(c.end_local),
            c.practitioner_id,
            c.label,
            c.all_day,
        )
        for c in session.scalars(select(ClosureRow).order_by(ClosureRow.id))
    )
    privacy = Retention(practice_row.transcript_days, practice_row.call_log_days, practice_row.patient_data_years)
    sms = SmsSettings(practice_row.sms_enabled, practice_row.sms_reminder_hours)
    return Clinic(practice, motifs, practitioners, closures, privacy, sms)


def config_version(session: Session) -> int | None:
    """The stored configuration's version, `None` when none is stored."""
    return session.scalar(select(PracticeRow.config_version).where(PracticeRow.id == 1))


def versions(session: Session) -> tuple[int, int] | None:
    """`(config_version, bookings_version)`, `None` when no practice is stored."""
    row = session.execute(
        select(PracticeRow.config_version, PracticeRow.bookings_version).where(PracticeRow.id == 1)
    ).first()
    return None if row is None else (row[0], row[1])


def apply_clinic(engine: Engine, clinic: Clinic, now: datetime, *, allow_stranded: bool = True) -> ApplyReport:
    """Store `clinic` as the practice's configuration, in one transaction.

    Applying the same configuration twice changes nothing. Removing a practitioner or motif (or a motif from
    a practitioner) that still has future bookings raises `RemovalRefused` naming them; with
    `allow_stranded=False`, so does any hours or closure change that leaves a future booking uncovered.
    """
    clinic = _canonical(clinic)
    with Session(engine) as session, session.begin():
        try:
            current: Clinic | None = read_clinic(session)
        except NotConfigured:
            current = None
        version = config_version(session) or 0
        if current == clinic:
            return ApplyReport(changed=False, version=version)
        future = list(
            session.scalars(
                select(AppointmentRow).where(AppointmentRow.status == "booked", AppointmentRow.end_at > now)
            )
        )
        _refuse_removals(clinic, future)
        stranded = _stranded(clinic, future, now)
        if stranded and not allow_stranded:
            raise RemovalRefused(
                "this change leaves future appointments outside opening hours: " + ", ".join(stranded),
                list(stranded),
            )
        old_ids = (
            {f"practitioner {p.id}" for p in current.practitioners} | {f"motif {m.id}" for m in current.motifs}
            if current
            else set()
        )
        new_ids = {f"practitioner {p.id}" for p in clinic.practitioners} | {f"motif {m.id}" for m in clinic.motifs}
        _write(session, clinic, version + 1)
        return ApplyReport(
            changed=True,
            version=version + 1,
            added=tuple(sorted(new_ids - old_ids)),
            removed=tuple(sorted(old_ids - new_ids)),
            stranded=stranded,
        )


def _canonical(clinic: Clinic) -> Clinic:
    """Drop empty weekdays (`sat = []` means the same as no `sat`), so equal configurations compare equal."""
    practitioners = tuple(
        replace(p, hours={day: ranges for day, ranges in sorted(p.hours.items()) if ranges})
        for p in clinic.practitioners
    )
    return replace(clinic, practitioners=practitioners)


def _refuse_removals(clinic: Clinic, future: list[AppointmentRow]) -> None:
    offered = {(p.id, m) for p in clinic.practitioners for m in p.motifs}
    practitioners = {p.id for p in clinic.practitioners}
    motifs = {m.id for m in clinic.motifs}
    problems: list[str] = []
    for row in future:
        if row.practitioner_id not in practitioners:
            problems.append(f'practitioner "{row.practitioner_id}" still has appointment {row.reference}')
        elif row.motif_id not in motifs:
            problems.append(f'motif "{row.motif_id}" is still booked in appointment {row.reference}')
        elif (row.practitioner_id, row.motif_id) not in offered:
            problems.append(
                f'practitioner "{row.practitioner_id}" still has a "{row.motif_id}" appointment ({row.reference})'
            )
    if problems:
        raise RemovalRefused(
            "refused: this would remove what future appointments still use — "
            + "; ".join(problems)
            + ". Cancel or move those appointments first.",
            problems,
        )


def _stranded(clinic: Clinic, future: list[AppointmentRow], now: datetime) -> tuple[str, ...]:
    stranded = []
    for row in future:
        reason = unavailable_reason(
            clinic, [], row.practitioner_id, row.motif_id, row.start_at, now, enforce_notice=False
        )
        if reason is not None and row.start_at > now:
            local = row.start_at.astimezone(clinic.practice.zone)
            stranded.append(f"{row.reference} ({row.practitioner_id}, {local:%Y-%m-%d %H:%M}: {reason})")
    return tuple(stranded)


def _write(session: Session, clinic: Clinic, version: int) -> None:
    p = clinic.practice
    existing = session.get(PracticeRow, 1)
    session.merge(
        PracticeRow(
            bookings_version=existing.bookings_version if existing else 0,
            id=1,
            name=p.name,
            timezone=p.timezone,
            locale=p.locale,
            country=p.country,
            subdivision=p.subdivision,
            phone=p.phone,
            address=p.address,
            staff_phone=p.staff_phone,
            min_notice_minutes=p.min_notice_minutes,
            horizon_days=p.horizon_days,
            slot_step_minutes=p.slot_step_minutes,
            transcript_days=clinic.privacy.transcript_days,
            call_log_days=clinic.privacy.call_log_days,
            patient_data_years=clinic.privacy.patient_data_years,
            sms_enabled=clinic.sms.enabled,
            sms_reminder_hours=clinic.sms.reminder_hours,
            config_version=version,
        )
    )
    session.execute(delete(PractitionerMotifRow))
    session.execute(delete(OpeningHoursRow))
    session.execute(delete(ClosureRow))
    for motif_row in session.scalars(select(MotifRow)):
        motif_row.active = False
    for practitioner_row in session.scalars(select(PractitionerRow)):
        practitioner_row.active = False
    for position, motif in enumerate(clinic.motifs):
        session.merge(
            MotifRow(
                id=motif.id,
                label=motif.label,
                duration_minutes=motif.duration_minutes,
                new_patients=motif.new_patients,
                buffer_minutes=motif.buffer_minutes,
                keywords="\n".join(motif.aliases),
                position=position,
                active=True,
            )
        )
    for position, practitioner in enumerate(clinic.practitioners):
        session.merge(
            PractitionerRow(
                id=practitioner.id,
                title=practitioner.title,
                first_name=practitioner.first_name,
                last_name=practitioner.last_name,
                specialty=practitioner.specialty,
                position=position,
                active=True,
            )
        )
    session.flush()
    for practitioner in clinic.practitioners:
        for position, motif_id in enumerate(practitioner.motifs):
            session.add(PractitionerMotifRow(practitioner_id=practitioner.id, motif_id=motif_id, position=position))
        for weekday, ranges in practitioner.hours.items():
            for time_range in ranges:
                session.add(
                    OpeningHoursRow(
                        practitioner_id=practitioner.id,
                        weekday=weekday,
                        start=f"{time_range.start:%H:%M}",
                        end=f"{time_range.end:%H:%M}",
                    )
                )
    for closure in clinic.closures:
        session.add(
            ClosureRow(
                practitioner_id=closure.practitioner,
                start_local=closure.start.isoformat(timespec="minutes"),
                end_local=closure.end.isoformat(timespec="minutes"),
                all_day=closure.all_day,
                label=closure.label,
            )
        )
