"""`voicebot chat --json` killed with SIGKILL around the caller's final "oui" (texts on, so a booking writes the
appointment, the patient and the confirmation text together): the database keeps the booking whole or not at all,
and a reference the caller was told exists. Real processes on a real SQLite file and a real PostgreSQL database;
each round is a new process on the database the last one was killed on (the restart)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from booking.service import BookingService
from tests.conftest import ROOT, SAMPLE_CLINIC

pytestmark = pytest.mark.slow

EVENT_TIMEOUT = 30.0
"""Seconds the bot may take to answer one line (the first includes the process's start and migrations)."""
REQUEST = "Bonjour, je voudrais voir le docteur Martin mardi prochain vers 10 h pour un vaccin"
PATIENTS = [
    ("Jean Dupont", "le 14 juillet 1985"),
    ("Paul Durand", "le 3 mars 1990"),
    ("Sophie Bernard", "le 21 juin 1977"),
    ("Luc Petit", "le 2 février 1964"),
    ("Anne Moreau", "le 9 octobre 2001"),
    ("Louis Robert", "le 30 avril 1959"),
    ("Marc Lefebvre", "le 11 novembre 1948"),
]
KILLS = ["at once", "in the write", "after 15 ms", "after 40 ms", "after 100 ms", "after the reference", "in the write"]
"""When each round kills the process, counted from the final "oui" written on its stdin."""


class Chat:
    """One `voicebot chat --json` child on `db`: lines in, the bot's JSON events read with a timeout."""

    def __init__(self, db: str, clinic: Path, caller_id: str) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
        command = [sys.executable, "-m", "voicebot", "chat", "--json", "--db", db, "--now", "2026-11-28T10:00"]
        self.process = subprocess.Popen(
            [*command, "--clinic", str(clinic), "--caller-id", caller_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env=environment,
        )
        self.events: queue.Queue[dict[str, object] | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.put(json.loads(line))
        self.events.put(None)

    def event(self) -> dict[str, object]:
        try:
            event = self.events.get(timeout=EVENT_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"the bot said nothing within {EVENT_TIMEOUT:.0f} s") from None
        assert event is not None, "the bot ended its output"
        return event

    def turn(self) -> tuple[list[str], str]:
        """What the bot says up to its next `listen`, and the answer it expects."""
        said: list[str] = []
        while (event := self.event())["type"] != "listen":
            assert event["type"] == "say", event
            said.append(str(event["text"]))
        return said, str(event["expect"])

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def kill(self) -> list[dict[str, object]]:
        """SIGKILL the process; every event it wrote before it died."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        left: list[dict[str, object]] = []
        while (event := self.events.get(timeout=10)) is not None:
            left.append(event)
        return left


def up_to_the_read_back(chat: Chat, name: str, birth: str) -> None:
    """Answer the bot's questions until it reads the booking back (the final yes/no question)."""
    answers = {"name": name, "date": birth}
    asked_for_slot = False
    for _ in range(12):
        said, expect = chat.turn()
        if expect == "yes_no" and any("récapitule" in line for line in said):
            return
        if expect == "free":
            chat.say("le premier" if asked_for_slot else REQUEST)
            asked_for_slot = True
        elif expect in answers:
            chat.say(answers[expect])
        else:
            assert expect == "yes_no", (said, expect)
            chat.say("oui")  # may we call you back on this number?
    raise AssertionError("the bot never read the booking back")


def reference_told(events: list[dict[str, object]]) -> str | None:
    """The reference the caller heard or was given in the `end` event, if the process got that far."""
    for event in events:
        if event["type"] == "end" and event.get("reference"):
            return str(event["reference"])
        if event["type"] == "say" and "numéro de rendez-vous" in str(event["text"]):
            words = str(event["text"]).split(":", 1)[1].split(".")[0]
            return "".join(ch for ch in words if ch.isdigit())
    return None


@dataclass
class WriteWatch:
    """Tells when the chat's booking transaction is under way: on PostgreSQL a backend of the database holding a
    transaction id (it wrote, or locked the practice row, and has not committed); on SQLite the WAL file changing.
    """

    engine: Engine
    wal: Path | None = None
    _wal_stat: tuple[int, int] | None = field(default=None, init=False)

    def arm(self) -> None:
        if self.wal is not None:
            self._wal_stat = self._stat()

    def _stat(self) -> tuple[int, int]:
        assert self.wal is not None
        try:
            stat = self.wal.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_size, stat.st_mtime_ns)

    def writing(self) -> bool:
        if self.wal is not None:
            return self._stat() != self._wal_stat
        with self.engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            ).scalar_one()
        return int(found) > 0


def wait_for(predicate: Callable[[], bool], seconds: float, every: float = 0.0) -> bool:
    """Poll `predicate` every `every` seconds (0: as fast as it goes) for up to `seconds`; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def kill_around_the_yes(chat: Chat, how: str, watch: WriteWatch) -> list[dict[str, object]]:
    """Say the final "oui" and SIGKILL the process `how` (see `KILLS`); the events it wrote."""
    watch.arm()
    chat.say("oui")
    if how == "in the write":
        wait_for(watch.writing, 10.0)  # not seen in time (the write was too quick): killed after it, as well
    elif how.startswith("after ") and how.endswith(" ms"):
        time.sleep(int(how.split()[1]) / 1000)
    elif how == "after the reference":
        seen: list[dict[str, object]] = []
        while reference_told(seen) is None:
            seen.append(chat.event())
        return seen + chat.kill()
    return chat.kill()


def connections_gone(engine: Engine) -> bool:
    """No other session left on the database (PostgreSQL has rolled back what the killed process left open)."""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as connection:
        others = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).scalar_one()
    return int(others) == 0


LEFT_OVER = {
    "an appointment without its patient": "SELECT a.reference FROM appointment a"
    " WHERE NOT EXISTS (SELECT 1 FROM patient p WHERE p.id = a.patient_id)",
    "a patient without the appointment booked for them": "SELECT p.id FROM patient p"
    " WHERE NOT EXISTS (SELECT 1 FROM appointment a WHERE a.patient_id = p.id)",
    "a confirmation text without its appointment": "SELECT s.id FROM sms_message s WHERE s.kind = 'confirmation'"
    " AND NOT EXISTS (SELECT 1 FROM appointment a WHERE a.id = s.appointment_id)",
    "an appointment without its confirmation text": "SELECT a.reference FROM appointment a"
    " WHERE NOT EXISTS (SELECT 1 FROM sms_message s WHERE s.appointment_id = a.id AND s.kind = 'confirmation')",
}
"""What a booking cut in half would leave (in these tests patients come only from the bookings, texts are on and
every caller has a mobile number): each query must find nothing."""


def check_whole(engine: Engine, references: set[str]) -> int:
    """Every booking whole (appointment, patient, confirmation text), nothing left over, every reference told
    booked; the number of appointments."""
    with engine.connect() as connection:

        def rows(sql: str) -> list[object]:
            return list(connection.execute(text(sql)).scalars())

        if engine.dialect.name == "sqlite":
            assert rows("PRAGMA integrity_check") == ["ok"]
            assert rows("PRAGMA foreign_key_check") == []
        for what, sql in LEFT_OVER.items():
            assert rows(sql) == [], what
        booked = set(rows("SELECT reference FROM appointment WHERE status = 'booked'"))
        assert references <= booked, f"told {sorted(references - booked)}, not in the database"
        return len(rows("SELECT id FROM appointment"))


def test_a_kill_at_the_final_yes_keeps_the_booking_whole_or_absent(db_url: str, tmp_path: Path) -> None:
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(SAMPLE_CLINIC.read_text(encoding="utf-8") + "\n[sms]\nenabled = true\n", encoding="utf-8")
    checker = create_engine(db_url)
    wal = Path(db_url.removeprefix("sqlite:///") + "-wal") if db_url.startswith("sqlite") else None
    watch = WriteWatch(checker, wal)
    references: set[str] = set()
    try:
        for round_, (how, (name, birth)) in enumerate(zip(KILLS, PATIENTS, strict=True)):
            chat = Chat(db_url, clinic, f"+3361234500{round_}")
            try:
                up_to_the_read_back(chat, name, birth)
                told = reference_told(kill_around_the_yes(chat, how, watch))
            finally:
                if chat.process.poll() is None:
                    chat.process.kill()
                    chat.process.wait(timeout=10)
            if told is not None:
                references.add(told)
            assert wait_for(lambda: connections_gone(checker), 15.0, 0.05), "the killed process's session lingers"
            count = check_whole(checker, references)
            assert count <= round_ + 1
            if how == "after the reference":
                assert told is not None and count >= 1
        # after the kills, a call books as before: its reference is told, booked, and the database still whole
        chat = Chat(db_url, clinic, "+33612345099")
        try:
            up_to_the_read_back(chat, "Julie Richard", "le 5 mai 1995")
            chat.say("oui")
            events = [chat.event()]
            while events[-1]["type"] != "end":
                events.append(chat.event())
            assert chat.process.wait(timeout=EVENT_TIMEOUT) == 0
        finally:
            chat.kill()
        told = reference_told(events)
        assert told is not None and events[-1]["outcome"] == "booked"
        service = BookingService.open(db_url)
        assert service.get(told).status.value == "booked"
        service.engine.dispose()
        check_whole(checker, references | {told})
    finally:
        checker.dispose()
