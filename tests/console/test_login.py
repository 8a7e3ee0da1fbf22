"""Login, logout, session cookies and throttling."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console.conftest import FAST, PASSWORD, Console, csrf_of, login
from voicebot.console.passwords import hash_password


def attempt(client: TestClient, username: str, password: str, **extra: str) -> int:
    token = csrf_of(client.get("/admin/login").text)
    return client.post(
        "/admin/login", data={"username": username, "password": password, "csrf_token": token, **extra}
    ).status_code


def test_session_cookie_flags_over_http(console: Console) -> None:
    client = console.client()
    client.get("/admin/login")
    token = csrf_of(client.get("/admin/login").text)
    response = client.post("/admin/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie


def test_session_cookie_is_secure_behind_an_https_proxy(console: Console) -> None:
    client = console.client(headers={"X-Forwarded-Proto": "https"})
    assert "secure" in client.get("/admin/login").headers["set-cookie"].lower()
    direct = console.client(base_url="https://testserver")
    assert "secure" in direct.get("/admin/login").headers["set-cookie"].lower()


def test_wrong_password_then_right_one(console: Console) -> None:
    client = console.client()
    assert attempt(client, "alice", "nope") == 401
    assert attempt(client, "nobody", PASSWORD) == 401
    assert attempt(client, "ALICE", PASSWORD) == 303  # user names ignore case
    assert client.get("/admin/day").status_code == 200


def test_ten_wrong_passwords_throttle_the_account_from_that_address(console: Console) -> None:
    client = console.client()
    for _ in range(10):
        assert attempt(client, "alice", "guess") == 401
    token = csrf_of(client.get("/admin/login").text)
    response = client.post("/admin/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429  # even the right password is refused while throttled
    assert "Trop de tentatives" in response.text and "15 minute" in response.text
    assert client.get("/admin/day").status_code == 303
    assert attempt(client, "sam", PASSWORD) == 303  # another account is not affected
    console.monotonic.advance(14 * 60)
    assert attempt(console.client(), "alice", PASSWORD) == 429
    console.monotonic.advance(61)
    assert attempt(console.client(), "alice", PASSWORD) == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(console: Console) -> None:
    client = console.client()
    token = login(client, "alice")
    stolen = dict(client.cookies)
    response = client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/admin/login"
    assert client.get("/admin/day").status_code == 303
    thief = console.client(cookies=stolen)
    assert thief.get("/admin/day").status_code == 303


def test_a_new_password_or_a_removed_account_ends_sessions(console: Console) -> None:
    client = console.client()
    login(client, "sam")
    console.staff.set_password("sam", hash_password("another password", FAST))
    assert client.get("/admin/day").status_code == 303
    other = console.client()
    login(other, "alice")
    console.staff.remove("alice")
    assert other.get("/admin/day").status_code == 303


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(console: Console) -> None:
    client = console.client()
    assert client.get("/admin/week?practitioner=martin").headers["location"] == (
        "/admin/login?next=/admin/week?practitioner=martin"
    )
    token = csrf_of(client.get("/admin/login").text)
    response = client.post(
        "/admin/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/admin/week?practitioner=martin",
        },
    )
    assert response.headers["location"] == "/admin/week?practitioner=martin"
    other = console.client()
    token = csrf_of(other.get("/admin/login").text)
    response = other.post(
        "/admin/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": "https://evil.example/admin/"},
    )
    assert response.headers["location"] == "/admin/"


def test_language_switch_and_practice_default(console: Console) -> None:
    client = console.client()
    assert "Connexion au secrétariat" in client.get("/admin/login").text
    assert "Staff login" in client.get("/admin/login?lang=en").text
    assert "Staff login" in client.get("/admin/login").text  # remembered in a cookie
    login(client, "alice")
    assert "Audit trail" in client.get("/admin/audit").text
    assert "Journal des modifications" in client.get("/admin/audit?lang=fr").text
