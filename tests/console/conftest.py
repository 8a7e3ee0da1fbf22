"""Fixtures of the staff-console tests: a sample practice, two accounts, the app on a frozen clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html import unescape

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from booking.service import BookingService
from booking.staff import StaffStore
from tests.booking.service_helpers import sample_service
from tests.conftest import PARIS
from voicebot.console.passwords import hash_password
from voicebot.server import create_app
from voicebot.settings import Clock

FROZEN = datetime(2026, 11, 30, 9, 0)
"""Monday 30 November 2026, 09:00 in Paris: the console's frozen clock."""
NOW = FROZEN.replace(tzinfo=PARIS)
PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Cheap argon2 parameters: the tests check behaviour, not hashing cost."""


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


@dataclass
class Console:
    app: FastAPI
    service: BookingService
    staff: StaffStore
    monotonic: FakeMonotonic

    def client(self, **kwargs: object) -> TestClient:
        return TestClient(self.app, follow_redirects=False, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    service = sample_service(sqlite_url, NOW)
    staff = StaffStore(service.engine)
    staff.add("alice", "admin", hash_password(PASSWORD, FAST), NOW)
    staff.add("sam", "secretary", hash_password(PASSWORD, FAST), NOW)
    monotonic = FakeMonotonic()
    app = create_app(service, Clock(FROZEN), secret_key="test-secret", monotonic=monotonic, hasher=FAST)
    yield Console(app, service, staff, monotonic)
    service.engine.dispose()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    token = csrf_of(client.get("/admin/login").text)
    response = client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/admin/day").text)


@pytest.fixture
def admin(console: Console) -> tuple[TestClient, str]:
    client = console.client()
    return client, login(client, "alice")


@pytest.fixture
def secretary(console: Console) -> tuple[TestClient, str]:
    client = console.client()
    return client, login(client, "sam")


def flash_errors(html: str) -> list[str]:
    """Texts of the error boxes of a page."""
    found = re.findall(r'<(p|div) class="flash error"[^>]*>(.*?)</\1>', html, re.S)
    return [unescape(re.sub(r"<[^>]+>", " ", body)) for _, body in found]
