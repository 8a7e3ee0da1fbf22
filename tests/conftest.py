"""Shared fixtures: real databases (a temporary SQLite file, a throwaway PostgreSQL cluster), and the speech of
the tests: Piper without noise for the whole session, one Whisper model shared by every module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from tests.pg import Cluster
from tests.speech.shared import quiet_piper

if TYPE_CHECKING:
    from voicebot.speech.stt import Recognizer

quiet_piper()  # before any test builds a voice: the bot's lines are the same on every run
os.environ.setdefault("VOICEBOT_SPEECH_CACHE", "off")
"""No disk speech cache for the tests' servers (inherited by `voicebot serve` children): no state shared with the
user's cache or between runs, and no background warm-up competing with the other worker; the cache's own tests
give it a directory."""

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CLINIC = ROOT / "config" / "clinic.toml"
SAMPLE_CLINIC_EN = ROOT / "config" / "clinic.en.toml"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
"""The frozen clock of most tests: Saturday 28 November 2026, 10:00 in Paris."""


LONGEST_FILES = (
    "voice/test_calls.py",
    "voice/test_sip_calls.py",
    "voice/test_call_control.py",
    "voice/test_softphone_booking.py",
    "speech/test_caller_sentences.py",
    "voicebot/test_bench_soak.py",
    "voice/test_sip_call_control.py",
    "voicebot/test_sms_cli.py",
    "voicebot/test_kill_serve_mid_booking.py",
    "voicebot/test_bench_voice.py",
)
"""The files that took longest (2 to 4.5 minutes down to 40 s, `--durations` on a 2-core machine, 2026-12-04),
longest first; the other files with slow tests follow them, then the rest."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (`LONGEST_FILES`, then any with a slow test), each file's tests in their own order.

    `make pytest` hands whole files to two workers in this order (`--no-loadscope-reorder`: pytest-xdist would
    otherwise put the files with the most tests first, and the calls in real time, one or two tests of two minutes
    each, last). Started first, the longest leave the many quick files to even out the end.
    """
    here = Path(__file__).parent
    rank = {here / name: position for position, name in enumerate(LONGEST_FILES)}
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: rank.get(item.path, len(rank) if item.path in slow_files else len(rank) + 1))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(pg_cluster: Cluster) -> str:
    return pg_cluster.url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'voicebot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'voicebot.db'}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.url()


@pytest.fixture(scope="session")
def recognizer() -> Recognizer:
    """Whisper base, loaded and warmed up once per test process (tests/speech/shared.py)."""
    from tests.speech.shared import recognizer as shared

    return shared()
