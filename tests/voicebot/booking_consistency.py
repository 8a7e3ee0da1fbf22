"""What the kill tests check after a process died mid-booking (texts on, every patient with a mobile number, patients
made only by the bookings): each booking is whole (appointment, patient, confirmation text) or absent, nothing is
left over, and every reference a caller or a secretary was given is booked. Also: when the killed process's
PostgreSQL sessions are gone, and when a booking's write is under way (to time a kill)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text

LEFT_OVER = {
    "an appointment without its patient": "SELECT a.reference FROM appointment a"
    " WHERE NOT EXISTS (SELECT 1 FROM patient p WHERE p.id = a.patient_id)",
    "a patient without the appointment booked for them": "SELECT p.id FROM patient p"
    " WHERE NOT EXISTS (SELECT 1 FROM appointment a WHERE a.patient_id = p.id)",
    "a confirmation text without its appointment": "SELECT s.id FROM sms_message s WHERE s.kind = 'confirmation'"
    " AND NOT EXISTS (SELECT 1 FROM appointment a WHERE a.id = s.appointment_id)",
    "an appointment without its confirmation text": "SELECT a.reference FROM appointment a"
    " WHERE NOT EXISTS (SELECT 1 FROM sms_message s WHERE s.appointment_id = a.id AND s.kind = 'confirmation')",
}
"""What a booking cut in half would leave (patients come only from the bookings, texts are on and every patient has
a mobile number): each query must find nothing."""


def check_whole(engine: Engine, references: set[str]) -> int:
    """Every booking whole (appointment, patient, confirmation text), nothing left over, every reference told
    booked; the number of appointments."""
    with engine.connect() as connection:

        def rows(sql: str) -> list[object]:
            return list(connection.execute(text(sql)).scalars())

        if engine.dialect.name == "sqlite":
            assert rows("PRAGMA integrity_check") == ["ok"]
            assert rows("PRAGMA foreign_key_check") == []
        for what, sql in LEFT_OVER.items():
            assert rows(sql) == [], what
        booked = set(rows("SELECT reference FROM appointment WHERE status = 'booked'"))
        assert references <= booked, f"told {sorted(references - booked)}, not in the database"
        return len(rows("SELECT id FROM appointment"))


def connections_gone(engine: Engine) -> bool:
    """No other session left on the database (PostgreSQL has rolled back what the killed process left open)."""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as connection:
        others = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).scalar_one()
    return int(others) == 0


def wait_for(predicate: Callable[[], bool], seconds: float, every: float = 0.0) -> bool:
    """Poll `predicate` every `every` seconds (0: as fast as it goes) for up to `seconds`; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


@dataclass
class WriteWatch:
    """Tells when a write to the database is under way: on PostgreSQL a backend of the database holding a
    transaction id (it wrote, or locked a row, and has not committed); on SQLite the WAL file changing since `arm`.
    """

    engine: Engine
    wal: Path | None = None
    _wal_stat: tuple[int, int] | None = field(default=None, init=False)

    @classmethod
    def on(cls, engine: Engine, url: str) -> WriteWatch:
        """The watch for the database at `url` (its WAL file beside it on SQLite)."""
        return cls(engine, Path(url.removeprefix("sqlite:///") + "-wal") if url.startswith("sqlite") else None)

    def arm(self) -> None:
        """Take the WAL file's state as the one to compare with (SQLite)."""
        if self.wal is not None:
            self._wal_stat = self._stat()

    def _stat(self) -> tuple[int, int]:
        assert self.wal is not None
        try:
            stat = self.wal.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_size, stat.st_mtime_ns)

    def writing(self) -> bool:
        """Whether a write has begun (SQLite: since `arm`) and, on PostgreSQL, is not committed yet."""
        if self.wal is not None:
            return self._stat() != self._wal_stat
        with self.engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            ).scalar_one()
        return int(found) > 0
