"""`voicebot serve`: the web application (staff console under /admin, health check, Twilio gateway) and the SIP
server, in one event loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import click

from booking.clinic import load_clinic
from booking.errors import NotConfigured
from booking.service import BookingService
from voicebot.cli import Env, command, load_clinic_or_fail
from voicebot.settings import SAMPLE_CLINIC, SipSettings, sip_settings, twilio_settings

if TYPE_CHECKING:
    from voicebot.gateway_sip import SipGateway
    from voicebot.gateway_twilio import TwilioGateway
    from voicebot.pipeline.engines import Engines

SECRET_ENV = "VOICEBOT_SECRET_KEY"
"""Signs the console's session cookies; without it a random key is drawn and logins end at each restart."""


FIXED_PROMPTS = ("greeting.notice", "open.question", "open.listening", "more.question", "goodbye", "ok")
"""Phrase keys synthesised at start-up (with the greeting), so that every call replays them at once."""


def fixed_prompts(service: BookingService, locale: str) -> list[str]:
    """The practice's greeting and the fixed prompts every call hears, in `locale`."""
    from dialogue.phrases import load_phrases

    phrases = load_phrases(locale)
    return [phrases.get("greeting.hello", practice=service.clinic().practice.name),
            *(phrases.get(key) for key in FIXED_PROMPTS)]


def load_speech(service: BookingService) -> Engines | None:
    """Load the speech engines for the practice's language (shared by every call) and pre-render its fixed
    prompts; `None`, with a warning, when the models are not installed.
    """
    from voicebot.pipeline.engines import load_engines, shared_engines
    from voicebot.speech.errors import ModelMissing

    locale = service.clinic().practice.locale[:2]
    click.echo(f"Loading the speech models ({locale})...", err=True)
    try:
        engines = shared_engines(lambda: load_engines((locale,)))
    except ModelMissing as error:
        click.echo(f"warning: {error}", err=True)
        return None
    seconds = engines.synthesizer(locale).prerender(fixed_prompts(service, locale))
    click.echo(f"Speech models ready in {engines.load_seconds:.1f} s, fixed prompts in {seconds:.1f} s.", err=True)
    return engines


def refusal(service: BookingService) -> tuple[str, str]:
    """What a call arriving while the server drains hears (Twilio's `<Say>`), and its language ("fr-FR")."""
    from dialogue.phrases import load_phrases

    practice = service.clinic().practice
    language = practice.locale[:2]
    return load_phrases(language).get("closing.refused"), f"{language}-{practice.country.upper()}"


def _twilio_gateway(service: BookingService, clock: Callable[[], datetime], local_url: str,
                    engines: Engines | None) -> TwilioGateway | None:
    """The Twilio gateway when TWILIO_AUTH_TOKEN (or its file) is set; transfers go to the practice's staff phone
    unless VOICEBOT_STAFF_NUMBER says otherwise. Calls go through the voice pipeline when the speech engines are
    loaded, else they hear `ToneHandler`'s beeps.
    """
    from voicebot.gateway_twilio import ToneHandler, TwilioGateway
    from voicebot.voice_handler import PipelineCallHandler

    settings = twilio_settings(default_public_url=local_url)
    if settings is None:
        click.echo("Twilio gateway off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and VOICEBOT_PUBLIC_URL).", err=True)
        return None
    if settings.staff_number is None:
        settings = replace(settings, staff_number=service.clinic().practice.staff_phone)
    click.echo(f"Twilio voice webhook: {settings.public_base_url}/twilio/voice", err=True)
    if engines is None:
        click.echo("warning: no speech models: calls only hear beeps (install them: voicebot models install).",
                   err=True)
        return TwilioGateway(settings, ToneHandler(), refusal=refusal(service))
    return TwilioGateway(settings, PipelineCallHandler(settings, service, clock, engines), refusal=refusal(service))


def _refusal_audio(service: BookingService, engines: Engines) -> Callable[[], bytes]:
    """What a SIP call arriving while the server drains hears: `closing.refused` in the practice's voice, 8 kHz."""

    def render() -> bytes:
        from voicebot.speech.audio import resample_bytes

        text, _language = refusal(service)
        synthesizer = engines.synthesizer(service.clinic().practice.locale[:2])
        pcm = b"".join(chunk.pcm for chunk in synthesizer.stream(text))
        return resample_bytes(pcm, synthesizer.sample_rate, 8000)

    return render


def _sip_gateway(service: BookingService, clock: Callable[[], datetime], settings: SipSettings | None,
                 engines: Engines | None) -> SipGateway | None:
    """The SIP gateway unless `--sip-port 0`: calls go through the voice pipeline when the speech engines are
    loaded, else they hear `SipToneHandler`'s beeps; transfers go to VOICEBOT_SIP_STAFF_URI, else to the
    practice's staff phone at VOICEBOT_SIP_STAFF_HOST (default: the SIP host).
    """
    from voicebot.gateway_sip import SipGateway, SipToneHandler
    from voicebot.sip_handler import SipPipelineHandler

    if settings is None:
        click.echo("SIP off (--sip-port 0).", err=True)
        return None
    if engines is None:
        return SipGateway(settings, SipToneHandler())
    handler = SipPipelineHandler(service, clock, engines, staff_uri=settings.staff_uri,
                                 staff_host=settings.staff_host or settings.host)
    return SipGateway(settings, handler, refusal=_refusal_audio(service, engines))


def _show_our_logs(level: str) -> None:
    """Print our own lines (calls answered, hang-ups, draining) beside uvicorn's on stderr, and pipecat's (loguru)
    at `level`: its debug lines carry what callers said, which a practice's log need not keep.
    """
    import logging
    import sys

    from loguru import logger as loguru_logger

    loguru_logger.remove()
    loguru_logger.add(sys.stderr, level=level.upper())
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("voicebot", "telephony", "booking"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)
            logger.addHandler(handler)
            logger.propagate = False


def register(main: click.Group) -> None:
    """Add the `serve` command."""

    @command(main, "serve")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port.")
    @click.option("--clinic", "clinic_file", type=click.Path(dir_okay=False),
                  help="Apply this clinic file before serving (default: keep the stored configuration).")
    @click.option("--voice/--no-voice", default=True, show_default=True,
                  help="Answer Twilio and SIP calls with the voice pipeline (loads the speech models at "
                       "start-up); without it, calls hear beeps.")
    @click.option("--drain-seconds", type=click.FloatRange(0, 3600), default=20.0, show_default=True,
                  help="On SIGTERM, how long calls in progress may go on before they hear a short goodbye and "
                       "are hung up (new calls are refused politely meanwhile).")
    @click.option("--sip-host", default="127.0.0.1", show_default=True,
                  help="Address the SIP server listens on (UDP). Other than loopback, it needs --sip-allow or "
                       "VOICEBOT_SIP_USER/VOICEBOT_SIP_PASSWORD.")
    @click.option("--sip-port", type=click.IntRange(0, 65535), default=5060, show_default=True,
                  help="UDP port of the SIP server; 0 turns SIP off.")
    @click.option("--sip-max-calls", type=click.IntRange(1, 1000), default=10, show_default=True,
                  help="Simultaneous SIP calls; one more is answered 486 Busy Here.")
    @click.option("--sip-allow", "sip_allow", multiple=True, metavar="CIDR",
                  help="A network SIP calls may come from (repeatable; default: loopback only).")
    @click.option("--log-level", type=click.Choice(["debug", "info", "warning"]), default="info", show_default=True,
                  help="Detail of the log on stderr; debug adds the voice pipeline's frames and what callers said.")
    def serve(env: Env, host: str, port: int, clinic_file: str | None, voice: bool, drain_seconds: float,
              sip_host: str, sip_port: int, sip_max_calls: int, sip_allow: tuple[str, ...], log_level: str) -> None:
        """Serve the staff console on http://HOST:PORT/admin, the Twilio gateway when configured, and the SIP
        server on udp SIP-HOST:SIP-PORT.

        SIGTERM drains: new calls hear "please call back later", calls in progress go on for --drain-seconds,
        then hear a goodbye and are hung up (at most ~20 s more); then the server exits 0. Ctrl-C, or a second
        SIGTERM, stops at once.
        """
        import asyncio

        import uvicorn

        from voicebot.server import DrainingServer, create_app

        sip = sip_settings(sip_host, sip_port, sip_max_calls, sip_allow)  # bad values stop here, before the models
        _show_our_logs(log_level)
        service = env.service()
        if clinic_file:
            report = env.apply(load_clinic_or_fail(clinic_file))
            click.echo(f"{clinic_file}: configuration version {report.version}.", err=True)
            for item in report.stranded:
                click.echo(f"  warning: appointment {item} is now outside opening hours", err=True)
        else:
            try:
                service.clinic()
            except NotConfigured:
                env.apply(load_clinic(SAMPLE_CLINIC))
                click.echo(f"No practice configured yet: applied the sample {SAMPLE_CLINIC}.", err=True)
        zone = service.clinic().practice.zone
        local_url = f"http://{host}:{port}"
        voice = voice and (twilio_settings(default_public_url=local_url) is not None or sip is not None)
        engines = load_speech(service) if voice else None
        twilio = _twilio_gateway(service, lambda: env.clock.now(zone), local_url, engines)
        sip_gateway = _sip_gateway(service, lambda: env.clock.now(zone), sip, engines)
        speech_ready = (lambda: engines is not None) if voice and twilio is not None else None
        app = create_app(service, env.clock, secret_key=os.environ.get(SECRET_ENV) or None, twilio=twilio,
                         speech_ready=speech_ready)
        click.echo(f"Staff console: http://{host}:{port}/admin  (create an account: voicebot staff add NAME "
                   "--role admin)", err=True)
        config = uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=True, server_header=False)
        drains = [gateway.drain for gateway in (twilio, sip_gateway) if gateway is not None]

        async def drain() -> None:
            await asyncio.gather(*(drain_one(drain_seconds) for drain_one in drains))

        async def start_sip() -> None:
            if sip_gateway is not None:
                await sip_gateway.start()
                sip_host_, sip_port_ = sip_gateway.address
                click.echo(f"SIP: listening on udp {sip_host_}:{sip_port_} (dial sip:voicebot@{sip_host_}:{sip_port_}; "
                           f"{sip_max_calls} calls at most)", err=True)

        async def stop_sip() -> None:
            if sip_gateway is not None:
                await sip_gateway.close()

        DrainingServer(config, drain=drain if drains else None, on_startup=start_sip, on_shutdown=stop_sip).run()
