"""Requests callers leave for the practice: a renewal, a certificate, results or a callback.

A request holds who it is about, the number to call back and a category from a fixed list: never free text,
so no health data is stored. Staff mark requests done once they have called back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, case, select
from sqlmodel import Session, col

from booking.errors import BookingError
from booking.models import RequestRow
from booking.records import PatientDetails, RequestCategory, RequestRecord, RequestStatus


class RequestError(BookingError):
    """A request cannot be found or changed; the message says why."""


class RequestNotFound(RequestError):
    """No request has this number."""


class RequestAlreadyDone(RequestError):
    """The request was already marked done."""


class RequestBook:
    """Reads and writes the requests left for the practice."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def leave(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        """Record an open request; `patient.phone` is the number to call back (E.164)."""
        row = RequestRow(
            category=RequestCategory(category).value,
            status=RequestStatus.OPEN.value,
            first_name=patient.first_name.strip(),
            last_name=patient.last_name.strip(),
            birth_date=patient.birth_date,
            callback_phone=patient.phone,
            created_at=now,
        )
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.add(row)
            session.flush()
            return _record(row)

    def find(
        self,
        *,
        status: RequestStatus | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
    ) -> list[RequestRecord]:
        """Requests matching every filter given: open ones first, then newest first."""
        open_first = case((col(RequestRow.status) == RequestStatus.OPEN.value, 0), else_=1)
        newest = (col(RequestRow.created_at).desc(), col(RequestRow.id).desc())
        statement = select(RequestRow).order_by(open_first, *newest)
        if status is not None:
            statement = statement.where(col(RequestRow.status) == status.value)
        if created_from is not None:
            statement = statement.where(col(RequestRow.created_at) >= created_from)
        if created_until is not None:
            statement = statement.where(col(RequestRow.created_at) < created_until)
        with Session(self.engine) as session:
            return [_record(row) for row in session.scalars(statement)]

    def get(self, request_id: int) -> RequestRecord:
        """The request with this number; `RequestNotFound` otherwise."""
        with Session(self.engine) as session:
            return _record(_row(session, request_id))

    def mark_done(self, request_id: int, now: datetime, by: str) -> RequestRecord:
        """Mark a request done by `by` (a staff login, or "cli").

        Raises:
            RequestNotFound: no request has this number.
            RequestAlreadyDone: someone already marked it done.
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = _row(session, request_id)
            if row.status == RequestStatus.DONE.value:
                raise RequestAlreadyDone(f"request {request_id} was already marked done by {row.done_by}")
            row.status = RequestStatus.DONE.value
            row.done_at = now
            row.done_by = by
            session.flush()
            return _record(row)


def _row(session: Session, request_id: int) -> RequestRow:
    row = session.get(RequestRow, request_id)
    if row is None:
        raise RequestNotFound(f"there is no request number {request_id}")
    return row


def _record(row: RequestRow) -> RequestRecord:
    assert row.id is not None
    return RequestRecord(
        id=row.id,
        category=RequestCategory(row.category),
        status=RequestStatus(row.status),
        patient=PatientDetails(row.first_name, row.last_name, row.birth_date, row.callback_phone),
        created_at=row.created_at,
        done_at=row.done_at,
        done_by=row.done_by,
    )
