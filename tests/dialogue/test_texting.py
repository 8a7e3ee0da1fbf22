"""The bot says a text will follow a booking, a move or a cancellation, when the practice sends texts (`[sms]`)
and the patient's number is a mobile; never otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from booking.sms import SmsSettings
from dialogue.actions import Say
from dialogue.context import Context
from dialogue.events import CallStarted
from dialogue.machine import step
from dialogue.state import State
from tests.dialogue.scripts import DEFAULT_NOW, clinic_for, event_for, load_script, make_port

CONVERSATIONS = Path(__file__).parent / "conversations"
TEXT_FR = "Vous allez recevoir un SMS de confirmation."
TEXT_EN = "You'll get a text to confirm it."


def said(spec: dict[str, Any], *, texts_on: bool, caller_id: str | None = None) -> list[str]:
    """Every sentence the bot says in the scripted call, texts on or off, from `caller_id` if given."""
    clinic = clinic_for(spec)
    clinic = replace(clinic, sms=SmsSettings(enabled=texts_on))
    now = datetime.fromisoformat(spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
    ctx = Context.create(make_port(spec, clinic, now), now, spec.get("locale"))
    state, actions = step(State(), CallStarted(caller_id or spec.get("caller_id")), ctx)
    lines = [a.text for a in actions if isinstance(a, Say)]
    for turn in spec.get("turns", []):
        state, actions = step(state, event_for(turn["caller"]), ctx)
        lines += [a.text for a in actions if isinstance(a, Say)]
    return lines


@pytest.mark.parametrize(
    ("script", "text", "before", "caller_id"),
    [
        ("fr_01_one_shot_booking.toml", TEXT_FR, "C'est noté, votre rendez-vous est confirmé.", None),
        ("fr_18_move.toml", TEXT_FR, "C'est fait, votre rendez-vous est déplacé.", None),
        ("en_01_one_shot_booking.toml", TEXT_EN, "That's booked", "+447911123456"),  # the script's is no mobile
    ],
)
def test_a_mobile_hears_that_a_text_follows_right_after_the_change(
    script: str, text: str, before: str, caller_id: str | None
) -> None:
    spec = load_script(CONVERSATIONS / script)
    lines = said(spec, texts_on=True, caller_id=caller_id)
    assert lines.count(text) == 1, lines
    assert lines[lines.index(text) - 1].startswith(before), lines
    assert text not in said(spec, texts_on=False)


def test_a_cancellation_says_it_too() -> None:
    spec = load_script(CONVERSATIONS / "fr_15_cancel.toml")
    lines = said(spec, texts_on=True)
    assert any("est annulé" in line for line in lines) and TEXT_FR in lines, lines


LANDLINE = "+33142000000"


def landline_call(answer: str, *, texts_on: bool = True) -> tuple[list[str], str]:
    """fr_01 from a Paris landline, `answer` said (or keyed, "dtmf:...") at the question about the number.

    Returns every sentence the bot said and the phone number the appointment was booked with.
    """
    spec = load_script(CONVERSATIONS / "fr_01_one_shot_booking.toml")
    clinic = replace(clinic_for(spec), sms=SmsSettings(enabled=texts_on))
    now = datetime.fromisoformat(spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
    port = make_port(spec, clinic, now)
    ctx = Context.create(port, now, "fr")
    state, actions = step(State(), CallStarted(LANDLINE), ctx)
    lines = [a.text for a in actions if isinstance(a, Say)]
    turns = [t["caller"] for t in spec["turns"]]
    turns[turns.index("oui")] = answer  # the answer to the question about the number
    for caller in turns:
        state, actions = step(state, event_for(caller), ctx)
        lines += [a.text for a in actions if isinstance(a, Say)]
    booked = [a for a in port.appointments if a.reference == "100001"]
    assert len(booked) == 1, lines
    return lines, booked[0].patient.phone


LANDLINE_SAID = "Le numéro d'où vous appelez, qui se termine par 00 00, ne reçoit pas de SMS."


@pytest.mark.parametrize(
    "answer",
    ["c'est le 06 12 34 56 78", "dtmf:0612345678#", "zéro six douze trente-quatre cinquante-six soixante-dix-huit"],
)
def test_a_landline_caller_gives_a_mobile_by_voice_or_keypad_and_the_text_goes_there(answer: str) -> None:
    lines, phone = landline_call(answer)
    assert LANDLINE_SAID in lines and not any("Pouvons-nous vous joindre" in line for line in lines), lines
    assert "C'est noté, le SMS partira vers le numéro qui se termine par 56 78." in lines, lines
    assert phone == "+33612345678"
    assert TEXT_FR in lines


@pytest.mark.parametrize("answer", ["pas de SMS", "non", "je n'ai pas de portable", "dtmf:2"])
def test_a_landline_caller_may_go_without_a_text(answer: str) -> None:
    lines, phone = landline_call(answer)
    assert LANDLINE_SAID in lines, lines
    assert "Entendu, pas de SMS. Nous vous joindrons au numéro d'où vous appelez." in lines, lines
    assert phone == LANDLINE
    assert TEXT_FR not in lines


def test_another_landline_given_is_the_number_to_call_and_gets_no_text() -> None:
    lines, phone = landline_call("le 01 45 67 89 10")
    assert "Ce numéro n'est pas un portable : il ne reçoit pas de SMS." in lines, lines
    assert phone == "+33145678910"
    assert TEXT_FR not in lines


def test_an_unclear_answer_asks_again_and_a_mobile_then_goes_through() -> None:
    spec = load_script(CONVERSATIONS / "fr_01_one_shot_booking.toml")
    clinic = replace(clinic_for(spec), sms=SmsSettings(enabled=True))
    now = datetime.fromisoformat(spec.get("now", DEFAULT_NOW)).replace(tzinfo=clinic.practice.zone)
    ctx = Context.create(make_port(spec, clinic, now), now, "fr")
    state, _ = step(State(), CallStarted(LANDLINE), ctx)
    for caller in [t["caller"] for t in spec["turns"]][:4]:
        state, _ = step(state, event_for(caller), ctx)
    state, actions = step(state, event_for("oui"), ctx)  # "yes" to "give me a mobile": which one?
    assert state.phase.value == "mobile"
    assert any("par exemple" in a.text for a in actions if isinstance(a, Say))
    state, _ = step(state, event_for("07 98 76 54 32"), ctx)
    assert state.patient.phone == "+33798765432" and state.phase.value == "confirm"


def test_without_texts_a_landline_caller_is_asked_about_the_number_as_before() -> None:
    lines, phone = landline_call("oui", texts_on=False)
    assert any("Pouvons-nous vous joindre au numéro d'où vous appelez" in line for line in lines), lines
    assert LANDLINE_SAID not in lines and phone == LANDLINE
