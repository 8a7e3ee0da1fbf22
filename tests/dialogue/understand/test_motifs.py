"""Appointment types from the clinic's labels, aliases and the everyday words of their kinds (`match_motif`)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from booking.clinic import Motif, Practitioner, load_clinic
from dialogue.context import Context
from dialogue.flows.wish import motif_example, motifs_for
from dialogue.state import Wish
from dialogue.understand.motif_kinds import general_motif, is_general, kind_words
from dialogue.understand.motifs import match_motif
from dialogue.wording.phrases import load_phrases
from tests.dialogue.fake_port import FakePort

ROOT = Path(__file__).resolve().parents[3]
FR = load_clinic(ROOT / "config" / "clinic.toml")
EN = load_clinic(ROOT / "config" / "clinic.en.toml")
FR_MOTIFS = FR.motifs
EN_MOTIFS = EN.motifs

PAEDIATRIC = [  # a paediatrician's own names, no aliases: the everyday words come from the kinds
    Motif("consultation", "consultation", 20),
    Motif("vaccins", "vaccination", 15),
    Motif("certificat", "certificat médical", 15),
    Motif("suivi_nourrisson", "suivi du nourrisson", 30),
]
PAEDIATRICIAN = [Practitioner("roux", "Dr", "Anne", "Roux", "pédiatre", tuple(m.id for m in PAEDIATRIC))]
CENTRE = [  # a health centre's motifs, labels only
    Motif("consultation", "consultation", 15),
    Motif("kine", "séance de kinésithérapie", 30),
    Motif("dermato", "consultation de dermatologie", 20),
    Motif("frottis", "frottis", 20),
    Motif("renouvellement", "renouvellement d'ordonnance", 10),
    Motif("pediatrie", "consultation pédiatrique", 30),
]
SURGERY = [  # an English surgery's motifs, labels only
    Motif("gp", "GP appointment", 10),
    Motif("flu", "flu vaccination", 10),
    Motif("smear", "cervical screening", 20),
    Motif("repeat", "repeat prescription", 10),
    Motif("physio", "physiotherapy session", 30),
    Motif("fit_note", "fit note", 10),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("un vaccin", "vaccination"),
        ("pour une vaccination", "vaccination"),
        ("une piqûre", "vaccination"),
        ("mon rappel de vaccin", "vaccination"),
        ("un rendez-vous pour un vaccin", "vaccination"),
        ("pour mon bébé", "pediatrie"),
        ("une consultation pour mon bébé", "pediatrie"),
        ("c'est pour mon enfant", "pediatrie"),
        ("renouvellement d'ordonnance", "suivi"),
        ("pour un contrôle", "suivi"),
        ("une consultation de suivi", "suivi"),
        ("une consultation", "consultation"),
        ("je voudrais un rendez-vous", "consultation"),
        ("mon fils est malade", "consultation"),
        ("un frottis", "frottis"),
        ("un dépistage", "frottis"),
        ("un examen gynécologique", "frottis"),
        ("vacciner mon enfant", "vaccination"),
        ("je voudrais faire vacciner mon bébé", "vaccination"),
        ("un vaccin pour mon fils", "vaccination"),
        ("une consultation pour mon enfant", "pediatrie"),
        ("c'est pour mon fils", "pediatrie"),
        ("pour ma fille", "pediatrie"),
        ("une consultation pour ma fille", "pediatrie"),
        ("une injection", "vaccination"),
        ("un rappel", "vaccination"),
        ("un contrôle", "suivi"),
        ("un suivi", "suivi"),
        ("un renouvellement", "suivi"),
        ("renouveler mon ordonnance", "suivi"),
        ("un rendez-vous", "consultation"),
        ("un certificat", "consultation"),  # no certificate motif: the plain consultation
        ("un certificat médical pour le sport", "consultation"),
        ("un frottis cervical", "frottis"),
        ("bonjour", None),
        ("demain matin", None),
        ("le docteur Martin", None),
        ("le docteur", None),
        ("docteur Bernard s'il vous plaît", None),
        ("madame Girard", None),
        ("", None),
    ],
)
def test_match_motif_fr(text: str, expected: str | None) -> None:
    assert match_motif(text, FR_MOTIFS, "fr") == expected
    assert match_motif(text, FR_MOTIFS, "fr", FR.practitioners) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("flu jab", "vaccination"),
        ("a flu shot", "vaccination"),
        ("a booster", "vaccination"),
        ("my vaccine", "vaccination"),
        ("my repeat prescription", "review"),
        ("a medication review", "review"),
        ("a smear test", "smear"),
        ("cervical screening", "smear"),
        ("I need to see a doctor", "consultation"),
        ("a check-up", "consultation"),
        ("an appointment with Doctor Jones", "consultation"),
        ("my son needs his jab", "vaccination"),
        ("vaccinate my baby", "vaccination"),
        ("a jab", "vaccination"),
        ("a vaccination", "vaccination"),
        ("a smear", "smear"),
        ("a pap smear", "smear"),
        ("a follow-up", "review"),
        ("a prescription", "review"),
        ("a consultation", "consultation"),
        ("an appointment", "consultation"),
        ("it's for my son", "consultation"),  # no children's motif: the GP appointment
        ("for my daughter", "consultation"),
        ("a sick note", "consultation"),
        ("hello", None),
        ("tomorrow", None),
        ("Doctor Jones please", None),
        ("Dr Patel", None),
        ("see Dr Jones", None),
        ("I'd like to see Doctor Patel on Tuesday morning", None),  # "Doctor" before a name is a title
        ("could I see the doctor", "consultation"),
        ("the nurse", None),
    ],
)
def test_match_motif_en(text: str, expected: str | None) -> None:
    assert match_motif(text, EN_MOTIFS, "en") == expected
    assert match_motif(text, EN_MOTIFS, "en", EN.practitioners) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("un vaccin", "vaccins"),
        ("une piqûre", "vaccins"),
        ("faire vacciner ma fille", "vaccins"),
        ("un vaccin pour mon fils", "vaccins"),
        ("c'est pour mon fils", "consultation"),  # a pédiatre's consultation is for children
        ("pour mon bébé", "consultation"),
        ("une consultation", "consultation"),
        ("un rendez-vous", "consultation"),
        ("un contrôle", "suivi_nourrisson"),
        ("un certificat", "certificat"),
        ("une attestation pour la crèche", "certificat"),
        ("un rappel de vaccin", "vaccins"),
        ("pouvez-vous me rappeler", None),  # "rappel" alone is no everyday word: it sounds like a call back
        ("bonjour", None),
    ],
)
def test_a_paediatricians_own_labels(text: str, expected: str | None) -> None:
    assert match_motif(text, PAEDIATRIC, "fr", PAEDIATRICIAN) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("du kiné", "kine"),
        ("de la rééducation", "kine"),
        ("un problème de peau", "dermato"),
        ("un dermato", "dermato"),
        ("un frottis", "frottis"),
        ("renouvellement d'ordonnance", "renouvellement"),
        ("mon ordonnance", "renouvellement"),
        ("une consultation", "consultation"),  # the plain one, not the specialists'
        ("un rendez-vous", "consultation"),
        ("pour mon fils", "pediatrie"),
        ("un certificat", "consultation"),
        ("le docteur Petit", None),
    ],
)
def test_a_centres_labels_fr(text: str, expected: str | None) -> None:
    assert match_motif(text, CENTRE, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a jab", "flu"),
        ("a flu shot", "flu"),
        ("a booster", "flu"),
        ("a smear", "smear"),
        ("a smear test", "smear"),
        ("my repeat prescription", "repeat"),
        ("my medication", "repeat"),
        ("some physio", "physio"),
        ("rehab for my knee", "physio"),
        ("a sick note", "fit_note"),
        ("a consultation", "gp"),
        ("an appointment", "gp"),
        ("my son", "gp"),
        ("a check-up", None),  # no follow-up motif; the surgery may list "check-up" as an alias
        ("Doctor Jones please", None),
    ],
)
def test_a_surgerys_labels_en(text: str, expected: str | None) -> None:
    assert match_motif(text, SURGERY, "en") == expected


@pytest.mark.parametrize(
    ("practitioner", "text", "expected"),
    [
        ("bertrand", "une consultation", "pediatrie"),  # the only general motif the paediatrician offers
        ("bertrand", "un rendez-vous", "pediatrie"),
        ("bertrand", "une consultation pour mon fils", "pediatrie"),
        ("bertrand", "un vaccin pour mon fils", "vaccination"),
        ("bertrand", "un contrôle", "suivi"),
        ("martin", "c'est pour mon fils", "consultation"),  # a GP sees children in a consultation
        ("martin", "une consultation", "consultation"),
        ("girard", "une consultation", "consultation"),
        ("girard", "un frottis", "frottis"),
    ],
)
def test_among_a_practitioners_motifs_fr(practitioner: str, text: str, expected: str) -> None:
    offered = [m for m in FR.motifs if m.id in FR.practitioner(practitioner).motifs]
    assert match_motif(text, offered, "fr", FR.practitioners) == expected


@pytest.mark.parametrize(
    ("practitioner", "text", "expected"),
    [
        ("okafor", "a jab", "vaccination"),
        ("okafor", "a smear", "smear"),
        ("okafor", "a consultation", None),  # a nurse offering no general appointment
        ("jones", "a consultation", "consultation"),
        ("jones", "my repeat prescription", "review"),
        ("patel", "a jab for my son", "vaccination"),
    ],
)
def test_among_a_practitioners_motifs_en(practitioner: str, text: str, expected: str | None) -> None:
    offered = [m for m in EN.motifs if m.id in EN.practitioner(practitioner).motifs]
    assert match_motif(text, offered, "en", EN.practitioners) == expected


def test_general_motifs_are_none_of_the_acts() -> None:
    general = {m.id for m in FR.motifs if is_general(m)}
    assert general == {"consultation", "pediatrie"}
    assert {m.id for m in EN.motifs if is_general(m)} == {"consultation"}
    bertrand = [m for m in FR.motifs if m.id in FR.practitioner("bertrand").motifs]
    assert general_motif(bertrand) == FR.motif("pediatrie")
    okafor = [m for m in EN.motifs if m.id in EN.practitioner("okafor").motifs]
    assert general_motif(okafor) is None
    assert general_motif([EN.motif("smear")]) == EN.motif("smear")  # a practitioner's only motif


def test_every_motif_example_the_bot_gives_is_understood() -> None:
    for clinic, locale in ((FR, "fr"), (EN, "en")):
        example = load_phrases(locale).get("example.motif")
        quoted = re.findall(r"[«\"]\s*([^»\"]+?)\s*[»\"]", example)
        assert len(quoted) >= 2, example
        for phrase in quoted:
            assert match_motif(phrase, clinic.motifs, locale, clinic.practitioners) is not None, phrase


@pytest.mark.parametrize("path", ["clinic.toml", "clinic.en.toml", "clinic.tilleuls.toml"])
def test_the_motif_questions_example_is_understood_with_each_practitioner(path: str) -> None:
    clinic = load_clinic(ROOT / "config" / path)
    locale = clinic.practice.locale
    ctx = Context.create(FakePort(clinic), datetime(2026, 11, 28, 10, tzinfo=clinic.practice.zone), locale)
    for wish in [Wish(), *(Wish(practitioner_ids=(p.id,)) for p in clinic.practitioners)]:
        example = motif_example(wish, ctx)
        offered = motifs_for(wish, clinic)
        quoted = re.findall(r"[«\"]\s*([^»\"]+?)\s*[»\"]", example)
        assert quoted, example
        for phrase in quoted:
            assert match_motif(phrase, offered, locale, clinic.practitioners) is not None, (wish, example)


def test_kind_words_fall_back_on_the_plain_consultation() -> None:
    words = kind_words(FR.motifs, "fr", FR.practitioners)
    assert "certificat" in words["consultation"] and "certificat" not in words["pediatrie"]
    assert "piqûre" in words["vaccination"] and "fils" in words["pediatrie"]
    assert "rendez-vous" in words["consultation"] and "rendez-vous" not in words["pediatrie"]


def test_a_tie_is_not_a_choice() -> None:
    motifs = [Motif("a", "bilan", 20, aliases=("sang",)), Motif("b", "prise", 20, aliases=("sang",))]
    assert match_motif("une prise de sang", motifs, "fr") == "b"
    assert match_motif("du sang", motifs, "fr") is None
    assert match_motif("un vaccin", [], "fr") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vacciner mon enfant", "vaccination"),
        ("un rappel pour mon bébé", "vaccination"),
        ("pour mon enfant", "pediatrie"),
        ("c'est pour un nourrisson", "pediatrie"),
    ],
)
def test_the_act_beats_the_patients_age_among_a_paediatricians_motifs(text: str, expected: str) -> None:
    clinic = load_clinic(ROOT / "config" / "clinic.toml")
    offered = [m for m in clinic.motifs if m.id in clinic.practitioner("bertrand").motifs]
    assert match_motif(text, offered, "fr") == expected
