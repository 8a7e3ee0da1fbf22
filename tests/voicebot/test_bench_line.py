"""`voicebot bench line`'s pure parts: which calls it places, how the caller waits through a bot turn with no
question, what it reads from the server's log, the summary (rates, median turns, worst loop), and how a call
against a child process is bounded. The calls themselves need the speech models and minutes each: they are
the benchmark (bench/line.md), not a test.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from voicebot.bench.conversation import Call, play_process
from voicebot.bench.dialogue import Result, load_scenarios
from voicebot.bench.ear import LineCall, respell, respell_times
from voicebot.bench.line import LineResult, server_lines
from voicebot.bench.line_plan import Selection, SelectionError, is_native, plan, select
from voicebot.bench.line_summary import markdown, summarise
from voicebot.bench.line_voice import expected_lines
from voicebot.bench.offers import read_offers
from voicebot.bench.patient import Patient, Persona, classify

SCENARIOS = load_scenarios()


def test_the_selection_has_24_french_calls_on_both_practices_and_12_english() -> None:
    chosen = select(SCENARIOS, Selection.load())
    by_practice = Counter(s.practice for s in chosen)
    assert sum(n for p, n in by_practice.items() if p in ("parc", "tilleuls")) >= 24
    assert by_practice["parc"] >= 10 and by_practice["tilleuls"] >= 10
    assert Counter(s.persona.language for s in chosen)["en"] == 12
    french = [s for s in chosen if s.persona.language == "fr"]
    assert {s.persona.style for s in french} == {"one_shot", "step", "keypad"}
    assert {s.persona.task for s in french} == {"book", "cancel", "move"}
    assert not [s.id for s in chosen if s.pending] and len({s.id for s in chosen}) == len(chosen)


def test_the_calls_are_filtered_by_id_practice_and_a_limit_per_practice() -> None:
    selection = Selection.load()
    assert [s.id for s in select(SCENARIOS, selection, only="cancel")] == [
        "parc-09-cancel",
        "parc-11-cancel-wrong-birth",
        "tl-13-cancel-kine",
        "rs-10-cancel",
    ]
    firsts = select(SCENARIOS, selection, practices=("parc", "riverside"), limit=1)
    assert [s.id for s in firsts] == ["parc-01-one-shot", "rs-01-one-shot"]
    assert "tl-44-phone-digit-by-digit" in {s.id for s in select(SCENARIOS, selection, every=True)}
    with pytest.raises(SelectionError, match="no-such-scenario"):
        select(SCENARIOS, Selection({}, {"parc": ("no-such-scenario",)}))


def test_each_scenario_is_called_once_per_voice_of_its_language() -> None:
    selection = Selection.load()
    french, english = (next(s for s in SCENARIOS if s.id == i) for i in ("parc-01-one-shot", "rs-01-one-shot"))

    def voices(*names: str) -> list[tuple[str, str]]:
        return [(p.scenario.id, p.voice) for p in plan([french, english], selection, names)]

    assert voices() == [
        ("parc-01-one-shot", "ff_siwis"),
        ("parc-01-one-shot", "pm_alex"),
        ("rs-01-one-shot", "af_heart"),
    ]
    assert voices("ff_siwis", "af_heart") == [("parc-01-one-shot", "ff_siwis"), ("rs-01-one-shot", "af_heart")]
    assert voices("pm_alex") == [("parc-01-one-shot", "pm_alex"), ("rs-01-one-shot", "pm_alex")]
    assert voices("fr:pm_alex", "fr:ff_siwis+pm_alex:0.4") == [
        ("parc-01-one-shot", "pm_alex"),
        ("parc-01-one-shot", "ff_siwis+pm_alex:0.4"),
    ]
    assert is_native("ff_siwis", "fr") and is_native("bf_emma", "en") and not is_native("pm_alex", "fr")


def test_the_caller_waits_through_turns_without_a_question_twice_and_not_as_turns() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "parc-01-one-shot")
    call = LineCall(scenario.persona, date(2026, 11, 28))
    assert call.hear([{"type": "say", "text": "Cabinet médical du Parc, bonjour."}]) is None
    assert call.hear([{"type": "listen"}]) == "silence"
    call.hear([{"type": "say", "text": "Que puis-je faire pour vous ?"}])
    assert call.hear([{"type": "listen"}]) == scenario.persona.opening
    for line in ("Très bien.", "Un instant."):
        call.hear([{"type": "say", "text": line}])
        assert call.hear([{"type": "listen"}]) == "silence"
    call.hear([{"type": "say", "text": "Je regarde."}])
    assert call.hear([{"type": "listen"}]) == "pardon ?"  # two waits in a row, then the caller asks
    assert call.turns == 2 and call.patient.lost == 1


@pytest.mark.parametrize(
    ("heard", "kind"),
    [
        ("Je ne vous entend pas que puis je faire pour vous.", "open"),
        ("Est ce que le rendez vous est il pour Jeanne Roux", "is_patient"),
        ("Quelle est la date de naissance de la personne qui consulte", "birth"),
        ("Pouvons nous vous joindre au numero qui se termine par 33 44.", "phone_confirm"),
        ("pouvons nous vous joindre au numéro de vos appels qui se terminent par 33-44.", "phone_confirm"),
        ("Les nouches, c'est noté, et sont prénents.", "first_name"),
        ("Pouvez-vous m'épler le nom de famille ? L'être par l'être.", "spell"),
        ("Pardon, je n'ai pas bien compris. Dites les lettres une à une par exemple. D-U-P-O-N-T.", "spell"),
        ("Cabinet médical du Parc, bonjour.", "unknown"),
    ],
)
def test_the_caller_understands_the_bot_as_whisper_spells_it(heard: str, kind: str) -> None:
    assert classify([respell(heard, "fr")], None) == kind
    assert respell(heard, "fr").startswith(heard)


@pytest.mark.parametrize(
    ("heard", "language", "offers"),
    [
        (
            "I have Tuesday, the 1st of December at 8am, at 810am, or at 820am, which would you prefer?",
            "en",
            ["12-01 08:00", "12-01 08:10", "12-01 08:20"],
        ),
        (
            "I have Tuesday, the 1st of December at 8.30 a.m., at 8,40 a.M., where at 850 a. M. Which one?",
            "en",
            ["12-01 08:30", "12-01 08:40", "12-01 08:50"],
        ),
        (
            "J'ai de la place, mercredi de décembre à 9h45, à 10h ou à 10, 15.",
            "fr",
            ["12-02 09:45", "12-02 10:00", "12-02 10:15"],
        ),
        ("J'ai de la place mardi premier décembre à 14 heures 30.", "fr", ["12-01 14:30"]),
        ("J'ai de la place mardi 1er décembre à 9 h 30, à 9 h 50.", "fr", ["12-01 09:30", "12-01 09:50"]),
        (
            "J'ai de la place vendredi 4 décembre 9h à 9h20 ou à 9,40. Lequel préfèrez-vous ?",
            "fr",
            ["12-04 09:00", "12-04 09:20", "12-04 09:40"],
        ),
        (
            "J'ai de la place, lundi 30 novembre à 14h, à 14,15 ou à 14.30.",
            "fr",
            ["11-30 14:00", "11-30 14:15", "11-30 14:30"],
        ),
        (
            "J'ai de la place, mardi premier décembre à huit heures, à hhuit heures quinze ou à hhuiteurs trente.",
            "fr",
            ["12-01 08:00", "12-01 08:15", "12-01 08:30"],
        ),
        (
            "J'ai de la place, lundi 30 novembre a huit heures trente, à huit heure quarente-cinq ou à neuf heures.",
            "fr",
            ["11-30 08:30", "11-30 08:45", "11-30 09:00"],
        ),
        (
            "J'ai de la place, je dis 3 décembre à 1h30, à 1,45h ou vendredi 4 décembres à 8h30.",
            "fr",
            ["12-03 13:30", "12-03 13:45", "12-04 08:30"],
        ),
        ("J'ai de la place, vendredi quatre décembre à 9 heures et demie.", "fr", ["12-04 09:30"]),
        ("J'ai de la place, je dis trois décembre à 11h, à 11, 15h.", "fr", ["12-03 11:00", "12-03 11:15"]),
    ],
)
def test_the_caller_reads_offered_times_as_whisper_writes_them(heard: str, language: str, offers: list[str]) -> None:
    assert [
        f"{o:%m-%d %H:%M}" for o in read_offers(respell_times(heard, language), language, date(2026, 11, 28))
    ] == offers


def test_what_the_bot_heard_and_said_is_read_from_the_servers_debug_log(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    log.write_text(
        "2026-12-02 04:36:16.991 | DEBUG    | pipecat.services.tts_service:_synthesize_text:1690 - "
        "SynthesizerTTSService#0: Generating TTS [Que puis-je faire pour vous ?]\n"
        "2026-12-02 04:37:28,588 DEBUG voicebot.pipeline.stt_service: RecognizerSTTService#0: heard "
        '"N\'importe lequel, le premier disponible !" in 1.91 s\n'
        "2026-12-02 04:37:43,276 DEBUG voicebot.pipeline.stt_service: RecognizerSTTService#0: heard 'oui' in 0.35 s\n"
        'INFO:     127.0.0.1:54654 - "GET /healthz HTTP/1.1" 200 OK\n',
        encoding="utf-8",
    )
    assert server_lines(log) == (
        ["N'importe lequel, le premier disponible !", "oui"],
        ["Que puis-je faire pour vous ?"],
    )


def _line(scenario_id: str, voice: str, ok: bool, turns: int, loop: tuple[str, int]) -> LineResult:
    scenario = next(s for s in SCENARIOS if s.id == scenario_id)
    problems = [] if ok else ["0 new appointments instead of 1"]
    result = Result(scenario, ok, problems, "booked" if ok else "transferred", turns, loop, ["bot: Bonjour."])
    return LineResult(result, voice, 12.0, 60.0 + turns, heard=["bonjour"], said=["Bonjour."], load=1.5)


def test_the_summary_gives_rates_median_turns_worst_loop_and_long_calls_per_voice_and_practice() -> None:
    results = [
        _line("parc-01-one-shot", "ff_siwis", True, 6, ("open", 1)),
        _line("tl-01-one-shot-kine", "ff_siwis", True, 7, ("when", 2)),
        _line("parc-01-one-shot", "pm_alex", False, 14, ("when", 7)),
        _line("tl-01-one-shot-kine", "pm_alex", True, 8, ("name", 2)),
        _line("rs-01-one-shot", "af_heart", True, 6, ("open", 1)),
    ]
    summary = summarise(results, seconds=400.0, complete=True, machine={"cores": 2, "cpu": "test"})
    voices = {(v["language"], v["voice"]): v for v in summary["by_voice"]}
    native, accented, english = voices["fr", "ff_siwis"], voices["fr", "pm_alex"], voices["en", "af_heart"]
    assert (native["rate"], native["median_turns"], native["target"], native["target_met"]) == (1.0, 6.5, 0.9, True)
    assert (accented["rate"], accented["target"], accented["target_met"]) == (0.5, 0.75, False)
    assert accented["worst_loop"] == {"scenario": "parc-01-one-shot", "question": "when", "times": 7}
    assert accented["above_max_turns"] == ["parc-01-one-shot"] and english["native"] is True
    practices = {(g["voice"], g["practice"]): g for g in summary["by_practice"]}
    assert practices["pm_alex", "tilleuls"]["rate"] == 1.0 and practices["pm_alex", "parc"]["rate"] == 0.0
    assert summary["failure_classes"] == {
        "transferred after a first answer was not understood": ["parc-01-one-shot (pm_alex)"]
    }
    failed = [c for c in summary["results"] if not c["right"]]
    assert [(c["id"], c["voice"], c["transcript"], c["bot_heard"]) for c in failed] == [
        ("parc-01-one-shot", "pm_alex", ["bot: Bonjour."], ["bonjour"])
    ]
    page = markdown(summary)
    assert "| fr | pm_alex (accented) | 2 | 1 | 50% | 75% (not met) | 11.0 | 1 | when ×7 (`parc-01-one-shot`) |" in page
    assert "<code>parc-01-one-shot</code> (pm_alex)" in page and "Partial run" not in page
    assert "5 calls in 7 min; median server start 12.0 s; 2 cores (test), median load average 1.5" in page
    assert "is in `bench/line.json`" in page
    assert "is in `/tmp/subset.json`" in markdown(summary, "/tmp/subset.json")  # the file --output named


CHILD = """
import json, sys, time
print(json.dumps({"type": "say", "text": "Que puis-je faire pour vous ?"}), flush=True)
print(json.dumps({"type": "listen"}), flush=True)
line = sys.stdin.readline().strip()
if sys.argv[1:] == ["hang"]:
    time.sleep(600)
print(json.dumps({"type": "say", "text": "Vous avez dit : " + line}), flush=True)
print(json.dumps({"type": "end", "outcome": "completed"}), flush=True)
"""


def test_a_call_against_a_process_reads_its_protocol_and_a_stuck_process_is_killed(tmp_path: Path) -> None:
    scenario = next(s for s in SCENARIOS if s.id == "parc-01-one-shot")
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    call = Call(scenario.persona, date(2026, 11, 28))
    play_process(call, [sys.executable, str(script)], limit_s=60)
    assert call.outcome == "completed" and call.turns == 1
    assert call.transcript[-2] == f"bot: Vous avez dit : {scenario.persona.opening}"

    stuck = Call(scenario.persona, date(2026, 11, 28))
    play_process(stuck, [sys.executable, str(script), "hang"], limit_s=3)
    assert stuck.outcome is None and stuck.transcript[-1] == "[timeout: the process stopped answering]"


def test_the_callers_likely_lines_are_those_the_patient_says_and_are_sent_as_spoken_beforehand() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "parc-10-move")
    lines = expected_lines(scenario.persona)
    assert {"vendredi matin", "Sarah Meyer", "le 1er octobre 1992", "oui", "non", "le premier"} <= set(lines)
    assert "Bonjour, je voudrais déplacer mon rendez-vous." in lines
    assert "Bonjour, je voudrais annuler mon rendez-vous." not in lines
    keypad = next(s for s in SCENARIOS if s.id == "parc-08-keypad")
    assert not [line for line in expected_lines(keypad.persona) if line.startswith("dtmf:")]
    spoken = {"oui": "wav:/tmp/oui.wav"}
    call = LineCall(scenario.persona, date(2026, 11, 28), send=lambda line: spoken.get(line, line))
    call.hear([{"type": "say", "text": "Je récapitule : consultation, vendredi 4 décembre à 9 h 30. C'est bien ça ?"}])
    assert call.hear([{"type": "listen"}]) == "wav:/tmp/oui.wav"
    assert call.transcript[-1].endswith(": oui")


@pytest.mark.parametrize(
    ("echo", "answer"),
    [
        ("Clois petit, c'est noté. Quelle est la date de naissance de la personne qui consulte ?", "non, Chloé Petit"),
        ("Chloé Petit, c'est noté. Quelle est la date de naissance de la personne qui consulte ?", "le 3 mars 2019"),
        ("Petit, c'est noté. Et son prénom ?", "Chloé"),
        ("Chloé Petitjean, c'est noté. Quelle est la date de naissance ?", "non, Chloé Petit"),
    ],
)
def test_the_caller_corrects_a_name_said_back_wrong_once(echo: str, answer: str) -> None:
    patient = Patient(Persona(first_name="Chloé", last_name="Petit", birth="le 3 mars 2019"), date(2026, 11, 28))
    assert patient.answer(["Quels sont le prénom et le nom de la personne qui consulte ?"], None) == "Chloé Petit"
    assert patient.answer([echo], None) == answer
    assert patient.answer([echo], None) != "non, Chloé Petit"  # once: then the read-back shows it


@pytest.mark.parametrize(
    ("echo", "answer"),
    [
        ("Le 3 février 1990 s'est noté. Pouvons-nous vous joindre au numéro qui se termine par 56-78 ?", "non"),
        ("Le 3 février 1980, c'est noté. Pouvons-nous vous joindre au numéro qui se termine par 56-78 ?", "oui"),
    ],
)
def test_the_caller_corrects_a_birth_date_said_back_wrong_once(echo: str, answer: str) -> None:
    patient = Patient(Persona(birth="le 3 février 1980"), date(2026, 11, 28))
    asked = "Quelle est la date de naissance de la personne qui consulte ?"
    assert patient.answer([asked], None) == "le 3 février 1980"
    wanted = "non, le 3 février 1980" if answer == "non" else "oui"
    assert patient.answer([echo], None) == wanted
    assert patient.answer([echo], None) == "oui"  # once: then the call goes on


def test_the_caller_keys_the_birth_date_in_when_asked_again_with_the_keypad() -> None:
    patient = Patient(Persona(birth="le 3 février 1980", birth_keys="03021980"), date(2026, 11, 28))
    first = "Quelle est la date de naissance de la personne qui consulte ? Vous pouvez aussi la taper : jour, mois."
    assert patient.answer([first], None) == "le 3 février 1980"  # offered at once: said all the same
    again = (
        "Pardon, j'ai mal compris. Quelle est la date de naissance ? Vous pouvez aussi la taper : jour, mois, année."
    )
    assert patient.answer([again], None) == "dtmf:03021980"
    other = Patient(Persona(birth="le 4 mars 1981", birth_keys="03021980"), date(2026, 11, 28))
    other.answer([first], None)
    assert other.answer([again], None) == "le 4 mars 1981"  # keys only the date it says


@pytest.mark.parametrize(
    ("language", "asked", "answer"),
    [
        (
            "fr",
            "Pardon, j'ai mal compris. Pouvez-vous m'épeler le nom de famille, lettre par lettre ?",
            "G, I, R, A, R, D, I, N",
        ),
        ("en", "Sorry, I misheard. Could you spell the surname for me, letter by letter?", "G, I, R, A, R, D, I, N"),
        ("fr", "Pouvez-vous m'épeler le nom de famille, lettre par lettre ?", "G, I, R, A, R, D, I, N"),
    ],
)
def test_the_caller_spells_its_surname_when_asked(language: str, asked: str, answer: str) -> None:
    patient = Patient(Persona(language=language, first_name="Paul", last_name="Girardin"), date(2026, 11, 28))
    assert classify([asked], "spelling") == "spell" and classify(["…"], "spelling") == "spell"
    assert patient.answer([asked], "spelling") == answer
    hyphen = Patient(Persona(language=language, last_name="Le Goff-Hélène"), date(2026, 11, 28))
    sign = "tiret" if language == "fr" else "hyphen"
    assert hyphen.answer([asked], "spelling") == f"L, E, G, O, F, F, {sign}, H, E, L, E, N, E"


@pytest.mark.parametrize(
    ("language", "wrong", "right", "fix", "yes"),
    [
        (
            "fr",
            "Je récapitule : consultation, mardi 1er décembre à 8 h 30 avec le docteur Martin, pour Paul Gérard, "
            "G, E, R, A, R, D. C'est bien ça ?",
            "Je récapitule : consultation, mardi 1er décembre à 8 h 30 avec le docteur Martin, pour Paul Girardin, "
            "G, I, R, A, R, D, I, N. C'est bien ça ?",
            "non, le nom",
            "oui",
        ),
        (
            "en",
            "Let me read that back: GP appointment, Tuesday the 1st of December at 8 am with Doctor Patel, for Paul "
            "Girard, G, I, R, A, R, D. Is that right?",
            "Let me read that back: GP appointment, Tuesday the 1st of December at 8 am with Doctor Patel, for Paul "
            "Girardin, G-I-R-A-R-D-I-N. Is that right?",
            "no, the name",
            "yes",
        ),
    ],
)
def test_the_caller_says_twice_at_most_that_the_name_read_back_is_not_its_own(
    language: str, wrong: str, right: str, fix: str, yes: str
) -> None:
    persona = Persona(language=language, first_name="Paul", last_name="Girardin")
    patient = Patient(persona, date(2026, 11, 28))
    assert patient.answer([right], "yes_no") == yes  # its own name: yes
    assert patient.answer([wrong], "yes_no") == fix
    what = "Que faut-il changer : le jour, le praticien, ou le nom du patient ?"
    if language == "fr":  # the fix misheard, the bot asks what to change: the name
        assert patient.answer([what], None) == "le nom"
    assert patient.answer([wrong], "yes_no") == fix  # the spelled name may still be wrong once
    assert patient.answer([wrong], "yes_no") == yes  # then a person does not argue
    misheard_by_ear = right.replace("Paul Girardin", "Paul Gérard")  # the spelling shows it is right
    assert Patient(persona, date(2026, 11, 28)).answer([misheard_by_ear], "yes_no") == yes


@pytest.mark.parametrize(("language", "number"), [("fr", "06 12 34 56 78"), ("en", "07700 900123")])
def test_a_caller_asked_for_a_number_gives_its_mobile_even_when_the_calling_one_is_fine(
    language: str, number: str
) -> None:
    patient = Patient(Persona(language=language), date(2026, 11, 28))
    asked = {"fr": "À quel numéro pouvons-nous vous joindre ?", "en": "What number can we reach you on?"}
    assert patient.answer([asked[language]], "digits") == number
    assert (
        Patient(Persona(language=language, phone="0611111111"), date(2026, 11, 28)).answer([asked[language]], "digits")
        == "0611111111"
    )
