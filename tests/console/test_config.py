"""Configuration through HTTP: hours, closures, motifs, roster, export/import, audit (admins only)."""

from __future__ import annotations

from datetime import date, time
from html import unescape

from fastapi.testclient import TestClient

from booking.clinic import WEEKDAYS, load_clinic
from booking.clinic_export import clinic_to_toml
from booking.records import Status
from booking.slots import SlotQuery
from tests.conftest import SAMPLE_CLINIC
from tests.console.conftest import NOW, Console, flash_errors
from tests.console.test_book import book

WEEK = {f"hours_{d}": "" for d in WEEKDAYS}


def hours_form(console: Console, practitioner: str, **days: str) -> dict[str, str]:
    current = console.service.clinic().practitioner(practitioner).hours
    values = {f"hours_{d}": ", ".join(str(r) for r in current.get(i, ())) for i, d in enumerate(WEEKDAYS)}
    return {**values, "practitioner": practitioner, **{f"hours_{k}": v for k, v in days.items()}}


def slots_on(console: Console, day: date, practitioner: str = "martin", motif: str = "consultation") -> list[str]:
    query = SlotQuery(motif, (practitioner,), first_day=day, last_day=day)
    return [f"{s.start:%H:%M}" for s in console.service.find_slots(query, NOW)]


def test_change_tuesday_hours_and_the_phone_agent_sees_them(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    response = client.post(
        "/admin/config/hours", data={"csrf_token": token, **hours_form(console, "martin", tue="10h-12h, 15:00-16:00")}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/config/hours?practitioner=martin&ok=saved"
    slots = slots_on(console, date(2026, 12, 1))
    assert slots[0] == "10:00" and slots[-1] == "15:40" and "08:30" not in slots
    assert console.service.clinic().practitioner("martin").hours[0][0].start == time(8, 30)  # Monday kept
    page = client.get(response.headers["location"]).text
    assert 'value="10:00-12:00, 15:00-16:00"' in page and "Modification enregistrée" in page
    assert "Horaires modifiés" in client.get("/admin/audit").text


def test_invalid_hours_are_explained_with_the_clinic_file_messages(
    console: Console, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    before = console.service.clinic()
    response = client.post(
        "/admin/config/hours", data={"csrf_token": token, **hours_form(console, "martin", tue="10:00-09:00, midi")}
    )
    assert response.status_code == 422
    errors = " ".join(flash_errors(response.text))
    assert "hours.tue" in errors and "10:00-09:00" in errors and "is not a valid time range" in errors
    assert "unknown practitioner" not in errors  # no echo from Dr Martin's closures
    assert 'value="10:00-09:00, midi"' in response.text
    assert console.service.clinic() == before


def test_hours_that_strand_a_booking_need_confirmation(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    reference = book(client, token, "09:10")[1].split("/")[-1].split("?")[0]
    form = {"csrf_token": token, **hours_form(console, "martin", tue="14:00-18:30")}
    response = client.post("/admin/config/hours", data=form)
    assert response.status_code == 409
    assert "ne seront plus couverts" in response.text and reference in response.text
    assert console.service.clinic().practitioner("martin").hours[1][0].start == time(8, 30)  # not yet
    confirmed = client.post("/admin/config/hours", data={**form, "confirm": "1"})
    assert confirmed.status_code == 303
    assert console.service.clinic().practitioner("martin").hours[1][0].start == time(14, 0)
    assert console.service.get(reference).status is Status.BOOKED  # kept; staff call the patient
    assert "kept outside hours" in client.get("/admin/audit").text


def test_close_an_afternoon_then_reopen_it(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    response = client.post(
        "/admin/config/closures",
        data={"csrf_token": token, "who": "", "kind": "afternoon", "first": "2026-12-01", "label": "réunion"},
    )
    assert response.status_code == 303
    slots = slots_on(console, date(2026, 12, 1))
    assert slots and all(s < "12:00" for s in slots)
    page = client.get("/admin/config/closures").text
    assert "réunion" in page and "Tout le cabinet" in page
    closure = next(c for c in console.service.clinic().closures if c.label == "réunion")
    key = f"{closure.start:%Y-%m-%dT%H:%M}|{closure.end:%Y-%m-%dT%H:%M}|"
    assert client.post("/admin/config/closures/delete", data={"csrf_token": token, "key": key}).status_code == 303
    assert "17:40" in slots_on(console, date(2026, 12, 1))


def test_closures_of_whole_days_and_given_hours(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    days = client.post(
        "/admin/config/closures",
        data={"csrf_token": token, "who": "bernard", "kind": "days", "first": "2026-12-07", "last": "2026-12-08"},
    )
    assert days.status_code == 303
    assert slots_on(console, date(2026, 12, 8), "bernard") == []
    assert slots_on(console, date(2026, 12, 9), "bernard") != []
    missing = client.post(
        "/admin/config/closures",
        data={"csrf_token": token, "who": "", "kind": "hours", "first": "2026-12-07", "start": "10:00"},
    )
    assert missing.status_code == 422 and "heure de début et de fin" in missing.text


def test_closure_over_a_booking_lists_it_and_asks(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    reference = book(client, token, "09:10")[1].split("/")[-1].split("?")[0]
    form = {"csrf_token": token, "who": "martin", "kind": "morning", "first": "2026-12-01", "label": "x"}
    response = client.post("/admin/config/closures", data=form)
    assert response.status_code == 409 and reference in response.text and "+33612345678" in response.text
    assert len(console.service.clinic().closures) == 3


def test_motifs_add_change_and_removal_refused_while_booked(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    added = client.post(
        "/admin/config/motifs",
        data={"csrf_token": token, "mode": "new", "label": "Téléconsultation", "duration": "15", "buffer": "0"},
    )
    assert added.status_code == 303
    motif = console.service.clinic().motif("teleconsultation")
    assert (motif.duration_minutes, motif.new_patients) == (15, False)
    bad = client.post(
        "/admin/config/motifs",
        data={
            "csrf_token": token,
            "mode": "edit",
            "motif_id": "vaccination",
            "label": "vaccination",
            "duration": "dix",
            "new_patients": "on",
        },
    )
    assert bad.status_code == 422 and "duration_minutes: must be a whole number" in bad.text.replace("&#39;", "'")
    book(client, token, "09:10", motif="vaccination")
    refused = client.post("/admin/config/motifs/delete", data={"csrf_token": token, "motif_id": "vaccination"})
    assert refused.status_code == 409 and "Déplacez-les ou annulez-les" in refused.text
    assert "vaccination" in {m.id for m in console.service.clinic().motifs}
    removed = client.post("/admin/config/motifs/delete", data={"csrf_token": token, "motif_id": "frottis"})
    assert removed.status_code == 303
    assert "frottis" not in console.service.clinic().practitioner("girard").motifs


def test_motif_aliases_are_edited_in_the_motif_form(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    page = client.get("/admin/config/motifs")
    assert page.status_code == 200 and 'value="vaccin, piqûre, rappel"' in page.text  # the sample's aliases
    form = {"csrf_token": token, "mode": "edit", "motif_id": "vaccination", "label": "vaccination", "duration": "10"}
    changed = client.post(
        "/admin/config/motifs", data={**form, "new_patients": "on", "aliases": "vaccin, piqûre\nBCG, "}
    )
    assert changed.status_code == 303
    assert console.service.clinic().motif("vaccination").aliases == ("vaccin", "piqûre", "BCG")
    kept = client.post("/admin/config/motifs", data={**form, "new_patients": "on"})  # no field: aliases kept
    assert kept.status_code == 303 and console.service.clinic().motif("vaccination").aliases == (
        "vaccin",
        "piqûre",
        "BCG",
    )
    cleared = client.post("/admin/config/motifs", data={**form, "new_patients": "on", "aliases": " "})
    assert cleared.status_code == 303 and console.service.clinic().motif("vaccination").aliases == ()
    clash = client.post("/admin/config/motifs", data={**form, "new_patients": "on", "aliases": "consultation"})
    assert clash.status_code == 422 and "is already the label of motif" in clash.text
    added = client.post(
        "/admin/config/motifs",
        data={
            "csrf_token": token,
            "mode": "new",
            "label": "Certificat",
            "duration": "15",
            "aliases": "certificat de sport",
        },
    )
    assert added.status_code == 303
    assert console.service.clinic().motif("certificat").aliases == ("certificat de sport",)
    assert "aliases: certificat de sport" in client.get("/admin/audit").text


def test_roster_add_edit_and_remove(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    added = client.post(
        "/admin/config/practitioners",
        data={
            "csrf_token": token,
            "mode": "new",
            "title": "Dr",
            "first_name": "Hélène",
            "last_name": "Le Gall",
            "specialty": "médecin généraliste",
            "motifs": ["consultation", "suivi"],
        },
    )
    assert added.status_code == 303
    assert console.service.clinic().practitioner("le-gall").motifs == ("consultation", "suivi")
    hours = client.post(
        "/admin/config/hours", data={"csrf_token": token, **WEEK, "practitioner": "le-gall", "hours_fri": "09:00-12:00"}
    )
    assert hours.status_code == 303 and slots_on(console, date(2026, 12, 4), "le-gall")[0] == "09:00"
    book(client, token, "09:10")
    refused = client.post("/admin/config/practitioners/delete", data={"csrf_token": token, "practitioner_id": "martin"})
    assert refused.status_code == 409
    edit = client.post(
        "/admin/config/practitioners",
        data={
            "csrf_token": token,
            "mode": "edit",
            "practitioner_id": "martin",
            "title": "Dr",
            "first_name": "Sophie",
            "last_name": "Martin",
            "specialty": "médecin généraliste",
            "motifs": ["vaccination"],
        },
    )
    assert edit.status_code == 409  # would take away the booked consultation
    removed = client.post(
        "/admin/config/practitioners/delete", data={"csrf_token": token, "practitioner_id": "le-gall"}
    )
    assert removed.status_code == 303
    assert {p.id for p in console.service.clinic().practitioners} == {"martin", "bernard", "bertrand", "girard"}


def test_export_then_import_with_a_preview(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    exported = client.get("/admin/config/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    assert exported.text == clinic_to_toml(console.service.clinic())
    changed = exported.text.replace('tue = [\n    "08:30-12:00",', 'tue = [\n    "07:30-12:00",', 1)
    assert changed != exported.text
    preview = client.post(
        "/admin/config/import",
        data={"csrf_token": token},
        files={"file": ("cabinet.toml", changed.encode(), "application/toml")},
    )
    assert preview.status_code == 200
    assert "Horaires" in preview.text and "07:30-12:00" in preview.text and "Dr Martin" in preview.text
    assert console.service.clinic().practitioner("martin").hours[1][0].start == time(8, 30)  # preview only
    text = preview.text.split('<textarea name="toml" hidden>')[1].split("</textarea>")[0]
    applied = client.post(
        "/admin/config/import/confirm", data={"csrf_token": token, "toml": unescape(text), "source": "cabinet.toml"}
    )
    assert applied.status_code == 303
    assert console.service.clinic().practitioner("martin").hours[1][0].start == time(7, 30)
    assert "Configuration importée" in client.get("/admin/audit").text


def test_import_refuses_an_invalid_file(console: Console, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    sample = clinic_to_toml(load_clinic(SAMPLE_CLINIC))
    broken = sample.replace('timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"')
    response = client.post(
        "/admin/config/import",
        data={"csrf_token": token},
        files={"file": ("clinic.toml", broken.encode(), "application/toml")},
    )
    assert response.status_code == 422 and "unknown time zone" in response.text
    garbage = client.post(
        "/admin/config/import",
        data={"csrf_token": token},
        files={"file": ("clinic.toml", b"[practice\n", "application/toml")},
    )
    assert garbage.status_code == 422 and "not valid TOML" in garbage.text
