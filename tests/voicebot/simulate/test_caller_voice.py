"""The simulated caller's voices: the default, voices in turn, mixes, speeds, and the options of both commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from voicebot.cli import main
from voicebot.simulate import caller_audio
from voicebot.simulate.caller_audio import CALLER_VOICES, SpeechUnavailable, load_caller_speech
from voicebot.simulate.caller_voice import (
    HUMAN,
    CallerVoice,
    SpeedRange,
    VoiceSpec,
    VoiceTurns,
    Voicing,
    default_voice,
    parse_speed,
    parse_voice,
    parse_voices,
)
from voicebot.simulate.human_speech import sounds_folder

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "secret", "VOICEBOT_PUBLIC_URL": ""}
SIWIS, ALEX = VoiceSpec("ff_siwis"), VoiceSpec("pm_alex")


def test_the_default_is_the_most_natural_voice_installed() -> None:
    assert default_voice("fr", ["af_heart", "bm_george", "ff_siwis", "pm_alex"]) == "ff_siwis"
    assert default_voice("fr", ["af_heart", "pm_alex"]) == "pm_alex"  # the next one ranked
    assert default_voice("en", ["af_heart", "ff_siwis"]) == "af_heart"
    assert default_voice("en", ["bm_george"]) == "bm_george"
    assert default_voice("fr", []) == "ff_siwis"  # none installed: the best, whose loading then says what is missing
    assert CALLER_VOICES == {"fr": "ff_siwis", "en": "af_heart"}


def test_voices_are_parsed_with_mixes_and_human() -> None:
    assert parse_voices(None) == ((), False)
    assert parse_voices("ff_siwis") == ((SIWIS,), False)
    assert parse_voices("ff_siwis, pm_alex,ff_siwis") == ((SIWIS, ALEX), False)  # each voice once, in order
    assert parse_voices("human,PM_ALEX") == ((ALEX,), True)
    assert parse_voices("human") == ((), True)
    assert parse_voice("ff_siwis+pm_alex:0.4") == VoiceSpec("ff_siwis", ("pm_alex", 0.4))
    assert parse_voice("ff_siwis+pm_alex") == VoiceSpec("ff_siwis", ("pm_alex", 0.5))
    assert str(parse_voice("ff_siwis+pm_alex:0.4")) == "ff_siwis+pm_alex:0.4"
    for bad in ("siwis", "ff_siwis+pm_alex:1.5", "ff_siwis+", "ff_siwis;pm_alex", ","):
        with pytest.raises(ValueError):
            parse_voices(bad)


def test_speeds_are_one_rate_or_a_range() -> None:
    assert parse_speed("0.9") == SpeedRange(0.9, 0.9)
    assert parse_speed(" 0.85-1.1 ") == SpeedRange(0.85, 1.1)
    for bad in ("fast", "1.1-0.9", "0.1", "3", "0.9-", "-1"):
        with pytest.raises(ValueError):
            parse_speed(bad)


def test_voices_take_the_lines_in_turn_at_one_speed() -> None:
    turns = VoiceTurns([SIWIS, ALEX], SpeedRange(0.9, 0.9))
    assert [turns.next() for _ in range(5)] == [(SIWIS, 0.9), (ALEX, 0.9), (SIWIS, 0.9), (ALEX, 0.9), (SIWIS, 0.9)]


def test_speeds_drawn_from_a_range_depend_only_on_the_seed() -> None:
    def speeds(seed: int) -> list[float]:
        turns = VoiceTurns([SIWIS], SpeedRange(0.85, 1.1), seed)
        return [turns.next()[1] for _ in range(20)]

    drawn = speeds(7)
    assert drawn == speeds(7) and drawn != speeds(8)
    assert all(0.85 <= s <= 1.1 for s in drawn) and len(set(drawn)) > 5
    assert all(round(s, 2) == s for s in drawn)


class Recorder:
    """A Kokoro speaker stand-in that says which voice and speed it was asked for (no model)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.asked: list[tuple[str, float | None]] = []

    def speak(self, text: str, speed: float | None = None) -> tuple[bytes, int]:
        self.asked.append((text, speed))
        return self.name.encode(), 24_000


def test_the_caller_voice_gives_each_spoken_line_to_the_next_voice() -> None:
    speakers = {SIWIS: Recorder("siwis"), ALEX: Recorder("alex")}
    voice = CallerVoice(speakers, VoiceTurns([SIWIS, ALEX], SpeedRange(1.1, 1.1)), "fr")
    said = [voice.speak(text)[0] for text in ("Bonjour.", "Mardi.", "Oui.")]
    assert said == [b"siwis", b"alex", b"siwis"]
    assert voice.voiced == ["ff_siwis@1.1", "pm_alex@1.1", "ff_siwis@1.1"]
    assert speakers[SIWIS].asked == [("Bonjour.", 1.1), ("Oui.", 1.1)]


@pytest.mark.skipif(sounds_folder("fr") is None, reason="asterisk-core-sounds-fr-wav is not installed")
def test_human_lines_are_recordings_when_every_word_has_one() -> None:
    speaker = Recorder("siwis")
    voice = CallerVoice({SIWIS: speaker}, VoiceTurns([SIWIS], SpeedRange()), "fr", human=True)
    pcm, rate = voice.speak("Mardi 8 décembre")
    assert rate == 8000 and len(pcm) > 8000  # over half a second of a real voice
    voice.speak("Mardi matin, s'il vous plaît.")  # "matin" has no recording: the Kokoro voice says it all
    assert voice.voiced == [HUMAN, "ff_siwis@1"] and speaker.asked == [("Mardi matin, s'il vous plaît.", 1.0)]


@pytest.mark.skipif(sounds_folder("fr") is None, reason="asterisk-core-sounds-fr-wav is not installed")
def test_no_speech_with_human_keeps_the_recordings_only() -> None:
    transcriber, voice = load_caller_speech("fr", "human", enabled=False)
    assert transcriber is None and isinstance(voice, CallerVoice)
    assert voice.speak("06 12 34 56 78")[1] == 8000
    with pytest.raises(LookupError, match="speech models"):
        voice.speak("Bonjour")
    assert load_caller_speech("fr", "ff_siwis", enabled=False) == (None, None)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[Voicing]:
    """The voicing each command asked its speech models for (stopping there, before dialling)."""
    voicings: list[Voicing] = []

    def speech(language: str, voice: Voicing, **options: object) -> tuple[None, None]:
        voicings.append(voice)
        raise SpeechUnavailable("stop here")

    monkeypatch.setattr(caller_audio, "load_caller_speech", speech)
    return voicings


@pytest.mark.parametrize("command", ["call", "softphone"])
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], Voicing()),
        (["--caller-voice", "ff_siwis,pm_alex"], Voicing((SIWIS, ALEX))),
        (
            ["--caller-voice", "human,ff_siwis+pm_alex:0.3", "--caller-speed", "0.85-1.1", "--seed", "4"],
            Voicing((VoiceSpec("ff_siwis", ("pm_alex", 0.3)),), True, SpeedRange(0.85, 1.1), 4),
        ),
        (["--caller-speed", "0.9"], Voicing(speed=SpeedRange(0.9, 0.9))),
    ],
)
def test_both_commands_pass_the_same_voicing(
    command: str, options: list[str], expected: Voicing, asked: list[Voicing]
) -> None:
    result = CliRunner().invoke(main, [command, *options], env=TWILIO)
    assert result.exit_code == 1 and "stop here" in result.output, result.output
    assert asked == [expected]


def test_the_softphone_keeps_its_short_voice_option(asked: list[Voicing]) -> None:
    result = CliRunner().invoke(main, ["softphone", "--voice", "pm_alex"])
    assert result.exit_code == 1, result.output
    assert asked == [Voicing((ALEX,))]


@pytest.mark.parametrize("command", ["call", "softphone"])
@pytest.mark.parametrize(
    ("options", "message"),
    [(["--caller-voice", "siwis"], "is not a voice"), (["--caller-speed", "1.5-1.0"], "the lower first")],
)
def test_bad_voices_and_speeds_are_usage_errors(command: str, options: list[str], message: str) -> None:
    result = CliRunner().invoke(main, [command, *options], env=TWILIO)
    assert result.exit_code == 2 and message in result.output, result.output


@pytest.mark.parametrize("command", ["call", "softphone"])
def test_help_shows_the_voice_options_and_the_default(command: str) -> None:
    help_text = CliRunner().invoke(main, [command, "--help"], terminal_width=200).output
    for option in ("--caller-voice", "--caller-speed", "--seed", "human:TEXT"):
        assert option in help_text
    assert "ff_siwis / af_heart" in help_text and "pm_alex / af_heart" not in help_text
