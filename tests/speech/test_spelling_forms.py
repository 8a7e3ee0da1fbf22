"""How a spelled surname is written for the decoder and when Whisper's own writing is kept."""

from __future__ import annotations

from voicebot.speech.spelling import letters_of, looks_spelled, plain_words, spelled_form


def test_a_surname_is_spelled_without_accents_spaces_or_hyphens() -> None:
    assert letters_of("Lefèvre-Roy") == "LEFEVREROY"
    assert spelled_form(letters_of("Gérard")) == " G, E, R, A, R, D."


def test_letters_written_by_whisper_are_kept_words_are_not() -> None:
    assert looks_spelled("D, U P O N T.")
    assert looks_spelled("G-I-R-A-R-D-I-N")
    assert not looks_spelled("Génitaire vers D, N.")
    assert not looks_spelled("Elle a envie de reerter.")
    assert not looks_spelled("M, A.")


def test_a_word_or_two_is_no_spelling() -> None:
    assert plain_words("Pardon ?") and plain_words("Non.")
    assert not plain_words("Dévis béroïse.")  # "D, U, B, O, I, S" on the line
    assert not plain_words("P, I, C") and not plain_words("Génitaire vers D, N.")
