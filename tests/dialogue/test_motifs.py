"""Appointment types from the clinic's labels and keywords (`match_motif`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking.clinic import Motif, load_clinic
from dialogue.motifs import match_motif

ROOT = Path(__file__).resolve().parents[2]
FR_MOTIFS = load_clinic(ROOT / "config" / "clinic.toml").motifs
EN_MOTIFS = load_clinic(ROOT / "config" / "clinic.en.toml").motifs


@pytest.mark.parametrize(("text", "expected"), [
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
    ("bonjour", None),
    ("demain matin", None),
    ("le docteur Martin", None),
    ("", None),
])
def test_match_motif_fr(text: str, expected: str | None) -> None:
    assert match_motif(text, FR_MOTIFS, "fr") == expected


@pytest.mark.parametrize(("text", "expected"), [
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
    ("hello", None),
    ("tomorrow", None),
])
def test_match_motif_en(text: str, expected: str | None) -> None:
    assert match_motif(text, EN_MOTIFS, "en") == expected


def test_a_tie_is_not_a_choice() -> None:
    motifs = [Motif("a", "bilan", 20, keywords=("sang",)), Motif("b", "prise", 20, keywords=("sang",))]
    assert match_motif("une prise de sang", motifs, "fr") == "b"
    assert match_motif("du sang", motifs, "fr") is None
    assert match_motif("un vaccin", [], "fr") is None
