"""Scripted calls through `run_chat` against the real booking service on a temporary SQLite file."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from booking.records import PatientDetails, Status
from booking.service import BookingService
from booking.slots import SlotQuery
from tests.dialogue.scripts import CONVERSATIONS, load_script
from tests.pipeline.conftest import open_service
from voicebot.simulate.chat import run_chat


def _play(service: BookingService, now: datetime, spec: dict, locale: str) -> list[dict]:
    out, err = io.StringIO(), io.StringIO()
    lines = iter([turn["caller"] for turn in spec["turns"]])
    code = run_chat(
        service,
        locale=locale,
        caller_id=spec.get("caller_id"),
        now_fn=lambda: now,
        lines=lines,
        json_mode=True,
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize(
    "name", ["fr_01_one_shot_booking", "fr_29_later_and_other_day", "en_01_one_shot_booking", "fr_25_hang_up_mid_call"]
)
def test_booking_scripts_on_sqlite(tmp_path: Path, name: str) -> None:
    spec = load_script(CONVERSATIONS / f"{name}.toml")
    locale = spec["locale"]
    service, now = open_service(tmp_path, locale)
    events = _play(service, now, spec, locale)
    end = events[-1]
    assert end["type"] == "end" and end["outcome"] == spec["expect"]["outcome"]
    booked = service.list_appointments(status=Status.BOOKED)
    wanted = spec["expect"]["booked"]
    assert [(a.practitioner_id, a.motif_id, a.start.replace(tzinfo=None)) for a in booked] == [
        (w["practitioner"], w["motif"], w["start"]) for w in wanted
    ]
    if wanted:
        assert end["reference"] == booked[0].reference and len(end["reference"]) == 6
        assert booked[0].patient.last_name == wanted[0]["last_name"]


def test_cancel_and_move_on_sqlite(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    slot = next(
        s
        for s in service.find_slots(SlotQuery("consultation", ("martin",)), now)
        if s.start.day == 3 and s.start.hour == 10
    )
    patient = PatientDetails("Jean", "Dupont", datetime(1985, 7, 14).date(), "+33612345678")
    first = service.book(slot, patient, now)
    spec = load_script(CONVERSATIONS / "fr_18_move.toml")
    events = _play(service, now, spec, "fr")
    assert events[-1]["outcome"] == "moved"
    moved = service.get(events[-1]["reference"])
    assert moved.status is Status.BOOKED and moved.start.replace(tzinfo=None) == datetime(2026, 12, 4, 8, 50)
    assert service.get(first.reference).status is Status.CANCELLED
    cancel = {
        "caller_id": "+33612345678",
        "turns": [{"caller": t} for t in ("annuler mon rendez-vous", "Jean Dupont", "14 juillet 1985", "oui")],
    }
    events = _play(service, now, cancel, "fr")
    assert events[-1] == {"type": "end", "outcome": "cancelled", "reference": moved.reference}
    assert service.list_appointments(status=Status.BOOKED) == []


def test_identity_mismatch_on_sqlite_reveals_and_changes_nothing(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    slot = service.find_slots(SlotQuery("consultation", ("martin",)), now)[0]
    booked = service.book(slot, PatientDetails("Jean", "Dupont", datetime(1985, 7, 14).date(), "+33612345678"), now)
    spec = load_script(CONVERSATIONS / "fr_16_cancel_identity_mismatch.toml")
    events = _play(service, now, spec, "fr")
    said = " ".join(e.get("text", "") for e in events)
    assert events[-1]["outcome"] == "goodbye" and "30 novembre" not in said
    assert [a.reference for a in service.list_appointments(status=Status.BOOKED)] == [booked.reference]
