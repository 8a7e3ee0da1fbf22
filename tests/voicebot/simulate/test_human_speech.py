"""Answers said by a real person: text to Debian's Asterisk recordings, and the `human:` caller line."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from voicebot.simulate.caller_lines import CallerLine, parse_line
from voicebot.simulate.human_speech import (
    NoRecording,
    load_recordings,
    recorded_answer,
    recording_groups,
    recording_names,
    sounds_folder,
)


def digits(*names: str) -> list[str]:
    return [f"digits/{n}" for n in names]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("14 juillet 1982", digits("14", "mon-6", "thousand", "9", "hundred", "80", "2")),
        ("Mardi 8 décembre", digits("day-2", "8", "mon-11")),
        ("dimanche", digits("day-0")),
        ("1er", None),  # no recording says "premier"
        ("06 12 34 56 78", digits("0", "6", "12", "30", "4", "50", "6", "60", "18")),
        ("21 71 81 91 99", digits("20", "et", "1", "60", "et", "11", "80", "1", "80", "11", "80", "19")),
        ("100 200 1000 2026", digits("hundred", "2", "hundred", "thousand", "2", "thousand", "20", "6")),
        ("quatre-vingt-deux, soixante-dix-sept", digits("80", "2", "70", "7")),  # longest known parts first
        ("77", digits("60", "17")),
        ("Aujourd’hui ou demain", None),  # "ou" has none
        ("aujourd'hui", digits("today")),
        ("D, U, P, O, N, T", [f"letters/{c}" for c in "dupont"]),
        ("le 14 juillet", None),
        ("", None),
    ],
)
def test_french_answers_map_to_recordings(text: str, names: list[str] | None) -> None:
    assert recording_names(text, "fr") == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("1982", digits("19", "80", "2")),
        ("1905 2005 2026", digits("19", "oh", "5", "2", "thousand", "5", "20", "20", "6")),
        ("oh seven seven", digits("oh", "7", "7")),
        ("Tuesday 8 December", digits("day-2", "8", "mon-11")),
        ("345", digits("3", "hundred", "40", "5")),
        ("July 14th", None),
    ],
)
def test_english_answers_map_to_recordings(text: str, names: list[str] | None) -> None:
    assert recording_names(text, "en") == names


def test_words_and_numbers_are_groups() -> None:
    assert recording_groups("82 mardi", "fr") == [digits("80", "2"), digits("day-2")]
    assert recording_groups("mardi", "de") is None


def test_human_lines_parse_and_can_be_said_over_the_bot() -> None:
    assert parse_line("human:14 juillet 1982") == CallerLine("human", "14 juillet 1982")
    assert parse_line("HUMAN: mardi") == CallerLine("human", "mardi")
    assert parse_line("over:1.5 human:mardi") == CallerLine("human", "mardi", 1.5)


def fake_sounds(root: Path) -> Path:
    """A sounds folder with two recordings: a second of tone, padded with silence, at 16 kHz."""
    import wave

    folder = root / "fr_CA_f_June" / "digits"
    folder.mkdir(parents=True)
    tone = (np.sin(np.arange(16_000) * 0.3) * 12_000).astype("<i2")
    padded = np.concatenate([np.zeros(8000, "<i2"), tone, np.zeros(8000, "<i2")])
    for name in ("2", "day-2"):
        with wave.open(str(folder / f"{name}.wav"), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(16_000)
            writer.writeframes(padded.tobytes())
    return root


def test_recordings_are_trimmed_joined_and_at_8_khz(tmp_path: Path) -> None:
    root = fake_sounds(tmp_path)
    pcm, rate = recorded_answer("mardi 2", "fr", root=root, pause=0.5)
    assert rate == 8000
    seconds = len(pcm) / 2 / rate
    assert 2.4 < seconds < 2.7  # two seconds of tone and the pause; the padding trimmed (20 ms kept each side)
    with pytest.raises(NoRecording, match="every word"):
        recorded_answer("mardi matin", "fr", root=root)
    with pytest.raises(NoRecording, match="no recording"):
        load_recordings([["digits/3"]], root / "fr_CA_f_June")
    with pytest.raises(NoRecording, match="apt-get install asterisk-core-sounds-en-wav"):
        recorded_answer("two", "en", root=root)


def test_the_installed_recordings_say_every_kind_of_answer() -> None:
    folder = sounds_folder("fr")
    if folder is None:
        if os.environ.get("CI"):
            pytest.fail("apt-get install asterisk-core-sounds-fr-wav (see .ci/speech-deps)")
        pytest.skip("asterisk-core-sounds-fr-wav is not installed")
    for text in ("lundi 14 juillet 1982", "07 20 15 10 11", "R O U X", "aujourd'hui", "soixante et onze"):
        pcm, rate = recorded_answer(text, "fr")
        assert rate == 8000 and len(pcm) > rate  # longer than half a second
