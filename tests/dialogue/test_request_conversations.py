"""Requests for the practice in the scripted calls (`conversations/*request*.toml`): what the fake port stored.

A script's `[expect] requests` lists every request left, in order: `category`, and the patient's
`first_name`, `last_name`, `birth_date` and `callback_phone`. The turns themselves are checked with every
other script by `test_conversations.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from booking.records import RequestStatus
from dialogue.understand.intents import Intent, detect_intent
from dialogue.understand.topics import parse_topic
from tests.dialogue.scripts import CONVERSATIONS, load_script, run_script

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
