"""What a call leaves for the call log (`voicebot.phone.recording`, `voicebot.phone.call_log`): the recording port
over the real booking service, the outcome the log gives a call, and the entry with its pseudonymised transcript."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from booking.calls import CallLog
from booking.records import CallChannel, CallEntry, PatientDetails, ReplyLatency
from booking.slots import SlotQuery
from dialogue.actions import HangUp, Outcome, OutcomeKind, Transfer
from dialogue.privacy import CallFacts
from dialogue.state import Patient, State
from tests.pipeline.conftest import open_service
from voicebot.phone.call_log import CallStart, call_entry, logged_outcome, mask_phone, write_call
from voicebot.phone.recording import RecordingPort

JEAN = PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678")
MARIE = PatientDetails("Marie", "Curie", date(1967, 11, 7), "+33612345678")  # the same family phone


def test_the_recording_port_notes_what_the_call_did_and_for_whom(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    slots = service.find_slots(SlotQuery("consultation", ("martin",)), now)
    marie = service.book(slots[5], MARIE, now)  # booked by the staff, before the call
    port = RecordingPort(service)
    assert port.clinic() == service.clinic() and port.find_slots(SlotQuery("consultation"), now)
    assert [r.details.first_name for r in port.find_patients(phone=JEAN.phone)] == ["Marie"]
    assert port.patient_ids == []  # the calling number alone identifies no one
    booked = port.book(slots[0], JEAN, now)
    moved = port.reschedule(booked.reference, slots[1], now)
    (found,) = port.find_patients(last_name="curie", birth_date=MARIE.birth_date)
    assert [a.reference for a in port.upcoming(found.id, now)] == [marie.reference]
    cancelled = port.cancel(marie.reference, now)
    assert port.booked == [booked.reference] and port.moved == [moved.reference]
    assert port.cancelled == [cancelled.reference] == [marie.reference]
    assert port.patient_ids == [booked.patient_id, marie.patient_id]  # each once, first seen first
    assert port.changes == ("booked", "moved", "cancelled")


BOOKED = HangUp(Outcome(OutcomeKind.BOOKED, "123456"))
GOODBYE = HangUp(Outcome(OutcomeKind.GOODBYE))
LEFT = HangUp(Outcome(OutcomeKind.HUNG_UP))
TRANSFER = Transfer("+33100000000", Outcome(OutcomeKind.TRANSFERRED))


@pytest.mark.parametrize(
    ("ending", "changes", "closed", "expected"),
    [
        (BOOKED, ("booked",), False, "booked"),
        (TRANSFER, (), False, "transferred"),
        (TRANSFER, ("booked",), False, "transferred"),
        (GOODBYE, (), False, "goodbye"),
        (GOODBYE, ("cancelled",), False, "cancelled"),  # a change, then a plain goodbye
        (LEFT, ("booked", "moved"), False, "moved"),  # the caller left after moving: named after the last change
        (LEFT, (), False, "hung_up"),
        (None, (), False, "hung_up"),  # the line ended before the dialogue did
        (None, (), True, "closed"),  # the server closed it while draining
        (None, ("booked",), True, "booked"),
    ],
)
def test_logged_outcome(
    ending: HangUp | Transfer | None, changes: tuple[str, ...], closed: bool, expected: str
) -> None:
    assert logged_outcome(ending, changes, closed=closed) == expected


def test_a_call_start_measures_the_duration_even_with_a_frozen_clock() -> None:
    frozen = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    start = CallStart.now(None, CallChannel.CHAT, lambda: frozen, "+33612345678")
    time.sleep(0.05)
    assert start.key.startswith("chat-") and len(start.key) > 20 and start.started_at == frozen
    assert timedelta(seconds=0.05) <= start.ended_at() - frozen < timedelta(seconds=5)
    assert CallStart.now("x" * 300, CallChannel.SIP, lambda: frozen).key == "x" * 128


def test_the_entry_holds_what_the_call_did_and_a_pseudonymised_transcript(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    port = RecordingPort(service)
    booked = port.book(service.find_slots(SlotQuery("consultation", ("martin",)), now)[0], JEAN, now)
    state = replace(
        State(),
        caller_id=JEAN.phone,
        patient=Patient("Jean", "Dupont", JEAN.birth_date, JEAN.phone, booked.patient_id),
        find_failures=1,
        reuse_refused=True,
    )
    transcript = [
        ("bot", "Quel est votre nom ?"),
        ("caller", "Jean Dupond"),  # misheard, later corrected: the facts of that step hold it
        ("caller", "dtmf:14071985"),
        ("bot", f"Votre numéro de rendez-vous est : {booked.reference}. Au 06 12 34 56 78."),
    ]
    heard = CallFacts(frozenset({"Dupond"}), frozenset(), frozenset(), frozenset())
    start = CallStart.now("CA1", CallChannel.TWILIO, lambda: now, JEAN.phone)
    latency = ReplyLatency(3, 900, 1400, 1500)
    entry = call_entry(
        start,
        outcome="booked",
        state=state,
        port=port,
        transcript=transcript,
        facts=heard,
        locale="fr",
        latency=latency,
    )
    assert (entry.key, entry.channel, entry.outcome, entry.caller_phone) == ("CA1", "twilio", "booked", JEAN.phone)
    assert entry.booked == (booked.reference,) and entry.patient_ids == (booked.patient_id,)
    assert (entry.identity_failures, entry.caller_turns, entry.refused, entry.latency) == (1, 2, True, latency)
    assert [line.speaker for line in entry.transcript] == ["bot", "caller", "caller", "bot"]
    text = " ".join(line.text for line in entry.transcript)
    for secret in ("Jean", "Dupon", "14071985", booked.reference, "06 12 34 56 78", "12 34"):
        assert secret not in text, (secret, text)
    assert "⟨NAME⟩" in text and "⟨REFERENCE⟩" in text and "⟨PHONE⟩" in text
    logged = CallLog(service.engine).record(entry)
    assert logged.entry.patient_ids == (booked.patient_id,) and logged.transcript == entry.transcript


def test_a_failing_call_log_is_logged_without_caller_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    empty = CallLog(create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}"))  # no call_log table: the write fails
    service, now = open_service(tmp_path, "fr")

    def entry() -> CallEntry:
        return call_entry(
            CallStart.now("CA9", CallChannel.TWILIO, lambda: now, JEAN.phone),
            outcome="hung_up",
            state=replace(State(), caller_id=JEAN.phone),
            port=RecordingPort(service),
            transcript=[("caller", "Jean Dupont, 06 12 34 56 78")],
            facts=CallFacts.empty(),
            locale="fr",
        )

    with caplog.at_level(logging.INFO):
        assert write_call(empty, "CA9", entry) is None
    assert "call CA9: not written to the call log (OperationalError)" in caplog.text
    assert "Dupont" not in caplog.text and "12 34" not in caplog.text and "612345678" not in caplog.text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sip:+33612345678@127.0.0.1", "sip:…78@127.0.0.1"),
        ("call from 0612345678 and 07700900555", "call from …78 and …55"),
        ("call CA123 at 10:30 on 192.168.1.20:5060", "call CA123 at 10:30 on 192.168.1.20:5060"),
    ],
)
def test_mask_phone_keeps_two_digits_at_most(text: str, masked: str) -> None:
    assert mask_phone(text) == masked
