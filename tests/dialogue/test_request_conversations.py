"""Requests for the practice in the scripted calls (`conversations/*request*.toml`): what the fake port stored.

A script's `[expect] requests` lists every request left, in order: `category`, and the patient's
`first_name`, `last_name`, `birth_date` and `callback_phone`. The turns themselves are checked with every
other script by `test_conversations.py`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from booking.clinic import load_clinic
from booking.errors import BookingError
from booking.records import PatientDetails, RequestCategory, RequestRecord, RequestStatus
from dialogue.actions import Action, OutcomeKind, Say
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted, KeypadPressed
from dialogue.machine import step
from dialogue.state import Phase, State, Task
from dialogue.understand.intents import Intent, detect_intent
from dialogue.understand.topics import parse_topic
from tests.dialogue.fake_port import FakePort
from tests.dialogue.scripts import CONVERSATIONS, ROOT, load_script, run_script

SCRIPTS = sorted(CONVERSATIONS.glob("*request*.toml"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_the_stored_request(path: Path) -> None:
    spec = load_script(path)
    run = run_script(spec)
    wanted = spec["expect"]["requests"]
    stored = run.port.requests
    assert len(stored) == len(wanted), run.transcript()
    for record, entry in zip(stored, wanted, strict=True):
        assert record.category.value == entry["category"]
        assert record.status is RequestStatus.OPEN
        patient = record.patient
        got = (patient.first_name, patient.last_name, patient.birth_date, patient.phone)
        assert got == (entry["first_name"], entry["last_name"], entry["birth_date"], entry["callback_phone"])


def test_scripts_in_both_languages() -> None:
    locales = {load_script(p).get("locale") for p in SCRIPTS}
    assert locales == {"fr", "en"}


@pytest.mark.parametrize(
    ("text", "locale", "topic"),
    [
        ("je voudrais renouveler mon ordonnance", "fr", "renewal"),
        ("c'est pour un renouvellement d'ordonnance", "fr", "renewal"),
        ("il me faut un certificat médical", "fr", "certificate"),
        ("un arrêt de travail", "fr", "certificate"),
        ("je voudrais les résultats de mes analyses", "fr", "results"),
        ("j'aimerais qu'on me rappelle", "fr", "callback"),
        ("est-ce que le docteur peut me rappeler", "fr", "callback"),
        ("qu'on me rappelle pour mes résultats", "fr", "results"),
        ("I need a repeat prescription", "en", "renewal"),
        ("a sick note", "en", "certificate"),
        ("my test results", "en", "results"),
        ("can someone call me back", "en", "callback"),
        ("could the doctor ring me back about my results", "en", "results"),
        ("je voudrais laisser un message", "fr", None),
        ("bonjour", "fr", None),
        ("I'd like an appointment", "en", None),
    ],
)
def test_request_topics(text: str, locale: str, topic: str | None) -> None:
    found = parse_topic(text, locale)
    assert (found.value if found else None) == topic


@pytest.mark.parametrize(
    ("text", "locale", "intent"),
    [
        ("je voudrais renouveler mon ordonnance sans rendez-vous", "fr", Intent.REQUEST),
        ("je voudrais laisser un message", "fr", Intent.REQUEST),
        ("qu'on me rappelle", "fr", Intent.REQUEST),
        ("je voudrais laisser une demande de certificat pour le secrétariat", "fr", Intent.REQUEST),
        ("je voudrais parler à la secrétaire pour un certificat", "fr", Intent.HUMAN),
        ("can I leave a message for the receptionist", "en", Intent.REQUEST),
        ("un rendez-vous pour renouveler mon ordonnance", "fr", Intent.BOOK),
        ("je rappellerai plus tard", "fr", Intent.GOODBYE),
        ("I need a repeat prescription", "en", Intent.REQUEST),
        ("can someone call me back", "en", Intent.REQUEST),
        ("a prescription without an appointment", "en", Intent.REQUEST),
        ("an appointment about my test results", "en", Intent.BOOK),
        ("I'll call back", "en", Intent.GOODBYE),
        ("can you repeat that", "en", Intent.REPEAT),
    ],
)
def test_requests_among_the_intents(text: str, locale: str, intent: Intent) -> None:
    assert detect_intent(text, locale) is intent


class _BrokenPort(FakePort):
    def leave_request(self, category: RequestCategory, patient: PatientDetails, now: datetime) -> RequestRecord:
        raise BookingError("database down")


def _said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def test_a_request_that_cannot_be_recorded_is_apologised_for() -> None:
    clinic = load_clinic(ROOT / "config" / "clinic.toml")
    now = datetime(2026, 11, 28, 10, 0, tzinfo=clinic.practice.zone)
    ctx = Context.create(_BrokenPort(clinic), now)
    state, _ = step(State(), CallStarted(None), ctx)
    for line in ("qu'on me rappelle", "Paul Durand", "3 mars 1990", "0611223344", "oui"):
        state, actions = step(state, CallerSaid(line), ctx)
    assert "je n'ai pas pu enregistrer" in _said(actions)
    assert state.outcome is not None and state.outcome.kind is not OutcomeKind.REQUESTED


def test_a_topic_with_booking_details_is_a_booking() -> None:
    clinic = load_clinic(ROOT / "config" / "clinic.toml")
    now = datetime(2026, 11, 28, 10, 0, tzinfo=clinic.practice.zone)
    port = FakePort(clinic)
    ctx = Context.create(port, now)
    state, _ = step(State(), CallStarted(None), ctx)
    state, actions = step(state, CallerSaid("un renouvellement d'ordonnance avec le docteur Martin mardi"), ctx)
    assert state.task is Task.BOOK and "demande" not in _said(actions)
    state, actions = step(state, KeypadPressed("5"), ctx)
    assert state.phase is not Phase.REQUEST_CATEGORY  # 5 is the open question's key only
