"""`voicebot chat` writes each call to the call log like a phone call: channel `chat`, its outcome, the references
it booked, moved or cancelled, the patients it touched, a refusal, and its transcript pseudonymised."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from booking.calls import CallLog
from booking.models import PatientRow
from booking.records import LoggedCall, PatientDetails, Status
from booking.service import BookingService
from booking.slots import SlotQuery
from tests.pipeline.conftest import open_service
from voicebot.simulate.chat import run_chat

BOOKING = [
    "Bonjour, je voudrais voir le docteur Martin mardi prochain vers 10 h pour un vaccin",
    "celui de 10 h",
    "Jean Dupont",
    "le 14 juillet 1985",
    "oui",
    "oui c'est parfait",
]
SECRETS = ("Jean", "Dupont", "D, U, P", "14 juillet 1985", "14/07/1985", "1985", "54 32", "0698765432", "698765432")
"""The patient's name, birth date and phone, in the forms the caller or the bot say them."""


def chat(service: BookingService, now: datetime, lines: list[str], call_log: CallLog, caller: str | None) -> int:
    out, err = io.StringIO(), io.StringIO()
    code = run_chat(
        service, caller_id=caller, now_fn=lambda: now, lines=iter(lines), out=out, err=err, call_log=call_log
    )
    assert code == 0, err.getvalue()
    return code


def only_call(call_log: CallLog) -> LoggedCall:
    (call,) = call_log.find()
    return call


def test_a_booking_call_is_logged_with_its_reference_and_a_pseudonymised_transcript(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    call_log = CallLog(service.engine)
    chat(service, now, BOOKING, call_log, "+33698765432")
    call = only_call(call_log)
    (booked,) = service.list_appointments(status=Status.BOOKED)
    e = call.entry
    assert (e.channel, e.outcome, e.booked, e.moved, e.cancelled) == ("chat", "booked", (booked.reference,), (), ())
    assert e.key.startswith("chat-") and e.started_at == now and e.caller_phone == "+33698765432"
    assert e.patient_ids == (booked.patient_id,) and e.caller_turns == 6 and e.latency is None and not e.refused
    assert call.transcript is not None and call.transcript[0].speaker == "bot"
    speakers = [t.speaker for t in call.transcript]
    assert speakers.count("caller") == 6 and set(speakers) == {"bot", "caller"}
    text = "\n".join(t.text for t in call.transcript)
    for secret in (*SECRETS, booked.reference, "1, 0, 0, 0, 0, 1"):
        assert secret not in text, (secret, text)
    assert "⟨NAME⟩" in text and "⟨BIRTH_DATE⟩" in text and "⟨PHONE⟩" in text and "⟨REFERENCE⟩" in text
    assert "docteur Martin" in text and "mardi 1er décembre" in text  # what was booked stays readable


def test_a_caller_hanging_up_mid_call_is_logged_hung_up(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    call_log = CallLog(service.engine)
    chat(service, now, ["une consultation avec le docteur Martin lundi à 9 h", "9 h", "Jean Dupont"], call_log, None)
    e = only_call(call_log).entry
    assert (e.outcome, e.booked, e.caller_phone, e.caller_turns, e.patient_ids) == ("hung_up", (), None, 3, ())


def test_a_refusal_is_stored_on_the_call_and_on_the_patient(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    slot = next(
        s
        for s in service.find_slots(SlotQuery("consultation", ("martin",)), now)
        if s.start.day == 3 and s.start.hour == 10
    )
    jean = PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678")
    first = service.book(slot, jean, now)
    call_log = CallLog(service.engine)
    lines = ["je refuse", "annuler mon rendez-vous", "Jean Dupont", "14 juillet 1985", "oui"]
    chat(service, now, lines, call_log, "+33612345678")
    e = only_call(call_log).entry
    assert (e.outcome, e.cancelled, e.refused, e.patient_ids) == ("cancelled", (first.reference,), True, (1,))
    with service.engine.connect() as connection:
        assert connection.execute(PatientRow.__table__.select()).one()._mapping["reuse_refused"] is True


def test_a_call_log_that_cannot_be_written_leaves_the_call_as_it_was(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service, now = open_service(tmp_path, "fr")
    broken = CallLog(create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    with caplog.at_level(logging.WARNING):
        assert chat(service, now, BOOKING, broken, "+33698765432") == 0
    assert len(service.list_appointments(status=Status.BOOKED)) == 1
    assert "not written to the call log (OperationalError)" in caplog.text
    assert "Dupont" not in caplog.text and "54 32" not in caplog.text and "698765432" not in caplog.text
