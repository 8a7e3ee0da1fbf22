"""Requests callers left for the practice: the to-do list, and marking one done (secretaries and admins)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, tzinfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booking.records import RequestCategory, RequestStatus
from booking.requests import RequestAlreadyDone, RequestNotFound
from booking.service import BookingService
from voicebot.console.context import PREFIX, ConsoleContext, record_number

STATUSES = ("all", "open", "done")
"""The list's filters: `all` (the default: open ones first), `open`, or `done`."""


def request_counts(service: BookingService, day: date, zone: tzinfo) -> dict[str, object]:
    """For the day page: open requests by category, and how many were left on `day`."""
    start = datetime.combine(day, datetime.min.time(), zone)
    open_ = service.list_requests(status=RequestStatus.OPEN)
    by_category = Counter(r.category for r in open_)
    left = service.list_requests(created_from=start, created_until=start + timedelta(days=1))
    return {
        "open": len(open_),
        "by_category": [(c.value, by_category[c]) for c in RequestCategory if by_category[c]],
        "left_that_day": len(left),
    }


def requests_router(ctx: ConsoleContext) -> APIRouter:
    """Routes of the requests' to-do list; every one needs a logged-in user."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(ctx.require_user), Depends(ctx.check_csrf)])

    def page(request: Request, status: str, error: str = "", code: int = 200) -> Response:
        shown = status if status in STATUSES else "all"
        chosen = None if shown == "all" else RequestStatus(shown)
        zone = ctx.clinic().practice.zone
        records = [(r, r.created_at.astimezone(zone)) for r in ctx.service.list_requests(status=chosen)]
        return ctx.render(request, "requests.html", status=code, records=records, shown=shown, error=error)

    @router.get("/requests")
    def to_do(request: Request, status: str = "all") -> Response:
        """The requests: open ones first, then done ones, newest first (`?status=all|open|done`)."""
        return page(request, status)

    @router.post("/requests/{request_id}/done")
    def mark_done(request: Request, request_id: str) -> Response:
        """Mark a request done once the patient has been called back; audited."""
        user = request.state.user
        number = record_number(request_id)
        if number is None:
            return page(request, "all", "requests.error.not_found", 404)
        try:
            record = ctx.service.mark_request_done(number, ctx.now(), user.username)
        except RequestNotFound:
            return page(request, "all", "requests.error.not_found", 404)
        except RequestAlreadyDone:
            return page(request, "all", "requests.error.already_done", 409)
        ctx.audit(user, "request.done", f"{record.id} {record.category.value}")  # no name or number in the trail
        return ctx.redirect(request, "/requests", ok="request_done")

    return router
