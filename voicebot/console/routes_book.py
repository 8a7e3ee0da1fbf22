"""The appointment book: day list, week grid, create/move/cancel, patient search (secretaries and admins)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from booking.errors import AppointmentNotFound, SlotUnavailable, UnknownEntity
from booking.records import PatientDetails, Source, Status
from booking.slots import Slot, SlotQuery
from booking.sms_outbox import Outbox
from voicebot.console.book_views import parse_clock, parse_day, patient_query, reason_key, to_e164, week_grid
from voicebot.console.context import PREFIX, ConsoleContext
from voicebot.console.routes_calls import calls_chart
from voicebot.console.routes_requests import request_counts


def book_router(ctx: ConsoleContext) -> APIRouter:
    """Routes of the appointment book; every one needs a logged-in user."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(ctx.require_user), Depends(ctx.check_csrf)])

    def day_bounds(day: date) -> tuple[datetime, datetime]:
        zone = ctx.clinic().practice.zone
        start = datetime.combine(day, datetime.min.time(), zone)
        return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)

    def today() -> date:
        return ctx.now().date()

    @router.get("/")
    def home(request: Request) -> Response:
        """The console opens on today's appointments."""
        return ctx.redirect(request, "/day")

    @router.get("/day")
    def day_list(request: Request, day: str = "") -> Response:
        """Every booked appointment of the practice on one day, earliest first; the patients' requests counted;
        a chart of the last 30 days' calls.
        """
        shown = parse_day(day) or today()
        start, end = day_bounds(shown)
        records = ctx.service.list_appointments(start_from=start, until=end, status=Status.BOOKED)
        clinic = ctx.clinic()
        return ctx.render(
            request,
            "day.html",
            day=shown,
            records=records,
            clinic=clinic,
            prev_day=shown - timedelta(days=1),
            next_day=shown + timedelta(days=1),
            requests=request_counts(ctx.service, shown, clinic.practice.zone),
            chart=calls_chart(ctx),
        )

    @router.get("/week")
    def week(request: Request, practitioner: str = "", day: str = "", motif: str = "") -> Response:
        """One practitioner's week: opening hours, closures, appointments and free slots of a motif."""
        clinic = ctx.clinic()
        ids = [p.id for p in clinic.practitioners]
        chosen = practitioner if practitioner in ids else ids[0]
        doctor = clinic.practitioner(chosen)
        monday = parse_day(day) or today()
        monday -= timedelta(days=monday.weekday())
        motif_id = motif if motif in doctor.motifs else (doctor.motifs[0] if doctor.motifs else "")
        start, _ = day_bounds(monday)
        _, end = day_bounds(monday + timedelta(days=6))
        records = ctx.service.list_appointments(
            start_from=start, until=end, practitioner_id=chosen, status=Status.BOOKED
        )
        free = (
            ctx.service.find_slots(
                SlotQuery(motif_id, (chosen,), first_day=monday, last_day=monday + timedelta(days=6)), ctx.now()
            )
            if motif_id
            else []
        )
        grid = week_grid(clinic, chosen, monday, records, free)
        return ctx.render(
            request,
            "week.html",
            clinic=clinic,
            doctor=doctor,
            grid=grid,
            monday=monday,
            motif_id=motif_id,
            prev_week=monday - timedelta(days=7),
            next_week=monday + timedelta(days=7),
        )

    def new_form(request: Request, values: dict[str, str], error: str = "", status: int = 200) -> Response:
        return ctx.render(
            request, "appointment_new.html", status=status, clinic=ctx.clinic(), values=values, error=error
        )

    @router.get("/appointments/new")
    def new_appointment(request: Request) -> Response:
        """The booking form, prefilled from the query (practitioner, motif, day, time, patient)."""
        values = {k: v for k, v in request.query_params.items() if k != "lang"}
        values.setdefault("day", today().isoformat())
        return new_form(request, values)

    @router.post("/appointments/new")
    def create_appointment(
        request: Request,
        practitioner: Annotated[str, Form()] = "",
        motif: Annotated[str, Form()] = "",
        day: Annotated[str, Form()] = "",
        at: Annotated[str, Form()] = "",
        first_name: Annotated[str, Form()] = "",
        last_name: Annotated[str, Form()] = "",
        birth_date: Annotated[str, Form()] = "",
        phone: Annotated[str, Form()] = "",
    ) -> Response:
        """Book through the booking service: the same no-double-booking guarantee as the phone agent."""
        values = {
            "practitioner": practitioner,
            "motif": motif,
            "day": day,
            "at": at,
            "first_name": first_name,
            "last_name": last_name,
            "birth_date": birth_date,
            "phone": phone,
        }
        clinic = ctx.clinic()
        when, clock, born = parse_day(day), parse_clock(at), parse_day(birth_date)
        number = to_e164(phone, clinic.practice.country)
        error = (
            "book.error.names"
            if not first_name.strip() or not last_name.strip()
            else "book.error.when"
            if when is None or clock is None
            else "book.error.birth_date"
            if born is None or born > today()
            else "book.error.phone"
            if number is None
            else "book.error.motif"
            if motif not in {m.id for m in clinic.motifs}
            else ""
        )
        if error:
            return new_form(request, values, error, 422)
        assert when is not None and clock is not None and born is not None and number is not None
        start = datetime.combine(when, clock, clinic.practice.zone)
        slot = Slot(start, start + timedelta(minutes=clinic.motif(motif).duration_minutes), practitioner, motif)
        patient = PatientDetails(first_name.strip(), last_name.strip(), born, number)
        try:
            record = ctx.service.book(slot, patient, ctx.now(), source=Source.STAFF)
        except SlotUnavailable as err:
            return new_form(request, values, "book.reason." + reason_key(err.reason), 409)
        except UnknownEntity:
            return new_form(request, values, "book.error.unknown", 422)
        ctx.audit(
            request.state.user,
            "appointment.book",
            f"{record.reference} {practitioner} {motif} {start:%Y-%m-%d %H:%M} patient {record.patient_id}",
        )
        return ctx.redirect(request, f"/appointments/{record.reference}", ok="booked")

    def detail(request: Request, reference: str, error: str = "", status: int = 200) -> Response:
        try:
            record = ctx.service.get(reference)
        except AppointmentNotFound:
            return ctx.render(request, "error.html", status=404, message="book.error.not_found")
        texts = Outbox(ctx.service.engine).find(reference=record.reference)
        return ctx.render(
            request, "appointment.html", status=status, record=record, clinic=ctx.clinic(), error=error, texts=texts
        )

    @router.get("/appointments/{reference}")
    def appointment(request: Request, reference: str) -> Response:
        """One appointment, the texts sent to the patient about it, and the forms to move or cancel it."""
        return detail(request, reference)

    @router.post("/appointments/{reference}/cancel")
    def cancel(request: Request, reference: str) -> Response:
        """Cancel: the time is offered again at once."""
        try:
            record = ctx.service.cancel(reference, ctx.now())
        except AppointmentNotFound:
            return detail(request, reference, "book.error.already_cancelled", 409)
        ctx.audit(
            request.state.user,
            "appointment.cancel",
            f"{reference} {record.practitioner_id} {record.start:%Y-%m-%d %H:%M} patient {record.patient_id}",
        )
        return ctx.redirect(request, f"/day?day={record.start.date().isoformat()}", ok="cancelled")

    @router.post("/appointments/{reference}/move")
    def move(
        request: Request,
        reference: str,
        day: Annotated[str, Form()] = "",
        at: Annotated[str, Form()] = "",
        practitioner: Annotated[str, Form()] = "",
    ) -> Response:
        """Move in one transaction: if the new time is not free, the appointment stays where it was."""
        when, clock = parse_day(day), parse_clock(at)
        if when is None or clock is None:
            return detail(request, reference, "book.error.when", 422)
        try:
            old = ctx.service.get(reference)
            start = datetime.combine(when, clock, ctx.clinic().practice.zone)
            slot = Slot(start, start + (old.end - old.start), practitioner or old.practitioner_id, old.motif_id)
            record = ctx.service.reschedule(reference, slot, ctx.now(), source=Source.STAFF)
        except SlotUnavailable as err:
            return detail(request, reference, "book.reason." + reason_key(err.reason), 409)
        except AppointmentNotFound:
            return detail(request, reference, "book.error.already_cancelled", 409)
        except UnknownEntity:
            return detail(request, reference, "book.error.unknown", 422)
        ctx.audit(
            request.state.user,
            "appointment.move",
            f"{reference} {old.start:%Y-%m-%d %H:%M} → {record.reference} "
            f"{record.practitioner_id} {record.start:%Y-%m-%d %H:%M}",
        )
        return ctx.redirect(request, f"/appointments/{record.reference}", ok="moved")

    @router.get("/patients")
    def patients(request: Request, q: str = "") -> Response:
        """Find patients by name, birth date or phone, with all their appointments (anonymised ones are left out)."""
        criteria = patient_query(q, ctx.clinic().practice.country)
        found = [p for p in ctx.service.find_patients(**criteria) if p.details.last_name] if criteria else []
        results = [(p, ctx.service.list_appointments(patient_id=p.id)) for p in found[:50]]
        return ctx.render(request, "patients.html", q=q, results=results, searched=bool(q.strip()), clinic=ctx.clinic())

    return router
