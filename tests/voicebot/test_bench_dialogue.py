"""The conversation bench's parts: reading offers from the bot's words, telling questions apart, the
reactive caller, `voicebot bench dialogue` and the `expect` of `voicebot chat --json`'s listen messages."""

from __future__ import annotations

import io
import json
import tomllib
from datetime import date, datetime, time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialogue.actions import ExpectKind
from tests.dialogue.fake_port import FakePort
from voicebot.bench.offers import Window, read_offers
from voicebot.bench.patient import Patient, Persona, classify
from voicebot.cli import main
from voicebot.simulate.chat import run_chat

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "J'ai de la place mardi 1er décembre à 9 h 30, à 9 h 50, ou à 10 h 10.",
            "fr",
            ["12-01 09:30", "12-01 09:50", "12-01 10:10"],
        ),
        ("J'ai une place lundi 4 janvier à midi. Cela vous convient ?", "fr", ["01-04 12:00"]),
        (
            "J'ai de la place mardi 1er décembre à 18 h 40, ou jeudi 3 décembre à 8 h 30 avec le docteur Martin.",
            "fr",
            ["12-01 18:40", "12-03 08:30"],
        ),
        (
            "I have Tuesday the 1st of December at 8 am, at 8:10 am, or at 12:20 pm.",
            "en",
            ["12-01 08:00", "12-01 08:10", "12-01 12:20"],
        ),
        ("I can offer Monday the 4th of January at noon.", "en", ["01-04 12:00"]),
        ("Which day would suit you?", "en", []),
    ],
)
def test_offers_are_read_from_the_bots_words(text: str, language: str, expected: list[str]) -> None:
    assert [f"{o:%m-%d %H:%M}" for o in read_offers(text, language, TODAY)] == expected
    assert all(o.year == (2027 if o.month == 1 else 2026) for o in read_offers(text, language, TODAY))


def test_a_window_holds_its_days_and_hours_and_knows_what_comes_before() -> None:
    window = Window.parse({"day": date(2026, 12, 1), "from": "09:00", "until": "12:00"})
    assert window.holds(datetime(2026, 12, 1, 9, 0)) and window.holds(datetime(2026, 12, 1, 11, 59))
    assert not window.holds(datetime(2026, 12, 1, 12, 0)) and not window.holds(datetime(2026, 12, 2, 10, 0))
    assert window.before(datetime(2026, 12, 1, 8, 30)) and window.before(datetime(2026, 11, 30, 10, 0))
    assert not window.before(datetime(2026, 12, 2, 8, 0))
    assert Window().holds(datetime(2030, 1, 1)) and Window(start=time(14)).describe() == "…..… 14:00:00-…"


QUESTIONS = {
    "open.question": "open",
    "more.question": "more",
    "practitioner.question": "practitioner",
    "motif.question": "motif",
    "motif.known_question": "known",
    "motif.offer_alternative": "alt_motif",
    "when.question": "when",
    "when.question_move": "when",
    "when.other": "when",
    "offer.many_question": "offer",
    "offer.one_question": "offer",
    "offer.which": "offer",
    "identity.birth_question": "birth",
    "identity.name_question": "name",
    "identity.find_name_question": "name",
    "identity.first_name_question": "first_name",
    "echo.spell": "spell",
    "identity.is_it": "is_patient",
    "identity.phone_confirm": "phone_confirm",
    "identity.phone_question": "phone",
    "confirm.question": "confirm",
    "fix.question": "fix",
    "manage.which_cancel": "pick",
    "manage.which_move": "pick",
    "manage.cancel_question": "cancel_confirm",
    "manage.retry": "retry",
    "transfer.offer": "transfer",
    "request.is_it": "is_patient",
    "request.category_question": "topic",
    "request.question": "confirm",
    "request.fix_question": "fix",
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_question_of_the_locale_files_is_told_apart(language: str) -> None:
    phrases = tomllib.loads((ROOT / "dialogue/wording/locales" / f"{language}.toml").read_text(encoding="utf-8"))
    for key, kind in QUESTIONS.items():
        section, name = key.split(".")
        text = phrases[section][name].format(motifs="x", motif="x", name="Jean Dupont", tail="56 78")
        assert classify([text], None) == kind, (language, key, text)


def test_the_caller_answers_whatever_is_asked_in_any_order() -> None:
    persona = Persona(
        opening="je voudrais voir le docteur Martin mardi",
        first_name="Jean",
        last_name="Dupont",
        birth="le 3 février 1980",
        window=Window(first=date(2026, 12, 1), last=date(2026, 12, 1), start=time(10)),
    )
    patient = Patient(persona, TODAY)
    assert patient.answer(["Quelle est la date de naissance de la personne qui consulte ?"], "date") == persona.birth
    assert patient.answer(["Que puis-je faire pour vous ?"], "free") == persona.opening
    offers = ["J'ai de la place mardi 1er décembre à 9 h 30, à 10 h, ou à 10 h 20.", "Lequel préférez-vous ?"]
    assert patient.answer(offers, "free") == "le deuxième"
    assert patient.answer(["Quels sont le prénom et le nom de la personne qui consulte ?"], "name") == "Jean Dupont"
    assert patient.answer(["Hm ?"], "yes_no") == "oui"  # words not known: the expect hint decides


def test_a_keypad_caller_keys_in_and_a_silent_one_is_silent_once() -> None:
    patient = Patient(Persona(style="keypad", birth_keys="14071985", silent=("birth",)), TODAY)
    assert patient.answer(["Que puis-je faire pour vous ?"], "free") == "dtmf:1"
    assert patient.answer(["Quelle est la date de naissance ?"], "date") == "silence"
    assert patient.answer(["Quelle est la date de naissance ?"], "date") == "dtmf:14071985"
    assert patient.answer(["C'est bien ça ?"], "yes_no") == "dtmf:1"


def test_every_listen_of_chat_json_says_what_it_expects() -> None:
    from zoneinfo import ZoneInfo

    from booking.clinic import load_clinic

    out = io.StringIO()
    port = FakePort(load_clinic(ROOT / "config" / "clinic.toml"))
    lines = iter(["un vaccin avec le docteur Martin lundi à 9 h", "celui de 9 h", "Jean Dupont", "dtmf:14071985"])
    now = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    run_chat(port, caller_id="+33612345678", now_fn=lambda: now, lines=lines, json_mode=True, out=out)
    listens = [m for m in map(json.loads, out.getvalue().splitlines()) if m["type"] == "listen"]
    assert [m["expect"] for m in listens] == ["free", "free", "name", "date", "yes_no"]
    assert {m["expect"] for m in listens} <= {k.value for k in ExpectKind}


def test_bench_dialogue_writes_json_and_a_page(tmp_path: Path) -> None:
    output, page = tmp_path / "d.json", tmp_path / "d.md"
    args = ["bench", "dialogue", "--only", "tl-07", "--output", str(output), "--markdown", str(page), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(output.read_text(encoding="utf-8"))
    assert summary["counted"] == 1 and summary["rate"] == 1.0 and summary["failures"] == []
    assert summary["by_practice"] == {"tilleuls (fr)": {"scenarios": 1, "right": 1, "rate": 1.0}}
    assert summary["median_turns_one_shot_booking"] == 6
    assert "1 of 1 calls" in page.read_text(encoding="utf-8")
    assert CliRunner().invoke(main, ["bench", "dialogue", "--only", "nothing-like-this"]).exit_code == 1


def test_failures_are_grouped_in_classes() -> None:
    from voicebot.bench.dialogue import Result, load_scenarios
    from voicebot.bench.dialogue_summary import failure_class, summarise

    scenario = next(s for s in load_scenarios() if s.id == "tl-07-doctor-boulanger")
    lost = Result(
        scenario, False, ["0 new appointments instead of 1"], "transferred", 5, ("name", 3), last_question="name"
    )
    wrong = Result(scenario, False, ["practitioner bernard, not boulanger"], "booked", 6, ("open", 1))
    right = Result(scenario, True, [], "booked", 6, ("open", 1))
    assert failure_class(lost) == "transferred after a name answer was not understood"
    assert failure_class(wrong) == "wrong practitioner"
    summary = summarise([lost, wrong, right, right])
    assert summary["rate"] == 0.5 and summary["median_turns_one_shot_booking"] == 6
    assert summary["worst_loop"] == {"scenario": "tl-07-doctor-boulanger", "question": "name", "times": 3}
    assert list(summary["failure_classes"].values()) == [["tl-07-doctor-boulanger"]] * 2
