"""The privacy page (admins): retention limits and the last purge, a patient's export and erasure (CSRF, audited,
no personal data in the audit trail); a secretary gets 403."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from html import unescape

from fastapi.testclient import TestClient

from booking.calls import CallLog
from booking.privacy import purge
from booking.records import CallChannel, CallEntry, PatientDetails, Source, Status, TranscriptLine
from booking.slots import Slot, SlotQuery
from tests.conftest import PARIS
from tests.console.conftest import NOW, Console, csrf_of, flash_errors, login

LUCIE = PatientDetails("Lucie", "Ferrand", date(1985, 7, 14), "+33612345678")
MARIE = PatientDetails("Marie", "Curie", date(1967, 11, 7), "+33699887766")
IDENTITY = {"first_name": "lucie", "last_name": "FERRAND", "birth_date": "1985-07-14"}
"""How an admin types Lucie Ferrand's details (case does not matter)."""
PERSONAL = ("Lucie", "Ferrand", "14/07/1985", "1985-07-14", "+33612345678", "612345678")


def slot_on(console: Console, day: date, now: datetime) -> Slot:
    query = SlotQuery("consultation", ("martin",), first_day=day, last_day=day)
    return console.service.find_slots(query, now)[0]


def seed_lucie(console: Console) -> tuple[str, str, int, int]:
    """Lucie Ferrand: a past appointment (the 27th), a future one (1 December) and a call; Marie Curie: one future
    appointment. Returns Lucie's past and future references, her patient id and her call's id."""
    earlier = NOW - timedelta(days=10)
    past = console.service.book(slot_on(console, date(2026, 11, 27), earlier), LUCIE, earlier, source=Source.PHONE)
    future = console.service.book(slot_on(console, date(2026, 12, 1), NOW), LUCIE, NOW, source=Source.PHONE)
    console.service.book(slot_on(console, date(2026, 12, 2), NOW), MARIE, NOW, source=Source.STAFF)
    start = datetime(2026, 11, 28, 10, 15, tzinfo=PARIS)
    call = CallLog(console.service.engine).record(
        CallEntry(
            "CA-lucie",
            CallChannel.TWILIO,
            start,
            start + timedelta(minutes=3),
            "booked",
            caller_phone=LUCIE.phone,
            booked=(future.reference,),
            patient_ids=(future.patient_id,),
            transcript=(TranscriptLine("caller", "Je m'appelle ⟨NAME⟩."),),
        )
    )
    return past.reference, future.reference, future.patient_id, call.id


def test_only_admins_reach_the_privacy_page(console: Console, secretary: tuple[TestClient, str]) -> None:
    anonymous = console.client()
    response = anonymous.get("/admin/privacy")
    assert response.status_code == 303 and response.headers["location"] == "/admin/login?next=/admin/privacy"
    client, token = secretary
    for method, path in (
        ("GET", "/admin/privacy"),
        ("POST", "/admin/privacy/search"),
        ("POST", "/admin/privacy/export"),
        ("POST", "/admin/privacy/erase"),
        ("POST", "/admin/privacy/erase/confirm"),
    ):
        data = {"csrf_token": token, **IDENTITY} if method == "POST" else None
        refused = client.request(method, path, data=data)
        assert refused.status_code == 403, (method, path)
        assert "Seul un administrateur" in unescape(refused.text)
    assert 'id="nav-privacy"' not in client.get("/admin/day").text
    assert console.staff.recent() == [e for e in console.staff.recent() if e.action == "login"]


def test_the_page_shows_the_retention_and_the_last_purge(console: Console, admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    page = unescape(client.get("/admin/privacy").text)
    assert 'id="nav-privacy"' in page
    assert re.search(r'id="transcript-days">30 jours<', page) and re.search(r'id="call-log-days">90 jours<', page)
    assert re.search(r'id="patient-data-years">3 ans<', page) and "Aucune purge récente" in page
    purge(console.service.engine, NOW - timedelta(days=1))
    purge(console.service.engine, NOW)
    page = unescape(client.get("/admin/privacy").text)
    assert "lundi 30 novembre 2026 09:00 (purge) : 0 transcript(s) deleted" in page
    english = unescape(client.get("/admin/privacy?lang=en").text)
    assert "Retention periods" in english and "30 days" in english and "3 years" in english
    assert "Purge of old data" in unescape(client.get("/admin/audit").text)


def test_search_finds_the_patient_by_name_and_birth_date(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    _, _, patient_id, _ = seed_lucie(console)
    found = client.post("/admin/privacy/search", data={"csrf_token": token, **IDENTITY})
    assert found.status_code == 200
    page = unescape(found.text)
    assert f'data-patient="{patient_id}"' in page and "Lucie Ferrand" in page and "14/07/1985" in page
    assert "2 rendez-vous (dont 1 à venir), 1 appel(s), dont 1 avec une transcription." in page
    wrong = client.post("/admin/privacy/search", data={"csrf_token": token, **IDENTITY, "birth_date": "1985-07-15"})
    assert wrong.status_code == 404 and "Aucun patient ne porte ce nom" in " ".join(flash_errors(wrong.text))
    missing = client.post("/admin/privacy/search", data={"csrf_token": token, "first_name": "Jean"})
    assert missing.status_code == 422 and "date de naissance valide" in " ".join(flash_errors(missing.text))
    assert client.post("/admin/privacy/search", data=IDENTITY).status_code == 403  # no CSRF token


def test_export_downloads_everything_held_on_the_patient(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    past, future, patient_id, call_id = seed_lucie(console)
    assert client.post("/admin/privacy/export", data=IDENTITY).status_code == 403
    response = client.post("/admin/privacy/export", data={"csrf_token": token, **IDENTITY})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == f'attachment; filename="patient-{patient_id}.json"'
    data = json.loads(response.text)
    patient = data["patient"]
    assert (patient["id"], patient["first_name"], patient["last_name"]) == (patient_id, "Lucie", "Ferrand")
    assert (patient["birth_date"], patient["phone"]) == ("1985-07-14", "+33612345678")
    assert [a["reference"] for a in data["appointments"]] == [past, future]
    assert [c["id"] for c in data["calls"]] == [call_id]
    assert data["calls"][0]["transcript"] == [{"speaker": "caller", "text": "Je m'appelle ⟨NAME⟩."}]
    assert data["preferences"] == {"reuse_refused": False}
    assert "Marie" not in response.text
    exports = [e for e in console.staff.recent() if e.action == "privacy.export"]
    assert [(e.username, e.details) for e in exports] == [("alice", f"patient {patient_id}")]
    audit = unescape(client.get("/admin/audit").text)
    assert "Données d'un patient exportées" in audit and not any(p in audit for p in PERSONAL)


def test_erase_asks_first_then_cancels_anonymises_and_deletes_transcripts(
    console: Console, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    past, future, patient_id, call_id = seed_lucie(console)
    confirm = client.post("/admin/privacy/erase", data={"csrf_token": token, **IDENTITY})
    assert confirm.status_code == 200
    page = unescape(confirm.text)
    assert "Effacer un patient" in page and "Lucie Ferrand" in page
    assert "annuler ses rendez-vous à venir (1)" in page and f"mar. 1 déc. 08:30 2026 · Dr Martin · {future}" in page
    assert "supprimer les transcriptions de ses appels (1)" in page and "anonymiser son identité partout" in page
    assert console.service.get(future).status is Status.BOOKED  # nothing done yet
    assert client.post("/admin/privacy/erase/confirm", data=IDENTITY).status_code == 403  # no CSRF token
    assert console.service.get(future).status is Status.BOOKED
    done = client.post("/admin/privacy/erase/confirm", data={"csrf_token": csrf_of(page), **IDENTITY})
    assert done.status_code == 303 and done.headers["location"] == "/admin/privacy?ok=erased"
    assert "Le patient est effacé" in unescape(client.get(done.headers["location"]).text)
    assert console.service.get(future).status is Status.CANCELLED
    assert console.service.get(past).status is Status.BOOKED  # kept, anonymous, for the statistics
    assert CallLog(console.service.engine).get(call_id).transcript is None
    pages = [
        f"/admin/appointments/{past}",
        f"/admin/appointments/{future}",
        "/admin/day?day=2026-11-27",
        "/admin/week?practitioner=martin&day=2026-11-27",
        "/admin/patients?q=01/01/1900",
        "/admin/calls",
        f"/admin/calls/{call_id}",
        "/admin/audit",
    ]
    for path in pages:
        shown = unescape(client.get(path).text)
        assert [p for p in PERSONAL if p in shown] == [], path
    assert "Aucun patient ne correspond." in unescape(client.get("/admin/patients?q=Ferrand").text)
    assert "Aucun patient ne correspond." in unescape(client.get("/admin/patients?q=01/01/1900").text)
    assert "patient anonymisé" in unescape(client.get(f"/admin/appointments/{past}").text)
    assert "Marie Curie" in unescape(client.get("/admin/day?day=2026-12-02").text)  # the other patient stays
    erasures = [e for e in console.staff.recent() if e.action == "privacy.erase"]
    assert [(e.username, e.details.split(":")[0]) for e in erasures] == [("alice", f"patient {patient_id}")]
    again = client.post("/admin/privacy/erase", data={"csrf_token": token, **IDENTITY})
    assert again.status_code == 404  # an erased patient can no longer be found


def test_the_menu_and_login_redirect_for_the_privacy_forms(console: Console) -> None:
    client = console.client()
    token = csrf_of(client.get("/admin/login").text)
    assert client.post("/admin/privacy/search", data={"csrf_token": token, **IDENTITY}).status_code == 401
    login(client, "alice")
    assert 'href="/admin/privacy"' in client.get("/admin/day").text


def test_the_console_audits_bookings_by_patient_number_not_by_name(
    console: Console, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    form = {"practitioner": "martin", "motif": "consultation", "day": "2026-12-01", "at": "09:10"}
    details = {**IDENTITY, "first_name": "Lucie", "last_name": "Ferrand", "phone": "06 12 34 56 78"}
    booked = client.post("/admin/appointments/new", data={"csrf_token": token, **form, **details})
    reference = booked.headers["location"].split("/")[-1].split("?")[0]
    client.post(f"/admin/appointments/{reference}/cancel", data={"csrf_token": token})
    patient_id = console.service.get(reference).patient_id
    lines = [e for e in console.staff.recent() if e.action.startswith("appointment.")]
    assert [e.action for e in lines] == ["appointment.cancel", "appointment.book"]
    assert all(reference in e.details and e.details.endswith(f"patient {patient_id}") for e in lines)
    assert not any(p in e.details for e in lines for p in PERSONAL)
