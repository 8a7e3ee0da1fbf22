"""A patient's text to the practice: ANNULER/CANCEL, STOP/ARRET, anything else; on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from booking.clinic import load_clinic
from booking.db import migrate, open_engine
from booking.records import PatientDetails, Status
from booking.service import BookingService
from booking.sms import segments
from booking.sms_outbox import Outbox
from booking.store import apply_clinic
from tests.booking.service_helpers import slot
from tests.conftest import NOW, SAMPLE_CLINIC, SAMPLE_CLINIC_EN
from voicebot.sms_replies import MAX_LISTED, find_reference, fold, sms_replier
from voicebot.sms_texts import SmsTexts

MOBILE = "+33612345678"
OTHER_MOBILE = "+33699887766"


def with_sms(path: Path, tmp_path: Path) -> Path:
    """A sample clinic file with texts turned on."""
    copy = tmp_path / f"sms-{path.name}"
    copy.write_text(path.read_text(encoding="utf-8") + "\n[sms]\nenabled = true\n", encoding="utf-8")
    return copy


def open_service(url: str, clinic_file: Path, tmp_path: Path) -> BookingService:
    engine = open_engine(url)
    migrate(engine)
    apply_clinic(engine, load_clinic(with_sms(clinic_file, tmp_path)), NOW)
    return BookingService(engine, texts=SmsTexts())


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Iterator[BookingService]:
    booking = open_service(db_url, SAMPLE_CLINIC, tmp_path)
    yield booking
    booking.engine.dispose()


def person(first: str, phone: str = MOBILE) -> PatientDetails:
    return PatientDetails(first, "Dupont", date(1985, 7, 14), phone)


def texted(service: BookingService, from_: str, body: str) -> str | None:
    reply = sms_replier(service, Outbox(service.engine), lambda: NOW)

    async def send() -> str | None:
        return await reply(from_, body)

    return asyncio.run(send())


def test_annuler_cancels_the_only_upcoming_appointment_and_its_text_goes_through_the_outbox(
    service: BookingService,
) -> None:
    booked = service.book(slot("martin", "consultation", "2026-12-08T10:30", 20), person("Jean"), NOW)
    answer = texted(service, MOBILE, "  Annulér !! ")
    assert answer == (
        f"C'est fait : votre rendez-vous du mardi 8 décembre à 10 h 30 (référence {booked.reference}) est annulé."
    )
    assert service.get(booked.reference).status is Status.CANCELLED
    kept = Outbox(service.engine).find(reference=booked.reference)
    assert sorted(m.kind for m in kept) == ["cancellation", "confirmation", "reply"]
    (reply,) = [m for m in kept if m.kind == "reply"]
    assert (reply.to_phone, reply.body, reply.status, reply.sent_at) == (MOBILE, answer, "sent", NOW)


def test_several_upcoming_ask_for_the_reference_then_the_reference_picks_one(service: BookingService) -> None:
    first = service.book(slot("martin", "consultation", "2026-12-08T10:30", 20), person("Jean"), NOW)
    second = service.book(slot("bernard", "consultation", "2026-12-09T11:00", 20), person("Lucie"), NOW)
    answer = texted(service, MOBILE, "ANNULER")
    assert answer is not None and "plusieurs rendez-vous" in answer
    assert f"le mardi 8 décembre à 10 h 30 (référence {first.reference})" in answer
    assert f"le mercredi 9 décembre à 11 h (référence {second.reference})" in answer
    assert {service.get(r).status for r in (first.reference, second.reference)} == {Status.BOOKED}
    spaced = f"{second.reference[:3]} {second.reference[3:]}"
    answer = texted(service, MOBILE, f"annuler le rdv {spaced} svp")
    assert answer is not None and second.reference in answer and "est annulé" in answer
    assert service.get(second.reference).status is Status.CANCELLED
    assert service.get(first.reference).status is Status.BOOKED


def test_a_reference_of_someone_else_or_nothing_upcoming_cancels_nothing(service: BookingService) -> None:
    theirs = service.book(slot("martin", "consultation", "2026-12-08T10:30", 20), person("Paul", OTHER_MOBILE), NOW)
    answer = texted(service, MOBILE, f"CANCEL {theirs.reference}")
    assert answer == (
        f"Aucun rendez-vous à venir avec la référence {theirs.reference} pour ce numéro. "
        "Pour toute question, appelez le 01 84 80 00 00."
    )
    assert service.get(theirs.reference).status is Status.BOOKED
    assert texted(service, MOBILE, "annuler") == (
        "Aucun rendez-vous à venir pour ce numéro. Pour toute question, appelez le 01 84 80 00 00."
    )


def test_stop_and_arret_stop_every_later_text(service: BookingService) -> None:
    outbox = Outbox(service.engine)
    assert texted(service, MOBILE, "STOP") == "C'est noté : vous ne recevrez plus de SMS de Cabinet médical du Parc."
    assert outbox.is_opted_out(MOBILE)
    assert texted(service, OTHER_MOBILE, "Arrêt.") is not None and outbox.is_opted_out(OTHER_MOBILE)
    booked = service.book(slot("martin", "consultation", "2026-12-08T10:30", 20), person("Jean"), NOW)
    assert outbox.find(reference=booked.reference) == []
    assert [(m.kind, m.body) for m in outbox.find(to_phone=MOBILE)] == [  # only the answer to STOP itself
        ("reply", "C'est noté : vous ne recevrez plus de SMS de Cabinet médical du Parc.")
    ]


def test_anything_else_gets_the_practice_phone_and_changes_nothing(service: BookingService) -> None:
    booked = service.book(slot("martin", "consultation", "2026-12-08T10:30", 20), person("Jean"), NOW)
    answer = texted(service, MOBILE, "Bonjour, je serai en retard de 10 minutes, stop")
    assert answer == (
        "Ce numéro ne lit pas les messages. Pour joindre Cabinet médical du Parc, appelez le 01 84 80 00 00. "
        "Pour annuler un rendez-vous, répondez ANNULER."
    )
    assert service.get(booked.reference).status is Status.BOOKED
    assert not Outbox(service.engine).is_opted_out(MOBILE)


def test_an_english_practice_answers_in_english(sqlite_url: str, tmp_path: Path) -> None:
    service = open_service(sqlite_url, SAMPLE_CLINIC_EN, tmp_path)
    uk = "+447700900123"
    booked = service.book(slot("patel", "consultation", "2026-12-08T10:30", 10), person("John", uk), NOW)
    answer = texted(service, uk, "Cancel please")
    assert answer is not None and answer.startswith("Done: your appointment on Tuesday the 8th of December")
    assert service.get(booked.reference).status is Status.CANCELLED
    assert texted(service, uk, "hello") == (
        "This number does not read messages. To reach Riverside Surgery, call 020 7946 0000. "
        "To cancel an appointment, reply CANCEL."
    )
    service.engine.dispose()


def test_reading_the_words() -> None:
    assert fold("ANNULÉR, 123456!") == ["annuler", "123456"]
    assert find_reference(fold("annuler 481207")) == "481207"
    assert find_reference(fold("annuler 481 207")) == "481207"
    assert find_reference(fold("annuler le 12 décembre à 10 h 30")) is None
    assert find_reference(fold("annuler")) is None


def test_every_answer_is_kept_as_a_sent_reply_never_the_patients_text(service: BookingService) -> None:
    outbox = Outbox(service.engine)
    first = service.book(slot("martin", "consultation", "2026-12-08T10:30", 20), person("Jean"), NOW)
    second = service.book(slot("bernard", "consultation", "2026-12-09T11:00", 20), person("Lucie"), NOW)
    theirs = service.book(slot("martin", "consultation", "2026-12-10T10:30", 20), person("Paul", OTHER_MOBILE), NOW)
    answers = [
        texted(service, MOBILE, "Bonjour, mon fils a de la fièvre"),
        texted(service, MOBILE, "annuler"),
        texted(service, MOBILE, f"annuler {theirs.reference}"),
        texted(service, MOBILE, f"annuler {second.reference}"),
    ]
    replies = [m for m in reversed(outbox.find(to_phone=MOBILE)) if m.kind == "reply"]
    assert [m.body for m in replies] == answers
    assert {(m.status, m.attempts, m.sent_at) for m in replies} == {("sent", 1, NOW)}
    assert [m.reference for m in replies] == [None, None, None, second.reference]  # another's reference: not tied
    assert all("fièvre" not in m.body for m in outbox.find())
    claimed = {c.id for c in outbox.claim(NOW + timedelta(days=1), limit=100)}  # the texts queued, no reply
    assert claimed and not claimed & {m.id for m in replies}
    assert [m.kind for m in outbox.find(reference=theirs.reference)] == ["confirmation"]
    assert first.reference not in {m.reference for m in replies}


def test_answers_stay_within_two_segments_even_for_a_name_outside_gsm(sqlite_url: str, tmp_path: Path) -> None:
    renamed = tmp_path / "hotel-dieu.toml"
    long_name = "Maison de santé pluridisciplinaire de l’Hôtel-Dieu et de la Fontaine Saint-Côme"
    renamed.write_text(
        SAMPLE_CLINIC.read_text(encoding="utf-8").replace("Cabinet médical du Parc", long_name), encoding="utf-8"
    )
    service = open_service(sqlite_url, renamed, tmp_path)
    as_written = (
        f"Ce numéro ne lit pas les messages. Pour joindre {long_name}, appelez le 01 84 80 00 00. "
        "Pour annuler un rendez-vous, répondez ANNULER."
    )
    assert segments(as_written) > 2
    answer = texted(service, MOBILE, "bonjour")
    assert answer == as_written.replace("l’Hôtel", "l'Hotel").replace("Côme", "Come")
    assert segments(answer) == 2
    for day in ("08", "09", "10", "11"):
        service.book(slot("martin", "consultation", f"2026-12-{day}T10:30", 20), person("Jean"), NOW)
    which = texted(service, MOBILE, "annuler")
    assert which is not None and segments(which) <= 2 and which.count("(référence") == MAX_LISTED
    stopped = texted(service, MOBILE, "stop")
    assert stopped is not None and segments(stopped) <= 2 and stopped.startswith("C'est noté")
    service.engine.dispose()
