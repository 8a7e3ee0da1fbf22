"""`voicebot call`: place a simulated phone call to a running `voicebot serve`, exactly as Twilio would.

When the server's Twilio REST API is the local fake this command plays, the fake also takes the texts the server's
SMS sender sends meanwhile; they are shown after the call (the `end` object's `texts` in JSON mode).
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

import click

from telephony.g711 import FRAME_SECONDS
from voicebot.commands.base import fail
from voicebot.commands.caller_options import caller_options
from voicebot.settings import BadSetting, twilio_settings
from voicebot.simulate.caller_voice import Voicing

if TYPE_CHECKING:
    from telephony.twilio.sim.fake_rest import FakeTwilio

TEXTS_SETTLE_SECONDS = 1.0
"""Once a text came, how long without another ends the wait (the sender sends a round's texts together)."""


def _local_api(url: str | None) -> tuple[str, int] | None:
    """(host, port) of a loopback http API URL, where the carrier can play Twilio's REST API."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1") and parts.port:
        return parts.hostname, parts.port
    return None


async def texts_received(fake: FakeTwilio, wait: float, *, poll: float = 0.1) -> list[dict[str, str]]:
    """The texts the fake took, `{"to", "body"}` oldest first, after waiting for those still to come: up to `wait`
    seconds while none came, else until none more came for `TEXTS_SETTLE_SECONDS`.
    """
    deadline = time.monotonic() + wait
    count, changed = len(fake.messages), time.monotonic()
    while time.monotonic() < deadline:
        if fake.messages and time.monotonic() - changed >= TEXTS_SETTLE_SECONDS:
            break
        await asyncio.sleep(poll)
        if len(fake.messages) != count:
            count, changed = len(fake.messages), time.monotonic()
    return [{"to": message.to, "body": message.body} for message in fake.messages]


class EndHeldBack(io.StringIO):
    """The caller script's stdout in JSON mode: every line goes through, but the `end` object, kept back, is written
    by `release` with the texts added (the `end` object stays the last line).
    """

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self.end: dict[str, object] | None = None

    def write(self, text: str) -> int:
        """Pass `text` on, unless it is the `end` line."""
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("type") == "end":
            self.end = payload
            return len(text)
        return self.out.write(text)

    def flush(self) -> None:
        """Flush the real stdout."""
        self.out.flush()

    def release(self, texts: list[dict[str, str]] | None) -> None:
        """Write the `end` object kept back, with `texts` when the fake could see them."""
        if self.end is None:
            return
        if texts is not None:
            self.end["texts"] = texts
        self.out.write(json.dumps(self.end, ensure_ascii=False) + "\n")
        self.out.flush()
        self.end = None


def show_texts(texts: list[dict[str, str]], out: TextIO) -> None:
    """The texts for people, after "[call ended: ...]"; nothing when none was sent."""
    for text in texts:
        out.write(f"[text to {text['to']}] {text['body']}\n")
    out.flush()


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
    @click.option(
        "--texts-wait",
        type=click.FloatRange(0, 60),
        default=2.0,
        show_default=True,
        help="Seconds to wait after the call for the texts it caused, when the server's Twilio API is played "
        "here (the server's SMS sender sends every 5 s); 0: list only those already sent.",
    )
    @caller_options()
    def call(
        server: str,
        public_url: str | None,
        caller_id: str | None,
        called: str,
        texts_wait: float,
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

        When the REST API is played here, the texts the server sends meanwhile (a booking's confirmation...) are
        listed after the call, "[text to NUMBER] BODY", and in JSON as the `end` object's `texts` ([] when none
        was sent); --texts-wait bounds the wait for those still to come.
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
        out = EndHeldBack(sys.stdout) if json_mode else sys.stdout
        runner = CallerScript(
            simulated,
            transcriber=transcriber,
            voice=voice,
            json_mode=json_mode,
            out=out,
            answer_timeout=answer_timeout,
            turns=BotTurns(gap_frames=round(turn_gap / FRAME_SECONDS)),
            language=language,
        )
        runner.interactive = not script and not json_mode and sys.stdin.isatty()
        script_lines = Path(script).read_text(encoding="utf-8").splitlines() if script else None
        api = _local_api(settings.api_base_url)

        async def place() -> tuple[int, list[dict[str, str]] | None]:
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
                code = await runner.run(caller_lines(script_lines), comments=script is not None)
                texts = await texts_received(fake, texts_wait) if fake is not None else None
                return code, texts
            finally:
                if fake is not None:
                    await fake.close()

        code, texts = asyncio.run(place())
        if isinstance(out, EndHeldBack):
            out.release(texts)
        elif texts:
            show_texts(texts, sys.stdout)
        if record:
            write_recording(record, bytes(simulated.caller_track), bytes(simulated.bot_track))
            click.echo(f"Recorded both sides in {record}.", err=True)
        sys.exit(code)
