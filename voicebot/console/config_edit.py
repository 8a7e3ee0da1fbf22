"""Pure edits of the clinic file's structure (the dict of `clinic_to_dict`) and the diff of two clinics.

The console edits this dict and hands it to `parse_clinic`, so every change is validated by the same rules,
with the same messages, as a clinic file.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from booking.clinic import WEEKDAYS, Clinic, Closure, Practitioner

Data = dict[str, Any]


def normalize_ranges(text: str) -> list[str]:
    """Split "08:30-12:00, 14h-18h30" into clinic-file ranges ["08:30-12:00", "14:00-18:30"] (not validated)."""
    parts = [p.strip() for p in re.split(r"[,;\n/]+| et | and ", text) if p.strip()]
    normalized = []
    for part in parts:
        part = part.replace("–", "-").replace("—", "-").replace(" à ", "-").replace(" to ", "-")
        part = re.sub(r"(\d{1,2})\s*[hH]\s*(\d{2})?", lambda m: f"{int(m[1]):02d}:{m[2] or '00'}", part)
        part = re.sub(r"\b(\d):(\d{2})", r"0\1:\2", part)
        normalized.append(re.sub(r"\s+", "", part))
    return normalized


def set_hours(data: Data, practitioner_id: str, hours: dict[int, list[str]]) -> Data:
    """A copy of `data` where the practitioner's weekly hours are `hours` (weekday → ranges; none = day off)."""
    result = copy.deepcopy(data)
    for practitioner in result["practitioners"]:
        if practitioner["id"] == practitioner_id:
            practitioner["hours"] = {WEEKDAYS[d]: ranges for d, ranges in sorted(hours.items()) if ranges}
    return result


def closure_bounds(
    kind: str, first: date, last: date | None, start: time | None, end: time | None
) -> tuple[str, str] | None:
    """Clinic-file `start`/`end` of a closure: whole days, a morning, an afternoon, or given hours.

    `None` when the hours needed are missing.
    """
    if kind == "days":
        return first.isoformat(), (last or first).isoformat()
    if kind == "morning":
        start, end, last = time(0, 0), time(12, 0), first
    elif kind == "afternoon":
        start, end, last = time(12, 0), time(23, 59), first
    if start is None or end is None:
        return None
    return f"{first.isoformat()}T{start:%H:%M}", f"{(last or first).isoformat()}T{end:%H:%M}"


def add_closure(data: Data, practitioner_id: str | None, start: str, end: str, label: str) -> Data:
    """A copy of `data` with one more closure (of the whole practice when `practitioner_id` is empty)."""
    result = copy.deepcopy(data)
    closure: dict[str, Any] = {"start": start, "end": end}
    if practitioner_id:
        closure["practitioner"] = practitioner_id
    if label.strip():
        closure["label"] = label.strip()
    result.setdefault("closures", []).append(closure)
    return result


def closure_key(closure: Closure) -> str:
    """A stable name for a closure, used by the delete buttons."""
    return f"{closure.start:%Y-%m-%dT%H:%M}|{closure.end:%Y-%m-%dT%H:%M}|{closure.practitioner or ''}"


def remove_closure(data: Data, clinic: Clinic, key: str) -> Data:
    """A copy of `data` without the closure named `key` (`data` must be `clinic_to_dict(clinic)`)."""
    result = copy.deepcopy(data)
    keys = [closure_key(c) for c in clinic.closures]
    if key in keys:
        del result["closures"][keys.index(key)]
        if not result["closures"]:
            del result["closures"]
    return result


def slugify(text: str) -> str:
    """An id for the clinic file from a label ("Consultation pédiatrique" → "consultation-pediatrique")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64]


def _number(text: str) -> Any:
    """An int from a form field; the raw text otherwise, so that validation names the bad value."""
    return int(text) if text.strip().isdigit() else text


def split_aliases(text: str) -> list[str]:
    """The aliases typed in the motif form: separated by commas or lines, blanks dropped."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def upsert_motif(
    data: Data,
    motif_id: str,
    label: str,
    duration: str,
    new_patients: bool,
    buffer: str,
    aliases: list[str] | None = None,
) -> Data:
    """A copy of `data` with this motif changed, or added at the end (its aliases kept when `aliases` is None)."""
    result = copy.deepcopy(data)
    table: dict[str, Any] = {
        "id": motif_id,
        "label": label.strip(),
        "duration_minutes": _number(duration),
        "new_patients": new_patients,
    }
    if buffer.strip() and buffer.strip() != "0":
        table["buffer_minutes"] = _number(buffer)
    if aliases:
        table["aliases"] = list(aliases)
    for existing in result["motifs"]:
        if existing["id"] == motif_id:
            existing.pop("buffer_minutes", None)
            if aliases is not None:
                existing.pop("aliases", None)
                existing.pop("keywords", None)
            existing.update(table)
            return result
    result["motifs"].append(table)
    return result


def remove_motif(data: Data, motif_id: str) -> Data:
    """A copy of `data` without the motif, also taken off every practitioner."""
    result = copy.deepcopy(data)
    result["motifs"] = [m for m in result["motifs"] if m["id"] != motif_id]
    for practitioner in result["practitioners"]:
        practitioner["motifs"] = [m for m in practitioner["motifs"] if m != motif_id]
    return result


def upsert_practitioner(
    data: Data, practitioner_id: str, title: str, first_name: str, last_name: str, specialty: str, motifs: list[str]
) -> Data:
    """A copy of `data` with this practitioner changed, or added (without opening hours yet)."""
    result = copy.deepcopy(data)
    table = {
        "id": practitioner_id,
        "title": title.strip(),
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "specialty": specialty.strip(),
        "motifs": list(motifs),
    }
    for existing in result["practitioners"]:
        if existing["id"] == practitioner_id:
            existing.update(table)
            return result
    result["practitioners"].append({**table, "hours": {}})
    return result


def remove_practitioner(data: Data, practitioner_id: str) -> Data:
    """A copy of `data` without the practitioner and their own closures."""
    result = copy.deepcopy(data)
    result["practitioners"] = [p for p in result["practitioners"] if p["id"] != practitioner_id]
    if "closures" in result:
        result["closures"] = [c for c in result["closures"] if c.get("practitioner") != practitioner_id]
        if not result["closures"]:
            del result["closures"]
    return result


@dataclass(frozen=True)
class Change:
    """One difference between two configurations, for the import preview."""

    kind: str
    """i18n key under `diff.`: practice, motif_added, motif_removed, motif_changed, practitioner_added,
    practitioner_removed, practitioner_changed, hours, closure_added, closure_removed."""
    subject: str
    before: str = ""
    after: str = ""
    weekday: int | None = None
    """For `hours`: the weekday that changed (0 = Monday)."""


def _hours_text(practitioner: Practitioner, day: int) -> str:
    return ", ".join(str(r) for r in practitioner.hours.get(day, ()))


def _closure_text(closure: Closure) -> str:
    end = closure.end - timedelta(days=1) if closure.all_day else closure.end
    form = "%Y-%m-%d" if closure.all_day else "%Y-%m-%d %H:%M"
    who = closure.practitioner or "*"
    return f"{closure.start:{form}} → {end:{form}} ({who}) {closure.label}".strip()


def describe_changes(old: Clinic, new: Clinic) -> list[Change]:
    """What applying `new` over `old` changes, in a stable order."""
    changes: list[Change] = []
    for key, before in vars(old.practice).items():
        after = getattr(new.practice, key)
        if before != after:
            changes.append(Change("practice", key, str(before or ""), str(after or "")))
    old_motifs, new_motifs = {m.id: m for m in old.motifs}, {m.id: m for m in new.motifs}
    for motif_id in old_motifs.keys() - new_motifs.keys():
        changes.append(Change("motif_removed", old_motifs[motif_id].label))
    for motif in new.motifs:
        previous = old_motifs.get(motif.id)
        if previous is None:
            changes.append(Change("motif_added", motif.label, after=f"{motif.duration_minutes} min"))
        elif previous != motif:
            changes.append(
                Change(
                    "motif_changed",
                    motif.label,
                    f"{previous.label}, {previous.duration_minutes} min",
                    f"{motif.label}, {motif.duration_minutes} min",
                )
            )
    old_people, new_people = {p.id: p for p in old.practitioners}, {p.id: p for p in new.practitioners}
    for practitioner_id in old_people.keys() - new_people.keys():
        changes.append(Change("practitioner_removed", old_people[practitioner_id].display_name))
    for person in new.practitioners:
        previous_person = old_people.get(person.id)
        if previous_person is None:
            changes.append(Change("practitioner_added", person.display_name, after=", ".join(person.motifs)))
            continue
        fields = ("title", "first_name", "last_name", "specialty", "motifs")
        if any(getattr(previous_person, f) != getattr(person, f) for f in fields):
            describe = "{0.title} {0.first_name} {0.last_name}, {0.specialty}: {1}".format
            changes.append(
                Change(
                    "practitioner_changed",
                    person.display_name,
                    describe(previous_person, ", ".join(previous_person.motifs)),
                    describe(person, ", ".join(person.motifs)),
                )
            )
        for day in range(7):
            before_hours, after_hours = _hours_text(previous_person, day), _hours_text(person, day)
            if before_hours != after_hours:
                changes.append(Change("hours", person.display_name, before_hours, after_hours, weekday=day))
    old_closures, new_closures = set(old.closures), set(new.closures)
    changes += [Change("closure_removed", _closure_text(c)) for c in old.closures if c not in new_closures]
    changes += [Change("closure_added", _closure_text(c)) for c in new.closures if c not in old_closures]
    return changes
