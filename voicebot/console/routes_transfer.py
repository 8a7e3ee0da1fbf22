"""Admins: export and import the clinic file (with a preview of the changes), and read the audit trail."""

from __future__ import annotations

import tomllib
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from booking.clinic import parse_clinic
from booking.clinic_export import clinic_to_toml
from booking.errors import ClinicFileError
from booking.staff import StaffAccount
from voicebot.console.config_edit import describe_changes
from voicebot.console.config_flow import submit
from voicebot.console.context import PREFIX, ConsoleContext

MAX_UPLOAD = 512 * 1024
"""A clinic file is a few kilobytes; refuse anything much bigger."""


def transfer_router(ctx: ConsoleContext) -> APIRouter:
    """Export, import and audit routes; admins only."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(ctx.require_admin), Depends(ctx.check_csrf)])

    def import_page(request: Request, status: int = 200, **extra: Any) -> Response:
        return ctx.render(request, "import.html", status=status, **extra)

    @router.get("/config/export")
    def export(request: Request) -> Response:
        """Download the configuration in force as a clinic file (TOML)."""
        response = Response(clinic_to_toml(ctx.clinic()), media_type="application/toml; charset=utf-8")
        response.headers["Content-Disposition"] = 'attachment; filename="clinic.toml"'
        ctx.decorate(response, request)
        return response

    @router.get("/config/import")
    def import_form(request: Request) -> Response:
        """The upload form."""
        return import_page(request)

    def preview(request: Request, text: str, source: str) -> Response:
        try:
            data = tomllib.loads(text)
            new = parse_clinic(data, source)
        except tomllib.TOMLDecodeError as error:
            return import_page(request, 422, problems=[f"{source}: not valid TOML: {error}"])
        except ClinicFileError as error:
            return import_page(request, 422, problems=error.problems)
        changes = describe_changes(ctx.clinic(), new)
        return ctx.render(request, "import_preview.html", changes=changes, toml=text, source=source)

    @router.post("/config/import")
    async def upload(request: Request) -> Response:
        """Validate an uploaded clinic file and show what applying it would change (nothing applied yet)."""
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return import_page(request, 422, error="import.error.no_file")
        raw = await upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            return import_page(request, 413, error="import.error.too_big")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return import_page(request, 422, problems=[f"{upload.filename}: the file is not UTF-8 text"])
        return await run_in_threadpool(preview, request, text, upload.filename)

    def apply_import(request: Request, user: StaffAccount, form: FormData) -> Response:
        text = str(form.get("toml", ""))
        source = str(form.get("source", "clinic.toml"))
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            return import_page(request, 422, problems=[f"{source}: not valid TOML: {error}"])
        changes = len(describe_changes(ctx.clinic(), parse_clinic(data, source))) if _valid(data) else 0
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.import",
            details=f"{source}: {changes} change(s)",
            done="/config/import",
            retry=lambda status, extra: import_page(request, status, clinic=ctx.clinic(), **extra),  # for `blocking`
        )

    @router.post("/config/import/confirm")
    async def confirm_import(request: Request) -> Response:
        """Apply the previewed clinic file."""
        form = await request.form()
        return await run_in_threadpool(apply_import, request, request.state.user, form)

    @router.get("/audit")
    def audit(request: Request) -> Response:
        """The latest staff changes: who, what, when."""
        entries = ctx.staff.recent(300)
        zone = ctx.clinic().practice.zone
        return ctx.render(request, "audit.html", entries=[(e.at.astimezone(zone), e) for e in entries])

    return router


def _valid(data: dict[str, Any]) -> bool:
    try:
        parse_clinic(data)
    except ClinicFileError:
        return False
    return True
