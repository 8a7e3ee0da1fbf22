"""Common names near what the recogniser heard: the candidates a name question scores on the audio."""

from __future__ import annotations

import pytest

from dialogue.understand.common_names import corrected_names, nearby_first_names, nearby_names, sound_alike
from dialogue.understand.name_lists import first_names, is_first_name, surnames
from dialogue.understand.names import parse_person_name


@pytest.mark.parametrize(
    ("heard", "name"),
    [
        ("Cloi petit.", "Chloé Petit"),  # bench line, parc-08
        ("Marie Lombard.", "Marie Lambert"),
        ("Dom fournié.", "Tom Fournier"),
        ("Et mal le roi.", "Emma Leroy"),  # heard as other words: cut anywhere
        ("Fierigotiers.", "Thierry Gauthier"),
        ("Jean-Yeroux.", "Jeanne Roux"),
        ("Chloé, petit.", "Chloé Petit"),
        ("Camille Du Bois", "Camille Dubois"),
    ],
)
def test_the_name_said_is_among_the_candidates_of_what_was_heard(heard: str, name: str) -> None:
    assert name in nearby_names([heard], "fr")


def test_english_names_come_from_the_english_lists() -> None:
    assert "Sarah Jones" in nearby_names(["Sara Joans."], "en")
    assert all(name.split()[-1] in surnames("en") for name in nearby_names(["Sara Joans."], "en"))


def test_one_word_gets_surnames_and_a_first_name_asked_alone_first_names() -> None:
    assert "Dupont" in nearby_names(["Dupond."], "fr")
    assert "Léo" not in nearby_names(["Léo."], "fr")  # at the name question, one word is a surname
    assert nearby_first_names(["Cloi."], "fr")[0] == "Chloé"
    assert nearby_first_names(["Cloi petit."], "fr") == []


def test_the_candidates_are_few_and_every_one_reads_as_a_name() -> None:
    found = nearby_names(["Cloi petit.", "Cloé petit.", "Clo y petit.", "Cloé Petite."], "fr")
    assert 0 < len(found) <= 8
    assert all(parse_person_name(name, "fr") is not None for name in found)


def test_nothing_comes_of_a_turn_without_letters() -> None:
    assert nearby_names(["", "12"], "fr") == []


def test_homophones_sound_alike_and_close_names_do_not() -> None:
    assert sound_alike("Paul Renaud", "Paul Renault")
    assert sound_alike("Thierry Gauthier", "Thierry Gautier")
    assert sound_alike("Manon Lefebvre", "Manon Lefèvre")
    assert not sound_alike("Chloé Petit", "Claire Petit")
    assert not sound_alike("Léa Moreau", "Léa Morel")


def test_the_lists_are_names_and_first_names_are_told_apart() -> None:
    assert len(first_names("fr")) > 150 and len(surnames("fr")) > 150
    assert "Le Gall" in surnames("fr") and "Da Silva" in surnames("fr")
    assert is_first_name("chloe", "fr") and is_first_name("Jean-Pierre", "fr")
    assert not is_first_name("Dupont", "fr")


def test_a_correction_gets_the_names_near_it_after_its_no() -> None:
    assert "non, Chloé Petit" in corrected_names(["Non, Cloi petit.", "Le 14 juillet."], "fr")
    assert "no, Sarah Jones" in corrected_names(["No, Sara Joans."], "en")
    assert corrected_names(["Le 14 juillet 1982.", "non"], "fr") == []  # an answer, a bare no: nothing to guess


def test_a_correction_never_gets_back_the_name_it_refuses() -> None:
    found = corrected_names(["Non, Paul Girardin."], "fr", ["Paul Girard"])
    assert "non, Paul Girard" not in found
    assert "non, Paul Girard" in corrected_names(["Non, Paul Girardin."], "fr")
