"""`voicebot calls ...`: the call log (every Twilio, SIP and `voicebot chat` call) from the command line."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import click

from booking.calls import CallLog
from booking.records import CALL_OUTCOMES, LoggedCall
from booking.staff import StaffStore
from voicebot.commands.base import RECORD_ID, Env, check_calendar, command, emit_json


def duration(call: LoggedCall) -> str:
    """How long the call took, for people: "45s", "2m05s"."""
    seconds = round((call.entry.ended_at - call.entry.started_at).total_seconds())
    return f"{seconds}s" if seconds < 60 else f"{seconds // 60}m{seconds % 60:02d}s"


def references(call: LoggedCall) -> str:
    """What the call changed: "booked 123456, cancelled 234567" ("-" for nothing)."""
    e = call.entry
    done = [f"{verb} {' '.join(refs)}" for verb, refs in (("booked", e.booked), ("moved", e.moved)) if refs]
    done += [f"cancelled {' '.join(e.cancelled)}"] if e.cancelled else []
    return ", ".join(done) or "-"


def latency(call: LoggedCall) -> str:
    """The median wait for the bot's replies ("p50 1.2 s"); "-" on the text simulator or without replies."""
    summary = call.entry.latency
    return "-" if summary is None else f"p50 {summary.p50_ms / 1000:.1f} s"


def describe(call: LoggedCall, zone: tzinfo) -> str:
    """One line for people: number, time, line, duration, outcome, what it changed, turns, latency."""
    e = call.entry
    return (
        f"#{call.id:<5} {e.started_at.astimezone(zone):%a %Y-%m-%d %H:%M}  {e.channel.value:<6} {duration(call):>6}  "
        f"{e.outcome:<11} {references(call):<28} {e.caller_turns:>3} turns  {latency(call)}"
    )


def details(call: LoggedCall, zone: tzinfo) -> list[str]:
    """The call for people: what it did, then its transcript (or that the purge deleted it)."""
    e = call.entry
    lines = [
        f"Call #{call.id} ({e.channel.value}, {e.key})",
        f"  started:  {e.started_at.astimezone(zone):%a %Y-%m-%d %H:%M:%S}, lasted {duration(call)}",
        f"  caller:   {e.caller_phone or 'number withheld'}",
        f"  outcome:  {e.outcome}",
        f"  changes:  {references(call)}",
        f"  turns:    {e.caller_turns} from the caller, {e.identity_failures} failed identity check(s)",
    ]
    if e.latency is not None:
        s = e.latency
        lines.append(f"  replies:  {s.replies}, waited p50 {s.p50_ms} ms, p95 {s.p95_ms} ms, max {s.max_ms} ms")
    lines.append(f"  reuse:    {'refused by the caller' if e.refused else 'not refused'}")
    if call.transcript is None:
        lines.append("Transcript: deleted by the retention purge ([privacy] transcript_days).")
    else:
        lines.append("Transcript (pseudonymised):")
        lines += [f"  {line.speaker}: {line.text}" for line in call.transcript]
    return lines


def register(main: click.Group) -> None:
    """Add the `calls` group."""

    @main.group()
    def calls() -> None:
        """See the call log: every call the bot answered, what it did, and its pseudonymised transcript."""

    @command(calls, "list")
    @click.option("--from", "first_day", type=click.DateTime(["%Y-%m-%d"]), help="From this day (practice time).")
    @click.option("--until", "last_day", type=click.DateTime(["%Y-%m-%d"]), help="Up to this day, inclusive.")
    @click.option("--outcome", type=click.Choice(CALL_OUTCOMES), help="Only calls that ended this way.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    def list_(
        env: Env, first_day: datetime | None, last_day: datetime | None, outcome: str | None, as_json: bool
    ) -> None:
        """List the calls, newest first."""
        for option, day in (("--from", first_day), ("--until", last_day)):
            if day is not None:
                check_calendar(day.date(), option)
        service = env.service()
        zone = service.clinic().practice.zone
        start = datetime.combine(first_day.date(), datetime.min.time(), zone) if first_day else None
        until = datetime.combine(last_day.date() + timedelta(days=1), datetime.min.time(), zone) if last_day else None
        found = CallLog(service.engine).find(started_from=start, started_until=until, outcome=outcome)
        filters = [f"{name}={value:%Y-%m-%d}" for name, value in (("from", first_day), ("until", last_day)) if value]
        filters += [f"outcome={outcome}"] if outcome else []
        StaffStore(service.engine).record("cli", "calls.view", " ".join(filters) or "all", env.now())
        if as_json:
            emit_json([call.as_json() for call in found])
            return
        if not found:
            click.echo("No call in that period.")
        for call in found:
            click.echo(describe(call, zone))

    @command(calls, "show")
    @click.argument("call_id", metavar="ID", type=RECORD_ID)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs (with the transcript).")
    def show(env: Env, call_id: int, as_json: bool) -> None:
        """Show call number ID: what it did, and its pseudonymised transcript."""
        service = env.service()
        call = CallLog(service.engine).get(call_id)
        StaffStore(service.engine).record("cli", "call.view", str(call.id), env.now())
        if as_json:
            emit_json(call.as_json(with_transcript=True))
            return
        for line in details(call, service.clinic().practice.zone):
            click.echo(line)
