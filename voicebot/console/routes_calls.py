"""The call log: every call the bot answered, with filters, and one call's pseudonymised transcript (secretaries and
admins; every view is audited, since the list shows callers' numbers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booking.calls import CallLog, CallNotFound
from booking.errors import AppointmentNotFound
from booking.records import CALL_OUTCOMES
from voicebot.console.call_views import CHANNELS, CHART_DAYS, CallChart, CallView, call_chart, parse_filter
from voicebot.console.context import PREFIX, ConsoleContext, record_number

MAX_SHOWN = 300
"""The list shows the newest calls matching the filter, this many at most."""


def calls_chart(ctx: ConsoleContext) -> CallChart:
    """For the day page: the last `CHART_DAYS` days of calls, today included (the console's clock)."""
    today = ctx.now().date()
    zone = ctx.clinic().practice.zone
    return call_chart(CallLog(ctx.service.engine).daily_counts(today - timedelta(days=CHART_DAYS - 1), today, zone))


def calls_router(ctx: ConsoleContext) -> APIRouter:
    """Routes of the call log; every one needs a logged-in user."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(ctx.require_user), Depends(ctx.check_csrf)])
    log = CallLog(ctx.service.engine)

    def existing(views: Iterable[CallView]) -> set[str]:
        """The references of these calls that still name an appointment (the pages link those)."""
        found = set()
        for reference in {r for v in views for _, r in v.references}:
            try:
                ctx.service.get(reference)
            except AppointmentNotFound:
                continue
            found.add(reference)
        return found

    @router.get("/calls")
    def calls(request: Request, since: str = "", until: str = "", outcome: str = "", channel: str = "") -> Response:
        """The call log, newest first, filtered by days (practice time), outcome and line; audited."""
        chosen = parse_filter(since, until, outcome, channel)
        zone = ctx.clinic().practice.zone
        start, end = chosen.bounds(zone)
        limit = None if chosen.channel else MAX_SHOWN + 1  # the store filters no line: read them all then
        found = log.find(started_from=start, started_until=end, outcome=chosen.outcome, limit=limit)
        if chosen.channel:
            found = [c for c in found if c.entry.channel.value == chosen.channel]
        shown = [CallView.of(c, zone) for c in found[:MAX_SHOWN]]
        ctx.audit(request.state.user, "calls.view", chosen.describe())
        return ctx.render(
            request,
            "calls.html",
            calls=shown,
            links=existing(shown),
            more=len(found) > MAX_SHOWN,
            max_shown=MAX_SHOWN,
            chosen=chosen,
            outcomes=CALL_OUTCOMES,
            channels=CHANNELS,
        )

    @router.get("/calls/{call_id}")
    def call(request: Request, call_id: str) -> Response:
        """One call: what it did, and its pseudonymised transcript while the retention keeps it; audited."""
        number = record_number(call_id)
        try:
            found = log.get(number) if number is not None else None
        except CallNotFound:
            found = None
        if found is None:
            return ctx.render(request, "error.html", status=404, message="calls.not_found")
        ctx.audit(request.state.user, "call.view", str(found.id))
        shown = CallView.of(found, ctx.clinic().practice.zone)
        return ctx.render(
            request,
            "call.html",
            v=shown,
            links=existing([shown]),
            transcript_days=ctx.clinic().privacy.transcript_days,
        )

    return router
