"""The server side of `voicebot bench voice`: what `voicebot serve` builds, with observed call pipelines."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from booking.clinic import load_clinic
from booking.service import BookingService
from booking.store import apply_clinic
from telephony.twilio.gateway import TwilioGateway
from voicebot.bench.errors import BenchError, until
from voicebot.bench.stages import BenchCallHandler
from voicebot.pipeline.builder import VAD_STOP_SECS
from voicebot.settings import SAMPLE_CLINIC, SAMPLE_CLINIC_EN, Clock, TwilioSettings

WARM_UP_LIMIT = 900.0
"""Seconds the speech cache's warm-up may take before the benchmark gives up (about 400 pieces of Kokoro)."""

CLINICS = {"fr": SAMPLE_CLINIC, "en": SAMPLE_CLINIC_EN}
"""The bundled sample practices: the language decides which."""


@dataclass
class BenchServer:
    """The application and the parts the benchmark reads."""

    app: FastAPI
    service: BookingService
    gateway: TwilioGateway
    """`active`: the calls in progress."""
    handler: BenchCallHandler
    """`turns`: every turn measured so far."""
    voice: str
    """The agent's synthesizer (class and voice)."""
    load_seconds: float
    prerender_seconds: float
    warmed: dict[str, float] | None = None
    """With a warm speech cache: the pieces rendered into it before the calls, and the seconds it took."""

    @classmethod
    def create(
        cls,
        language: str,
        db_url: str,
        now: str,
        port: int,
        api_port: int,
        account_sid: str,
        auth_token: str,
        *,
        vad_stop_secs: float = VAD_STOP_SECS,
        speech_cache: Path | None = None,
    ) -> BenchServer:
        """The sample practice of `language` on `db_url` at the frozen `now`, the models loaded and the fixed
        prompts pre-rendered (as `voicebot serve` does), Twilio's REST API expected on 127.0.0.1:`api_port`.
        With `speech_cache` (an empty folder), the disk cache is there and `serve`'s background warm-up
        (names, motifs, the coming days' offers) has finished before this returns: a server up for a while.
        """
        from voicebot.app import fixed_prompts
        from voicebot.pipeline.engines import load_engines
        from voicebot.server import create_app
        from voicebot.speech.tts import CachingSynthesizer

        clock = Clock.from_option(now)
        clinic = load_clinic(CLINICS[language])
        service = BookingService.open(db_url)
        apply_clinic(service.engine, clinic, clock.now(clinic.practice.zone))
        zone = service.clinic().practice.zone
        engines = load_engines((language,))
        synthesizer = engines.synthesizer(language)
        warmed = None
        if speech_cache is not None:
            from voicebot.speech.speech_cache import SpeechCache

            engines.use_speech_cache(SpeechCache(speech_cache))
        prompts = fixed_prompts(service, language)
        prerender = synthesizer.prerender(prompts) if isinstance(synthesizer, CachingSynthesizer) else 0.0
        warmup = engines.warm_up_practice(service, clock.now(zone)) if speech_cache is not None else None
        if warmup is not None:
            started = time.perf_counter()
            if not warmup.done.wait(WARM_UP_LIMIT):
                warmup.stop()
                raise BenchError(f"the speech cache's warm-up did not finish in {WARM_UP_LIMIT:.0f} s")
            warmed = {"pieces": warmup.rendered, "seconds": round(time.perf_counter() - started, 1)}
        settings = TwilioSettings(
            f"http://127.0.0.1:{port}",
            account_sid,
            auth_token,
            f"http://127.0.0.1:{api_port}",
            clinic.practice.staff_phone,
        )
        handler = BenchCallHandler(settings, service, lambda: clock.now(zone), engines, vad_stop_secs=vad_stop_secs)
        gateway = TwilioGateway(settings, handler)
        app = create_app(service, clock, twilio=gateway)
        voice = type(synthesizer).__name__ + (f" {synthesizer.voice}" if hasattr(synthesizer, "voice") else "")
        return cls(app, service, gateway, handler, voice, engines.load_seconds, prerender, warmed)

    def close(self) -> None:
        """Release the database."""
        self.service.engine.dispose()

    @contextlib.asynccontextmanager
    async def serving(self, port: int) -> AsyncIterator[None]:
        """Serve the application on 127.0.0.1:`port` with pipecat's logs at WARNING (it logs every turn at
        DEBUG); on the way out stop it, release the database and give loguru its default back.

        Raises:
            BenchError: The server did not start within 30 s.
        """
        import uvicorn
        from loguru import logger

        logger.remove()
        quiet = logger.add(sys.stderr, level="WARNING")
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=5
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        try:
            await until(lambda: server.started or task.done(), 30)
            if not server.started:
                raise BenchError(f"the server did not start on 127.0.0.1:{port}")
            yield
        finally:
            server.should_exit = True
            await task
            self.close()
            logger.remove(quiet)
            logger.add(sys.stderr)
