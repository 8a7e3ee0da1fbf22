"""The simulated caller's options, shared by `voicebot call` and `voicebot softphone`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from voicebot.simulate.caller_voice import RANKED_VOICES, SpeedRange, VoiceSpec, Voicing, parse_speed, parse_voices

F = TypeVar("F", bound=Callable[..., Any])

LINES_HELP = (
    "Play the caller's lines from FILE (text, wav:PATH, human:TEXT, dtmf:123, silence, hangup, over:SECONDS LINE)."
)


def _voices(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[tuple[VoiceSpec, ...], bool]:
    try:
        return parse_voices(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


def _speed(ctx: click.Context, param: click.Parameter, value: str) -> SpeedRange:
    try:
        return parse_speed(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


def caller_options(*voice_aliases: str) -> Callable[[F], F]:
    """Add the caller's options to a command: --script, --json, --record, --language, --caller-voice (also named
    `voice_aliases`), --caller-speed, --seed, --no-speech, --turn-gap, --answer-timeout.

    The command receives `voicing` (a `voicebot.simulate.caller_voice.Voicing`) instead of the three voice
    options, and `script`, `json_mode`, `record`, `language`, `no_speech`, `turn_gap`, `answer_timeout`. Put it
    last, right above the function: --help lists the command's own options first, then these.
    """
    defaults = " / ".join(ranked[0] for ranked in RANKED_VOICES.values())
    options = [
        click.option("--script", type=click.Path(exists=True, dir_okay=False), help=LINES_HELP),
        click.option(
            "--json",
            "json_mode",
            is_flag=True,
            help="The `voicebot chat --json` protocol: JSON lines on stdout, caller lines on stdin.",
        ),
        click.option("--record", type=click.Path(dir_okay=False), help="Write both sides to this WAV (8 kHz stereo)."),
        click.option(
            "--language",
            type=click.Choice(["fr", "en"]),
            default="fr",
            show_default=True,
            help="Language of the caller's voice and of the transcription.",
        ),
        click.option("--locale", "language", type=click.Choice(["fr", "en"]), hidden=True),  # the former name
        click.option(
            "--caller-voice",
            *voice_aliases,
            "caller_voice",
            metavar="NAME[,NAME...]",
            callback=_voices,
            help="The caller's voices, taking the spoken lines in turn: a Kokoro voice (ff_siwis, pm_alex, "
            "af_heart, bm_george), two mixed (ff_siwis+pm_alex:0.4), or human: a real speaker's recordings "
            "(Asterisk's) for the lines made only of numbers, days, months and letters, the Kokoro voices saying "
            f"the rest. Default: {defaults} (fr / en).",
        ),
        click.option(
            "--caller-speed",
            metavar="RATE[-RATE]",
            default="1",
            show_default=True,
            callback=_speed,
            help="Speaking rate of the Kokoro voices: 0.9, or a range (0.85-1.1) each spoken line draws from.",
        ),
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            help="Seed of the speeds drawn from a --caller-speed range: the same seed, the same call.",
        ),
        click.option(
            "--no-speech",
            is_flag=True,
            help="Load no speech model: bot turns are reported by length, text lines are refused "
            "(human: ones still play).",
        ),
        click.option(
            "--turn-gap",
            type=click.FloatRange(0.2, 5.0),
            default=1.0,
            show_default=True,
            help="Seconds of bot silence that end its turn.",
        ),
        click.option(
            "--answer-timeout",
            type=click.FloatRange(1, 120),
            default=15.0,
            show_default=True,
            help="Seconds to wait for the bot to speak.",
        ),
    ]

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def merged(
            *args: Any,
            caller_voice: tuple[tuple[VoiceSpec, ...], bool],
            caller_speed: SpeedRange,
            seed: int,
            **kwargs: Any,
        ) -> Any:
            voices, human = caller_voice
            return command(*args, voicing=Voicing(voices, human, caller_speed, seed), **kwargs)

        wrapped: Callable[..., Any] = merged
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped  # type: ignore[return-value]

    return decorate
