"""SMS segments: GSM-7 (160 alone, 153 a part, extension characters count 2) and UCS-2 (70 alone, 67 a part, an
emoji counts 2) as Twilio sends them; the plain forms that keep a text in GSM-7."""

from __future__ import annotations

import pytest

from booking.sms import gsm_letters, gsm_punctuation, segments, sms_encoding

FRENCH_IN_GSM = "é è à ù É Ç"
"""French letters in the GSM 03.38 default alphabet."""
FRENCH_OUTSIDE_GSM = ["ê", "â", "î", "ô", "û", "ë", "ï", "ç", "œ", "È", "À", "Ê"]
"""French letters outside it (its only c cedilla is the capital; its capitals with accents are Ç and É)."""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é" * 160, 1),  # é is one septet
        ("€" * 80, 1),  # an extension character is two septets: 160
        ("€" + "a" * 159, 2),  # 161 septets
        ("a" * 152 + "€" + "a" * 153, 3),  # 308 septets: the escape pair is not split between parts
        ("a" * 152 + "[" + "a" * 152, 3),
        ("a" * 151 + "[" + "a" * 153, 2),  # 306 septets, the pair whole in the first part
        ("ê" * 70, 1),
        ("ê" * 71, 2),
        ("ê" + "a" * 133, 2),  # 134 = 2 x 67
        ("ê" + "a" * 134, 3),
        ("€ê" * 35, 1),  # in UCS-2 the euro sign is one character like any other
        ("😀" * 35, 1),  # an emoji is two UTF-16 units
        ("😀" * 36, 2),
        ("a" * 66 + "😀" + "a" * 67, 3),  # 135 units: the surrogate pair is not split either
    ],
)
def test_segments(body: str, expected: int) -> None:
    assert segments(body) == expected


def test_which_characters_need_ucs2() -> None:
    assert sms_encoding("Répondez ANNULER. " + FRENCH_IN_GSM + " @£$¥ {}[]~|^\\ €") == "GSM-7"
    for letter in FRENCH_OUTSIDE_GSM:
        assert sms_encoding(f"Rendez-vous le 18 ao{letter}t") == "UCS-2", letter
    for other in ["’", "«", "»", "–", "…", "\u00a0", "😀", "€ê"]:
        assert sms_encoding(other) == "UCS-2", other


def test_one_letter_outside_gsm_halves_the_room() -> None:
    gsm = "Rendez-vous le mardi 18 aout à 10 h 30 avec Dr Martin, Cabinet médical du Parc, 12 rue du Parc."
    ucs2 = gsm.replace("aout", "août")
    assert len(gsm) == len(ucs2) < 100
    assert (segments(gsm), segments(ucs2)) == (1, 2)


def test_the_plain_forms_stay_in_gsm_and_keep_what_gsm_has() -> None:
    assert gsm_punctuation("l’Horloge « ici » – 9\u202fh…") == 'l\'Horloge " ici " - 9 h...'
    assert gsm_letters("Hôtel-Dieu, août, Noël, reçu, cœur, À côté") == "Hotel-Dieu, aout, Noel, recu, coeur, A coté"
    assert gsm_letters(FRENCH_IN_GSM) == FRENCH_IN_GSM
    assert gsm_letters("merci 😀") == "merci 😀"  # nothing plain to write instead
    assert sms_encoding(gsm_letters(gsm_punctuation("l’Hôpital « Sainte-Thérèse »"))) == "GSM-7"
