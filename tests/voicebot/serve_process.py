"""Real `voicebot serve` processes for the SMS tests, and what they talk to: the fake Twilio REST API served on
127.0.0.1 by a thread of the test (its own event loop), and a black hole (a port that takes connections and never
answers). Every wait is bounded."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import pytest
from aiohttp import web

from telephony.twilio.sim.fake_messages import Failure, FakeMessage, FakeMessages
from telephony.twilio.sim.fake_rest import FakeTwilio
from tests.conftest import ROOT
from tests.pg import free_port

ACCOUNT, TOKEN = "AC" + "7" * 32, "serve-sms-test-token"
SMS_FROM = "+33184800000"
FAST_SENDER = {
    "VOICEBOT_SMS_EVERY_SECONDS": "0.2",
    "VOICEBOT_SMS_TIMEOUT_SECONDS": "4",
    "VOICEBOT_SMS_LEASE_SECONDS": "5",
    "VOICEBOT_SMS_RETRY_SECONDS": "0.3",
}
"""The sender's pace in these tests: rounds every 0.2 s, a send given up after 4 s, a lease of 5 s."""

T = TypeVar("T")


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 300.0) -> None:
    """Wait for `/healthz` of the `voicebot serve` `process` logging to `log` (with the models: the French prompts
    prerendered by Kokoro take up to two minutes on two busy cores); `timeout` is only a safety net; a server that
    exits or never gets healthy fails the test with the end of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"voicebot serve exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"voicebot serve not healthy within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    every: float = 0.05,
    details: Callable[[], str] = lambda: "",
) -> None:
    """Poll `predicate` until it holds; fail with `what` (and `details()`, e.g. a server's log) after `timeout`
    seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}\n{details()}")
        time.sleep(every)


class GatedMessages(FakeMessages):
    """The fake's Messages resource, whose creates can be held (they wait, nothing made) until released."""

    def __init__(self, account_sid: str, *, hang_seconds: float) -> None:
        super().__init__(account_sid, hang_seconds=hang_seconds)
        self.open = asyncio.Event()
        self.open.set()
        self.held = 0
        """Creates that found the gate closed."""

    async def create(self, form: dict[str, str], token: str | None) -> tuple[web.Response, FakeMessage | None]:
        if not self.open.is_set():
            self.held += 1
            await asyncio.wait_for(self.open.wait(), 60)
        return await super().create(form, token)


class FakeApi:
    """`FakeTwilio` on 127.0.0.1, run by a thread with its own event loop; `with FakeApi() as api:`."""

    def __init__(self, *, hang_seconds: float = 30.0) -> None:
        self.fake = FakeTwilio(ACCOUNT, TOKEN, hang_seconds=hang_seconds)
        self.fake.sms = self.sms = GatedMessages(ACCOUNT, hang_seconds=hang_seconds)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-twilio", daemon=True)

    def __enter__(self) -> FakeApi:
        self._thread.start()
        self._call(self.fake.start())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self._call(self._shut_down())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    async def _shut_down(self) -> None:
        """Stop listening, then end the requests still held (a `"timeout"` failure's, a closed gate's)."""
        await self.fake.close()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    @property
    def url(self) -> str:
        """What VOICEBOT_TWILIO_API_URL is set to."""
        return self.fake.base_url

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self._loop)
        return future.result(timeout=15)

    def _do(self, action: Callable[[], T]) -> T:
        async def run() -> T:
            return action()

        return self._call(run())

    def messages(self) -> list[FakeMessage]:
        """The messages the fake made (accepted creates; an idempotent repeat makes none)."""
        return self._do(lambda: list(self.sms.messages))

    def creates(self) -> int:
        """Create requests received, whatever their answer."""
        return self._do(lambda: self.sms.creates)

    def held(self) -> int:
        """Creates that came while the gate was closed."""
        return self._do(lambda: self.sms.held)

    def fail(self, kind: Failure, count: int = 1) -> None:
        """The next `count` creates fail with `kind` (`FakeMessages.fail`)."""
        self._do(lambda: self.sms.fail(kind, count))

    def hold(self) -> None:
        """Creates from now on wait (nothing made) until `release`."""
        self._do(self.sms.open.clear)

    def release(self) -> None:
        """Let the held creates (and the next ones) through."""
        self._do(self.sms.open.set)


class BlackHole:
    """A port on 127.0.0.1 that takes connections (the kernel's backlog) and never answers: a Twilio that hangs
    before making anything."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        """Stop listening (the waiting connections are reset)."""
        self._socket.close()


class Serve:
    """One `voicebot serve --no-voice` on `db`, its clock started at `now` (`--now`: the sender's clock moves on
    from it), its Twilio REST API at `api_url`, its SIP off, its log in a file.

    Started by the constructor; `wait_ready` for its `/healthz`, `kill` for SIGKILL, `close` in a `finally`.
    """

    def __init__(self, db: str, api_url: str, log: Path, *, now: datetime, env: dict[str, str] | None = None) -> None:
        self.port, self.log = free_port(), log
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBOT_", "TWILIO_"))}
        environment |= {
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "VOICEBOT_TWILIO_API_URL": api_url,
            "VOICEBOT_TWILIO_SMS_FROM": SMS_FROM,
            "PYTHONUNBUFFERED": "1",
            **FAST_SENDER,
            **(env or {}),
        }
        command = [sys.executable, "-m", "voicebot", "serve", "--db", db, "--now", now.isoformat(), "--no-voice"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*command, "--sip-port", "0", "--port", str(self.port), "--log-level", "info"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=ROOT,
            )

    def wait_ready(self, timeout: float = 40.0) -> None:
        """Wait for `/healthz` (the SMS sender starts with the application)."""

        def healthy() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"voicebot serve exited ({self.process.returncode}):\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, OSError):
                return False

        wait_until(healthy, timeout, "voicebot serve healthy", every=0.2, details=self.log_text)

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing recorded."""
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        """Stop it if it still runs (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_text(self) -> str:
        """The end of its log."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
