"""What every server process must see alike, beside the appointment book: the staff console's logouts and wrong
passwords, and the Twilio calls whose media stream started.

Rows hold opaque keys (digests made by the caller: no name, address or session id in clear) and live a day at
most. Every write also deletes up to `PURGE_BATCH` expired rows of its table: the tables cannot grow beyond what
one day (one throttle window for failures) adds, and no call does unbounded work. Expired rows still waiting are
ignored by every read, so the privacy purge need not touch these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from booking.db import reader
from booking.models import LoginFailureRow, RevokedSessionRow, StreamClaimRow

PURGE_BATCH = 100
"""Expired rows deleted per write at most: more than any write adds, so the backlog shrinks."""


class SharedState:
    """The database side of the console's `SessionCodec` and `LoginThrottle` and of the Twilio stream claims.

    Args:
        engine: The database every server process shares.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = reader(engine)

    # -- console sessions ended by a logout -----------------------------------------------------------

    def revoke_session(self, key: str, until: datetime, now: datetime) -> None:
        """Refuse the session `key` until `until` (a second revocation of it changes nothing)."""
        with Session(self.engine) as session, session.begin():
            _purge(session, RevokedSessionRow, col(RevokedSessionRow.expires_at) <= now, RevokedSessionRow.key)
            _insert_once(session, RevokedSessionRow(key=key, expires_at=until))

    def session_revoked(self, key: str, now: datetime) -> bool:
        """Whether the session `key` was revoked and the revocation still holds at `now`."""
        query = select(col(RevokedSessionRow.key)).where(
            col(RevokedSessionRow.key) == key, col(RevokedSessionRow.expires_at) > now
        )
        with Session(self._reader) as session:
            return session.scalar(query) is not None

    # -- wrong passwords --------------------------------------------------------------------------------

    def recent_failures(self, key: str, since: datetime, limit: int) -> list[datetime]:
        """The times of `key`'s failures after `since`, newest first, `limit` at most."""
        query = (
            select(col(LoginFailureRow.at))
            .where(col(LoginFailureRow.key) == key, col(LoginFailureRow.at) > since)
            .order_by(col(LoginFailureRow.at).desc())
            .limit(limit)
        )
        with Session(self._reader) as session:
            return list(session.scalars(query))

    def add_failure(self, keys: tuple[str, ...], at: datetime, since: datetime) -> None:
        """Record one failure at `at` against each of `keys`; failures before `since` no longer count anywhere."""
        with Session(self.engine) as session, session.begin():
            _purge(session, LoginFailureRow, col(LoginFailureRow.at) <= since, LoginFailureRow.id)
            session.add_all(LoginFailureRow(key=key, at=at) for key in keys)

    def forget_failures(self, key: str) -> None:
        """Forget every failure of `key` (an account that logged in)."""
        with Session(self.engine) as session, session.begin():
            session.execute(delete(LoginFailureRow).where(col(LoginFailureRow.key) == key))

    # -- Twilio media streams ---------------------------------------------------------------------------

    def claim_stream(self, key: str, until: datetime, now: datetime) -> bool:
        """Mark the call `key` as streaming until `until`: `True` the first time, `False` while an earlier claim
        holds (the database's unique key decides between servers racing).
        """
        with Session(self.engine) as session, session.begin():
            expired = col(StreamClaimRow.expires_at) < now
            session.execute(delete(StreamClaimRow).where(col(StreamClaimRow.key) == key, expired))
            _purge(session, StreamClaimRow, expired, StreamClaimRow.key)
            return _insert_once(session, StreamClaimRow(key=key, expires_at=until))


def _purge(session: Session, table: type[SQLModel], expired: ColumnElement[bool], key: Any) -> None:
    """Delete up to `PURGE_BATCH` expired rows of `table` (a bounded subquery: same work however large the
    backlog).
    """
    batch = select(key).where(expired).limit(PURGE_BATCH).scalar_subquery()
    session.execute(delete(table).where(col(key).in_(batch)))


def _insert_once(session: Session, row: SQLModel) -> bool:
    """Insert `row` in a savepoint: `False` (and the transaction goes on) when its key is already there."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
