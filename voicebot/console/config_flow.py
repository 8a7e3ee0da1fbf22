"""The shared end of every configuration form: apply, then redirect, re-show the errors, or ask to confirm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from booking.clinic_export import clinic_to_dict
from booking.staff import StaffAccount
from voicebot.console.apply import ApplyOutcome, apply_change
from voicebot.console.context import ConsoleContext

Retry = Callable[[int, dict[str, Any]], Response]
"""Re-renders the form page with a status and extra template values (`problems`, `blocking`)."""


def form_fields(form: FormData) -> dict[str, str]:
    """The text fields of a form (last value wins), without the CSRF token."""
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}


def current_data(ctx: ConsoleContext) -> dict[str, Any]:
    """The configuration in force, as the clinic file's structure."""
    return clinic_to_dict(ctx.clinic())


def submit(
    ctx: ConsoleContext,
    request: Request,
    user: StaffAccount,
    form: FormData,
    data: dict[str, Any],
    *,
    action: str,
    details: str,
    done: str,
    retry: Retry,
) -> Response:
    """Apply `data`; on success audit it and redirect to `done` (a console path).

    Validation problems and refused removals re-render the form (`retry`); appointments left outside
    the new hours are listed on a confirmation page that posts the same form again with `confirm=1`.
    """
    confirm = form.get("confirm") == "1"
    outcome: ApplyOutcome = apply_change(ctx.service, data, ctx.now(), confirm=confirm)
    if outcome.report is not None:
        if not outcome.report.changed:
            return ctx.redirect(request, done, ok="unchanged")
        stranded = ", ".join(outcome.report.stranded)
        ctx.audit(user, action, details + (f" (kept outside hours: {stranded})" if stranded else ""))
        return ctx.redirect(request, done, ok="saved")
    if outcome.stranded:
        fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in ("csrf_token", "confirm")]
        return ctx.render(
            request,
            "confirm.html",
            status=409,
            records=outcome.stranded,
            fields=fields,
            action=request.url.path,
            back=done,
            clinic=ctx.clinic(),
        )
    if outcome.blocking:
        return retry(409, {"blocking": outcome.blocking})
    return retry(422, {"problems": outcome.problems})
