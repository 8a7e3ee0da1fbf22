"""Staff accounts and the audit trail of staff changes, stored next to the appointment book.

Passwords never reach this module in clear: callers hash them (the console uses argon2) and store the hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlmodel import Session, col

from booking.errors import BookingError
from booking.models import AuditEntryRow, StaffAccountRow

ROLES: tuple[str, ...] = ("admin", "secretary")
"""`admin` may change the configuration; `secretary` manages appointments only."""

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class StaffError(BookingError):
    """A staff account cannot be created, found or changed; the message says why."""


@dataclass(frozen=True)
class StaffAccount:
    """A console login."""

    username: str
    role: str
    """One of `ROLES`."""
    password_hash: str
    created_at: datetime
    active: bool = True

    @property
    def is_admin(self) -> bool:
        """Whether this account may change the configuration."""
        return self.role == "admin"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change: who did what, when."""

    at: datetime
    """Aware UTC."""
    username: str
    action: str
    """Dotted name such as `appointment.cancel` or `config.hours`."""
    details: str


def normalize_username(username: str) -> str:
    """The stored form of a login name (trimmed, lower case); `StaffError` if it is not acceptable."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise StaffError(f'"{username}" is not a valid user name: use 2 to 64 letters, digits, ".", "_", "-" or "@"')
    return name


class StaffStore:
    """Reads and writes staff accounts and audit entries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, username: str, role: str, password_hash: str, now: datetime) -> StaffAccount:
        """Create an account; `StaffError` if the name is taken or the role unknown."""
        name = normalize_username(username)
        if role not in ROLES:
            raise StaffError(f'unknown role "{role}" (expected one of: {", ".join(ROLES)})')
        with Session(self.engine) as session, session.begin():
            if self._row(session, name) is not None:
                raise StaffError(f'a staff account named "{name}" already exists')
            row = StaffAccountRow(username=name, role=role, password_hash=password_hash, created_at=now)
            session.add(row)
            session.flush()
            return _account(row)

    def get(self, username: str) -> StaffAccount | None:
        """The account with this name, or `None`."""
        with Session(self.engine) as session:
            row = self._row(session, username.strip().lower())
            return _account(row) if row is not None else None

    def accounts(self) -> list[StaffAccount]:
        """Every account, by name."""
        with Session(self.engine) as session:
            rows = session.scalars(select(StaffAccountRow).order_by(StaffAccountRow.username))
            return [_account(row) for row in rows]

    def set_password(self, username: str, password_hash: str) -> None:
        """Replace an account's password hash; `StaffError` if there is no such account."""
        with Session(self.engine) as session, session.begin():
            row = self._row(session, username.strip().lower())
            if row is None:
                raise StaffError(f'no staff account named "{username}"')
            row.password_hash = password_hash

    def remove(self, username: str) -> None:
        """Delete an account (its audit entries stay); `StaffError` if there is no such account."""
        with Session(self.engine) as session, session.begin():
            name = username.strip().lower()
            if self._row(session, name) is None:
                raise StaffError(f'no staff account named "{username}"')
            session.execute(delete(StaffAccountRow).where(col(StaffAccountRow.username) == name))

    def record(self, username: str, action: str, details: str, now: datetime) -> None:
        """Append an entry to the audit trail."""
        with Session(self.engine) as session, session.begin():
            session.add(AuditEntryRow(at=now, username=username, action=action, details=details))

    def recent(self, limit: int = 200) -> list[AuditEntry]:
        """The latest audit entries, newest first."""
        statement = (
            select(AuditEntryRow).order_by(col(AuditEntryRow.at).desc(), col(AuditEntryRow.id).desc()).limit(limit)
        )
        with Session(self.engine) as session:
            return [AuditEntry(r.at, r.username, r.action, r.details) for r in session.scalars(statement)]

    @staticmethod
    def _row(session: Session, name: str) -> StaffAccountRow | None:
        return session.scalars(select(StaffAccountRow).where(col(StaffAccountRow.username) == name)).first()


def _account(row: StaffAccountRow) -> StaffAccount:
    return StaffAccount(row.username, row.role, row.password_hash, row.created_at, row.active)
