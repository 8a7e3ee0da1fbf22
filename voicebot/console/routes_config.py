"""Configuration pages for admins: opening hours and closures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from booking.clinic import WEEKDAYS
from booking.staff import StaffAccount
from voicebot.console.book_views import parse_clock, parse_day
from voicebot.console.config_edit import (
    add_closure,
    closure_bounds,
    closure_key,
    normalize_ranges,
    remove_closure,
    set_hours,
)
from voicebot.console.config_flow import current_data, submit
from voicebot.console.context import PREFIX, ConsoleContext


def config_router(ctx: ConsoleContext) -> APIRouter:
    """Opening hours and closures; admins only (a secretary gets 403)."""
    router = APIRouter(prefix=PREFIX + "/config", dependencies=[Depends(ctx.require_admin), Depends(ctx.check_csrf)])

    def practitioner_id(requested: str) -> str:
        ids = [p.id for p in ctx.clinic().practitioners]
        return requested if requested in ids else ids[0]

    def hours_page(
        request: Request, chosen: str, values: dict[str, str] | None = None, status: int = 200, **extra: Any
    ) -> Response:
        clinic = ctx.clinic()
        doctor = clinic.practitioner(chosen)
        if values is None:
            values = {day: ", ".join(str(r) for r in doctor.hours.get(i, ())) for i, day in enumerate(WEEKDAYS)}
        return ctx.render(
            request,
            "hours.html",
            status=status,
            clinic=clinic,
            doctor=doctor,
            values=values,
            weekdays=WEEKDAYS,
            **extra,
        )

    @router.get("")
    def config_home(request: Request) -> Response:
        """The configuration starts with the opening hours."""
        return ctx.redirect(request, "/config/hours")

    @router.get("/hours")
    def hours(request: Request, practitioner: str = "") -> Response:
        """A practitioner's weekly hours, one line per weekday ("08:30-12:00, 14:00-18:30")."""
        return hours_page(request, practitioner_id(practitioner))

    def save_hours(request: Request, user: StaffAccount, form: FormData) -> Response:
        chosen = practitioner_id(str(form.get("practitioner", "")))
        values = {day: str(form.get(f"hours_{day}", "")) for day in WEEKDAYS}
        hours = {i: normalize_ranges(values[day]) for i, day in enumerate(WEEKDAYS)}
        data = set_hours(current_data(ctx), chosen, hours)
        summary = "; ".join(f"{day} {', '.join(hours[i]) or '-'}" for i, day in enumerate(WEEKDAYS))
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.hours",
            details=f"{chosen}: {summary}",
            done=f"/config/hours?practitioner={chosen}",
            retry=lambda status, extra: hours_page(request, chosen, values, status, **extra),
        )

    @router.post("/hours")
    async def post_hours(request: Request) -> Response:
        """Save a practitioner's hours (validated like the clinic file; stranded bookings need confirming)."""
        form = await request.form()
        return await run_in_threadpool(save_hours, request, request.state.user, form)

    def closures_page(
        request: Request, status: int = 200, values: dict[str, str] | None = None, **extra: Any
    ) -> Response:
        clinic = ctx.clinic()
        today = ctx.now().date().isoformat()
        listed = [(closure_key(c), c, c.end - timedelta(days=1) if c.all_day else c.end) for c in clinic.closures]
        return ctx.render(
            request,
            "closures.html",
            status=status,
            clinic=clinic,
            closures=listed,
            values=values or {"kind": "days", "first": today},
            **extra,
        )

    @router.get("/closures")
    def closures(request: Request) -> Response:
        """Closures of the practice or of one practitioner, and the form to add one."""
        return closures_page(request)

    def save_closure(request: Request, user: StaffAccount, form: FormData) -> Response:
        values = {k: str(form.get(k, "")) for k in ("who", "kind", "first", "last", "start", "end", "label")}
        first, last = parse_day(values["first"]), parse_day(values["last"])
        bounds = None
        if first is not None and (last is not None or not values["last"].strip()):
            bounds = closure_bounds(
                values["kind"], first, last, parse_clock(values["start"]), parse_clock(values["end"])
            )
        if bounds is None:
            return closures_page(request, 422, values, error="closures.error.when")
        who = values["who"] if values["who"] in {p.id for p in ctx.clinic().practitioners} else None
        data = add_closure(current_data(ctx), who, bounds[0], bounds[1], values["label"])
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.closure.add",
            details=f"{who or 'practice'} {bounds[0]} → {bounds[1]} {values['label']}".strip(),
            done="/config/closures",
            retry=lambda status, extra: closures_page(request, status, values, **extra),
        )

    @router.post("/closures")
    async def post_closure(request: Request) -> Response:
        """Add a closure: whole days, a morning, an afternoon, or given hours."""
        form = await request.form()
        return await run_in_threadpool(save_closure, request, request.state.user, form)

    def delete_closure(request: Request, user: StaffAccount, form: FormData) -> Response:
        key = str(form.get("key", ""))
        data = remove_closure(current_data(ctx), ctx.clinic(), key)
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.closure.remove",
            details=key,
            done="/config/closures",
            retry=lambda status, extra: closures_page(request, status, **extra),
        )

    @router.post("/closures/delete")
    async def post_delete_closure(request: Request) -> Response:
        """Remove a closure: its times become bookable again."""
        form = await request.form()
        return await run_in_threadpool(delete_closure, request, request.state.user, form)

    return router
