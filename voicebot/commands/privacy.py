"""`voicebot privacy ...`: the retention purge, the corpus export, and a patient's access and erasure requests.

Every action is audited as the user "cli", with the patient's number only (never a name or a birth date).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from booking.calls import CallLog
from booking.privacy import (
    PatientNotFound,
    erase_patient,
    export_corpus,
    export_patient,
    find_patient,
    purge,
)
from booking.staff import StaffStore
from voicebot.commands.base import Env, command, emit_json

CLI_USER = "cli"
"""Who the audit trail says did it."""


def split_name(name: str) -> list[tuple[str, str]]:
    """The ways to read "FIRST LAST" as (first name, last name): first word(s) and last word first, then with
    longer last names ("Marie Le Gall"); empty when there are not two words.
    """
    words = name.split()
    return [(" ".join(words[:i]), " ".join(words[i:])) for i in range(len(words) - 1, 0, -1)]


def patient_id(engine: Engine, name: str, birth_date: date) -> int:
    """The patient with this name and birth date.

    Raises:
        PatientNotFound: nobody matches any reading of the name (or it is not a first and a last name).
    """
    readings = split_name(name)
    if not readings:
        raise PatientNotFound(f'"{name}" is not a first and a last name, e.g. --patient "Jean Dupont"')
    for first, last in readings:
        try:
            return find_patient(engine, first, last, birth_date)
        except PatientNotFound:
            continue
    return find_patient(engine, *readings[0], birth_date)  # raises, with the first reading's message


def summary(export: dict[str, Any], zone: tzinfo) -> list[str]:
    """An access export for people: identity, refusal, appointments, calls (their times in `zone`), requests."""
    p = export["patient"]
    born = f"born {p['birth_date']}" if p["birth_date"] else "birth date removed"
    lines = [f"Patient {p['id']}: {p['first_name']} {p['last_name']}, {born}, phone {p['phone'] or '-'}"]
    if p["anonymised_at"]:
        lines.append(f"  anonymised on {p['anonymised_at'][:10]}")
    refused = export["preferences"]["reuse_refused"]
    lines.append(f"  reuse of their calls: {'refused' if refused else 'not refused'}")
    lines.append(f"Appointments ({len(export['appointments'])}):")
    for a in export["appointments"]:
        when = a["start"][:16].replace("T", " ")
        lines.append(f"  {a['reference']} {a['status']:<9} {when} {a['practitioner_id']} {a['motif_id']}")
    lines.append(f"Calls ({len(export['calls'])}):")
    for call in export["calls"]:
        kept = call.get("transcript")
        transcript = "transcript deleted" if kept is None else f"transcript of {len(kept)} lines"
        when = f"{datetime.fromisoformat(call['started_at']).astimezone(zone):%Y-%m-%d %H:%M}"
        lines.append(f"  #{call['id']} {when} {call['channel']} {call['outcome']} ({transcript})")
    lines.append(f"Requests ({len(export['requests'])}):")
    lines += [f"  #{r['id']} {r['category']} {r['status']} {r['created_at'][:10]}" for r in export["requests"]]
    lines.append("Everything, transcripts included: add --json.")
    return lines


def register(main: click.Group) -> None:
    """Add the `privacy` group."""

    @main.group()
    def privacy() -> None:
        """Apply the retention limits, export the reusable transcripts, and answer a patient's access or erasure
        request (see docs/privacy.md).
        """

    @command(privacy, "purge")
    @click.option("--dry-run", is_flag=True, help="Count what would be deleted and anonymised; change nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    def purge_(env: Env, dry_run: bool, as_json: bool) -> None:
        """Delete transcripts and calls past their days and anonymise patients past their years ([privacy] of the
        clinic file); `voicebot serve` does it every day by itself.
        """
        report = purge(env.service().engine, env.now(), dry_run=dry_run, by=CLI_USER)
        if as_json:
            emit_json(report.as_json())
        elif report.skipped:
            click.echo("Another purge is running right now: nothing done here.")
        else:
            click.echo(f"{'Dry run, nothing changed: would have' if dry_run else 'Purged:'} {report.details()}.")

    @command(privacy, "export-corpus")
    @click.option("--output", required=True, type=click.Path(dir_okay=False), help="The JSON Lines file to write.")
    def export_corpus_(env: Env, output: str) -> None:
        """Write the pseudonymised transcripts that may be reused to tune recognition and understanding, one call
        per line: no refused call, no call of a patient who refused, nothing past retention.
        """
        engine, now = env.service().engine, env.now()
        corpus = export_corpus(engine, now)
        Path(output).write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in corpus), encoding="utf-8")
        held = len(CallLog(engine).find(started_until=now + timedelta(microseconds=1)))
        StaffStore(engine).record(CLI_USER, "privacy.export-corpus", f"{len(corpus)} call(s) written", now)
        click.echo(
            f"Wrote {len(corpus)} call(s) to {output}; left out {max(held - len(corpus), 0)} "
            "(refused, or transcript past retention)."
        )

    @command(privacy, "export")
    @click.option("--patient", "name", required=True, metavar='"FIRST LAST"', help="The patient's name.")
    @click.option("--birth-date", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD.")
    @click.option("--json", "as_json", is_flag=True, help="Print everything as JSON (transcripts included).")
    def export(env: Env, name: str, birth_date: datetime, as_json: bool) -> None:
        """Everything held on a patient (access request): identity, appointments, calls with their transcripts,
        requests, preferences. Audited.
        """
        service = env.service()
        found = patient_id(service.engine, name, birth_date.date())
        export = export_patient(service.engine, found, by=CLI_USER, now=env.now())
        if as_json:
            emit_json(export)
            return
        for line in summary(export, service.clinic().practice.zone):
            click.echo(line)

    @command(privacy, "erase")
    @click.option("--patient", "name", required=True, metavar='"FIRST LAST"', help="The patient's name.")
    @click.option("--birth-date", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
    def erase(env: Env, name: str, birth_date: datetime, yes: bool, as_json: bool) -> None:
        """Erase a patient (erasure request): cancel their future appointments, anonymise them everywhere, delete
        their calls' transcripts. Their refusal of reuse is kept. Audited.
        """
        engine = env.service().engine
        found = patient_id(engine, name, birth_date.date())
        question = (
            f"Erase patient {found} ({name.strip()}, born {birth_date:%d/%m/%Y})? Their future appointments are "
            "cancelled and this cannot be undone."
        )
        if not yes and not click.confirm(question, default=False, err=True):
            click.echo("Nothing erased.", err=True)
            sys.exit(1)
        report = erase_patient(engine, found, env.now(), by=CLI_USER)
        if as_json:
            emit_json(report.as_json())
            return
        click.echo(
            f"Erased patient {found}: {report.appointments_cancelled} future appointment(s) cancelled, "
            f"{report.transcripts_deleted} transcript(s) deleted, {report.requests_anonymised} request(s) "
            f"anonymised, {report.texts_deleted} text(s) deleted. Their refusal of reuse, if any, is kept."
        )
