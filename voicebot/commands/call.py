"""`voicebot call`: place a simulated phone call to a running `voicebot serve`, exactly as Twilio would."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from telephony.g711 import FRAME_SECONDS
from voicebot.commands.base import fail
from voicebot.commands.caller_options import caller_options
from voicebot.settings import BadSetting, twilio_settings
from voicebot.simulate.caller_voice import Voicing


def _local_api(url: str | None) -> tuple[str, int] | None:
    """(host, port) of a loopback http API URL, where the carrier can play Twilio's REST API."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1") and parts.port:
        return parts.hostname, parts.port
    return None


def register(main: click.Group) -> None:
    """Add the `call` command."""

    @main.command("call")
    @click.option(
        "--server",
        metavar="URL",
        default="http://127.0.0.1:8000",
        show_default=True,
        help="Where `voicebot serve` listens.",
    )
    @click.option(
        "--public-url",
        metavar="URL",
        help="The URL the server believes Twilio calls (its VOICEBOT_PUBLIC_URL; default: --server).",
    )
    @click.option("--caller-id", metavar="E164", help="The caller's number (default: withheld).")
    @click.option(
        "--to", "called", metavar="E164", default="+33100000000", show_default=True, help="The number dialled."
    )
    @caller_options()
    def call(
        server: str,
        public_url: str | None,
        caller_id: str | None,
        called: str,
        script: str | None,
        json_mode: bool,
        record: str | None,
        language: str,
        voicing: Voicing,
        no_speech: bool,
        turn_gap: float,
        answer_timeout: float,
    ) -> None:
        """Call the bot as Twilio would: signed webhook, media-stream websocket, real-time 20 ms audio.

        Needs the server's TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE). When
        VOICEBOT_TWILIO_API_URL is a loopback http URL, the carrier also plays Twilio's REST API there, so the
        bot's hang-ups and transfers reach it.

        Caller lines: text (spoken by the caller's voice), wav:PATH, human:TEXT (a real person's recordings:
        numbers, days, months, letters, e.g. "human:14 juillet 1982"), dtmf:123, silence (wait for the bot),
        hangup; over:SECONDS LINE talks over the bot (barge-in): LINE starts SECONDS after the bot starts its
        next turn instead of after it ends, e.g. "over:1.5 Actually, Wednesday please".
        """
        from telephony.twilio.sim.carrier import CallPlacement, SimulatedTwilioCall
        from voicebot.simulate.caller_audio import SpeechUnavailable, load_caller_speech
        from voicebot.simulate.caller_lines import caller_lines
        from voicebot.simulate.carrier import BotTurns, CallerScript, write_recording

        try:
            settings = twilio_settings(default_public_url=public_url or server)
        except BadSetting as error:
            fail(str(error))
            return
        if settings is None:
            fail("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE), as for the server")
            return
        try:
            transcriber, voice = load_caller_speech(language, voicing, enabled=not no_speech)
        except SpeechUnavailable as error:
            fail(str(error))
            return
        placement = CallPlacement(
            server,
            settings.account_sid,
            settings.auth_token,
            public_url=public_url or settings.public_base_url,
            caller=caller_id,
            called=called,
        )
        simulated = SimulatedTwilioCall(placement)
        runner = CallerScript(
            simulated,
            transcriber=transcriber,
            voice=voice,
            json_mode=json_mode,
            answer_timeout=answer_timeout,
            turns=BotTurns(gap_frames=round(turn_gap / FRAME_SECONDS)),
            language=language,
        )
        runner.interactive = not script and not json_mode and sys.stdin.isatty()
        script_lines = Path(script).read_text(encoding="utf-8").splitlines() if script else None
        api = _local_api(settings.api_base_url)

        async def place() -> int:
            from telephony.twilio.sim.fake_rest import FakeTwilio

            fake = None
            if api is not None:
                fake = FakeTwilio(
                    settings.account_sid,
                    settings.auth_token,
                    host=api[0],
                    port=api[1],
                    on_update=simulated.on_rest_update,
                )
                fake.add_call(simulated.call_sid, from_=caller_id or "anonymous", to=called)
                try:
                    await fake.start()
                except OSError as error:
                    click.echo(f"warning: cannot play Twilio's REST API at {settings.api_base_url} ({error})", err=True)
                    fake = None
            try:
                return await runner.run(caller_lines(script_lines))
            finally:
                if fake is not None:
                    await fake.close()

        code = asyncio.run(place())
        if record:
            write_recording(record, bytes(simulated.caller_track), bytes(simulated.bot_track))
            click.echo(f"Recorded both sides in {record}.", err=True)
        sys.exit(code)
