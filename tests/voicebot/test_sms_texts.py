"""The texts patients get: every kind in both languages, what they say, their length, and no health data."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from booking.clinic import Clinic, load_clinic
from booking.records import AppointmentRecord, PatientDetails, Source, Status
from booking.sms import MAX_SEGMENTS, SmsKind, TextChange, segments, sms_encoding
from voicebot.sms_texts import KINDS, SmsTexts, display_phone, fit, shorten

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
            assert segments(text) <= MAX_SEGMENTS == 2, text
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
    assert segments(text) <= 2 and "Bâtiment" not in text
    assert text.endswith("Référence 481207. Répondez ANNULER pour annuler.")
    long_name = replace(long_address, name="Centre " * 60)
    text = body(replace(change("reminder", clinic), practice=long_name))
    assert segments(text) <= 2 and text.startswith("Rappel : Centre Centre")
    assert text.endswith("Référence 481207. Répondez ANNULER pour annuler.")


def test_fit_keeps_what_fits() -> None:
    def within(limit: int) -> Callable[[str], bool]:
        return lambda text: len(text) <= limit

    assert fit(["a b", "c", "d"], optional={1}, fits=within(7)) == "a b c d"
    assert fit(["a b", "c", "d"], optional={1}, fits=within(6)) == "a b d"
    assert fit(["aaa bbb ccc", "c", "d"], optional={1}, fits=within(9)) == "aaa bbb d"
    assert fit(["aaa", "bbbbbbbbbb"], optional=set(), fits=within(5)) == "bbbbb"


def french_change(kind: str, **practice: str) -> TextChange:
    """A French change in August ("août": outside the GSM alphabet) at a practice with other names."""
    clinic = CLINICS["clinic.toml"]
    base = change(kind, clinic, "martin")
    start = datetime(2026, 8, 18, 10, 30, tzinfo=clinic.practice.zone)
    return replace(
        base,
        practice=replace(clinic.practice, **practice),
        appointment=replace(base.appointment, start=start, end=start + timedelta(minutes=20)),
        previous=replace(base.appointment, start=start - timedelta(days=1)) if kind == "move" else None,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_text_that_would_need_ucs2_fits_two_segments_and_keeps_every_detail(kind: str) -> None:
    change_ = french_change(kind, name="Maison de santé de l'Hôtel-Dieu", address="3 rue de la Fête, 75004 Paris")
    text = body(change_)
    assert segments(text) <= 2, text
    assert "481207" in text and "mardi 18 aout à 10 h 30" in text and "Dr Martin" in text and "Hotel-Dieu" in text
    if kind == "cancellation":
        assert text.endswith("appelez le 01 84 80 00 00.")
    else:
        assert text.endswith("Adresse : 3 rue de la Fete, 75004 Paris. Répondez ANNULER pour annuler.")


def test_accents_outside_gsm_go_first_then_the_address_and_the_words_stay_as_they_are_when_they_fit() -> None:
    short = body(french_change("reminder", name="Cabinet", address="1 rue du Four"))
    assert short.startswith("Rappel : Cabinet, rendez-vous le mardi 18 aout à 10 h 30 avec Dr Martin.")
    assert sms_encoding(short) == "GSM-7" and "Adresse : 1 rue du Four." in short
    as_written = "Rappel : Cabinet, rendez-vous le mardi 18 août à 10 h 30 avec Dr Martin. Référence 481207."
    assert segments(as_written) == 2 and len(as_written) < 153  # UCS-2 parts are 67 characters, not 153
    reply = shorten("C'est fait : votre rendez-vous du mardi 18 août à 10 h 30 est annulé.")
    assert "août" in reply  # one UCS-2 part is enough
    long = body(french_change("confirmation", name="Maison de santé " * 12, address="3 rue de la Fête"))
    assert "Adresse" not in long and sms_encoding(long) == "GSM-7" and segments(long) == 2
    assert long.endswith("Référence 481207. Répondez ANNULER pour annuler.")


def test_typographic_punctuation_does_not_turn_a_text_into_ucs2() -> None:
    clinic = CLINICS["clinic.toml"]
    curly = replace(clinic.practice, name="Cabinet de l\u2019Horloge\u00a0\u2013 Paris")
    text = body(replace(change("confirmation", clinic), practice=curly))
    assert text.startswith("Cabinet de l'Horloge - Paris : votre rendez-vous est confirmé le mardi 8 décembre")
    assert sms_encoding(text) == "GSM-7" and "Adresse" in text


def test_shorten_cuts_a_reply_at_a_word_within_two_segments() -> None:
    assert shorten("Appelez le cabinet.") == "Appelez le cabinet."
    cut = shorten("Pour joindre " + "Hôpital " * 60 + "appelez.")
    assert segments(cut) <= 2 and cut.startswith("Pour joindre Hopital Hopital") and cut.endswith("Hopital")


def test_display_phone() -> None:
    assert display_phone("+33 1 84 80 00 00", "FR") == "01 84 80 00 00"
    assert display_phone("+44 20 7946 0000", "GB") == "020 7946 0000"
    assert display_phone("the front desk", "FR") == "the front desk"
