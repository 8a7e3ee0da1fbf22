"""One flag for the language across the simulators: `--language`, with `--locale` still read but hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from voicebot.cli import main
from voicebot.simulate import caller_audio, chat
from voicebot.simulate.caller_audio import SpeechUnavailable, load_caller_speech

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "secret", "VOICEBOT_PUBLIC_URL": ""}


@pytest.mark.parametrize("command", ["chat", "call", "softphone"])
def test_help_shows_language_not_locale(command: str) -> None:
    help_text = CliRunner().invoke(main, [command, "--help"]).output
    assert "--language" in help_text and "--locale" not in help_text


@pytest.fixture
def languages(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The language each command asked its speech models (call, softphone) or its dialogue (chat) for."""
    asked: list[str | None] = []

    def speech(language: str, voice: str | None = None, **options: object) -> tuple[None, None]:
        asked.append(language)
        raise SpeechUnavailable("stop here")

    def run_chat(*args: object, locale: str | None, **options: object) -> int:
        asked.append(locale)
        return 0

    monkeypatch.setattr(caller_audio, "load_caller_speech", speech)
    monkeypatch.setattr(chat, "run_chat", run_chat)
    return asked


@pytest.mark.parametrize("command", ["call", "softphone"])
@pytest.mark.parametrize(
    ("options", "expected"),
    [([], "fr"), (["--language", "en"], "en"), (["--locale", "en"], "en"), (["--locale=fr"], "fr")],
)
def test_both_spellings_reach_the_caller_speech(
    command: str, options: list[str], expected: str, languages: list[str | None]
) -> None:
    result = CliRunner().invoke(main, [command, *options], env=TWILIO)
    assert result.exit_code == 1 and "stop here" in result.output, result.output
    assert languages == [expected]


@pytest.mark.parametrize(
    ("options", "expected"), [([], None), (["--language", "en"], "en"), (["--locale", "en"], "en")]
)
def test_both_spellings_reach_the_chat(
    tmp_path: Path, options: list[str], expected: str | None, languages: list[str | None]
) -> None:
    result = CliRunner().invoke(main, ["chat", "--db", f"sqlite:///{tmp_path / 'v.db'}", *options])
    assert result.exit_code == 0, result.output
    assert languages == [expected]


def test_a_bad_language_is_a_usage_error() -> None:
    for option in ("--language", "--locale"):
        result = CliRunner().invoke(main, ["softphone", option, "de"])
        assert result.exit_code == 2 and "'de' is not one of 'fr', 'en'" in result.output, result.output


def test_no_speech_loads_nothing() -> None:
    assert load_caller_speech("fr", enabled=False) == (None, None)
