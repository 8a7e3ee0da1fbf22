"""The appointment book through HTTP: booking, conflicts, moves, cancellations, patient search."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from booking.records import Status
from booking.slots import SlotQuery
from tests.console.conftest import NOW, Console, flash_errors

PATIENT = {"first_name": "Jean", "last_name": "Dupont", "birth_date": "1980-01-02", "phone": "06 12 34 56 78"}


def book(
    client: TestClient,
    token: str,
    at: str,
    day: str = "2026-12-01",
    practitioner: str = "martin",
    motif: str = "consultation",
    **patient: str,
) -> tuple[int, str]:
    response = client.post(
        "/admin/appointments/new",
        data={
            "csrf_token": token,
            "practitioner": practitioner,
            "motif": motif,
            "day": day,
            "at": at,
            **(patient or PATIENT),
        },
    )
    return response.status_code, response.headers.get("location", "") or response.text


def martin_tuesday(console: Console) -> list[str]:
    query = SlotQuery("consultation", ("martin",), first_day=date(2026, 12, 1), last_day=date(2026, 12, 1))
    return [f"{s.start:%H:%M}" for s in console.service.find_slots(query, NOW)]


def test_book_then_see_it_in_the_day_list_and_the_week(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    status, location = book(client, token, "09:10")
    assert status == 303 and location.startswith("/admin/appointments/")
    reference = location.split("/")[-1].split("?")[0]
    page = client.get(location).text
    assert "Le rendez-vous est enregistré" in page and "Dr Martin" in page and "+33612345678" in page
    day = client.get("/admin/day?day=2026-12-01").text
    assert reference in day and "Jean Dupont" in day and "09:10–09:30" in day
    week = client.get("/admin/week?practitioner=martin&day=2026-12-03").text
    assert f"/admin/appointments/{reference}" in week and "Dupont J." in week
    assert "09:10" not in martin_tuesday(console)
    audit = client.get("/admin/audit").text
    assert "Rendez-vous pris" in audit and reference in audit


def test_overlapping_appointment_is_refused_and_nothing_is_saved(
    console: Console, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    assert book(client, token, "09:10")[0] == 303
    other = {"first_name": "Marie", "last_name": "Curie", "birth_date": "1967-11-07", "phone": "+33 6 00 00 00 01"}
    status, page = book(client, token, "09:20", **other)
    assert status == 409
    assert "Ce créneau est déjà pris" in " ".join(flash_errors(page))
    assert 'value="Curie"' in page  # the form keeps what was typed
    assert len(console.service.list_appointments()) == 1
    assert console.service.find_patients(last_name="Curie") == []


def test_other_refusals_have_clear_messages(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    assert "en dehors des horaires" in book(client, token, "07:00")[1]
    assert "fermé" in book(client, token, "10:00", day="2026-12-28")[1]  # Dr Martin's holidays
    assert "ne propose pas ce motif" in book(client, token, "10:00", motif="pediatrie")[1]
    assert "numéro de téléphone" in book(client, token, "10:00", **{**PATIENT, "phone": "12"})[1]
    assert "Indiquez le jour" in book(client, token, "25:00")[1]


def test_cancel_offers_the_slot_again(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    location = book(client, token, "09:10")[1]
    reference = location.split("/")[-1].split("?")[0]
    assert "09:10" not in martin_tuesday(console)
    response = client.post(f"/admin/appointments/{reference}/cancel", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/day?day=2026-12-01")
    assert "09:10" in martin_tuesday(console)
    assert console.service.get(reference).status is Status.CANCELLED
    again = client.post(f"/admin/appointments/{reference}/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and "déjà annulé" in again.text


def test_move_keeps_the_original_when_the_new_time_is_taken(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    first = book(client, token, "09:10")[1].split("/")[-1].split("?")[0]
    second = book(client, token, "10:10", **{**PATIENT, "first_name": "Paul"})[1].split("/")[-1].split("?")[0]
    refused = client.post(
        f"/admin/appointments/{second}/move",
        data={"csrf_token": token, "day": "2026-12-01", "at": "09:00", "practitioner": "martin"},
    )
    assert refused.status_code == 409 and "Ce créneau est déjà pris" in refused.text
    assert console.service.get(second).status is Status.BOOKED
    moved = client.post(
        f"/admin/appointments/{second}/move",
        data={"csrf_token": token, "day": "2026-12-02", "at": "11:00", "practitioner": "bernard"},
    )
    assert moved.status_code == 303
    new_reference = moved.headers["location"].split("/")[-1].split("?")[0]
    record = console.service.get(new_reference)
    assert (record.practitioner_id, f"{record.start:%Y-%m-%d %H:%M}") == ("bernard", "2026-12-02 11:00")
    assert console.service.get(second).status is Status.CANCELLED
    assert console.service.get(first).status is Status.BOOKED


def test_find_a_patient_by_name_birth_date_or_phone(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    book(client, token, "09:10")
    for query in ("dupont", "Jean Dupont", "02/01/1980", "1980-01-02", "06 12 34 56 78", "+33612345678"):
        page = client.get("/admin/patients", params={"q": query}).text
        assert "Jean Dupont" in page and "Dr Martin" in page, query
    assert "Aucun patient ne correspond" in client.get("/admin/patients?q=Martin").text


def test_unknown_appointment_is_a_404(admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    response = client.get("/admin/appointments/999999")
    assert response.status_code == 404 and "Aucun rendez-vous ne porte cette référence" in response.text


def test_pages_render_in_both_languages(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    location = book(client, token, "09:10")[1]
    pages = [
        "/admin/day",
        "/admin/day?day=2026-12-01",
        "/admin/week",
        "/admin/week?practitioner=girard&motif=frottis",
        "/admin/appointments/new?practitioner=martin&day=2026-12-01&at=09:30",
        location.split("?")[0],
        "/admin/patients?q=Dupont",
        "/admin/config/hours?practitioner=bernard",
        "/admin/config/closures",
        "/admin/config/motifs",
        "/admin/config/practitioners",
        "/admin/config/import",
        "/admin/audit",
    ]
    for lang in ("fr", "en"):
        for page in pages:
            response = client.get(page, params={"lang": lang})
            assert response.status_code == 200, page
            assert response.headers["content-security-policy"].startswith("default-src 'self'")
            for leftover in (">nav.", ">book.", ">day.", ">week.", ">config.", ">hours.", ">closures.", ">motifs."):
                assert leftover not in response.text, (lang, page, leftover)
