"""Admins: the retention limits in force, the last purge, and a patient's rights of access (a JSON export) and
erasure (after a confirmation step). Both actions are audited by `booking.privacy` with the patient's number only.

A patient is looked up by first name, last name and birth date sent in a form (POST), never in a URL: addresses
end up in proxy and server logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from booking.calls import CallLog
from booking.privacy import PatientNotFound, erase_patient, export_patient, find_patient
from booking.records import AppointmentRecord, LoggedCall, PatientDetails
from booking.staff import AuditEntry
from voicebot.console.book_views import parse_day
from voicebot.console.context import PREFIX, ConsoleContext

AUDIT_SCAN = 5000
"""How many of the latest audit lines are searched for the last purge's."""


@dataclass(frozen=True)
class FoundPatient:
    """A patient the admin searched for, with what erasing them would touch."""

    id: int
    details: PatientDetails
    appointments: tuple[AppointmentRecord, ...]
    upcoming: tuple[AppointmentRecord, ...]
    """Booked and not started yet: erasing cancels these."""
    calls: tuple[LoggedCall, ...]

    @property
    def transcripts(self) -> int:
        """How many of the patient's calls still have a transcript (erasing deletes them)."""
        return sum(1 for c in self.calls if c.transcript is not None)


def privacy_router(ctx: ConsoleContext) -> APIRouter:
    """The privacy page and its forms; admins only (a secretary gets 403)."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(ctx.require_admin), Depends(ctx.check_csrf)])

    def last_purge() -> AuditEntry | None:
        return next((e for e in ctx.staff.recent(AUDIT_SCAN) if e.action == "privacy.purge"), None)

    def page(request: Request, status: int = 200, **values: object) -> Response:
        purge = last_purge()
        zone = ctx.clinic().practice.zone
        return ctx.render(
            request,
            "privacy.html",
            status=status,
            retention=ctx.clinic().privacy,
            purge=purge,
            purge_at=purge.at.astimezone(zone) if purge else None,
            clinic=ctx.clinic(),
            **values,
        )

    def lookup(form: FormData) -> tuple[dict[str, str], FoundPatient | None, str]:
        """The searched names and birth date, the patient they name (or `None`), and an i18n error key."""
        values = {k: str(form.get(k, "")).strip() for k in ("first_name", "last_name", "birth_date")}
        born = parse_day(values["birth_date"])
        if not values["first_name"] or not values["last_name"] or born is None:
            return values, None, "privacy.error.incomplete"
        try:
            patient_id = find_patient(ctx.service.engine, values["first_name"], values["last_name"], born)
        except PatientNotFound:
            return values, None, "privacy.error.not_found"
        details = next(
            p.details
            for p in ctx.service.find_patients(
                first_name=values["first_name"], last_name=values["last_name"], birth_date=born
            )
            if p.id == patient_id
        )
        appointments = ctx.service.list_appointments(patient_id=patient_id)
        upcoming = ctx.service.upcoming(patient_id, ctx.now())
        calls = CallLog(ctx.service.engine).for_patient(patient_id)
        return values, FoundPatient(patient_id, details, tuple(appointments), tuple(upcoming), tuple(calls)), ""

    @router.get("/privacy")
    def privacy(request: Request) -> Response:
        """Retention limits, the last purge, and the patient search."""
        return page(request, values={})

    @router.post("/privacy/search")
    async def search(request: Request) -> Response:
        """Find the patient named in the form (exact first name, last name and birth date)."""
        values, found, error = lookup(await request.form())
        status = 404 if error == "privacy.error.not_found" else 422 if error else 200
        return page(request, status, values=values, found=found, error=error)

    @router.post("/privacy/export")
    async def export(request: Request) -> Response:
        """Download everything held on the patient as JSON; audited (`privacy.export`, the patient's number)."""
        values, found, error = lookup(await request.form())
        if found is None:
            return page(request, 404, values=values, error=error)
        data = export_patient(ctx.service.engine, found.id, by=request.state.user.username, now=ctx.now())
        body = json.dumps(data, ensure_ascii=False, indent=2)
        response = Response(body, media_type="application/json; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="patient-{found.id}.json"'
        ctx.decorate(response, request)
        return response

    @router.post("/privacy/erase")
    async def confirm_erase(request: Request) -> Response:
        """The confirmation step: what erasing this patient will do; nothing is changed yet."""
        values, found, error = lookup(await request.form())
        if found is None:
            return page(request, 404, values=values, error=error)
        return ctx.render(request, "privacy_erase.html", values=values, found=found, clinic=ctx.clinic())

    @router.post("/privacy/erase/confirm")
    async def erase(request: Request) -> Response:
        """Erase the patient: future appointments cancelled, identity anonymised, transcripts deleted; audited."""
        values, found, error = lookup(await request.form())
        if found is None:
            return page(request, 404, values=values, error=error)
        erase_patient(ctx.service.engine, found.id, ctx.now(), by=request.state.user.username)
        return ctx.redirect(request, "/privacy", ok="erased")

    return router
