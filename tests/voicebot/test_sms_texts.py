"""The texts patients get: every kind in both languages, what they say, their length, and no health data."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from booking.clinic import Clinic, load_clinic
from booking.records import AppointmentRecord, PatientDetails, Source, Status
from booking.sms import SmsKind, TextChange
from voicebot.sms_texts import KINDS, MAX_LENGTH, SmsTexts, display_phone, fit

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "config").glob("clinic*.toml"))
CLINICS = {path.name: load_clinic(path) for path in SAMPLES}
TEXTS = SmsTexts()


def words(text: str) -> list[str]:
    """Words without case or accents."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", plain)


def contains_phrase(body: str, phrase: str) -> bool:
    """Whether the words of `phrase` appear in `body`, in a row."""
    body_words, wanted = words(body), words(phrase)
    return bool(wanted) and any(body_words[i : i + len(wanted)] == wanted for i in range(len(body_words)))


FORBIDDEN = sorted(
    {
        phrase
        for clinic in CLINICS.values()
        for phrase in [
            *(m.label for m in clinic.motifs),
            *(m.id for m in clinic.motifs),
            *(a for m in clinic.motifs for a in m.aliases),
            *(p.specialty for p in clinic.practitioners),
            *(w for p in clinic.practitioners for w in p.specialty.split()),
        ]
    }
)
"""Every motif label, id and alias and every specialty (and specialty word) of every sample practice."""
GENERIC = {"rendez-vous", "rappel", "appointment"}
"""Aliases of a sample motif that are the messages' own words ("rendez-vous" for a consultation, "rappel" for a
booster): said by every text whatever the motif, so they tell nothing (the motif-independence test shows it)."""


def appointment(clinic: Clinic, practitioner_id: str, motif_id: str, start: datetime) -> AppointmentRecord:
    return AppointmentRecord(
        reference="481207",
        status=Status.BOOKED,
        practitioner_id=practitioner_id,
        motif_id=motif_id,
        start=start,
        end=start + timedelta(minutes=20),
        patient=PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678"),
        patient_id=1,
        source=Source.PHONE,
        created_at=start - timedelta(days=3),
    )


def change(
    kind: str, clinic: Clinic, practitioner_id: str | None = None, motif_id: str | None = None, *, moved: bool = True
) -> TextChange:
    doctor = clinic.practitioner(practitioner_id) if practitioner_id else clinic.practitioners[0]
    start = datetime(2026, 12, 8, 10, 30, tzinfo=clinic.practice.zone)
    record = appointment(clinic, doctor.id, motif_id or doctor.motifs[0], start)
    previous = None
    if kind == "move" and moved:
        previous = replace(record, reference="300400", start=datetime(2026, 12, 1, 9, 0, tzinfo=clinic.practice.zone))
    return TextChange(
        kind=SmsKind(kind), appointment=record, practice=clinic.practice, practitioner=doctor, previous=previous
    )


def body(change_: TextChange) -> str:
    text = TEXTS.compose(change_)
    assert text is not None
    return text


@pytest.mark.parametrize("name", sorted(CLINICS))
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_in_every_sample_says_what_it_must_and_nothing_of_health(name: str, kind: str) -> None:
    clinic = CLINICS[name]
    for doctor in clinic.practitioners:
        for motif_id in doctor.motifs:
            text = body(change(kind, clinic, doctor.id, motif_id))
            assert len(text) <= MAX_LENGTH < 320, text
            assert clinic.practice.name in text and "481207" in text and doctor.display_name in text
            french = clinic.practice.locale.startswith("fr")
            assert ("mardi 8 décembre à 10 h 30" if french else "Tuesday the 8th of December at 10:30 am") in text
            if kind == "cancellation":
                assert display_phone(clinic.practice.phone, clinic.practice.country) in text
            else:
                assert clinic.practice.address in text
                assert ("Répondez ANNULER pour annuler." if french else "Reply CANCEL to cancel.") in text
            allowed = GENERIC | {doctor.title.casefold()}  # "Nurse Okafor" is the name the practice gives her
            leaked = [phrase for phrase in FORBIDDEN if phrase not in allowed and contains_phrase(text, phrase)]
            assert not leaked, f"{kind} text of {name} names {leaked}: {text}"


@pytest.mark.parametrize("name", sorted(CLINICS))
@pytest.mark.parametrize("kind", KINDS)
def test_the_text_is_the_same_whatever_the_motif_or_the_specialty(name: str, kind: str) -> None:
    clinic = CLINICS[name]
    for doctor in clinic.practitioners:
        bodies = {body(change(kind, clinic, doctor.id, motif_id)) for motif_id in [m.id for m in clinic.motifs]}
        other = replace(doctor, specialty="cardiologue")
        bodies.add(body(replace(change(kind, clinic, doctor.id), practitioner=other)))
        assert len(bodies) == 1, bodies


def test_the_french_texts_word_for_word() -> None:
    clinic = CLINICS["clinic.toml"]
    assert body(change("confirmation", clinic, "martin")) == (
        "Cabinet médical du Parc : votre rendez-vous est confirmé le mardi 8 décembre à 10 h 30 avec Dr Martin. "
        "Référence 481207. Adresse : 12 rue du Parc, 75011 Paris. Répondez ANNULER pour annuler."
    )
    assert body(change("move", clinic, "martin")) == (
        "Cabinet médical du Parc : votre rendez-vous est déplacé au mardi 8 décembre à 10 h 30 avec Dr Martin "
        "(au lieu du mardi 1er décembre à 9 h). "
        "Référence 481207. Adresse : 12 rue du Parc, 75011 Paris. Répondez ANNULER pour annuler."
    )
    assert body(change("cancellation", clinic, "martin")) == (
        "Cabinet médical du Parc : votre rendez-vous du mardi 8 décembre à 10 h 30 avec Dr Martin est annulé. "
        "Référence 481207. Pour reprendre rendez-vous, appelez le 01 84 80 00 00."
    )
    assert body(change("reminder", clinic, "martin")).startswith(
        "Rappel : Cabinet médical du Parc, rendez-vous le mardi 8 décembre à 10 h 30 avec Dr Martin. "
    )


def test_the_english_texts_word_for_word() -> None:
    clinic = CLINICS["clinic.en.toml"]
    assert body(change("confirmation", clinic, "patel")) == (
        "Riverside Surgery: your appointment is confirmed for Tuesday the 8th of December at 10:30 am with Dr Patel. "
        "Reference 481207. Address: 4 River Lane, London SE1 9AA. Reply CANCEL to cancel."
    )
    assert "(instead of Tuesday the 1st of December at 9 am)" in body(change("move", clinic, "patel"))
    assert body(change("cancellation", clinic, "patel")).endswith("To book again, call 020 7946 0000.")
    assert body(change("reminder", clinic, "patel")).startswith("Reminder: Riverside Surgery, appointment on ")


def test_a_move_without_the_old_appointment_reads_as_a_confirmation() -> None:
    clinic = CLINICS["clinic.toml"]
    assert body(change("move", clinic, moved=False)) == body(change("confirmation", clinic))


def test_an_unknown_kind_gets_no_text() -> None:
    assert TEXTS.compose(change("reply", CLINICS["clinic.toml"])) is None


def test_a_long_address_is_left_out_and_a_long_name_cut_but_the_reference_and_how_to_cancel_stay() -> None:
    clinic = CLINICS["clinic.toml"]
    long_address = replace(clinic.practice, address="Bâtiment B, " * 20 + "75011 Paris")
    text = body(replace(change("confirmation", clinic), practice=long_address))
    assert len(text) <= MAX_LENGTH and "Bâtiment" not in text
    assert text.endswith("Référence 481207. Répondez ANNULER pour annuler.")
    long_name = replace(long_address, name="Centre " * 60)
    text = body(replace(change("reminder", clinic), practice=long_name))
    assert len(text) <= MAX_LENGTH and text.startswith("Rappel : Centre Centre")
    assert text.endswith("Référence 481207. Répondez ANNULER pour annuler.")


def test_fit_keeps_what_fits() -> None:
    assert fit(["a b", "c", "d"], optional={1}, limit=7) == "a b c d"
    assert fit(["a b", "c", "d"], optional={1}, limit=6) == "a b d"
    assert fit(["aaa bbb ccc", "c", "d"], optional={1}, limit=9) == "aaa bbb d"


def test_display_phone() -> None:
    assert display_phone("+33 1 84 80 00 00", "FR") == "01 84 80 00 00"
    assert display_phone("+44 20 7946 0000", "GB") == "020 7946 0000"
    assert display_phone("the front desk", "FR") == "the front desk"
