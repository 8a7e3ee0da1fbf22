"""What the caller wants (`detect_intent`) and emergencies (`is_emergency`)."""

from __future__ import annotations

import pytest

from dialogue.understand.intents import Intent, detect_intent, is_emergency

FRENCH = [
    ("je voudrais prendre rendez-vous", Intent.BOOK),
    ("c'est pour un rendez-vous", Intent.BOOK),
    ("je voudrais voir le médecin", Intent.BOOK),
    ("je voudrais annuler mon rendez-vous", Intent.CANCEL),
    ("Bonjour, je voudrais rannuler mon rendez-vous.", Intent.CANCEL),  # as Whisper wrote it on the line
    ("Bonjour, je voudrais granuler mon rendez-vous.", Intent.CANCEL),  # and again
    ("Pardonne !", Intent.REPEAT),  # "Pardon ?" as Whisper wrote it on the line
    ("Plutat !", Intent.LATER),  # "Plus tard !" as Whisper wrote it on the line
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
    ("mon mari vient de perdre connaissance", Intent.EMERGENCY),
    ("bonjour, ma fille a fait un malaise", Intent.EMERGENCY),
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
    ("my husband just passed out", Intent.EMERGENCY),
    ("can you fit me in on Friday", None),
    ("hello", None),
]


@pytest.mark.parametrize(("text", "expected"), FRENCH)
def test_detect_intent_fr(text: str, expected: Intent | None) -> None:
    assert detect_intent(text, "fr") is expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_detect_intent_en(text: str, expected: Intent | None) -> None:
    assert detect_intent(text, "en") is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("j'ai mal à la poitrine", True),
        ("je n'arrive pas à respirer", True),
        ("il a du mal à respirer", True),
        ("il ne respire plus", True),
        ("elle est inconsciente", True),
        ("mon fils ne se réveille pas", True),
        ("il saigne beaucoup", True),
        ("je crois qu'il fait un AVC", True),
        ("il est paralysé d'un côté", True),
        ("mon mari vient de perdre connaissance", True),
        ("il a perdu connaissance", True),
        ("elle perd connaissance", True),
        ("il est en train de perdre connaissance", True),
        ("ma femme s'est évanouie", True),
        ("il s'évanouit", True),
        ("il est tombé dans les pommes", True),
        ("elle ne respire pas", True),
        ("il n'arrive plus à respirer", True),
        ("il ne peut plus respirer", True),
        ("il a des difficultés à respirer", True),
        ("il étouffe", True),
        ("elle s'étouffe", True),
        ("mon bébé s'est étranglé", True),
        ("j'ai une douleur dans la poitrine", True),
        ("mal à la poitrine", True),
        ("il a une douleur au thorax", True),
        ("il fait un malaise", True),
        ("mon père a fait un malaise", True),
        ("elle fait des convulsions", True),
        ("il convulse", True),
        ("il saigne énormément", True),
        ("elle saigne beaucoup du nez", True),
        ("il fait un AVC", True),
        ("il a pris une overdose", True),
        ("je veux me suicider", True),
        ("je pense au suicide", True),
        ("je vais me tuer", True),
        ("il ne bouge plus", True),
        ("elle ne réagit pas", True),
        ("j'ai mal au cœur", False),
        ("j'ai mal à la gorge", False),
        ("c'est urgent", False),
        ("ma fille a perdu son doudou", False),
        ("j'ai perdu ma carte vitale", False),
        ("je voudrais un rendez-vous pour mon mari", False),
        ("il tousse beaucoup", False),
        ("mon fils a de la fièvre", False),
        ("il ne répond pas au téléphone", False),
        ("je ne bouge pas de chez moi", False),
        ("je respire mieux depuis hier", False),
    ],
)
def test_is_emergency_fr(text: str, expected: bool) -> None:
    assert is_emergency(text, "fr") is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have chest pain", True),
        ("he can't breathe", True),
        ("she's unconscious", True),
        ("he won't wake up", True),
        ("she's bleeding heavily", True),
        ("I think he's having a stroke", True),
        ("he passed out", True),
        ("she passes out when she stands up", True),
        ("he keeps passing out", True),
        ("he blacked out", True),
        ("she fainted", True),
        ("he collapsed in the kitchen", True),
        ("he is unresponsive", True),
        ("he's not breathing", True),
        ("he isn't breathing", True),
        ("she cannot breathe", True),
        ("I've got pain in my chest", True),
        ("she's fitting", True),
        ("he is having a seizure", True),
        ("he's having a fit", True),
        ("my son is convulsing", True),
        ("he's bleeding badly", True),
        ("he took an overdose", True),
        ("she overdosed", True),
        ("I want to kill myself", True),
        ("I feel suicidal", True),
        ("a sore throat", False),
        ("I need a repeat prescription", False),
        ("could you fit me in tomorrow", False),
        ("any chance of fitting me in on Monday", False),
        ("a blood test", False),
        ("my son has a cough", False),
        ("a faint rash on his arm", False),
    ],
)
def test_is_emergency_en(text: str, expected: bool) -> None:
    assert is_emergency(text, "en") is expected
