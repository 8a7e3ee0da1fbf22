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
import queue
import shutil
import subprocess
import sys
import threading
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
from voicebot.bench.offers import Window
from voicebot.bench.patient import Patient, Persona
from voicebot.simulate.chat import run_chat

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "dialogue" / "scenarios"
TURN_CAP = 30
TIMEOUT_S = 20.0


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


class _Call:
    """One call's caller side: turns bot messages into caller lines, keeps the transcript."""

    def __init__(self, scenario: Scenario) -> None:
        self.patient = Patient(scenario.persona, scenario.now.date())
        self.transcript: list[str] = []
        self.turns = 0
        self.outcome: str | None = None
        self.deadline = time.monotonic() + TIMEOUT_S
        self.says: list[str] = []

    def hear(self, messages: list[dict[str, Any]]) -> str | None:
        """Record the bot's messages; the caller's answer when the last one is a `listen`, else `None`."""
        for message in messages:
            if message["type"] == "say":
                self.says.append(message["text"])
                self.transcript.append(f"bot: {message['text']}")
            elif message["type"] == "end":
                self.outcome = message.get("outcome")
                self.transcript.append(f"[end: {self.outcome}]")
        if not messages or messages[-1]["type"] != "listen":
            return None
        if self.turns >= TURN_CAP or time.monotonic() > self.deadline:
            self.transcript.append(f"[caller hangs up: {'turn cap' if self.turns >= TURN_CAP else 'timeout'}]")
            return "hangup"
        line = self.patient.answer(self.says, messages[-1].get("expect"))
        self.says = []
        self.turns += 1
        self.transcript.append(f"caller ({self.patient.last}, expect {messages[-1].get('expect')}): {line}")
        return line


def run_in_process(scenario: Scenario, url: str) -> _Call:
    """Play the scenario through `run_chat` in JSON mode, as `voicebot chat --json` does."""
    call = _Call(scenario)
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


def run_subprocess(scenario: Scenario, url: str) -> _Call:
    """Play the scenario against a real `voicebot chat --json` process."""
    call = _Call(scenario)
    command = [sys.executable, "-m", "voicebot", "chat", "--json", "--db", url, "--clinic", str(scenario.clinic)]
    command += ["--now", scenario.now.isoformat(), "--language", scenario.persona.language]
    command += ["--caller-id", scenario.caller_id] if scenario.caller_id else []
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    assert process.stdin is not None and process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = process.stdout

    def pump() -> None:
        for text in stdout:
            lines.put(text)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + TIMEOUT_S + 10
    try:
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            answer = call.hear([json.loads(line)])
            if answer is not None:
                process.stdin.write(answer + "\n")
                process.stdin.flush()
    except queue.Empty:
        call.transcript.append("[timeout: the chat process stopped answering]")
    finally:
        process.kill() if process.poll() is None else None
        process.wait()
    return call


def run_scenario(scenario: Scenario, folder: Path, templates: dict[Path, Path], *, subprocess_: bool = False) -> Result:
    """Prepare, play and check one scenario."""
    began = time.monotonic()
    url, seeded = prepare(scenario, folder, templates)
    call = (run_subprocess if subprocess_ else run_in_process)(scenario, url)
    problems = check(scenario.expect, scenario.persona, url, seeded, call.outcome)
    asked = call.patient.asked
    worst = max(asked.items(), key=lambda item: item[1]) if asked else ("", 0)
    if call.patient.lost:
        problems.append(f"{call.patient.lost} question(s) the caller could not place") if problems else None
    return Result(
        scenario,
        not problems,
        problems,
        call.outcome,
        call.turns,
        worst,
        call.transcript,
        time.monotonic() - began,
        call.patient.refused,
        call.patient.last,
    )
