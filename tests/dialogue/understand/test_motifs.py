"""Appointment types from the clinic's labels and keywords (`match_motif`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking.clinic import Motif, load_clinic
from dialogue.understand.motifs import match_motif

ROOT = Path(__file__).resolve().parents[3]
FR_MOTIFS = load_clinic(ROOT / "config" / "clinic.toml").motifs
EN_MOTIFS = load_clinic(ROOT / "config" / "clinic.en.toml").motifs


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


def test_a_tie_is_not_a_choice() -> None:
    motifs = [Motif("a", "bilan", 20, keywords=("sang",)), Motif("b", "prise", 20, keywords=("sang",))]
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
