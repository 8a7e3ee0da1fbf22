"""The purge `voicebot serve` runs every day (`voicebot.app.purge_daily`): at once at start-up, at the server's
(frozen) now, logged with counts only; a failure is logged and tried again."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from booking.calls import CallLog
from booking.records import CallChannel, CallEntry, TranscriptLine
from booking.staff import StaffStore
from tests.pipeline.conftest import open_service
from voicebot.app import purge_daily


class Seen(logging.Handler):
    """Catches the `voicebot.app` log lines holding `wanted`; `done` is set once `count` of them came."""

    def __init__(self, wanted: str, count: int = 1) -> None:
        super().__init__()
        self.wanted, self.count = wanted, count
        self.lines: list[str] = []
        self.done = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.wanted in record.getMessage():
            self.lines.append(record.getMessage())
            if len(self.lines) >= self.count:
                self.done.set()


def run_until(seen: Seen, purging: Coroutine[Any, Any, None]) -> list[str]:
    """Run the purge loop until `seen` is done (20 s at most), then cancel it; the lines seen."""
    logger = logging.getLogger("voicebot.app")
    logger.addHandler(seen)
    level, logger.level = logger.level, logging.INFO

    async def scenario() -> None:
        task = asyncio.create_task(purging)
        try:
            assert await asyncio.to_thread(seen.done.wait, 20.0), seen.lines
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    try:
        asyncio.run(scenario())
    finally:
        logger.removeHandler(seen)
        logger.setLevel(level)
    return seen.lines


def test_the_daily_purge_runs_at_once_at_the_servers_now(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    line = TranscriptLine("caller", "⟨NAME⟩")
    CallLog(service.engine).record(CallEntry("CA1", CallChannel.SIP, now, now, "hung_up", transcript=(line,)))
    later = now + timedelta(days=31)  # the frozen clock, past transcript_days

    (line,) = run_until(Seen("privacy purge:"), purge_daily(service.engine, lambda: later, every=3600))
    assert line.startswith("privacy purge: 1 transcript(s) deleted, 0 call(s) deleted, 0 patient(s) anonymised")
    assert CallLog(service.engine).get(1).transcript is None
    (entry,) = StaffStore(service.engine).recent()
    assert (entry.username, entry.action, entry.at) == ("purge", "privacy.purge", later)


def test_a_failed_purge_is_logged_and_tried_again(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every purge fails

    purging = purge_daily(engine, lambda: datetime(2026, 12, 1).astimezone(), retry=0.01)
    lines = run_until(Seen("privacy purge failed", count=2), purging)
    assert lines[:2] == ["privacy purge failed (OperationalError): it will be tried again"] * 2
