"""`voicebot requests ...`: the requests patients left by phone (renewals, certificates, results, callbacks)."""

from __future__ import annotations

import click

from booking.records import RequestRecord, RequestStatus
from booking.staff import StaffStore
from voicebot.commands.base import RECORD_ID, Env, command, emit_json

TOPICS = {
    "renewal": "prescription renewal",
    "certificate": "certificate / sick note",
    "results": "test results",
    "callback": "call back",
}
"""What each category means, for people."""


def describe(record: RequestRecord, env: Env) -> str:
    """One line for people: number, status, when, topic, patient, number to call back."""
    p = record.patient
    when = record.created_at.astimezone(env.now().tzinfo)
    status = "to do" if record.status is RequestStatus.OPEN else f"done by {record.done_by}"
    return (
        f"#{record.id:<4} {status:<16} {when:%a %Y-%m-%d %H:%M}  {TOPICS[record.category.value]:<24} "
        f"{p.first_name} {p.last_name} (born {p.birth_date.isoformat()})  call back: {p.phone}"
    )


def register(main: click.Group) -> None:
    """Add the `requests` group."""

    @main.group()
    def requests() -> None:
        """See the requests patients left by phone, and mark them done once called back."""

    @command(requests, "list")
    @click.option(
        "--status",
        type=click.Choice([s.value for s in RequestStatus]),
        help="Only requests still to do (open) or already done (done).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    def list_(env: Env, status: str | None, as_json: bool) -> None:
        """List requests: those still to do first, newest first."""
        records = env.service().list_requests(status=RequestStatus(status) if status else None)
        if as_json:
            emit_json([r.as_json() for r in records])
            return
        if not records:
            click.echo("No request still to do." if status == "open" else "No request.")
        for record in records:
            click.echo(describe(record, env))

    @command(requests, "done")
    @click.argument("request_id", metavar="ID", type=RECORD_ID)
    def done(env: Env, request_id: int) -> None:
        """Mark request number ID done, once the patient has been called back (recorded in the audit trail)."""
        service = env.service()
        record = service.mark_request_done(request_id, env.now(), "cli")
        p = record.patient
        StaffStore(service.engine).record(
            "cli",
            "request.done",
            f"{record.id} {record.category.value} {p.first_name} {p.last_name} {p.phone}",
            env.now(),
        )
        click.echo(f"Done: {describe(record, env)}")
