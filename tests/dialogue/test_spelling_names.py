"""The common surnames a caller may be spelling (`spelling_names`), scored on the audio by the voice layer."""

from __future__ import annotations

from dialogue.understand.common_names import SPELLING_GUESSES, spelling_names


def test_names_near_the_refused_one_come_first_then_those_written_like_the_letters() -> None:
    names = spelling_names(["PTIT"], ["Paul Lombard"], "fr")
    assert "Lambert" in names and "Petit" in names
    assert names.index("Lambert") < names.index("Petit")


def test_a_refused_surname_is_offered_too_a_name_is_often_refused_for_its_first_name() -> None:
    names = spelling_names(["PETIT"], ["Cloi Petit"], "fr")
    assert names[0] == "Petit"


def test_letters_far_from_every_name_and_nothing_refused_offer_nothing() -> None:
    assert spelling_names(["XQZWK"], [], "fr") == []
    assert len(spelling_names(["MARTIN", "MARTINE"], ["Jean Martel", "Jean Morin"], "fr")) <= SPELLING_GUESSES
