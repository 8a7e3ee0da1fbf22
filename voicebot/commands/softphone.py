"""`voicebot softphone`: call the bot (or any SIP URI) over SIP/RTP, as a desktop softphone would."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import click

from telephony.g711 import FRAME_SECONDS
from voicebot.commands.base import fail
from voicebot.commands.caller_options import caller_options
from voicebot.simulate.caller_voice import Voicing
from voicebot.simulate.softphone import DEFAULT_URI, SipTarget, parse_target


def _target(ctx: click.Context, param: click.Parameter, value: str) -> SipTarget:
    try:
        return parse_target(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


def _check_wav(path: str) -> None:
    """Fail now, before dialling, when `path` is not a WAV file we can play."""
    from voicebot.speech.audio import read_wav

    try:
        samples, rate = read_wav(path)
    except Exception as error:  # OSError, EOFError, wave.Error (not a RIFF/WAVE file, an unknown format)...
        fail(f"cannot play {path}: {error} (a PCM WAV file is needed)")
    else:
        if rate <= 0 or not len(samples):
            fail(f"cannot play {path}: no audio in it")


async def _with_first(first: list[str], rest: AsyncIterator[str] | None) -> AsyncIterator[str]:
    """`first`, then `rest`'s lines (none: the caller hangs up)."""
    for line in first:
        yield line
    if rest is not None:
        async for line in rest:
            yield line


def register(main: click.Group) -> None:
    """Add the `softphone` command."""

    @main.command("softphone")
    @click.option(
        "--to",
        "target",
        metavar="SIP-URI",
        default=DEFAULT_URI,
        show_default=True,
        callback=_target,
        help="Who to call: the local bot, or any SIP URI (sip:user@host[:port]).",
    )
    @click.option(
        "--caller-id",
        metavar="USER",
        default="anonymous",
        show_default=True,
        help="The From user, e.g. +33612345678 (anonymous: a withheld number).",
    )
    @click.option(
        "--wav",
        type=click.Path(exists=True, dir_okay=False),
        help="Say this recording first, wait for the bot's answer, then hang up (or go on with "
        "--script / --json's stdin).",
    )
    @click.option(
        "--codec",
        type=click.Choice(["PCMU", "PCMA"], case_sensitive=False),
        help="Offer only this codec (default: PCMU then PCMA).",
    )
    @click.option("--auth", metavar="USER:PASSWORD", help="Digest credentials, when the far end asks for them.")
    @click.option(
        "--ring-timeout",
        type=click.FloatRange(0.5, 120),
        default=10.0,
        show_default=True,
        help="Seconds to wait for the call to be answered.",
    )
    @caller_options("--voice")
    def softphone(
        target: SipTarget,
        caller_id: str,
        script: str | None,
        wav: str | None,
        json_mode: bool,
        record: str | None,
        language: str,
        voicing: Voicing,
        no_speech: bool,
        codec: str | None,
        auth: str | None,
        turn_gap: float,
        answer_timeout: float,
        ring_timeout: float,
    ) -> None:
        """Call the bot over SIP, as a desktop softphone would: INVITE, RTP audio (PCMU/PCMA), RFC 4733 keys.

        Without --script, --wav or --json, an interactive call: type what the caller says (spoken by the
        caller's voice), dtmf:5 to press keys, an empty line to wait, hangup (or Ctrl-D) to hang up; the bot's
        speech is transcribed and printed as it arrives. Start `voicebot serve` first (SIP on
        127.0.0.1:5060 by default, --sip-port).

        Caller lines: text (spoken by the caller's voice), wav:PATH, human:TEXT (a real person's recordings:
        numbers, days, months, letters, e.g. "human:14 juillet 1982"), dtmf:123, silence (wait for the bot),
        hangup; over:SECONDS LINE talks over the bot (barge-in): LINE starts SECONDS after the bot starts its
        next turn instead of after it ends, e.g. "over:1.5 Actually, Wednesday please".
        """
        from voicebot.simulate.caller_audio import SpeechUnavailable, load_caller_speech
        from voicebot.simulate.caller_lines import caller_lines
        from voicebot.simulate.carrier import BotTurns, CallerScript, write_recording
        from voicebot.simulate.softphone import SoftphoneCall

        credentials = None
        if auth is not None:
            user, colon, password = auth.partition(":")
            if not colon or not user:
                fail("--auth takes USER:PASSWORD")
            credentials = (user, password)
        if wav is not None:
            _check_wav(wav)
        try:
            transcriber, voice = load_caller_speech(language, voicing, enabled=not no_speech)
        except SpeechUnavailable as error:
            fail(str(error))
            return
        call = SoftphoneCall(
            target,
            caller=caller_id,
            codecs=(codec.upper(),) if codec else ("PCMU", "PCMA"),
            ring_timeout=ring_timeout,
            credentials=credentials,
        )
        runner = CallerScript(
            call,
            transcriber=transcriber,
            voice=voice,
            json_mode=json_mode,
            answer_timeout=answer_timeout,
            turns=BotTurns(gap_frames=round(turn_gap / FRAME_SECONDS)),
            program="voicebot softphone",
            language=language,
        )
        script_lines = Path(script).read_text(encoding="utf-8").splitlines() if script else None
        interactive = runner.interactive = not script and not json_mode and not wav and sys.stdin.isatty()
        if not json_mode:
            hint = " (type what the caller says; dtmf:5 presses 5; hangup or Ctrl-D hangs up)" if interactive else ""
            click.echo(f"Calling {target.uri} ...{hint}", err=True)

        comments = script is not None  # "# ..." is a comment in a script file; on stdin it is said

        async def place() -> int:
            if wav is None:
                return await runner.run(caller_lines(script_lines), comments=comments)
            rest = caller_lines(script_lines) if script_lines is not None or json_mode else None
            return await runner.run(_with_first([f"wav:{wav}"], rest), comments=comments)

        code = asyncio.run(place())
        if record:
            write_recording(record, bytes(call.caller_track), bytes(call.bot_track))
            click.echo(f"Recorded both sides in {record}.", err=True)
        sys.exit(code)
