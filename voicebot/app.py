"""The composition of `voicebot serve`: the speech engines, the Twilio and SIP gateways with their call handlers,
the SMS sender, the web application, and how they start, drain and stop together. The `serve` command only reads
its options and calls `build_server` then `run_server`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from booking.calls import CallLog
from booking.service import BookingService
from telephony.sip.errors import ListenFailed
from voicebot.settings import BadSetting, Clock, SipSettings, twilio_settings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from telephony.sip.gateway import SipGateway
    from telephony.twilio.gateway import SmsReplier, StreamClaim, TwilioGateway
    from voicebot.metrics import Metrics
    from voicebot.pipeline.engines import Engines
    from voicebot.sms_sender import SmsSender


log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 24 * 3600.0
"""How often `voicebot serve` applies the retention limits (`booking.privacy.purge`), the first time at start-up."""
PURGE_RETRY_SECONDS = 3600.0
"""How soon a purge that failed is tried again."""
SMS_STOP_SECONDS = 12.0
"""How long the stopping server waits for the SMS sends in progress (longer than one send's timeout)."""


def note(message: str) -> None:
    """A line for the person running the server, on stderr."""
    print(message, file=sys.stderr, flush=True)


SECRET_ENV = "VOICEBOT_SECRET_KEY"
"""Signs the console's session cookies; without it a random key is drawn and logins end at each restart."""


FIXED_PROMPTS = ("greeting.notice", "open.question", "open.listening", "more.question", "goodbye", "ok")
"""Phrase keys synthesised at start-up (with the greeting), so that every call replays them at once."""


def fixed_prompts(service: BookingService, locale: str) -> list[str]:
    """The practice's greeting and the fixed prompts every call hears, in `locale`."""
    from dialogue.wording.phrases import load_phrases

    phrases = load_phrases(locale)
    return [
        phrases.get("greeting.hello", practice=service.clinic().practice.name),
        *(phrases.get(key) for key in FIXED_PROMPTS),
    ]


def load_speech(service: BookingService) -> Engines:
    """Load the speech engines for the practice's language (shared by every call) and pre-render its fixed
    prompts.

    Raises:
        BadSetting: The models are not installed: the message names `voicebot models install`, and
            `--no-voice` for a server without phone lines.
        BadSetting: VOICEBOT_SPEECH_CACHE or VOICEBOT_SPEECH_CACHE_MB has a value it cannot use.
    """
    from voicebot.pipeline.engines import load_engines, shared_engines
    from voicebot.settings import speech_cache_settings
    from voicebot.speech.errors import ModelMissing
    from voicebot.speech.speech_cache import SpeechCache

    disk = speech_cache_settings()  # before the models load: a bad setting fails at once
    locale = service.clinic().practice.locale[:2]
    note(f"Loading the speech models ({locale})...")
    try:
        engines = shared_engines(lambda: load_engines((locale,)))
    except ModelMissing as error:
        raise BadSetting(f"{error}. Or serve the console alone, without phone lines: add --no-voice") from error
    engines.use_speech_cache(SpeechCache(*disk) if disk is not None else None)
    seconds = engines.synthesizer(locale).prerender(fixed_prompts(service, locale))
    note(f"Speech models ready in {engines.load_seconds:.1f} s, fixed prompts in {seconds:.1f} s.")
    return engines


def refusal(service: BookingService) -> tuple[str, str]:
    """What a call arriving while the server drains hears (Twilio's `<Say>`), and its language ("fr-FR")."""
    from dialogue.wording.phrases import load_phrases

    practice = service.clinic().practice
    language = practice.locale[:2]
    return load_phrases(language).get("closing.refused"), f"{language}-{practice.country.upper()}"


def sms_reply_hook(service: BookingService, clock: Callable[[], datetime]) -> SmsReplier:
    """What a patient's text to the practice's Twilio number gets (`voicebot.sms_replies`)."""
    from booking.sms_outbox import Outbox
    from voicebot.sms_replies import sms_replier

    return sms_replier(service, Outbox(service.engine), clock)


def stream_claims(engine: Engine) -> StreamClaim:
    """Which Twilio calls already have a media stream, kept in the database: a token replayed to another server
    behind the same proxy opens no second stream.
    """
    from booking.shared_state import SharedState

    state = SharedState(engine)

    def claim(key: str, now: float, until: float) -> bool:
        return state.claim_stream(key, datetime.fromtimestamp(until, UTC), datetime.fromtimestamp(now, UTC))

    return claim


def twilio_gateway(
    service: BookingService, clock: Callable[[], datetime], local_url: str, engines: Engines | None, metrics: Metrics
) -> TwilioGateway | None:
    """The Twilio gateway when TWILIO_AUTH_TOKEN (or its file) is set; transfers go to the practice's staff phone
    unless VOICEBOT_STAFF_NUMBER says otherwise. Calls go through the voice pipeline when the speech engines are
    loaded, else they hear `ToneHandler`'s beeps; texts to the number get `sms_reply_hook`'s answers.
    """
    from telephony.twilio.gateway import ToneHandler, TwilioGateway
    from voicebot.phone.tones import CountedTones
    from voicebot.phone.twilio import PipelineCallHandler

    settings = twilio_settings(default_public_url=local_url)
    if settings is None:
        note("Twilio gateway off (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and VOICEBOT_PUBLIC_URL).")
        return None
    if settings.staff_number is None:
        settings = replace(settings, staff_number=service.clinic().practice.staff_phone)
    note(f"Twilio voice webhook: {settings.public_base_url}/twilio/voice")
    claims = stream_claims(service.engine)
    if engines is None:
        note("warning: no speech models: calls only hear beeps (install them: voicebot models install).")
        tones = CountedTones(ToneHandler(), "twilio", metrics)
        return TwilioGateway(
            settings, tones, refusal=refusal(service), sms_reply=sms_reply_hook(service, clock), claim_stream=claims
        )
    handler = PipelineCallHandler(settings, service, clock, engines, call_log=CallLog(service.engine), metrics=metrics)
    return TwilioGateway(
        settings, handler, refusal=refusal(service), sms_reply=sms_reply_hook(service, clock), claim_stream=claims
    )


def refusal_audio(service: BookingService, engines: Engines) -> Callable[[], bytes]:
    """What a SIP call arriving while the server drains hears: `closing.refused` in the practice's voice, 8 kHz."""

    def render() -> bytes:
        from telephony.g711 import PHONE_RATE
        from voicebot.speech.audio import resample_bytes

        text, _language = refusal(service)
        synthesizer = engines.synthesizer(service.clinic().practice.locale[:2])
        pcm = b"".join(chunk.pcm for chunk in synthesizer.stream(text))
        return resample_bytes(pcm, synthesizer.sample_rate, PHONE_RATE)

    return render


def sip_gateway(
    service: BookingService,
    clock: Callable[[], datetime],
    settings: SipSettings | None,
    engines: Engines | None,
    metrics: Metrics,
) -> SipGateway | None:
    """The SIP gateway unless `--sip-port 0`: calls go through the voice pipeline when the speech engines are
    loaded, else they hear `SipToneHandler`'s beeps; transfers go to VOICEBOT_SIP_STAFF_URI, else to the
    practice's staff phone at VOICEBOT_SIP_STAFF_HOST (default: the SIP host).
    """
    from telephony.sip.gateway import SipGateway, SipToneHandler
    from voicebot.phone.sip import SipPipelineHandler
    from voicebot.phone.tones import CountedTones

    if settings is None:
        note("SIP off (--sip-port 0).")
        return None
    if engines is None:
        return SipGateway(settings, CountedTones(SipToneHandler(), "sip", metrics))
    handler = SipPipelineHandler(
        service,
        clock,
        engines,
        staff_uri=settings.staff_uri,
        staff_host=settings.staff_host or settings.host,
        call_log=CallLog(service.engine),
        metrics=metrics,
    )
    return SipGateway(settings, handler, refusal=refusal_audio(service, engines))


def show_our_logs(level: str) -> None:
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


def purge_once(engine: Engine, now: datetime) -> bool:
    """Apply the retention limits once, logged with counts only; `False` (logged) when it failed."""
    from booking.privacy import purge

    try:
        report = purge(engine, now)
    except Exception as error:  # the server goes on; the purge is tried again later
        log.warning("privacy purge failed (%s): it will be tried again", type(error).__name__)
        return False
    if report.skipped:
        log.info("privacy purge: another server is running it, skipped")
    else:
        log.info("privacy purge: %s", report.details())
    return True


async def purge_daily(
    engine: Engine,
    now: Callable[[], datetime],
    *,
    every: float = PURGE_EVERY_SECONDS,
    retry: float = PURGE_RETRY_SECONDS,
) -> None:
    """Purge at once, then every `every` seconds (`retry` after a failure), in a worker thread; until cancelled."""
    while True:
        done = await asyncio.to_thread(purge_once, engine, now())
        await asyncio.sleep(every if done else retry)


@dataclass
class Server:
    """What `build_server` put together: the web application, the two phone gateways (each may be off), and the
    daily purge's clock.
    """

    app: FastAPI
    twilio: TwilioGateway | None
    sip: SipGateway | None
    engine: Engine | None = None
    """The database the daily purge cleans (`None`: no purge)."""
    now: Callable[[], datetime] | None = None
    """The server's now, in the practice's zone (frozen by `--now`)."""
    sms: SmsSender | None = None
    """Delivers the outbox's texts (`None` without Twilio: they wait in the outbox)."""


def build_server(
    service: BookingService,
    clock: Clock,
    *,
    host: str,
    port: int,
    voice: bool,
    sip: SipSettings | None,
    metrics: Metrics | None = None,
) -> Server:
    """The speech engines (when `voice` and a gateway is on), both gateways, the SMS sender (with Twilio) and the
    web application, which serves `metrics` (default: a worker named "voicebot") on `/metrics`.
    """
    from voicebot.metrics import Metrics
    from voicebot.server import create_app
    from voicebot.sms_sender import compose_sender

    zone = service.clinic().practice.zone
    local_url = f"http://{host}:{port}"
    voice = voice and (twilio_settings(default_public_url=local_url) is not None or sip is not None)
    engines = load_speech(service) if voice else None
    if engines is not None:  # the coming days' offers, the names and motifs rendered to disk while no call needs it
        engines.warm_up_practice(service, clock.now(zone))
    metrics = metrics or Metrics("voicebot")
    if engines is not None:
        metrics.watch_speech_cache(engines.sentence_counts)
    twilio = twilio_gateway(service, lambda: clock.now(zone), local_url, engines, metrics)
    sip_gw = sip_gateway(service, lambda: clock.now(zone), sip, engines, metrics)
    metrics.watch_server(service.engine, twilio, sip_gw)
    speech_ready = (lambda: engines is not None) if voice and twilio is not None else None
    gateways = [gateway for gateway in (twilio, sip_gw) if gateway is not None]
    secret = os.environ.get(SECRET_ENV) or None
    app = create_app(
        service,
        clock,
        secret_key=secret,
        twilio=twilio,
        speech_ready=speech_ready,
        metrics=metrics,
        draining=lambda: any(gateway.draining for gateway in gateways),
    )
    sender = compose_sender(service, clock, twilio.settings) if twilio is not None else None
    if sender is None:
        note("SMS sender off (it needs Twilio): texts wait in the outbox.")
    return Server(app, twilio, sip_gw, service.engine, lambda: clock.now(zone), sender)


async def start_sip(gateway: SipGateway) -> None:
    """Bind the SIP port and say where to dial.

    Raises:
        BadSetting: The port cannot be bound, with what to do about it.
    """
    try:
        await gateway.start()
    except ListenFailed as error:
        raise BadSetting(
            f"{error}: is another SIP server running there? Choose another port with --sip-port N, "
            "or turn SIP off with --sip-port 0"
        ) from error
    sip_host, sip_port = gateway.address
    note(
        f"SIP: listening on udp {sip_host}:{sip_port} (dial sip:voicebot@{sip_host}:{sip_port}; "
        f"{gateway.settings.max_calls} calls at most)"
    )


def web_config(app: FastAPI, *, host: str, port: int, forwarded_allow_ips: tuple[str, ...] = ()) -> uvicorn.Config:
    """The web application's uvicorn settings. uvicorn believes `X-Forwarded-For` and `-Proto` only from the
    proxies in `forwarded_allow_ips` (`voicebot.settings.forwarded_allow_ips`); without any, they are ignored and
    the connecting address is the client's (what the console's login throttle counts).
    """
    import uvicorn

    if not forwarded_allow_ips:  # uvicorn would otherwise trust loopback (or $FORWARDED_ALLOW_IPS)
        return uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=list(forwarded_allow_ips),
        server_header=False,
    )


def run_server(
    server: Server, *, host: str, port: int, drain_seconds: float, forwarded_allow_ips: tuple[str, ...] = ()
) -> None:
    """Serve until stopped: SIGTERM drains both gateways for `drain_seconds`, then the process exits; forwarded
    headers are believed only from `forwarded_allow_ips` (see `web_config`).
    """
    from voicebot.server import DrainingServer

    note(f"Staff console: http://{host}:{port}/admin  (create an account: voicebot staff add NAME --role admin)")
    if forwarded_allow_ips:
        note(f"Client addresses: from X-Forwarded-For when sent by {', '.join(forwarded_allow_ips)}")
    config = web_config(server.app, host=host, port=port, forwarded_allow_ips=forwarded_allow_ips)
    drains = [gateway.drain for gateway in (server.twilio, server.sip) if gateway is not None]

    async def drain() -> None:
        await asyncio.gather(*(drain_one(drain_seconds) for drain_one in drains))

    purging: list[asyncio.Task[None]] = []
    sending: list[asyncio.Task[None]] = []

    async def on_startup() -> None:
        if server.sip is not None:
            await start_sip(server.sip)
        if server.engine is not None and server.now is not None:
            purging.append(asyncio.create_task(purge_daily(server.engine, server.now), name="privacy-purge"))
        if server.sms is not None:
            sending.append(asyncio.create_task(server.sms.run(), name="sms-sender"))

    async def on_shutdown() -> None:
        from voicebot.pipeline.engines import stop_shared_background

        await asyncio.to_thread(stop_shared_background)  # the speech warm-up; the speech cache's counters written
        for task in purging:
            task.cancel()
        if server.sms is not None:
            server.sms.stop()  # the sends in progress are recorded; a message cut short is sent again later, once
            if sending:
                await asyncio.wait(sending, timeout=SMS_STOP_SECONDS)
            for task in sending:
                task.cancel()
        if server.sip is not None:
            await server.sip.close()

    DrainingServer(config, drain=drain if drains else None, on_startup=on_startup, on_shutdown=on_shutdown).run()
