"""Dates the command line cannot use are refused with a sentence and exit 1, never a traceback (issue 13,
holes 3 and 4): `--start` of `appointments book`/`move`, `--from` of `slots`, `--from`/`--until` of
`appointments list`, `--now` (and `VOICEBOT_NOW`), and a clinic file whose motif lasts 3,000,000,000 minutes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import SAMPLE_CLINIC
from voicebot.cli import main

NOW = "2026-11-28T10:00"
"""Saturday; the sample practice books 60 days ahead (until 2027-01-27), staff 730 days either way."""
CLEAN = {name: None for name in os.environ if name.startswith("VOICEBOT_")}
BOOK = [
    "appointments",
    "book",
    "--practitioner",
    "martin",
    "--motif",
    "consultation",
    "--first-name",
    "Jean",
    "--last-name",
    "Dupont",
    "--birth-date",
    "1980-02-03",
    "--phone",
    "+33612345678",
]
OUT_OF_RANGE = "that date is out of range (voicebot works with dates from 1900-01-01 to 2999-12-31)"


def run(db: str, *args: str, now: str | None = NOW, env: dict[str, str | None] | None = None) -> Result:
    clock = ["--now", now] if now else []
    return CliRunner().invoke(main, [*args, "--db", db, *clock], env=CLEAN | (env or {}))


def refused(result: Result) -> str:
    """The error line of a command that refused, after checking it ended the way people are answered."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an OverflowError
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0].removeprefix("Error: ")


@pytest.fixture
def applied(sqlite_url: str) -> str:
    result = run(sqlite_url, "clinic", "apply", str(SAMPLE_CLINIC))
    assert result.exit_code == 0, result.output
    return sqlite_url


AHEAD = "is too far ahead: appointments can be booked up to 730 days from today (2026-11-28), until 2028-11-27"


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("9999-12-31T09:30", f"--start 9999-12-31 {AHEAD}"),
        ("9999-12-31T23:00-05:00", f"--start 9999-12-31 {AHEAD}"),
        ("2028-11-28T09:30", f"--start 2028-11-28 {AHEAD}"),
        (
            "0001-01-01T00:00+05:00",
            "--start 0001-01-01 is too far back: appointments can be booked no more than 730 days before today "
            "(2026-11-28), from 2024-11-28",
        ),
    ],
)
def test_book_refuses_a_start_out_of_reach(applied: str, start: str, message: str) -> None:
    assert refused(run(applied, *BOOK, "--start", start)) == message
    assert json.loads(run(applied, "appointments", "list", "--json").stdout) == []


def test_staff_still_book_beyond_the_callers_horizon_up_to_their_reach(applied: str) -> None:
    booked = run(applied, *BOOK, "--start", "2028-11-27T09:30")  # a Monday, 730 days ahead
    assert booked.exit_code == 0, booked.output
    reference = booked.stdout.strip()
    assert refused(run(applied, "appointments", "move", reference, "--start", "9999-12-31T10:00")) == (
        f"--start 9999-12-31 {AHEAD}"
    )
    listed = json.loads(run(applied, "appointments", "list", "--json").stdout)
    assert [(a["reference"], a["start"]) for a in listed] == [(reference, "2028-11-27T09:30:00+01:00")]


@pytest.mark.parametrize(
    ("first_day", "message"),
    [
        (
            "9999-12-31",
            "--from 9999-12-31 is beyond the booking horizon (60 days from 2026-11-28): "
            "no slot is offered after 2027-01-27",
        ),
        (
            "2027-01-28",
            "--from 2027-01-28 is beyond the booking horizon (60 days from 2026-11-28): "
            "no slot is offered after 2027-01-27",
        ),
        ("2026-11-27", "--from 2026-11-27 is in the past: free slots start today (2026-11-28)"),
        ("1000-01-01", "--from 1000-01-01 is in the past: free slots start today (2026-11-28)"),
    ],
)
def test_slots_refuse_a_first_day_outside_the_horizon(applied: str, first_day: str, message: str) -> None:
    assert refused(run(applied, "slots", "--motif", "consultation", "--from", first_day)) == message


def test_slots_accept_the_first_and_the_last_day_of_the_horizon(applied: str) -> None:
    for first_day in ("2026-11-28", "2027-01-26"):  # a Saturday; a Tuesday, the horizon's eve
        result = run(applied, "slots", "--motif", "consultation", "--from", first_day, "--days", "366", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout), first_day


@pytest.mark.parametrize(
    ("option", "day"), [("--until", "9999-12-31"), ("--from", "0001-01-01"), ("--from", "3000-01-01")]
)
@pytest.mark.parametrize("listing", [["appointments", "list"], ["calls", "list"]])
def test_list_refuses_days_outside_the_calendar(applied: str, option: str, day: str, listing: list[str]) -> None:
    assert refused(run(applied, *listing, option, day)) == f"{option} {day}: {OUT_OF_RANGE}"


def test_list_accepts_both_ends_of_the_calendar(applied: str) -> None:
    result = run(applied, "appointments", "list", "--from", "1900-01-01", "--until", "2999-12-31")
    assert result.exit_code == 0 and "No appointment in that period." in result.stdout, result.output


@pytest.mark.parametrize("command", [["slots", "--motif", "consultation"], ["appointments", "list"]])
@pytest.mark.parametrize("now", ["9999-12-30T10:00", "0001-01-01T00:00", "9999-12-31T23:59:59-12:00"])
def test_a_frozen_clock_outside_the_calendar_is_refused(applied: str, command: list[str], now: str) -> None:
    assert refused(run(applied, *command, now=now)) == f"--now {now[:10]}: {OUT_OF_RANGE}"
    from_environment = run(applied, *command, now=None, env={"VOICEBOT_NOW": now})
    assert refused(from_environment) == f"--now {now[:10]}: {OUT_OF_RANGE}"


def test_a_motif_of_three_billion_minutes_is_refused_before_it_reaches_the_database(
    tmp_path: Path, sqlite_url: str
) -> None:
    huge = tmp_path / "huge.toml"
    text = SAMPLE_CLINIC.read_text(encoding="utf-8")
    huge.write_text(text.replace("duration_minutes = 20", "duration_minutes = 3000000000", 1), encoding="utf-8")
    for action in ("validate", "apply"):
        result = run(sqlite_url, "clinic", action, str(huge))
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert str(huge) in result.stderr
        assert (
            'motifs[1] (id "consultation"), duration_minutes: must be at most 480 (5 to 480 minutes), not 3000000000'
        ) in result.stderr


def test_the_program_itself_answers_an_impossible_date_with_a_sentence(applied: str) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
    result = subprocess.run(
        [sys.executable, "-m", "voicebot", *BOOK, "--start", "9999-12-31T09:30", "--db", applied, "--now", NOW],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"Error: --start 9999-12-31 {AHEAD}"
