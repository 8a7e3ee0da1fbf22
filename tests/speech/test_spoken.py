"""Text normalisation before synthesis: every number, time and abbreviation the dialogue writes is spoken in words."""

from __future__ import annotations

import re
import string
import tomllib
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from voicebot.speech.spoken import speakable, split_lead_in, split_sentences

ROOT = Path(__file__).resolve().parents[2]

FRENCH = [
    ("à 10 h 30", "à dix heures trente"),
    ("à 9 h", "à neuf heures"),
    ("à 10h30", "à dix heures trente"),
    ("à 14 h 05", "à quatorze heures cinq"),
    ("à 1 h", "à une heure"),
    ("à 21 h 15", "à vingt et une heures quinze"),
    ("vers 10 heures", "vers dix heures"),
    ("vers 1 heure", "vers une heure"),
    ("à 12:45", "à douze heures quarante-cinq"),
    ("de 8 h 30 à 19 h", "de huit heures trente à dix-neuf heures"),
    ("mardi 1er décembre", "mardi premier décembre"),
    ("la 1re fois", "la première fois"),
    ("au 2e étage", "au deuxième étage"),
    ("le 3 décembre", "le trois décembre"),
    ("14 juillet 1985", "quatorze juillet mille neuf cent quatre-vingt-cinq"),
    ("le docteur Martin", "le docteur Martin"),
    ("Dr Martin", "docteur Martin"),
    ("Dr. Martin", "docteur Martin"),
    ("Pr Durand", "professeur Durand"),
    ("Mme Girard", "madame Girard"),
    ("Mlle Girard", "mademoiselle Girard"),
    ("M. Petit", "monsieur Petit"),
    ("4, 8, 1, 2, 0, 7.", "quatre, huit, un, deux, zéro, sept."),
    ("Tapez 1 pour oui, 2 pour non.", "Tapez un pour oui, deux pour non."),
    ("ou 0 pour parler à quelqu'un.", "ou zéro pour parler à quelqu'un."),
    ("qui se termine par 45 67 ?", "qui se termine par quarante-cinq soixante-sept ?"),
    ("+33 1 84 80 00 00", "plus trente-trois, un, quatre-vingt-quatre, quatre-vingts, zéro zéro, zéro zéro"),
    ("06 12 34 56 78", "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit"),
    ("12 rue du Parc, 75011 Paris", "douze rue du Parc, soixante-quinze zéro onze Paris"),
    ("le 15 ou le 112", "le quinze ou le cent douze"),
    ("dans les 60 prochains jours", "dans les soixante prochains jours"),
    ("Jean Dupont, D, U, P, O, N, T.", "Jean Dupont, dé, u, pé, o, enne, té."),
    ("W, X, Y, Z", "double vé, ixe, i grec, zède"),
    ("Dites : « le premier »", "Dites : le premier"),
    ("Que puis-je faire pour vous ?", "Que puis-je faire pour vous ?"),
    ("rdv n° 3", "rendez-vous numéro trois"),
]

ENGLISH = [
    ("at 10:30 am", "at ten thirty a m"),
    ("at 8:05 am", "at eight oh five a m"),
    ("at 11 am.", "at eleven a m."),
    ("at 12:30 pm", "at twelve thirty p m"),
    ("at 9 a.m. sharp", "at nine a m sharp"),
    ("at noon", "at noon"),
    ("around 10", "around ten"),
    ("Tuesday the 1st of December", "Tuesday the first of December"),
    ("the 22nd", "the twenty-second"),
    ("the 14th of July 1985", "the fourteenth of July nineteen eighty-five"),
    ("14 July 1985", "fourteen July nineteen eighty-five"),
    ("Dr Patel", "Doctor Patel"),
    ("Mrs Jones and Mr Smith", "Missus Jones and Mister Smith"),
    ("Your booking reference is: 4, 8, 1, 2, 0, 7.", "Your booking reference is: four, eight, one, two, zero, seven."),
    ("Press 1 for yes, 2 for no.", "Press one for yes, two for no."),
    ("ending in 4 5 6 7?", "ending in four five six seven?"),
    ("call 999 or 112.", "call nine nine nine or one one two."),
    ("call 15 or 112.", "call fifteen or one one two."),
    ("+44 20 7946 0000", "plus four four, two oh, seven nine four six, oh oh oh oh"),
    ("4 River Lane, London SE1 9AA", "four River Lane, London ess ee one, nine ay ay"),
    ("in the next 42 days", "in the next forty-two days"),
    ("John Smith, S, M, I, T, H.", "John Smith, ess, em, eye, tee, aitch."),
    ("a GP appointment", "a G P appointment"),
    ("Is that right?", "Is that right?"),
]


@pytest.mark.parametrize(("text", "spoken"), FRENCH)
def test_french(text: str, spoken: str) -> None:
    assert speakable(text, "fr") == spoken


@pytest.mark.parametrize(("text", "spoken"), ENGLISH)
def test_english(text: str, spoken: str) -> None:
    assert speakable(text, "en") == spoken


def test_language_tags_and_spacing() -> None:
    assert speakable("à 9 h", "fr-FR") == "à neuf heures"
    assert speakable("at 9 am", "en-GB") == "at nine a m"
    assert speakable("  D'accord ,  à 9 h .  ", "fr") == "D'accord, à neuf heures."


def _unspeakable(text: str) -> list[str]:
    """What a synthesiser would still misread: digits, abbreviations, time marks, guillemets."""
    problems = re.findall(r"\d+|\b(?:Dr|Pr|Mme|Mlle|Mr|Mrs|Ms)\b|«|»|\b[ap]m\b", text)
    return problems


SAMPLE_FIELDS = {
    "fr": {
        "practice": "Cabinet médical du Parc",
        "name": "le docteur Martin",
        "names": "le docteur Martin ou Madame Girard",
        "motif": "consultation",
        "motifs": "consultation, vaccination ou frottis",
        "slots": "mardi 1er décembre à 10 h 30 avec le docteur Martin, ou à 11 h, ou mercredi 2 décembre à 9 h",
        "slot": "mardi 1er décembre à 10 h 30 avec le docteur Martin",
        "old": "mardi 1er décembre à 10 h 30",
        "new": "jeudi 3 décembre à 14 h 45",
        "days": 60,
        "day": "mardi 1er décembre",
        "tail": "45 67",
        "digits": "4, 8, 1, 2, 0, 7",
        "spelled": "D, U, P, O, N, T",
        "count": 2,
        "key": 1,
        "option": "le docteur Martin",
        "keys": "1, 2 ou 3",
        "items": "le premier, mardi 1er décembre à 10 h 30, le deuxième, jeudi 3 décembre à 9 h",
        "hours": "du lundi au mercredi de 8 h 30 à 19 h et le samedi de 9 h à midi",
        "address": "12 rue du Parc, 75011 Paris",
        "numbers": "le 15 ou le 112",
    },
    "en": {
        "practice": "Riverside Surgery",
        "name": "Doctor Patel",
        "names": "Doctor Patel or Nurse Okafor",
        "motif": "GP appointment",
        "motifs": "GP appointment, vaccination or smear test",
        "slots": "Tuesday the 1st of December at 10:30 am with Doctor Patel, or at 11 am, or Wednesday the 2nd of "
        "December at 8:05 am",
        "slot": "Tuesday the 1st of December at 12:30 pm with Doctor Patel",
        "old": "Tuesday the 1st of December at 10:30 am",
        "new": "Thursday the 3rd of December at 2:45 pm",
        "days": 42,
        "day": "Tuesday the 1st of December",
        "tail": "4 5 6 7",
        "digits": "4, 8, 1, 2, 0, 7",
        "spelled": "S, M, I, T, H",
        "count": 2,
        "key": 1,
        "option": "Doctor Patel",
        "keys": "1, 2 or 3",
        "items": "the first, Tuesday the 1st of December at 10:30 am, the second, Friday the 4th at 9 am",
        "hours": "on Monday, 8 am to 6:30 pm, Wednesday to Thursday, 8 am to 6:30 pm and on Friday, 8 am to 5 pm",
        "address": "4 River Lane, London SE1 9AA",
        "numbers": "999 or 112",
    },
}


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_locale_sentence_is_speakable(locale: str) -> None:
    table = tomllib.loads((ROOT / "dialogue" / "wording" / "locales" / f"{locale}.toml").read_text(encoding="utf-8"))
    table.pop("speech", None)  # the fragments of the sentences, checked below through dialogue.wording.spoken
    fields = SAMPLE_FIELDS[locale]
    checked = 0
    for template in _strings(table):
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        text = template.format(**{name: fields.get(name, "Martin") for name in names})
        assert _unspeakable(speakable(text, locale)) == [], (template, speakable(text, locale))
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_time_date_and_reference_the_dialogue_reads(locale: str) -> None:
    speech = pytest.importorskip("dialogue.wording.spoken")
    from dialogue.wording.phrases import load_phrases

    phrases = load_phrases(locale)
    said = [speech.say_time(time(hour, minute), phrases) for hour in range(24) for minute in range(0, 60, 5)]
    first = date(2026, 1, 1)
    said += [speech.say_date(first + timedelta(days=n), phrases) for n in range(366)]
    said += [speech.say_birth_date(date(1930 + n, 1 + n % 12, 1 + n % 28), phrases) for n in range(97)]
    said += [
        speech.say_digits("48120739"),
        speech.say_spelled("Dupont-Smith"),
        speech.say_phone_tail("+33 6 12 34 00 07", phrases),
    ]
    for text in said:
        spoken = speakable(text, locale)
        assert _unspeakable(spoken) == [], (text, spoken)


@pytest.mark.parametrize(
    ("said", "spoken"),
    [
        ("10 h 30", "dix heures trente"),
        ("midi", "midi"),
        ("0 h 05", "zéro heure cinq"),
        ("8 h 05", "huit heures cinq"),
    ],
)
def test_french_times_as_dialogue_writes_them(said: str, spoken: str) -> None:
    assert speakable(said, "fr") == spoken


def test_split_sentences_and_long_clauses() -> None:
    assert split_sentences("D'accord. Que puis-je faire pour vous ?") == ["D'accord.", "Que puis-je faire pour vous ?"]
    recap = (
        "Je récapitule : consultation, mardi premier décembre à dix heures trente avec le docteur Martin, "
        "pour Jean Dupont."
    )
    assert split_sentences(recap) == [
        "Je récapitule :",
        "consultation, mardi premier décembre à dix heures trente avec le docteur Martin, pour Jean Dupont.",
    ]
    slots = (
        "J'ai une place mardi premier décembre à dix heures trente avec le docteur Martin, ou à onze heures, "
        "ou mercredi deux décembre à neuf heures."
    )
    assert split_sentences(slots) == [
        "J'ai une place mardi premier décembre à dix heures trente avec le docteur Martin,",
        "ou à onze heures, ou mercredi deux décembre à neuf heures.",
    ]
    assert split_sentences("Votre numéro est : quatre, huit.") == ["Votre numéro est : quatre, huit."]
    assert split_sentences("   ") == []


def test_split_keeps_every_word() -> None:
    text = speakable(
        "Je récapitule : consultation, mardi 1er décembre à 10 h 30 avec le docteur Martin, pour Jean "
        "Dupont, D, U, P, O, N, T. C'est bien ça ? Votre numéro est : 4, 8, 1, 2, 0, 7.",
        "fr",
    )
    pieces = split_sentences(text)
    assert " ".join(pieces).split() == text.split()
    assert all(len(p) <= 90 for p in pieces[:-1])


@pytest.mark.parametrize(
    ("pieces", "language", "expected"),
    [
        (
            ["J'ai de la place mardi premier décembre à neuf heures trente,", "à dix heures."],
            "fr",
            ["J'ai de la place", "mardi premier décembre à neuf heures trente,", "à dix heures."],
        ),
        (
            ["I have Tuesday the first of December at eight a m."],
            "en",
            ["I have", "Tuesday the first of December at eight a m."],
        ),
        (["J'ai bien noté."], "fr", ["J'ai bien noté."]),
        (["I have."], "en", ["I have."]),  # nothing left to say after the opening: one piece
        (["I haven't booked anything."], "en", ["I haven't booked anything."]),
        ([], "fr", []),
    ],
)
def test_a_known_opening_is_a_piece_of_its_own(pieces: list[str], language: str, expected: list[str]) -> None:
    assert split_lead_in(pieces, language) == expected
