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
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from booking.service import BookingService
from tests.conftest import ROOT, SAMPLE_CLINIC
from tests.voicebot.booking_consistency import WriteWatch, check_whole, connections_gone, wait_for

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
