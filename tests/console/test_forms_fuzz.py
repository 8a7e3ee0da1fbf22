"""Fuzzing every form of the staff console (issue 13): whatever an admin's browser posts, with a valid CSRF token,
the console answers with a page or a redirect, never a 500, and the bookings survive.

The POST routes come from the application's OpenAPI description and their fields from the console's own pages
(`forms_crawl`), so a new form is fuzzed as soon as a page shows it.
"""

from __future__ import annotations

from html import unescape
from urllib.parse import quote, quote_plus

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from booking.clinic_export import clinic_to_toml
from tests.conftest import SAMPLE_CLINIC, SAMPLE_CLINIC_EN
from tests.console.conftest import NOW, PASSWORD, Console, login
from tests.console.forms_crawl import Route, crawl, get_pages, post_routes
from tests.voicebot.db_consistency import LUCIE, assert_consistent, seed
from voicebot.console.security import COOKIE

EXAMPLES = 30
"""Forms posted per route: the whole file stays well under a minute."""

CHARACTERS = st.characters(codec="utf-8") | st.sampled_from(["\udcff", "\udc80", "\x00", "\u202e", "💉", "\r", "%"])
"""Anything a browser or a script can post; `\\udcff` stands for the byte 0xff (invalid UTF-8 once sent)."""
ODD = st.sampled_from(["", " ", "x" * 200_000, "9" * 400, "-1", "null", "'; DROP TABLE patient; --", "é" * 300])
TEXT = st.text(CHARACTERS, max_size=40) | ODD
DAYS = st.sampled_from(
    ["2026-12-01", "2026-12-02", "01/12/2026", "9999-12-31", "0001-01-01", "1985-07-14", "2026-02-30", "mardi"]
) | st.dates().map(lambda d: d.isoformat())
CLOCKS = st.sampled_from(["09:00", "09:20", "10:40", "14:00", "16:20", "9h30", "23:59", "24:00", "25:61", "midi"])
RANGES = st.sampled_from(["08:30-12:00, 14:00-18:30", "", "09:00-10:00", "25:00-12:00", "12:00-08:00", "9-12"])
TOMLS = st.sampled_from(
    [
        SAMPLE_CLINIC.read_text(encoding="utf-8"),
        SAMPLE_CLINIC_EN.read_text(encoding="utf-8"),
        '[practice\nname = "x"\n',
        "",
    ]
)
BY_NAME: dict[str, st.SearchStrategy[str]] = {
    "day": DAYS,
    "first": DAYS,
    "last": DAYS,
    "birth_date": st.sampled_from(["1985-07-14", "14/07/1985", "1967-11-07", "9999-12-31", "0001-01-01", "2026-02-30"]),
    "at": CLOCKS,
    "start": CLOCKS,
    "end": CLOCKS,
    "first_name": st.sampled_from(["Lucie", "lucie", "Jean"]),
    "last_name": st.sampled_from(["Ferrand", "FERRAND", "Dupont"]),
    "phone": st.sampled_from(["06 12 34 56 78", "+33612345678", "12", "+" + "9" * 30]),
    "duration": st.sampled_from(["20", "0", "-5", "1441", "9" * 30, "1.5", "vingt"]),
    "buffer": st.sampled_from(["0", "5", "-1", "9" * 30]),
    "toml": TOMLS,
    "username": st.sampled_from(["alice", "sam", "nobody", " ALICE "]),
    "password": st.sampled_from([PASSWORD, "wrong password"]),
    "next": st.sampled_from(["/admin/day", "//evil.example/", "https://evil.example/", "/admin\\..\\x", "/admin/../x"]),
    "confirm": st.sampled_from(["1", "0", "yes"]),
}
"""Valid-looking values of the fields known by their name (the pages' own values are used too)."""
UPLOADS = st.tuples(
    st.sampled_from(["clinic.toml", "", "x" * 300, "é.toml"]),
    st.sampled_from(
        [
            SAMPLE_CLINIC.read_bytes(),
            SAMPLE_CLINIC_EN.read_bytes(),
            b"",
            b"\xff\xfe[practice]",
            b"x" * (512 * 1024 + 1),
            '[practice]\nname = "Cabinet é"\n'.encode("latin-1"),
        ]
    ),
)
PATH_JUNK = st.sampled_from(["%FF", "%00", "0", "-1", "9" * 30, "1e3", "%C3%28"]) | st.text(
    st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=20
).filter(lambda s: s not in (".", "..")).map(lambda s: quote(s, safe=""))
"""A path parameter (no slash: the request must reach the route under test)."""


Submission = tuple[str, list[tuple[str, str]], tuple[str, bytes] | None]
"""Where a form is posted, its fields, and the file it uploads (if any)."""


def values(route: Route, name: str, dirty: bool) -> st.SearchStrategy[str]:
    """What to type in one field: the values the page offers or a valid-looking one; on a dirty form, anything too."""
    known = [value for value in route.fields.get(name, []) if value]  # an empty box offers nothing
    chosen = [st.sampled_from(known)] if known else []
    pool = RANGES if name.startswith("hours_") else BY_NAME.get(name)
    chosen += [pool] if pool is not None else []
    return st.one_of(*chosen, TEXT) if dirty or not chosen else st.one_of(*chosen)


@st.composite
def submissions(draw: st.DrawFn, route: Route, every_name: list[str]) -> Submission:
    """A path for `route`, the form's fields and maybe an uploaded file: a clean form, every field the page shows
    with a value it offers or a valid-looking one, or a dirty one (fields missing, twice, unknown, junk values).
    """
    dirty = draw(st.booleans())
    path = route.template
    seen = sorted(route.paths)
    if route.parameters and seen and (not dirty or draw(st.booleans())):
        path = draw(st.sampled_from(seen))
    for parameter in route.parameters:
        path = path.replace("{" + parameter + "}", draw(PATH_JUNK), 1)
    fields: list[tuple[str, str]] = []
    for name in sorted(route.fields):
        if name == "csrf_token" or name in route.files or (dirty and not draw(st.booleans())):
            continue
        for _ in range(draw(st.sampled_from([1, 1, 2])) if dirty else 1):
            fields.append((name, draw(values(route, name, dirty))))
    for _ in range(draw(st.sampled_from([0, 1, 2])) if dirty else 0):
        fields.append((draw(st.sampled_from(every_name) | TEXT), draw(TEXT)))
    upload = draw(UPLOADS) if route.files and draw(st.sampled_from([True, True, False])) else None
    return path, draw(st.permutations(fields)), upload


def form_body(fields: list[tuple[str, str]]) -> bytes:
    """`application/x-www-form-urlencoded`, byte for byte (a lone surrogate becomes the byte it stands for)."""
    return "&".join(
        quote_plus(k.encode("utf-8", "surrogateescape")) + "=" + quote_plus(v.encode("utf-8", "surrogateescape"))
        for k, v in fields
    ).encode("ascii")


def post(
    client: TestClient, token: str, path: str, fields: list[tuple[str, str]], upload: tuple[str, bytes] | None
) -> httpx.Response:
    """Post the form as a browser would: urlencoded, or multipart with the file."""
    fields = [("csrf_token", token), *fields]
    if upload is None:
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return client.post(path, content=form_body(fields), headers=headers)
    data: dict[str, list[bytes]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value.encode("utf-8", "surrogateescape"))
    return client.post(path, data=data, files={"file": upload})  # type: ignore[arg-type]


def assert_page_or_redirect(response: httpx.Response) -> None:
    """A page for people, a redirect inside the console, or a download; never a server error."""
    assert response.status_code < 500, response.text[-2000:]
    if response.is_redirect:
        assert response.headers["location"].startswith("/admin"), response.headers["location"]
    elif "attachment" not in response.headers.get("content-disposition", ""):
        assert "text/html" in response.headers.get("content-type", ""), (response.status_code, response.text[:500])
        assert "</html>" in response.text


def known_routes(console: Console, client: TestClient, token: str) -> dict[str, Route]:
    """Every POST route of the console with the fields its forms send, read from the login page, the pages an
    admin can reach, and the answers to forms that change nothing (a patient search, the erasure's confirmation
    step, an import's preview, hours that would strand an appointment).
    """
    routes = post_routes(console.app)
    crawl(console.client(), routes, ["/admin/login"])
    identity = {"csrf_token": token, "first_name": LUCIE.first_name, "last_name": LUCIE.last_name}
    identity["birth_date"] = LUCIE.birth_date.isoformat()
    no_hours = {"csrf_token": token, "practitioner": "martin"}
    export = ("clinic.toml", clinic_to_toml(console.service.clinic()).encode("utf-8"))
    crawl(
        client,
        routes,
        get_pages(console.app),
        [
            ("/admin/privacy/search", identity, {}),
            ("/admin/privacy/erase", identity, {}),
            ("/admin/config/import", {"csrf_token": token}, {"file": export}),
            ("/admin/config/hours", no_hours, {}),
        ],
    )
    return routes


@pytest.mark.slow
def test_every_console_form_answers_anything_with_a_page(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    references = seed(console.service, NOW)
    routes = known_routes(console, client, token)
    unknown = sorted(template for template, route in routes.items() if "csrf_token" not in route.fields)
    assert unknown == [], f"POST routes that no page of the console posts to: {unknown}"
    assert {"/admin/appointments/new", "/admin/config/hours", "/admin/privacy/erase/confirm"} <= set(routes)
    assert {"hours_mon", "confirm"} <= set(routes["/admin/config/hours"].fields)
    every_name = sorted({name for route in routes.values() for name in route.fields})
    session = {"client": client, "token": token}
    failures: list[Exception] = []

    erasing = "/admin/privacy/erase/confirm"  # last: until then, the privacy forms still find Lucie
    for template, route in sorted(routes.items(), key=lambda item: (item[0] == erasing, item[0])):

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
        )
        @given(submission=submissions(route, every_name))
        def run(submission: Submission) -> None:
            path, fields, upload = submission
            note(f"POST {path} {fields!r:.3000} file={upload and (upload[0], len(upload[1]))}")
            response = post(session["client"], session["token"], path, fields, upload)  # type: ignore[arg-type]
            note(f"-> {response.status_code} {response.headers.get('location', '')}")
            assert_page_or_redirect(response)
            if COOKIE in response.headers.get("set-cookie", ""):  # logged out, or in as someone else: back as alice
                console.monotonic.advance(3600)  # past any throttling of the failed logins
                fresh = console.client()
                session["client"], session["token"] = fresh, login(fresh, "alice")

        try:
            run()
        except Exception as error:  # every route is tried; all their failures are reported together
            error.add_note(f"route: POST {template}")
            failures.append(error)
    if failures:
        raise ExceptionGroup("console forms that failed", failures)
    assert_consistent(console.service.engine, references)


# -- what the fuzzing found, kept as plain examples -------------------------------------------------------------


def test_a_record_number_that_cannot_exist_is_a_page_not_found(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    for number in ("9" * 20, "abc", "-1", "０"):  # too big for the database, not a number, a full-width digit
        done = client.post(f"/admin/requests/{number}/done", data={"csrf_token": token})
        assert done.status_code == 404 and "Cette demande n'existe pas" in unescape(done.text), number
        call = client.get(f"/admin/calls/{number}")
        assert call.status_code == 404 and "pas dans le journal" in unescape(call.text), number


def test_a_day_past_the_calendar_is_refused_not_computed(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    reference = seed(console.service, NOW)[0]
    moved = client.post(
        f"/admin/appointments/{reference}/move", data={"csrf_token": token, "day": "9999-12-31", "at": "23:59"}
    )
    assert moved.status_code == 422 and "Indiquez le jour" in unescape(moved.text)
    assert console.service.get(reference).status.value == "booked"
    for page in ("/admin/day?day=9999-12-31", "/admin/week?day=9999-12-31", "/admin/day?day=0001-01-01"):
        assert client.get(page).status_code == 200, page  # today's page instead


def test_an_import_blocked_by_appointments_lists_them(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    references = seed(console.service, NOW)
    english = {"csrf_token": token, "toml": SAMPLE_CLINIC_EN.read_text(encoding="utf-8"), "source": "clinic.en.toml"}
    refused = client.post("/admin/config/import/confirm", data=english)
    assert refused.status_code == 409 and 'id="blocking"' in refused.text
    assert all(reference in refused.text for reference in references)
    assert console.service.clinic().practice.name == "Cabinet médical du Parc"


def test_what_the_framework_refuses_is_a_console_page(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    crowded = "&".join(f"field{i}=x" for i in range(1001)) + f"&csrf_token={token}"  # over Starlette's 1000 fields
    headers = {"content-type": "application/x-www-form-urlencoded"}
    refused = client.post("/admin/appointments/new", content=crowded, headers=headers)
    assert refused.status_code == 400 and "n'a pas pu être lu" in unescape(refused.text)
    nowhere = client.get("/admin/nowhere")
    assert nowhere.status_code == 404 and "n'existe pas dans la console" in unescape(nowhere.text)
    assert client.get("/nowhere").json() == {"detail": "Not Found"}  # outside the console, FastAPI's answer
