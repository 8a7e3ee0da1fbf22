"""What the caller wants (`detect_intent`) and emergencies (`is_emergency`)."""

from __future__ import annotations

import pytest

from dialogue.intents import Intent, detect_intent, is_emergency

FRENCH = [
    ("je voudrais prendre rendez-vous", Intent.BOOK),
    ("c'est pour un rendez-vous", Intent.BOOK),
    ("je voudrais voir le médecin", Intent.BOOK),
    ("je voudrais annuler mon rendez-vous", Intent.CANCEL),
    ("je ne pourrai pas venir demain", Intent.CANCEL),
    ("je voudrais déplacer mon rendez-vous", Intent.MOVE),
    ("est-ce que je peux décaler mon rendez-vous", Intent.MOVE),
    ("annuler et reprendre un autre rendez-vous", Intent.MOVE),
    ("vous êtes ouverts le samedi ?", Intent.INFO_HOURS),
    ("quels sont vos horaires", Intent.INFO_HOURS),
    ("quelle est votre adresse", Intent.INFO_ADDRESS),
    ("où se trouve le cabinet", Intent.INFO_ADDRESS),
    ("je voudrais parler à quelqu'un", Intent.HUMAN),
    ("passez-moi la secrétaire", Intent.HUMAN),
    ("vous pouvez répéter ?", Intent.REPEAT),
    ("pardon ?", Intent.REPEAT),
    ("je n'ai pas compris", Intent.REPEAT),
    ("on recommence depuis le début", Intent.RESTART),
    ("au revoir", Intent.GOODBYE),
    ("c'est tout, merci", Intent.GOODBYE),
    ("je vais rappeler plus tard", Intent.GOODBYE),
    ("plus tard", Intent.LATER),
    ("un autre jour", Intent.LATER),
    ("vous n'avez pas autre chose ?", Intent.LATER),
    ("un peu plus tôt", Intent.EARLIER),
    ("j'ai une douleur à la poitrine", Intent.EMERGENCY),
    ("je voudrais annuler, mon mari ne respire plus", Intent.EMERGENCY),
    ("bonjour", None),
    ("le plus tôt possible", None),
    ("", None),
]
ENGLISH = [
    ("I'd like to book an appointment", Intent.BOOK),
    ("can I see a doctor", Intent.BOOK),
    ("I need to cancel", Intent.CANCEL),
    ("can I reschedule my appointment", Intent.MOVE),
    ("what are your opening hours", Intent.INFO_HOURS),
    ("where are you located", Intent.INFO_ADDRESS),
    ("can I talk to someone", Intent.HUMAN),
    ("say that again", Intent.REPEAT),
    ("sorry?", Intent.REPEAT),
    ("start over", Intent.RESTART),
    ("goodbye", Intent.GOODBYE),
    ("that's all thanks", Intent.GOODBYE),
    ("something later", Intent.LATER),
    ("another day", Intent.LATER),
    ("anything earlier?", Intent.EARLIER),
    ("I have chest pain", Intent.EMERGENCY),
    ("hello", None),
]


@pytest.mark.parametrize(("text", "expected"), FRENCH)
def test_detect_intent_fr(text: str, expected: Intent | None) -> None:
    assert detect_intent(text, "fr") is expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_detect_intent_en(text: str, expected: Intent | None) -> None:
    assert detect_intent(text, "en") is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("j'ai mal à la poitrine", True),
    ("je n'arrive pas à respirer", True),
    ("il a du mal à respirer", True),
    ("il ne respire plus", True),
    ("elle est inconsciente", True),
    ("mon fils ne se réveille pas", True),
    ("il saigne beaucoup", True),
    ("je crois qu'il fait un AVC", True),
    ("il est paralysé d'un côté", True),
    ("j'ai mal au cœur", False),
    ("j'ai mal à la gorge", False),
    ("c'est urgent", False),
])
def test_is_emergency_fr(text: str, expected: bool) -> None:
    assert is_emergency(text, "fr") is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I have chest pain", True),
    ("he can't breathe", True),
    ("she's unconscious", True),
    ("he won't wake up", True),
    ("she's bleeding heavily", True),
    ("I think he's having a stroke", True),
    ("a sore throat", False),
    ("I need a repeat prescription", False),
])
def test_is_emergency_en(text: str, expected: bool) -> None:
    assert is_emergency(text, "en") is expected
