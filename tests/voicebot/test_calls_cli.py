"""`voicebot calls list` and `voicebot calls show`, run as a real program on a real database filled by real
`voicebot chat` calls."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from booking.calls import CallLog
from booking.clinic import load_clinic
from booking.service import BookingService
from booking.staff import StaffStore
from booking.store import apply_clinic
from tests.conftest import NOW as PARIS_NOW
from tests.conftest import SAMPLE_CLINIC
from voicebot.simulate.chat import run_chat

NOW = "2026-11-28T10:00"
JEAN = [
    "Bonjour, je voudrais voir le docteur Martin mardi prochain vers 10 h pour un vaccin",
    "celui de 10 h",
    "Jean Dupont",
    "le 14 juillet 1985",
    "oui",
    "oui c'est parfait",
]
JEAN_SECRETS = ("Jean", "Dupont", "D, U, P, O", "14 juillet 1985", "1985-07-14", "0698765432", "698765432", "54 32")
MARIE = [
    "je refuse",
    "Bonjour, je voudrais voir le docteur Martin mercredi prochain vers 11 h pour un vaccin",
    "celui de 11 h",
    "Marie Curie",
    "le 7 novembre 1967",
    "oui",
    "oui c'est parfait",
]
MARIE_SECRETS = ("Marie", "Curie", "C, U, R, I", "7 novembre 1967", "1967-11-07", "0611223344", "611223344", "33 44")


@dataclass(frozen=True)
class Done:
    """What a command did: its exit status and its two outputs."""

    returncode: int
    stdout: str
    stderr: str


def voicebot(*args: str, db: str, now: str = NOW, stdin: str | None = None) -> Done:
    """`voicebot ARGS --db DB --now NOW`, the real command line run in this process (quicker than a program)."""
    from voicebot.cli import main

    environment = {name: None for name in os.environ if name.startswith("VOICEBOT_")}
    result = CliRunner().invoke(main, [*args, "--db", db, "--now", now], input=stdin, env=environment)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


def ok(*args: str, db: str, now: str = NOW, stdin: str | None = None) -> str:
    """The output of a command that must succeed."""
    done = voicebot(*args, db=db, now=now, stdin=stdin)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stdout


def call(tmp_path: Path, db: str, lines: list[str], caller: str) -> None:
    """One `voicebot chat --script` call, run as a program."""
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
    command = [sys.executable, "-m", "voicebot", "chat", "--script", str(script), "--caller-id", caller]
    done = subprocess.run(
        [*command, "--db", db, "--now", NOW], capture_output=True, text=True, timeout=120, env=environment, check=False
    )
    assert done.returncode == 0 and "[call ended: booked" in done.stdout, done.stderr


def chat_here(db: str, lines: list[str], caller: str, now: str = NOW) -> None:
    """One call through `run_chat` in this process (quicker than a program), written to the call log."""
    service = BookingService.open(db)
    zone = service.clinic().practice.zone
    at = datetime.fromisoformat(now).replace(tzinfo=zone)
    out = io.StringIO()
    run_chat(service, caller_id=caller, now_fn=lambda: at, lines=iter(lines), out=out, call_log=CallLog(service.engine))
    assert "[call ended" in out.getvalue()
    service.engine.dispose()


def listed(db: str, *filters: str, now: str = NOW) -> list[dict[str, Any]]:
    """`voicebot calls list --json`."""
    result: list[dict[str, Any]] = json.loads(ok("calls", "list", "--json", *filters, db=db, now=now))
    return result


@pytest.fixture
def two_calls(sqlite_url: str) -> str:
    """The sample practice, Jean's booking call on 28 November, a call that hangs up on 30 November."""
    service = BookingService.open(sqlite_url)
    apply_clinic(service.engine, load_clinic(SAMPLE_CLINIC), PARIS_NOW)
    service.engine.dispose()
    chat_here(sqlite_url, JEAN, "+33698765432")
    chat_here(sqlite_url, ["Bonjour", "hangup"], "+33611223344", now="2026-11-30T09:15")
    return sqlite_url


def test_list_filters_and_shows_the_calls(two_calls: str) -> None:
    second, first = listed(two_calls)
    assert {"id", "channel", "started_at", "outcome", "booked", "caller_turns", "latency"} <= set(first)
    assert (first["channel"], first["outcome"], first["started_at"]) == ("chat", "booked", "2026-11-28T09:00:00+00:00")
    assert len(first["booked"]) == 1 and first["caller_turns"] == 6 and "transcript" not in first
    assert (second["outcome"], second["booked"], second["caller_phone"]) == ("hung_up", [], "+33611223344")
    assert [c["id"] for c in listed(two_calls, "--outcome", "booked")] == [first["id"]]
    assert [c["id"] for c in listed(two_calls, "--from", "2026-11-29")] == [second["id"]]
    assert [c["id"] for c in listed(two_calls, "--until", "2026-11-28")] == [first["id"]]  # inclusive
    assert listed(two_calls, "--from", "2026-12-01") == []
    table = ok("calls", "list", db=two_calls).splitlines()
    assert table[0].startswith(f"#{second['id']}") and "Mon 2026-11-30 09:15" in table[0] and "hung_up" in table[0]
    assert "Sat 2026-11-28 10:00" in table[1] and f"booked {first['booked'][0]}" in table[1] and "6 turns" in table[1]
    assert ok("calls", "list", "--from", "2026-12-01", db=two_calls).strip() == "No call in that period."
    refused = voicebot("calls", "list", "--outcome", "lost", db=two_calls)
    assert refused.returncode == 2 and "'lost' is not one of" in refused.stderr


def test_show_gives_the_pseudonymised_transcript(two_calls: str) -> None:
    first = listed(two_calls)[-1]
    shown = json.loads(ok("calls", "show", str(first["id"]), "--json", db=two_calls))
    assert shown["id"] == first["id"] and shown["outcome"] == "booked" and shown["transcript_kept"] is True
    transcript = shown["transcript"]
    assert {line["speaker"] for line in transcript} == {"bot", "caller"}
    assert transcript[0] == {"speaker": "bot", "text": transcript[0]["text"]}
    assert {"speaker": "caller", "text": "⟨NAME⟩"} in transcript
    text = json.dumps(transcript, ensure_ascii=False)
    for secret in (*JEAN_SECRETS, first["booked"][0]):
        assert secret not in text, secret
    people = ok("calls", "show", str(first["id"]), db=two_calls)
    assert f"Call #{first['id']} (chat" in people and "outcome:  booked" in people
    assert "\n  caller: ⟨NAME⟩\n" in people and "\n  bot: Que puis-je faire pour vous ?\n" in people
    missing = voicebot("calls", "show", "99", db=two_calls)
    assert missing.returncode == 1 and "there is no call number 99" in missing.stderr


def test_a_purged_transcript_says_so(two_calls: str) -> None:
    first = listed(two_calls)[-1]
    ok("privacy", "purge", db=two_calls, now="2026-12-29T10:00")  # 31 days later: past transcript_days = 30
    shown = json.loads(ok("calls", "show", str(first["id"]), "--json", db=two_calls))
    assert shown["transcript"] is None and shown["transcript_kept"] is False and shown["outcome"] == "booked"
    people = ok("calls", "show", str(first["id"]), db=two_calls)
    assert "Transcript: deleted by the retention purge" in people


def test_reading_the_call_log_is_audited_without_personal_data(two_calls: str) -> None:
    first = listed(two_calls, "--outcome", "booked")[0]
    ok("calls", "show", str(first["id"]), db=two_calls)
    lines = [
        (entry.username, entry.action, entry.details)
        for entry in reversed(StaffStore(BookingService.open(two_calls).engine).recent(10))
    ]
    assert ("cli", "calls.view", "outcome=booked") in lines and ("cli", "call.view", str(first["id"])) in lines
    for secret in (*JEAN_SECRETS, "+33698765432"):
        assert all(secret not in details for _, _, details in lines), secret
