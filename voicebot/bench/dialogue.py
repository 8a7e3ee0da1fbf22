"""The conversation bench: simulated callers (`voicebot.bench.patient`) against `voicebot chat --json`.

Each scenario runs on its own SQLite database holding the practice and the appointments it starts with,
either in this process through `voicebot.simulate.chat.run_chat` (the code behind `voicebot chat --json`)
or through a real `voicebot chat --json` subprocess, then the database is checked: the right appointment
booked, moved or cancelled (or none), with the right practitioner, motif, time window and patient.
Summaries (`voicebot.bench.report`) give the rate per practice and language.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from booking.clinic import load_clinic
from booking.records import AppointmentRecord, PatientDetails, Source
from booking.service import BookingService
from booking.slots import Slot
from booking.store import apply_clinic
from voicebot.bench.checks import check
from voicebot.bench.conversation import TIMEOUT_S, Call, play_process
from voicebot.bench.offers import Window
from voicebot.bench.patient import Persona
from voicebot.simulate.chat import run_chat

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "dialogue" / "scenarios"


@dataclass(frozen=True)
class Scenario:
    """One simulated call and what the database must hold afterwards."""

    id: str
    title: str
    practice: str
    """The scenario file's stem (one file per practice)."""
    clinic: Path
    now: datetime
    caller_id: str | None
    persona: Persona
    expect: dict[str, Any]
    existing: tuple[dict[str, Any], ...] = ()
    pending: str = ""
    """A feature the scenario waits for (e.g. "request"): run and reported, not counted in the rate."""


@dataclass
class Result:
    """A finished scenario."""

    scenario: Scenario
    ok: bool
    problems: list[str]
    outcome: str | None
    turns: int
    """Caller turns."""
    worst_loop: tuple[str, int]
    """The question asked most often, and how many times."""
    transcript: list[str] = field(default_factory=list)
    seconds: float = 0.0
    refused: int = 0
    """Offers the caller turned down (restating the wish, or "later") before one fitted."""
    last_question: str = ""
    """The class of the last question the caller answered."""


def load_scenarios(folder: Path = SCENARIOS) -> list[Scenario]:
    """Every scenario of every `*.toml` file in `folder`, in file then listing order."""
    scenarios: list[Scenario] = []
    for path in sorted(folder.glob("*.toml")):
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        for entry in spec["scenarios"]:
            persona = dict(spec.get("persona", {}), **entry.get("persona", {}))
            persona["window"] = Window.parse(persona.get("window", {}))
            for key in ("first_when", "silent"):
                persona[key] = tuple(persona.get(key, ()))
            persona.setdefault("language", entry.get("language", spec.get("language", "fr")))
            scenarios.append(
                Scenario(
                    id=entry["id"],
                    title=entry.get("title", ""),
                    practice=path.stem,
                    clinic=ROOT / entry.get("clinic", spec["clinic"]),
                    now=datetime.fromisoformat(entry.get("now", spec["now"])),
                    caller_id=entry.get("caller_id", spec.get("caller_id")),
                    persona=Persona(**persona),
                    expect=entry.get("expect", {}),
                    existing=tuple(entry.get("existing", ())),
                    pending=entry.get("pending", ""),
                )
            )
    return scenarios


def prepare(scenario: Scenario, folder: Path, templates: dict[Path, Path]) -> tuple[str, list[AppointmentRecord]]:
    """A database for the scenario (a copy of its practice's, configured once) with its appointments."""
    if scenario.clinic not in templates:
        template = folder / f"template-{len(templates)}.db"
        service = BookingService.open(f"sqlite:///{template}")
        clinic = load_clinic(scenario.clinic)
        apply_clinic(service.engine, clinic, scenario.now.replace(tzinfo=clinic.practice.zone))
        service.engine.dispose()
        templates[scenario.clinic] = template
    path = folder / f"{scenario.id}.db"
    shutil.copy(templates[scenario.clinic], path)
    url = f"sqlite:///{path}"
    service = BookingService.open(url)
    zone = service.clinic().practice.zone
    now = scenario.now.replace(tzinfo=zone)
    seeded = []
    for entry in scenario.existing:
        start = datetime.fromisoformat(entry["start"]).replace(tzinfo=zone)
        motif = service.clinic().motif(entry["motif"])
        slot = Slot(start, start + timedelta(minutes=motif.duration_minutes), entry["practitioner"], motif.id)
        patient = PatientDetails(
            entry["first_name"], entry["last_name"], date.fromisoformat(entry["birth_date"]), entry["phone"]
        )
        seeded.append(service.book(slot, patient, now, source=Source.STAFF))
    service.engine.dispose()
    return url, seeded


class _Collector(io.StringIO):
    """Stdout of an in-process chat: keeps each JSON message."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        self.cursor = 0

    def take(self) -> list[dict[str, Any]]:
        """The messages written since the last call."""
        fresh, self.cursor = self.messages[self.cursor :], len(self.messages)
        return fresh

    def write(self, text: str) -> int:
        self.messages.extend(json.loads(line) for line in text.splitlines() if line.strip())
        return len(text)


def run_in_process(scenario: Scenario, url: str) -> Call:
    """Play the scenario through `run_chat` in JSON mode, as `voicebot chat --json` does."""
    call = Call(scenario.persona, scenario.now.date())
    out = _Collector()
    service = BookingService.open(url)
    zone = service.clinic().practice.zone
    now = scenario.now.replace(tzinfo=zone)

    def lines() -> Iterator[str]:
        while (line := call.hear(out.take())) is not None:
            yield line

    errors = io.StringIO()
    run_chat(
        service,
        locale=scenario.persona.language,
        caller_id=scenario.caller_id,
        now_fn=lambda: now,
        lines=lines(),
        json_mode=True,
        out=out,
        err=errors,
    )
    call.hear(out.take())
    if errors.getvalue():
        call.transcript.append(f"[stderr: {errors.getvalue().strip()}]")
    service.engine.dispose()
    return call


def run_subprocess(scenario: Scenario, url: str) -> Call:
    """Play the scenario against a real `voicebot chat --json` process."""
    call = Call(scenario.persona, scenario.now.date())
    command = [sys.executable, "-m", "voicebot", "chat", "--json", "--db", url, "--clinic", str(scenario.clinic)]
    command += ["--now", scenario.now.isoformat(), "--language", scenario.persona.language]
    command += ["--caller-id", scenario.caller_id] if scenario.caller_id else []
    play_process(call, command, limit_s=TIMEOUT_S + 10)
    return call


def run_scenario(scenario: Scenario, folder: Path, templates: dict[Path, Path], *, subprocess_: bool = False) -> Result:
    """Prepare, play and check one scenario."""
    began = time.monotonic()
    url, seeded = prepare(scenario, folder, templates)
    call = (run_subprocess if subprocess_ else run_in_process)(scenario, url)
    return judge(scenario, call, url, seeded, began)


def judge(scenario: Scenario, call: Call, url: str, seeded: list[AppointmentRecord], began: float) -> Result:
    """The scenario's result once `call` has ended: the database checked (`began`: its `time.monotonic()`)."""
    problems = check(scenario.expect, scenario.persona, url, seeded, call.outcome)
    if call.patient.lost:
        problems.append(f"{call.patient.lost} question(s) the caller could not place") if problems else None
    return Result(
        scenario,
        not problems,
        problems,
        call.outcome,
        call.turns,
        call.worst_loop,
        call.transcript,
        time.monotonic() - began,
        call.patient.refused,
        call.patient.last,
    )
