"""The clinic configuration: typed, validated values read from the TOML clinic file staff edit.

`parse_clinic` turns already-decoded TOML into a `Clinic`, collecting every problem it finds into one
`ClinicFileError` whose messages name the file, the entry and the key. `load_clinic` reads a file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from booking.clinic_bounds import BUFFER, DURATION, HORIZON, MIN_NOTICE, SLOT_STEP, bounded, check_notice_within_horizon
from booking.clinic_entry import (
    Entry,
    check_aliases,
    check_unique_ids,
    identifier,
    parse_list,
    parse_moment,
    read_aliases,
)
from booking.errors import ClinicFileError
from booking.privacy_retention import Retention, parse_retention
from booking.sms import SmsSettings, parse_sms

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of `[practitioners.hours]`, Monday first (index = `date.weekday()`)."""

LOCALES: tuple[str, ...] = ("fr", "en")

_SECTIONS = ("practice", "motifs", "practitioners", "closures", "privacy", "sms")

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class TimeRange:
    """A wall-clock interval within one day, `start` inclusive, `end` exclusive."""

    start: time
    """Opening time (local wall clock)."""
    end: time
    """Closing time (local wall clock); `time(0, 0)` is not allowed, use `23:59`."""

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Practice:
    """The practice itself: identity, time zone and booking rules."""

    name: str
    timezone: str
    """IANA zone name; every hour in the file is a wall-clock time there."""
    locale: str
    """`fr` or `en`: the language the agent speaks by default."""
    country: str
    """ISO country code whose public holidays close the practice."""
    phone: str
    address: str
    min_notice_minutes: int = 120
    """No slot starts sooner than this after now."""
    horizon_days: int = 60
    """No slot starts later than this many days after now."""
    subdivision: str | None = None
    """Optional region for regional holidays (e.g. "57" for Moselle)."""
    slot_step_minutes: int | None = None
    """Grid of slot start times; `None` = the motif's duration."""
    staff_phone: str | None = None
    """Where "talk to someone" transfers go (E.164 or SIP URI)."""

    @property
    def zone(self) -> ZoneInfo:
        """The practice's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Motif:
    """An appointment type."""

    id: str
    label: str
    """How the agent says it ("une consultation" is built from "consultation")."""
    duration_minutes: int
    new_patients: bool = True
    """Whether people unknown to the practice may book it."""
    buffer_minutes: int = 0
    """Free time kept after each appointment of this motif."""
    aliases: tuple[str, ...] = ()
    """Other words callers use for it ("vaccin", "piqûre"), besides its label."""

    @property
    def keywords(self) -> tuple[str, ...]:
        """Deprecated name of `aliases`."""
        return self.aliases


@dataclass(frozen=True)
class Practitioner:
    """Someone patients book with."""

    id: str
    title: str
    """"Dr", "Mme", "M."...: how the agent names them."""
    first_name: str
    last_name: str
    specialty: str
    motifs: tuple[str, ...]
    """Ids of the motifs they offer."""
    hours: Mapping[int, tuple[TimeRange, ...]] = field(default_factory=dict)
    """Weekly opening hours, keyed by weekday (0 = Monday); a missing day is a day off."""

    @property
    def display_name(self) -> str:
        """Title and last name, as the agent says it ("Dr Martin")."""
        return f"{self.title} {self.last_name}".strip()


@dataclass(frozen=True)
class Closure:
    """A period when one practitioner, or the whole practice, takes no appointments."""

    start: datetime
    """Local naive date-time, inclusive."""
    end: datetime
    """Local naive date-time, exclusive (a whole-day closure ends at midnight after its last day)."""
    practitioner: str | None = None
    """Practitioner id; `None` closes the whole practice."""
    label: str = ""
    all_day: bool = True
    """Whether the file gave dates (whole days) rather than date-times."""


@dataclass(frozen=True)
class Clinic:
    """Everything the clinic file says."""

    practice: Practice
    motifs: tuple[Motif, ...]
    practitioners: tuple[Practitioner, ...]
    closures: tuple[Closure, ...] = ()
    privacy: Retention = Retention()
    """How long calls, transcripts and patients' identities are kept (`[privacy]`)."""
    sms: SmsSettings = SmsSettings()
    """Texts to patients (`[sms]`; off without the section)."""

    def motif(self, motif_id: str) -> Motif:
        """The motif with this id; `KeyError` if unknown."""
        for motif in self.motifs:
            if motif.id == motif_id:
                return motif
        raise KeyError(motif_id)

    def practitioner(self, practitioner_id: str) -> Practitioner:
        """The practitioner with this id; `KeyError` if unknown."""
        for practitioner in self.practitioners:
            if practitioner.id == practitioner_id:
                return practitioner
        raise KeyError(practitioner_id)


def load_clinic(path: str | Path) -> Clinic:
    """Read and validate a clinic file; raise `ClinicFileError` (never a traceback-worthy error)."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise ClinicFileError(source, [f"cannot read the file: {err.strerror or err}"]) from err
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ClinicFileError(source, ["the file is not UTF-8 text"]) from err
    except tomllib.TOMLDecodeError as err:
        raise ClinicFileError(source, [f"not valid TOML: {err}"]) from err
    except ValueError as err:  # tomllib lets Python's own refusal of a number thousands of digits long through
        raise ClinicFileError(source, ["a number in the file has thousands of digits: no setting needs one"]) from err
    except RecursionError as err:
        raise ClinicFileError(source, ["lists nested thousands deep: no setting needs them"]) from err
    return parse_clinic(data, source)


def parse_clinic(data: Mapping[str, Any], source: str = "<clinic>") -> Clinic:
    """Validate decoded TOML and build a `Clinic`; all problems are reported together."""
    problems: list[str] = []
    practice = _parse_practice(data.get("practice"), problems)
    motifs = parse_list(data, "motifs", _parse_motif, problems)
    check_unique_ids("motifs", motifs, problems)
    check_aliases(motifs, problems)
    motif_ids = {m.id for m in motifs}
    practitioners = parse_list(data, "practitioners", lambda e, w: _parse_practitioner(e, w, motif_ids), problems)
    check_unique_ids("practitioners", practitioners, problems)
    practitioner_ids = {p.id for p in practitioners}
    closures = parse_list(
        data, "closures", lambda e, w: _parse_closure(e, w, practitioner_ids), problems, required=False
    )
    privacy = parse_retention(data.get("privacy"), problems)
    sms = parse_sms(data.get("sms"), problems)
    for key in data:
        if key not in _SECTIONS:
            problems.append(f"unknown section [{key}] (expected {', '.join(_SECTIONS)})")
    if problems or practice is None:
        raise ClinicFileError(source, problems or ["[practice] is missing"])
    return Clinic(practice, tuple(motifs), tuple(practitioners), tuple(closures), privacy, sms)


def _parse_practice(table: Any, problems: list[str]) -> Practice | None:
    if table is None:
        problems.append("[practice]: the section is missing")
        return None
    entry = Entry(table, "[practice]", problems)
    before = len(problems)
    name = entry.text("name")
    timezone = entry.text("timezone")
    if isinstance(timezone, str) and timezone.strip():
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            entry.fail("timezone", f'unknown time zone "{timezone}" (use an IANA name such as "Europe/Paris")')
    locale = entry.text("locale")
    if isinstance(locale, str) and locale not in LOCALES:
        entry.fail("locale", f'unknown locale "{locale}" (expected one of: {", ".join(LOCALES)})')
    country = entry.text("country")
    subdivision = entry.text("subdivision", None)
    if isinstance(country, str) and country:
        try:
            holidays.country_holidays(country.upper(), years=2026)
        except (NotImplementedError, KeyError):
            entry.fail("country", f'no public-holiday calendar for country "{country}" (e.g. "FR", "GB")')
        else:
            try:
                holidays.country_holidays(country.upper(), subdiv=subdivision, years=2026)
            except (NotImplementedError, KeyError):
                entry.fail("subdivision", f'"{country.upper()}" has no region "{subdivision}" for public holidays')
    phone = entry.text("phone")
    address = entry.text("address")
    min_notice = bounded(entry, "min_notice_minutes", MIN_NOTICE, 120)
    horizon = bounded(entry, "horizon_days", HORIZON, 60)
    check_notice_within_horizon(min_notice, horizon, entry)
    step = bounded(entry, "slot_step_minutes", SLOT_STEP, None)
    staff_phone = entry.text("staff_phone", None)
    entry.finish()
    if len(problems) > before:
        return None
    return Practice(
        name=name,
        timezone=timezone,
        locale=locale,
        country=country.upper(),
        phone=phone,
        address=address,
        min_notice_minutes=min_notice,
        horizon_days=horizon,
        subdivision=subdivision,
        slot_step_minutes=step,
        staff_phone=staff_phone,
    )


def _parse_motif(table: Any, entry: Entry) -> Motif | None:
    before = len(entry.problems)
    motif_id = identifier(entry)
    label = entry.text("label")
    duration = bounded(entry, "duration_minutes", DURATION)
    new_patients = entry.get("new_patients", bool, True)
    buffer = bounded(entry, "buffer_minutes", BUFFER, 0)
    aliases = read_aliases(entry)
    entry.finish()
    if len(entry.problems) > before or aliases is None:
        return None
    return Motif(motif_id, label, duration, new_patients, buffer, aliases)


def _parse_practitioner(table: Any, entry: Entry, motif_ids: set[str]) -> Practitioner | None:
    before = len(entry.problems)
    practitioner_id = identifier(entry)
    title = entry.text("title", "")
    first_name = entry.text("first_name")
    last_name = entry.text("last_name")
    specialty = entry.text("specialty")
    motifs = entry.get("motifs", list)
    if isinstance(motifs, list):
        for motif in motifs:
            if motif not in motif_ids:
                entry.fail("motifs", f'unknown motif "{motif}" (known: {", ".join(sorted(motif_ids))})')
    hours_table = entry.get("hours", dict, {})
    hours = _parse_hours(hours_table or {}, entry)
    entry.finish()
    if len(entry.problems) > before:
        return None
    return Practitioner(practitioner_id, title, first_name, last_name, specialty, tuple(motifs), hours)


def _parse_hours(table: Mapping[str, Any], entry: Entry) -> dict[int, tuple[TimeRange, ...]]:
    hours: dict[int, tuple[TimeRange, ...]] = {}
    for day, ranges in table.items():
        key = f"hours.{day}"
        if day not in WEEKDAYS:
            entry.fail(key, f'unknown weekday "{day}" (expected one of: {", ".join(WEEKDAYS)})')
            continue
        if not isinstance(ranges, list):
            entry.fail(key, 'must be a list of "HH:MM-HH:MM" ranges')
            continue
        parsed: list[TimeRange] = []
        for text in ranges:
            time_range = parse_time_range(text) if isinstance(text, str) else None
            if time_range is None:
                entry.fail(key, f'"{text}" is not a valid time range (expected HH:MM-HH:MM, e.g. "08:30-12:00")')
            else:
                parsed.append(time_range)
        parsed.sort()
        for earlier, later in zip(parsed, parsed[1:], strict=False):
            if later.start < earlier.end:
                entry.fail(key, f'"{earlier}" and "{later}" overlap')
        hours[WEEKDAYS.index(day)] = tuple(parsed)
    return hours


def parse_time_range(text: str) -> TimeRange | None:
    """Parse "HH:MM-HH:MM" with start before end; `None` when invalid."""
    match = _RANGE.match(text)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (0 <= h1 < 24 and 0 <= h2 < 24 and 0 <= m1 < 60 and 0 <= m2 < 60):
        return None
    start, end = time(h1, m1), time(h2, m2)
    return TimeRange(start, end) if start < end else None


def _parse_closure(table: Any, entry: Entry, practitioner_ids: set[str]) -> Closure | None:
    before = len(entry.problems)
    practitioner = entry.text("practitioner", None)
    if isinstance(practitioner, str) and practitioner not in practitioner_ids:
        entry.fail("practitioner", f'unknown practitioner "{practitioner}"')
    label = entry.text("label", "")
    bounds = []
    for key in ("start", "end"):
        entry.used.add(key)
        if key not in entry.table:
            entry.fail(key, "is required")
            continue
        moment = parse_moment(entry.table[key])
        if moment is None or moment[0] is None:
            entry.fail(key, f'"{entry.table[key]}" must be a date (2026-12-24) or a local date-time (2026-12-24T14:00)')
        else:
            bounds.append(moment)
    entry.finish()
    if len(entry.problems) > before or len(bounds) != 2:
        return None
    (start, start_day), (end, end_day) = bounds
    if end_day:
        end = end + timedelta(days=1)
    if end <= start:
        entry.fail("end", "must come after start")
        return None
    return Closure(start, end, practitioner, label, all_day=start_day and end_day)
