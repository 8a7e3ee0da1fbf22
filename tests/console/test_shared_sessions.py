"""Two console servers on one PostgreSQL database, as behind a proxy without stickiness: a logout on one ends the
cookie on the other, and wrong passwords made on one count on the other. Each app has its own engine and its own
fake monotonic clock (their times compare through the wall clock, `security.wall_clock`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from booking.models import LoginFailureRow, RevokedSessionRow
from booking.service import BookingService
from booking.staff import StaffStore
from tests.booking.service_helpers import sample_service
from tests.console.conftest import FAST, FROZEN, NOW, PASSWORD, Console, FakeMonotonic, csrf_of, login
from voicebot.console.passwords import hash_password
from voicebot.server import create_app
from voicebot.settings import Clock

pytestmark = pytest.mark.postgres


@pytest.fixture
def consoles(postgres_url: str) -> Iterator[tuple[Console, Console]]:
    first = sample_service(postgres_url, NOW)
    staff = StaffStore(first.engine)
    staff.add("alice", "admin", hash_password(PASSWORD, FAST), NOW)
    staff.add("sam", "secretary", hash_password(PASSWORD, FAST), NOW)
    pair = []
    for service in (first, BookingService.open(postgres_url)):
        monotonic = FakeMonotonic()
        app = create_app(service, Clock(FROZEN), secret_key="test-secret", monotonic=monotonic, hasher=FAST)
        pair.append(Console(app, service, StaffStore(service.engine), monotonic))
    yield pair[0], pair[1]
    for console in pair:
        console.service.engine.dispose()


def attempt(client: TestClient, username: str, password: str) -> int:
    token = csrf_of(client.get("/admin/login").text)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/admin/login", data=data).status_code


def test_a_logout_on_one_server_ends_the_cookie_on_the_other(consoles: tuple[Console, Console]) -> None:
    one, other = consoles
    browser = one.client()
    token = login(browser, "alice")
    cookies = dict(browser.cookies)
    elsewhere = other.client(cookies=cookies)
    assert elsewhere.get("/admin/day").status_code == 200  # the same cookie works on both
    assert browser.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert other.client(cookies=cookies).get("/admin/day").status_code == 303
    assert one.client(cookies=cookies).get("/admin/day").status_code == 303
    again = other.client()
    login(again, "alice")  # a new login on either server works
    assert one.client(cookies=dict(again.cookies)).get("/admin/day").status_code == 200


def test_wrong_passwords_count_on_every_server(consoles: tuple[Console, Console]) -> None:
    one, other = consoles
    for i in range(10):  # an attacker alternating between the servers
        assert attempt((one if i % 2 else other).client(), "alice", "guess") == 401
    assert attempt(one.client(), "alice", PASSWORD) == 429
    assert attempt(other.client(), "alice", PASSWORD) == 429
    assert attempt(other.client(), "sam", PASSWORD) == 303  # another account is not affected
    for console in consoles:
        console.monotonic.advance(15 * 60 + 1)
    assert attempt(other.client(), "alice", PASSWORD) == 303


def test_a_login_on_one_server_forgets_the_account_s_failures_on_the_other(consoles: tuple[Console, Console]) -> None:
    one, other = consoles
    for _ in range(9):
        assert attempt(one.client(), "sam", "guess") == 401
    assert attempt(other.client(), "sam", PASSWORD) == 303
    for _ in range(9):
        assert attempt(one.client(), "sam", "guess") == 401
    assert attempt(one.client(), "sam", PASSWORD) == 303  # 9 since the login: not throttled


def test_the_shared_tables_hold_digests_only(consoles: tuple[Console, Console]) -> None:
    one, other = consoles
    assert attempt(one.client(), "alice", "guess") == 401
    browser = other.client()
    token = login(browser, "sam")
    browser.post("/admin/logout", data={"csrf_token": token})
    with Session(one.service.engine) as session:
        keys = [*session.scalars(select(LoginFailureRow.key)), *session.scalars(select(RevokedSessionRow.key))]
    # two failures (the name, the address), two sessions ended (the login page's, at login; the logged-in one)
    assert len(keys) == 4 and all(re.fullmatch("[0-9a-f]{64}", key) for key in keys)
