"""Turn a `Clinic` back into the clinic file's shape: a TOML-ready dict, TOML text or JSON-ready dict."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import tomli_w

from booking.clinic import WEEKDAYS, Clinic, Closure
from booking.privacy_retention import retention_to_dict
from booking.sms import sms_to_dict


def clinic_to_dict(clinic: Clinic) -> dict[str, Any]:
    """The clinic file's structure (`parse_clinic(clinic_to_dict(c)) == c`)."""
    practice = clinic.practice
    practice_table: dict[str, Any] = {
        "name": practice.name,
        "timezone": practice.timezone,
        "locale": practice.locale,
        "country": practice.country,
        "phone": practice.phone,
        "address": practice.address,
        "min_notice_minutes": practice.min_notice_minutes,
        "horizon_days": practice.horizon_days,
    }
    for key in ("subdivision", "slot_step_minutes", "staff_phone"):
        if getattr(practice, key) is not None:
            practice_table[key] = getattr(practice, key)
    motifs = []
    for motif in clinic.motifs:
        table: dict[str, Any] = {
            "id": motif.id,
            "label": motif.label,
            "duration_minutes": motif.duration_minutes,
            "new_patients": motif.new_patients,
        }
        if motif.buffer_minutes:
            table["buffer_minutes"] = motif.buffer_minutes
        if motif.aliases:
            table["aliases"] = list(motif.aliases)
        motifs.append(table)
    practitioners = []
    for practitioner in clinic.practitioners:
        practitioners.append(
            {
                "id": practitioner.id,
                "title": practitioner.title,
                "first_name": practitioner.first_name,
                "last_name": practitioner.last_name,
                "specialty": practitioner.specialty,
                "motifs": list(practitioner.motifs),
                "hours": {
                    WEEKDAYS[day]: [str(r) for r in ranges] for day, ranges in sorted(practitioner.hours.items())
                },
            }
        )
    result: dict[str, Any] = {"practice": practice_table, "motifs": motifs, "practitioners": practitioners}
    if clinic.closures:
        result["closures"] = [_closure_to_dict(c) for c in clinic.closures]
    result["privacy"] = retention_to_dict(clinic.privacy)
    sms = sms_to_dict(clinic.sms)
    if sms is not None:
        result["sms"] = sms
    return result


def _closure_to_dict(closure: Closure) -> dict[str, Any]:
    table: dict[str, Any] = {}
    if closure.practitioner:
        table["practitioner"] = closure.practitioner
    if closure.all_day:
        table["start"] = closure.start.date().isoformat()
        table["end"] = (closure.end - timedelta(days=1)).date().isoformat()
    else:
        table["start"] = closure.start.isoformat(timespec="minutes")
        table["end"] = closure.end.isoformat(timespec="minutes")
    if closure.label:
        table["label"] = closure.label
    return table


def clinic_to_toml(clinic: Clinic) -> str:
    """The clinic as clinic-file TOML text (comments are not preserved)."""
    return tomli_w.dumps(clinic_to_dict(clinic))
