"""Configuration pages for admins: motifs and the roster of practitioners."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from booking.staff import StaffAccount
from voicebot.console.config_edit import (
    remove_motif,
    remove_practitioner,
    slugify,
    split_aliases,
    upsert_motif,
    upsert_practitioner,
)
from voicebot.console.config_flow import current_data, form_fields, submit
from voicebot.console.context import PREFIX, ConsoleContext


def catalog_router(ctx: ConsoleContext) -> APIRouter:
    """Motifs (label, duration, new-patient flag) and practitioners; admins only."""
    router = APIRouter(prefix=PREFIX + "/config", dependencies=[Depends(ctx.require_admin), Depends(ctx.check_csrf)])

    def motifs_page(request: Request, status: int = 200, **extra: Any) -> Response:
        return ctx.render(request, "motifs.html", status=status, clinic=ctx.clinic(), **extra)

    def people_page(request: Request, status: int = 200, **extra: Any) -> Response:
        return ctx.render(request, "practitioners.html", status=status, clinic=ctx.clinic(), **extra)

    @router.get("/motifs")
    def motifs(request: Request) -> Response:
        """Every motif, each with its edit form, and the form to add one."""
        return motifs_page(request)

    def save_motif(request: Request, user: StaffAccount, form: FormData) -> Response:
        values = form_fields(form)
        existing = {m.id for m in ctx.clinic().motifs}
        is_new = values.get("mode") == "new"
        motif_id = slugify(values.get("label", "")) if is_new else values.get("motif_id", "")

        def retry(status: int, extra: dict[str, Any]) -> Response:
            return motifs_page(request, status, values=values if is_new else {}, **extra)

        if is_new and motif_id in existing:
            return retry(422, {"error": "motifs.error.exists"})
        if not is_new and motif_id not in existing:
            return retry(404, {"error": "motifs.error.unknown"})
        data = upsert_motif(
            current_data(ctx),
            motif_id or "-",
            values.get("label", ""),
            values.get("duration", ""),
            values.get("new_patients") == "on",
            values.get("buffer", ""),
            split_aliases(values["aliases"]) if "aliases" in values else None,
        )
        details = f"{motif_id}: {values.get('label', '')}, {values.get('duration', '')} min, new patients " + (
            "yes" if values.get("new_patients") == "on" else "no"
        )
        if "aliases" in values:
            details += ", aliases: " + ", ".join(split_aliases(values["aliases"]))
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.motif." + ("add" if is_new else "edit"),
            details=details,
            done="/config/motifs",
            retry=retry,
        )

    @router.post("/motifs")
    async def post_motif(request: Request) -> Response:
        """Add or change a motif."""
        form = await request.form()
        return await run_in_threadpool(save_motif, request, request.state.user, form)

    def delete_motif(request: Request, user: StaffAccount, form: FormData) -> Response:
        motif_id = str(form.get("motif_id", ""))
        data = remove_motif(current_data(ctx), motif_id)
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.motif.remove",
            details=motif_id,
            done="/config/motifs",
            retry=lambda status, extra: motifs_page(request, status, **extra),
        )

    @router.post("/motifs/delete")
    async def post_delete_motif(request: Request) -> Response:
        """Remove a motif (refused while future appointments use it)."""
        form = await request.form()
        return await run_in_threadpool(delete_motif, request, request.state.user, form)

    @router.get("/practitioners")
    def practitioners(request: Request) -> Response:
        """The roster: each practitioner with the motifs they offer."""
        return people_page(request)

    def save_practitioner(request: Request, user: StaffAccount, form: FormData) -> Response:
        values = form_fields(form)
        chosen = [str(m) for m in form.getlist("motifs")]
        existing = {p.id for p in ctx.clinic().practitioners}
        is_new = values.get("mode") == "new"
        person_id = slugify(values.get("last_name", "")) if is_new else values.get("practitioner_id", "")

        def retry(status: int, extra: dict[str, Any]) -> Response:
            return people_page(request, status, values=values if is_new else {}, chosen=chosen, **extra)

        if is_new and person_id in existing:
            return retry(422, {"error": "practitioners.error.exists"})
        if not is_new and person_id not in existing:
            return retry(404, {"error": "practitioners.error.unknown"})
        data = upsert_practitioner(
            current_data(ctx),
            person_id or "-",
            values.get("title", ""),
            values.get("first_name", ""),
            values.get("last_name", ""),
            values.get("specialty", ""),
            chosen,
        )
        details = (
            f"{person_id}: {values.get('title', '')} {values.get('first_name', '')} "
            f"{values.get('last_name', '')}, {values.get('specialty', '')}: {', '.join(chosen)}"
        )
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.practitioner." + ("add" if is_new else "edit"),
            details=details,
            done="/config/practitioners",
            retry=retry,
        )

    @router.post("/practitioners")
    async def post_practitioner(request: Request) -> Response:
        """Add or change a practitioner (a new one has no hours until they are set)."""
        form = await request.form()
        return await run_in_threadpool(save_practitioner, request, request.state.user, form)

    def delete_practitioner(request: Request, user: StaffAccount, form: FormData) -> Response:
        person_id = str(form.get("practitioner_id", ""))
        data = remove_practitioner(current_data(ctx), person_id)
        return submit(
            ctx,
            request,
            user,
            form,
            data,
            action="config.practitioner.remove",
            details=person_id,
            done="/config/practitioners",
            retry=lambda status, extra: people_page(request, status, **extra),
        )

    @router.post("/practitioners/delete")
    async def post_delete_practitioner(request: Request) -> Response:
        """Remove a practitioner (refused while they have future appointments)."""
        form = await request.form()
        return await run_in_threadpool(delete_practitioner, request, request.state.user, form)

    return router
