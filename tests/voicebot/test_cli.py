"""The staff and developer command line, run as a real program on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_CLINIC

NOW = "2026-11-28T10:00"
NO_DATABASE = {"models", "call", "softphone", "bench voice", "bench dialogue", "bench line", "bench soak"}
"""Commands (or groups) that never touch the booking database, so take no --db (`bench voice` runs on its own
temporary database, `bench dialogue` and `bench line` on one per scenario, each at its scenario's own time)."""


def voicebot(
    *args: str, db: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "voicebot", *args, "--db", db, "--now", NOW],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env=environment,
        check=False,
    )


@pytest.fixture
def applied(sqlite_url: str) -> str:
    result = voicebot("clinic", "apply", str(SAMPLE_CLINIC), db=sqlite_url)
    assert result.returncode == 0, result.stderr
    assert "configuration version 1" in result.stdout
    return sqlite_url


def test_every_command_has_help() -> None:
    from click.testing import CliRunner

    from voicebot.cli import main

    runner = CliRunner()
    stack: list[tuple[list[str], object]] = [([], main)]
    seen = 0
    while stack:
        path, command = stack.pop()
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        seen += 1
        for name, sub in getattr(command, "commands", {}).items():
            stack.append(([*path, name], sub))
            full = [*path, name]
            if not getattr(sub, "commands", None) and not {full[0], " ".join(full)} & NO_DATABASE:
                sub_help = runner.invoke(main, [*path, name, "--help"]).output
                assert "--db" in sub_help and "--now" in sub_help, name
    assert seen >= 8


def test_validate_reports_problems_without_traceback(tmp_path: Path, sqlite_url: str) -> None:
    ok = voicebot("clinic", "validate", str(SAMPLE_CLINIC), db=sqlite_url)
    assert ok.returncode == 0 and "is valid" in ok.stdout and "4 practitioners" in ok.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text(
        SAMPLE_CLINIC.read_text(encoding="utf-8").replace('"08:30-12:00"', '"25:00-12:00"', 1), encoding="utf-8"
    )
    result = voicebot("clinic", "validate", str(broken), db=sqlite_url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(broken) in result.stderr and 'practitioners[1] (id "martin"), hours.mon' in result.stderr
    assert '"25:00-12:00" is not a valid time range' in result.stderr
    missing = voicebot("clinic", "apply", str(tmp_path / "nope.toml"), db=sqlite_url)
    assert missing.returncode == 1 and "cannot read the file" in missing.stderr


def test_apply_is_idempotent_and_show(applied: str) -> None:
    again = voicebot("clinic", "apply", str(SAMPLE_CLINIC), db=applied)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    shown = voicebot("clinic", "show", "--json", db=applied)
    data = json.loads(shown.stdout)
    assert data["practice"]["name"] == "Cabinet médical du Parc"
    assert [p["id"] for p in data["practitioners"]] == ["martin", "bernard", "bertrand", "girard"]
    text = voicebot("clinic", "show", db=applied).stdout
    assert "Dr Sophie Martin" in text and "Mon 08:30-12:00, 14:00-18:30" in text


def test_slots_json_shape(applied: str) -> None:
    result = voicebot(
        "slots",
        "--practitioner",
        "martin",
        "--motif",
        "consultation",
        "--from",
        "2026-12-01",
        "--days",
        "1",
        "--json",
        db=applied,
    )
    assert result.returncode == 0, result.stderr
    slots = json.loads(result.stdout)
    assert slots[0] == {
        "practitioner_id": "martin",
        "motif_id": "consultation",
        "start": "2026-12-01T08:30:00+01:00",
        "end": "2026-12-01T08:50:00+01:00",
    }
    assert slots[-1]["start"] == "2026-12-01T18:00:00+01:00"  # last 20-min slot before 18:30
    assert len(slots) == 10 + 13  # 08:30-12:00 and 14:00-18:30 on a 20-minute grid
    mornings = json.loads(
        voicebot(
            "slots",
            "--motif",
            "consultation",
            "--from",
            "2026-12-01",
            "--days",
            "1",
            "--part",
            "afternoon",
            "--not-before",
            "17:00",
            "--json",
            db=applied,
        ).stdout
    )
    assert mornings and all("T17" <= s["start"][10:13] for s in mornings)


def test_book_list_cancel_round_trip(applied: str) -> None:
    book = [
        "appointments",
        "book",
        "--practitioner",
        "martin",
        "--motif",
        "consultation",
        "--start",
        "2026-12-01T09:10",
        "--first-name",
        "Jean",
        "--last-name",
        "Dupont",
        "--birth-date",
        "1980-02-03",
        "--phone",
        "+33612345678",
    ]
    first = voicebot(*book, db=applied)
    assert first.returncode == 0, first.stderr
    reference = first.stdout.strip()
    assert reference.isdigit() and len(reference) == 6
    taken = voicebot(*book, db=applied)
    assert taken.returncode == 1 and "already booked" in taken.stderr and taken.stdout == ""
    closed = voicebot(*[a if a != "2026-12-01T09:10" else "2026-12-25T09:10" for a in book], db=applied)
    assert closed.returncode == 1 and "closed" in closed.stderr
    unknown = voicebot(*[a if a != "martin" else "house" for a in book], db=applied)
    assert unknown.returncode == 1 and 'unknown practitioner "house"' in unknown.stderr
    national = voicebot(*[a if a != "+33612345678" else "06 12 34 56 78" for a in book], db=applied)
    assert national.returncode == 1 and "already booked" in national.stderr  # the number was read, in France
    bad_phone = voicebot(*[a if a != "+33612345678" else "06 12 34" for a in book], db=applied)
    assert bad_phone.returncode == 1 and "not a phone number" in bad_phone.stderr

    listed = json.loads(voicebot("appointments", "list", "--json", db=applied).stdout)
    assert listed == [
        {
            "reference": reference,
            "status": "booked",
            "practitioner_id": "martin",
            "motif_id": "consultation",
            "start": "2026-12-01T09:10:00+01:00",
            "end": "2026-12-01T09:30:00+01:00",
            "source": "staff",
            "patient": {
                "first_name": "Jean",
                "last_name": "Dupont",
                "birth_date": "1980-02-03",
                "phone": "+33612345678",
            },
        }
    ]
    cancelled = voicebot("appointments", "cancel", reference, db=applied)
    assert cancelled.returncode == 0 and "Cancelled" in cancelled.stdout
    listed = json.loads(voicebot("appointments", "list", "--json", db=applied).stdout)
    assert listed[0]["status"] == "cancelled"
    assert voicebot("appointments", "cancel", reference, db=applied).returncode == 1


def test_move(applied: str) -> None:
    reference = voicebot(
        "appointments",
        "book",
        "--practitioner",
        "bernard",
        "--motif",
        "vaccination",
        "--start",
        "2026-12-02T09:00",
        "--first-name",
        "Léa",
        "--last-name",
        "Petit",
        "--birth-date",
        "2015-06-01",
        "--phone",
        "+33611111111",
        db=applied,
    ).stdout.strip()
    moved = voicebot("appointments", "move", reference, "--start", "2026-12-02T10:00", db=applied)
    assert moved.returncode == 0, moved.stderr
    listed = json.loads(voicebot("appointments", "list", "--json", "--status", "booked", db=applied).stdout)
    assert [(a["reference"], a["start"]) for a in listed] == [(moved.stdout.strip(), "2026-12-02T10:00:00+01:00")]


def test_environment_variables_and_bad_now(applied: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voicebot", "appointments", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=os.environ | {"VOICEBOT_DB": applied, "VOICEBOT_NOW": NOW},
    )
    assert result.returncode == 0 and json.loads(result.stdout) == []
    bad = voicebot("slots", "--motif", "consultation", db=applied, env={})
    assert bad.returncode == 0
    wrong = subprocess.run(
        [sys.executable, "-m", "voicebot", "slots", "--motif", "consultation", "--db", applied, "--now", "mardi"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 1 and "is not an ISO 8601 date-time" in wrong.stderr


def test_unconfigured_database_says_what_to_do(sqlite_url: str) -> None:
    result = voicebot("slots", "--motif", "consultation", db=sqlite_url)
    assert result.returncode == 1 and "voicebot clinic apply" in result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage://x", "database problem"),
        ("sqlite:////proc/nope/voicebot.db", "No such file or directory"),
        ("postgresql://nobody@127.0.0.1:1/x", "Connection refused"),
    ],
)
def test_bad_database_urls_give_a_message_not_a_traceback(url: str, message: str) -> None:
    result = voicebot("slots", "--motif", "consultation", db=url)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
