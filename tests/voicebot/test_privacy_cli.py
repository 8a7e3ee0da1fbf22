"""`voicebot privacy ...` run as a real program: a patient's access and erasure requests, the corpus export, and
the retention purge past each limit (on SQLite and PostgreSQL), after real `voicebot chat` calls."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, SQLModel

from booking.models import PatientRow
from booking.service import BookingService
from booking.staff import StaffStore
from tests.conftest import SAMPLE_CLINIC
from tests.voicebot.test_calls_cli import (
    JEAN,
    JEAN_SECRETS,
    MARIE,
    MARIE_SECRETS,
    call,
    chat_here,
    listed,
    ok,
    voicebot,
)

SECRETS = (*JEAN_SECRETS, *MARIE_SECRETS, "+33698765432", "+33611223344")
JEAN_ID = ("--patient", "Jean Dupont", "--birth-date", "1985-07-14")
MARIE_ID = ("--patient", "Marie Curie", "--birth-date", "1967-11-07")


def dump(db: str) -> str:
    """Every row of every table, as text."""
    service = BookingService.open(db)
    with Session(service.engine) as session:
        text = "\n".join(
            repr(tuple(row)) for table in SQLModel.metadata.sorted_tables for row in session.execute(select(table))
        )
    service.engine.dispose()
    return text


def refusals(db: str) -> dict[int, bool]:
    """Each patient's refusal of reuse."""
    service = BookingService.open(db)
    with Session(service.engine) as session:
        found = {row.id or 0: row.reuse_refused for row in session.scalars(select(PatientRow))}
    service.engine.dispose()
    return found


def practice(db: str) -> None:
    ok("clinic", "apply", str(SAMPLE_CLINIC), db=db)


def test_access_export_and_corpus(sqlite_url: str, tmp_path: Path) -> None:
    practice(sqlite_url)
    chat_here(sqlite_url, JEAN, "+33698765432")
    chat_here(sqlite_url, MARIE, "+33611223344")  # she says « je refuse »
    export = json.loads(ok("privacy", "export", *JEAN_ID, "--json", db=sqlite_url))
    assert export["patient"]["first_name"] == "Jean" and export["patient"]["birth_date"] == "1985-07-14"
    assert export["preferences"] == {"reuse_refused": False} and export["requests"] == []
    (appointment,) = export["appointments"]
    (jean_call,) = export["calls"]
    assert jean_call["booked"] == [appointment["reference"]] and len(jean_call["transcript"]) > 10
    people = ok("privacy", "export", "--patient", "jean  DUPONT", "--birth-date", "1985-07-14", db=sqlite_url)
    assert people.startswith(f"Patient {export['patient']['id']}: Jean Dupont, born 1985-07-14, phone +33698765432")
    assert "Appointments (1):" in people and f"  #{jean_call['id']} 2026-11-28 10:00 chat booked" in people
    marie = json.loads(ok("privacy", "export", *MARIE_ID, "--json", db=sqlite_url))
    assert marie["preferences"] == {"reuse_refused": True} and marie["calls"][0]["refused"] is True
    missing = voicebot("privacy", "export", "--patient", "Jean Dupont", "--birth-date", "1985-07-15", db=sqlite_url)
    assert missing.returncode == 1 and "no patient named Jean Dupont, born on 15/07/1985" in missing.stderr

    corpus_file = tmp_path / "corpus.jsonl"
    said = ok("privacy", "export-corpus", "--output", str(corpus_file), db=sqlite_url)
    assert said.strip() == f"Wrote 1 call(s) to {corpus_file}; left out 1 (refused, or transcript past retention)."
    (line,) = corpus_file.read_text(encoding="utf-8").splitlines()
    corpus = json.loads(line)
    assert corpus["id"] == jean_call["id"] and corpus["transcript"][0]["speaker"] == "bot"
    for secret in (*SECRETS, appointment["reference"]):
        assert secret not in line, secret
    actions = [(e.username, e.action) for e in StaffStore(BookingService.open(sqlite_url).engine).recent()]
    assert ("cli", "privacy.export") in actions and ("cli", "privacy.export-corpus") in actions


def test_erase_asks_first_then_keeps_the_refusal(sqlite_url: str) -> None:
    practice(sqlite_url)
    chat_here(sqlite_url, MARIE, "+33611223344")
    marie_id = json.loads(ok("privacy", "export", *MARIE_ID, "--json", db=sqlite_url))["patient"]["id"]
    declined = voicebot("privacy", "erase", *MARIE_ID, db=sqlite_url, stdin="n\n")
    assert declined.returncode == 1 and "Erase patient" in declined.stderr and "Nothing erased." in declined.stderr
    assert listed(sqlite_url)[0]["transcript_kept"] is True
    erased = ok("privacy", "erase", *MARIE_ID, "--yes", db=sqlite_url)
    assert erased.startswith(f"Erased patient {marie_id}: 1 future appointment(s) cancelled, 1 transcript(s) deleted")
    assert listed(sqlite_url)[0]["transcript_kept"] is False
    again = voicebot("privacy", "erase", *MARIE_ID, "--yes", db=sqlite_url)
    assert again.returncode == 1 and "no patient named Marie Curie" in again.stderr
    assert refusals(sqlite_url) == {marie_id: True}
    ok("privacy", "purge", db=sqlite_url, now="2030-01-01T10:00")  # and after a purge past every limit
    assert refusals(sqlite_url) == {marie_id: True}
    text = dump(sqlite_url)
    for secret in MARIE_SECRETS:
        assert secret not in text, secret
    entries = StaffStore(BookingService.open(sqlite_url).engine).recent()
    privacy = [e for e in entries if e.action.startswith("privacy.")]  # reading the call log is audited too
    assert [(e.username, e.action) for e in privacy][:2] == [("cli", "privacy.purge"), ("cli", "privacy.erase")]
    assert privacy[1].details.startswith(f"patient {marie_id}:")


def purged(db: str, now: str, *flags: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(ok("privacy", "purge", "--json", *flags, db=db, now=now))
    return result


def test_purge_past_each_limit_leaves_nothing_of_the_patients(db_url: str, tmp_path: Path) -> None:
    practice(db_url)
    call(tmp_path, db_url, JEAN, "+33698765432")  # through the program: `voicebot chat` writes the call log
    chat_here(db_url, MARIE, "+33611223344")
    counts = {"transcripts_deleted": 2, "calls_deleted": 0, "patients_anonymised": 0, "requests_anonymised": 0}
    counts["texts_deleted"] = 0
    month = "2026-12-29T10:00"  # 31 days later: past transcript_days
    assert purged(db_url, month, "--dry-run") == {**counts, "skipped": False, "dry_run": True}
    assert [c["transcript_kept"] for c in listed(db_url)] == [True, True]  # a dry run changes nothing
    assert purged(db_url, month) == {**counts, "skipped": False, "dry_run": False}
    assert [c["transcript_kept"] for c in listed(db_url)] == [False, False]
    assert purged(db_url, month)["transcripts_deleted"] == 0  # idempotent
    said = ok("privacy", "purge", "--dry-run", db=db_url, now="2027-03-01T10:00").strip()  # past call_log_days
    assert said == (
        "Dry run, nothing changed: would have 0 transcript(s) deleted, 2 call(s) deleted, 0 patient(s) anonymised, "
        "0 request(s) anonymised, 0 text(s) deleted."
    )
    assert purged(db_url, "2027-03-01T10:00")["calls_deleted"] == 2 and listed(db_url) == []
    assert purged(db_url, "2029-12-01T10:00")["patients_anonymised"] == 0  # not 3 years after 1-2 December yet
    assert purged(db_url, "2029-12-03T10:00")["patients_anonymised"] == 2
    text = dump(db_url)
    for secret in SECRETS:
        assert secret not in text, secret
    assert sorted(refusals(db_url).values()) == [False, True]  # Marie's refusal survives the purge
    gone = voicebot("privacy", "export", *JEAN_ID, db=db_url, now="2029-12-03T10:00")
    assert gone.returncode == 1 and "no patient named Jean Dupont" in gone.stderr
