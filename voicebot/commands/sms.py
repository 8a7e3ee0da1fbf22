"""`voicebot sms list`: the text messages to patients, as the outbox holds them (queued, sent, failed)."""

from __future__ import annotations

import click

from booking.sms_outbox import Outbox, SmsRecord
from voicebot.commands.base import Env, command, emit_json


def describe(record: SmsRecord) -> str:
    """Two lines for people: when, kind, status, to whom and for which appointment; then the text itself."""
    sent = f" sent {record.sent_at:%Y-%m-%d %H:%M}" if record.sent_at else ""
    error = f" ({record.last_error})" if record.last_error else ""
    return (
        f"#{record.id} {record.created_at:%Y-%m-%d %H:%M} {record.kind:<12} {record.status:<7} {record.to_phone} "
        f"ref {record.reference or '-'} attempts {record.attempts}{sent}{error}\n    {record.body}"
    )


def register(main: click.Group) -> None:
    """Add the `sms` group."""

    @main.group()
    def sms() -> None:
        """Text messages to patients: confirmations, moves, cancellations, reminders and replies."""

    @command(sms, "list")
    @click.option("--reference", help="Only the messages about this appointment reference.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    def list_(env: Env, reference: str | None, as_json: bool) -> None:
        """List the text messages, newest first."""
        records = Outbox(env.service().engine).find(reference=reference.strip() if reference else None)
        if as_json:
            emit_json([r.as_json() for r in records])
            return
        if not records:
            click.echo("No text message.")
        for record in records:
            click.echo(describe(record))
