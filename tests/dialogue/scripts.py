"""Scripted conversations as data: load a TOML script, drive it through `step` with a fake port and a
frozen clock, and keep the transcript. `python -m tests.dialogue.scripts FILE...` prints transcripts.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from booking.clinic import Clinic, load_clinic
from booking.records import AppointmentRecord, PatientDetails, Source, Status
from booking.sms import SmsSettings
from dialogue.actions import Action, Expect, HangUp, Say, Transfer
from dialogue.context import Context
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, Event, KeypadPressed, NoInput
from dialogue.machine import step
from dialogue.state import State
from tests.dialogue.fake_port import FakePort

ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS = Path(__file__).resolve().parent / "conversations"
CLINICS = {"fr": ROOT / "config" / "clinic.toml", "en": ROOT / "config" / "clinic.en.toml"}
DEFAULT_NOW = "2026-11-28T10:00"


def load_script(path: Path) -> dict[str, Any]:
    """A conversation file as a dictionary."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def event_for(line: str) -> Event:
    """One caller line of the `voicebot chat --script` protocol as an event."""
    if line.startswith("dtmf:"):
        return KeypadPressed(line[5:].strip())
    if line.strip() == "silence":
        return NoInput()
    if line.strip() == "hangup":
        return CallerHungUp()
    return CallerSaid(line)


def clinic_for(spec: dict[str, Any]) -> Clinic:
    """The script's practice (`clinic`, else its locale's sample); `texts = true` turns its text messages on."""
    clinic = load_clinic(CLINICS[spec.get("clinic", spec.get("locale", "fr"))])
    return replace(clinic, sms=SmsSettings(enabled=True)) if spec.get("texts") else clinic


def make_port(spec: dict[str, Any], clinic: Clinic, now: datetime) -> FakePort:
    """A fake port holding the script's patients and appointments."""
    port = FakePort(clinic)
    zone = clinic.practice.zone
    for entry in spec.get("patients", []):
        port.add_patient(PatientDetails(entry["first_name"], entry["last_name"], entry["birth_date"], entry["phone"]))
    for entry in spec.get("appointments", []):
        patient = port.patients[entry["patient"] - 1]
        start = entry["start"].replace(tzinfo=zone)
        motif = clinic.motif(entry["motif"])
        port.appointments.append(
            AppointmentRecord(
                reference=entry["reference"],
                status=Status.BOOKED,
                practitioner_id=entry["practitioner"],
                motif_id=motif.id,
                start=start,
                end=start + timedelta(minutes=motif.duration_minutes),
                patient=patient.details,
                patient_id=patient.id,
                source=Source.STAFF,
                created_at=now,
            )
        )
    return port


@dataclass
class Run:
    """A finished scripted call."""

    port: FakePort
    state: State
    turns: list[tuple[str, list[Action]]] = field(default_factory=list)
    """(caller line, actions in answer), the greeting first with the caller line "<call>"."""

    def said(self, index: int) -> str:
        return " ".join(a.text for a in self.turns[index][1] if isinstance(a, Say))

    def transcript(self) -> str:
        lines = []
        for caller, actions in self.turns:
            lines.append(f"  caller: {caller}")
            for action in actions:
                if isinstance(action, Say):
                    lines.append(f"     bot: {action.text}")
                elif isinstance(action, Expect):
                    lines.append(f"          (listen: {action.kind})")
                elif isinstance(action, HangUp | Transfer):
                    lines.append(f"          [{type(action).__name__} {action.outcome}]")
        return "\n".join(lines)


def run_script(spec: dict[str, Any]) -> Run:
    """Play a conversation through `step`."""
    clinic = clinic_for(spec)
    now = datetime.fromisoformat(spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
    port = make_port(spec, clinic, now)
    ctx = Context.create(port, now, spec.get("locale"))
    state, actions = step(State(), CallStarted(spec.get("caller_id")), ctx)
    run = Run(port, state, [("<call>", actions)])
    for turn in spec.get("turns", []):
        state, actions = step(state, event_for(turn["caller"]), ctx)
        run.turns.append((turn["caller"], actions))
    run.state = state
    return run


def main(paths: list[str]) -> None:
    for name in paths:
        path = Path(name)
        run = run_script(load_script(path))
        print(f"== {path.name}: {run.state.outcome}")
        print(run.transcript())
        for record in run.port.appointments:
            print(
                f"   {record.status} {record.reference} {record.practitioner_id} {record.motif_id} "
                f"{record.start.isoformat()} {record.patient.first_name} {record.patient.last_name} "
                f"{record.patient.birth_date} {record.patient.phone}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
