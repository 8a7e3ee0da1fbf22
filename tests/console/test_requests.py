"""Patient requests in the console: the to-do list, the day page's counts, marking done (CSRF, audited)."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

from fastapi.testclient import TestClient

from booking.records import PatientDetails, RequestCategory, RequestStatus
from tests.console.conftest import NOW, Console, flash_errors

JEAN = PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678")
MARIE = PatientDetails("Marie", "Curie", date(1967, 11, 7), "+33699887766")


def leave_two(console: Console) -> tuple[int, int]:
    older = console.service.leave_request(RequestCategory.RENEWAL, JEAN, NOW - timedelta(days=1))
    newer = console.service.leave_request(RequestCategory.RESULTS, MARIE, NOW - timedelta(minutes=30))
    return older.id, newer.id


def test_the_to_do_list_shows_open_requests_newest_first(console: Console, secretary: tuple[TestClient, str]) -> None:
    client, _ = secretary
    older, newer = leave_two(console)
    page = unescape(client.get("/admin/requests").text)
    assert "Demandes des patients" in page
    assert page.index(f'data-request="{newer}"') < page.index(f'data-request="{older}"')
    assert "Renouvellement d'ordonnance" in page and "Résultats d'examens" in page
    assert "Jean Dupont" in page and "14/07/1985" in page and 'href="tel:+33612345678"' in page
    assert "lun. 30 nov. 08:30" in page  # received at, in the practice's time
    english = unescape(client.get("/admin/requests?lang=en").text)
    assert "Repeat prescription" in english and "Test results" in english and "Mark done" in english


def test_mark_done_needs_the_csrf_token_and_is_audited(
    console: Console, secretary: tuple[TestClient, str], admin: tuple[TestClient, str]
) -> None:
    client, token = secretary
    older, newer = leave_two(console)
    refused = client.post(f"/admin/requests/{newer}/done", data={})
    assert refused.status_code == 403
    assert console.service.list_requests(status=RequestStatus.DONE) == []
    done = client.post(f"/admin/requests/{newer}/done", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/admin/requests?ok=request_done"
    page = client.get(done.headers["location"]).text
    assert "La demande est marquée comme traitée." in page
    assert page.index(f'data-request="{older}"') < page.index(f'data-request="{newer}"')  # open ones first
    assert f"done-{older}" in page and f"done-{newer}" not in page
    to_do = client.get("/admin/requests?status=open").text
    assert f'data-request="{newer}"' not in to_do and f'data-request="{older}"' in to_do
    record = console.service.list_requests(status=RequestStatus.DONE)[0]
    assert record.id == newer and record.done_by == "sam"
    assert "traitée par sam" in page
    assert f'data-request="{older}"' not in client.get("/admin/requests?status=done").text
    again = client.post(f"/admin/requests/{newer}/done", data={"csrf_token": token})
    assert again.status_code == 409 and "déjà été marquée" in " ".join(flash_errors(again.text))
    missing = client.post("/admin/requests/999/done", data={"csrf_token": token})
    assert missing.status_code == 404
    admin_client, _ = admin
    audit = admin_client.get("/admin/audit").text
    assert "Demande traitée" in audit and f"{newer} results" in audit
    assert "Curie" not in audit and "+33699887766" not in audit  # the trail names no patient


def test_the_day_page_counts_the_requests(console: Console, secretary: tuple[TestClient, str]) -> None:
    client, token = secretary
    day = client.get("/admin/day").text
    assert "Aucune demande de patient à traiter." in day
    older, _ = leave_two(console)
    console.service.leave_request(RequestCategory.RESULTS, JEAN, NOW)
    day = unescape(client.get("/admin/day").text)
    assert "3 demande(s) de patients à traiter" in day
    assert "Renouvellement d'ordonnance : 1, Résultats d'examens : 2" in day
    assert "2 laissée(s) ce jour-là" in day and 'href="/admin/requests"' in day
    client.post(f"/admin/requests/{older}/done", data={"csrf_token": token})
    yesterday = client.get("/admin/day?day=2026-11-29&lang=en").text
    assert "2 patient request(s) to deal with" in yesterday and "1 left that day" in yesterday
    assert "Test results: 2" in yesterday


def test_the_list_needs_a_login(console: Console) -> None:
    response = console.client().get("/admin/requests")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")
