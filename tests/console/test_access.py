"""Nothing under /admin answers without a login; configuration is for admins only; forms need CSRF tokens."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from booking.records import Status
from tests.console.conftest import Console, csrf_of, login

PUBLIC = {("GET", "/admin/login"), ("POST", "/admin/login")}
"""The login form must answer anonymous visitors, of course."""
ADMIN_ONLY = ("/admin/config", "/admin/audit", "/admin/privacy")


def admin_routes(console: Console) -> list[tuple[str, str]]:
    """Every (method, concrete path) of the console, path parameters filled in."""
    found = []
    for route in iter_route_contexts(console.app.routes):  # app.routes, included routers flattened
        if isinstance(route.original_route, APIRoute) and route.path and route.path.startswith("/admin"):
            path = re.sub(r"\{[^}]+\}", "123456", route.path)
            found += [(method, path) for method in sorted(route.methods or ()) if (method, route.path) not in PUBLIC]
        elif isinstance(route.original_route, Mount):
            assert route.path == "/admin/static", f"unexpected mount {route.path}"
    return found


def test_the_console_has_the_expected_routes(console: Console) -> None:
    routes = admin_routes(console)
    assert len(routes) >= 25
    assert ("POST", "/admin/config/hours") in routes and ("GET", "/admin/week") in routes


def test_every_admin_route_refuses_anonymous_access(console: Console) -> None:
    client = console.client()
    token = csrf_of(client.get("/admin/login").text)  # even with a valid anonymous CSRF token
    for method, path in admin_routes(console):
        response = client.request(method, path, data={"csrf_token": token} if method == "POST" else None)
        if method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/admin/login?next=/admin"), (method, path)
        else:
            assert response.status_code == 401, (method, path, response.status_code)
            assert "Veuillez vous connecter" in response.text
    assert console.staff.recent() == []  # nothing was done


def test_unknown_pages_and_static_files(console: Console) -> None:
    client = console.client()
    assert client.get("/admin/static/console.css").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 404


def test_secretary_gets_403_on_every_configuration_route(console: Console) -> None:
    client = console.client()
    token = login(client, "sam")
    before = console.service.clinic()
    for method, path in admin_routes(console):
        if not path.startswith(ADMIN_ONLY):
            continue
        data = {"csrf_token": token, "practitioner": "martin", "hours_tue": "10:00-11:00"}
        response = client.request(method, path, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Seul un administrateur" in response.text
    assert console.service.clinic() == before
    page = client.get("/admin/day").text
    assert "/admin/config/hours" not in page  # the menu does not offer what is refused


def test_secretary_cannot_change_hours(console: Console) -> None:
    client = console.client()
    token = login(client, "sam")
    response = client.post(
        "/admin/config/hours", data={"csrf_token": token, "practitioner": "martin", "hours_tue": "10:00-11:00"}
    )
    assert response.status_code == 403
    assert console.service.clinic().practitioner("martin").hours[1][0].start.hour == 8


def test_secretary_manages_appointments(console: Console) -> None:
    client = console.client()
    token = login(client, "sam")
    response = client.post(
        "/admin/appointments/new",
        data={
            "csrf_token": token,
            "practitioner": "martin",
            "motif": "consultation",
            "day": "2026-12-01",
            "at": "10:10",
            "first_name": "Jean",
            "last_name": "Dupont",
            "birth_date": "1980-01-02",
            "phone": "06 12 34 56 78",
        },
    )
    assert response.status_code == 303
    assert [a.patient.phone for a in console.service.list_appointments(status=Status.BOOKED)] == ["+33612345678"]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/appointments/new",
        "/admin/config/hours",
        "/admin/logout",
        "/admin/config/closures",
        "/admin/appointments/123456/cancel",
    ],
)
def test_post_without_csrf_token_is_refused(console: Console, path: str) -> None:
    client = console.client()
    login(client, "alice")
    data = {
        "practitioner": "martin",
        "hours_tue": "10:00-11:00",
        "motif": "consultation",
        "day": "2026-12-01",
        "at": "10:10",
        "first_name": "A",
        "last_name": "B",
        "birth_date": "1980-01-02",
        "phone": "0612345678",
        "kind": "days",
        "first": "2026-12-02",
    }
    assert client.post(path, data=data).status_code == 403
    assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    assert console.service.list_appointments() == []
    assert console.service.clinic().practitioner("martin").hours[1][0].start.hour == 8
    assert client.get("/admin/day").status_code == 200  # still logged in: logout was refused too


def test_login_without_csrf_token_is_refused(console: Console) -> None:
    client = console.client()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"username": "alice", "password": "correct horse battery"})
    assert response.status_code == 403
    assert "formulaire a expiré" in response.text


def test_csrf_token_of_another_session_is_refused(console: Console) -> None:
    mallory = console.client()
    mallory_token = login(mallory, "sam")
    victim = console.client()
    login(victim, "alice")
    response = victim.post(
        "/admin/config/hours", data={"csrf_token": mallory_token, "practitioner": "martin", "hours_tue": "10:00-11:00"}
    )
    assert response.status_code == 403
