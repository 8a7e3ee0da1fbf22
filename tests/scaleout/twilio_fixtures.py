"""Twilio workers behind haproxy, for tests/scaleout/test_twilio_proxy.py: real `voicebot serve` processes on one
PostgreSQL database, haproxy running deploy/haproxy/haproxy.cfg in front of them (its settings from the
environment), and the simulated Twilio carrier placing signed calls at haproxy for the public URL. All on
127.0.0.1; every wait is bounded and every process is stopped by whoever started it.

haproxy runs in the foreground (`-db`) as whoever runs the tests (`VOICEBOT_HAPROXY_UNPRIVILEGED`: no chroot, no
user switch), logging to stdout, its runtime API on a socket of the test's own. It is missing → skipped, except
under CI=true, where it must be there (.ci/run installs it).
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from booking.clinic import load_clinic
from booking.db import migrate, open_engine
from booking.store import apply_clinic
from telephony.twilio.sim.carrier import CallPlacement, SimulatedTwilioCall
from telephony.twilio.sim.fake_rest import FakeTwilio
from tests.conftest import NOW, ROOT, SAMPLE_CLINIC_EN
from tests.pg import Cluster, free_port
from tests.voicebot.serve_process import wait_healthy, wait_until

ACCOUNT, TOKEN = "AC" + "5" * 32, "scaleout-twilio-token"
PUBLIC_URL = "https://voicebot.example.test"
"""What Twilio calls (every worker's VOICEBOT_PUBLIC_URL): neither haproxy's address nor a worker's."""
HAPROXY_CFG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
STREAMED = re.compile(r"call (CA[0-9a-f]{32}): stream MZ[0-9a-f]{32} started")
"""A worker's log line for each media stream it took (the call it runs)."""
ANSWERED = re.compile(r"call (CA[0-9a-f]{32}): answering with the media stream")
"""A worker's log line for each voice webhook it answered."""
SYNTHESISED = "Generating TTS ["
"""How pipecat's TTS service logs each sentence the bot says, at debug level (the voice workers' log)."""
CALL_SECONDS = 20.0
"""Bound on each step of a beep call (the greeting heard, the goodbye and the hang-up after `#`)."""


def haproxy_binary() -> str:
    """The `haproxy` program (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("haproxy is not installed: the scale-out tests need it in CI (apt-get install haproxy)")
    pytest.skip("haproxy is not installed (apt-get install haproxy)")


def surgery_db(cluster: Cluster) -> str:
    """A fresh PostgreSQL database with the schema and the English sample surgery."""
    url = cluster.url()
    engine = open_engine(url)
    try:
        migrate(engine)
        apply_clinic(engine, load_clinic(SAMPLE_CLINIC_EN), NOW)
    finally:
        engine.dispose()
    return url


@dataclass
class TwilioWorker:
    """One `voicebot serve` worker with the Twilio gateway: its name (`--worker-id`), HTTP port, log, process."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Its own address (not what Twilio calls)."""
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        """Its whole log."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def streamed(self) -> list[str]:
        """The CallSids of the media streams it took, in order."""
        return STREAMED.findall(self.text())

    def answered(self) -> list[str]:
        """The CallSids of the voice webhooks it answered, in order."""
        return ANSWERED.findall(self.text())

    def said(self, words: str) -> int:
        """How many sentences holding `words` its bot synthesised (voice workers only: their log is at debug)."""
        return sum(1 for line in self.text().splitlines() if SYNTHESISED in line and words in line)

    def health(self) -> int:
        """The status of its own `/healthz` (0: no answer)."""
        return status(f"{self.url}/healthz")


def stop_all(processes: list[subprocess.Popen[bytes]], seconds: float = 30) -> None:
    """SIGTERM to each process still running (workers drain side by side), SIGKILL to those left after `seconds`."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + seconds
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_worker(
    name: str, db: str, directory: Path, api_port: int, *, voice: bool = False, drain_seconds: float = 30
) -> TwilioWorker:
    """`voicebot serve` on `db` as worker `name`, SIP off, behind a proxy on 127.0.0.1, its Twilio REST API at
    127.0.0.1:`api_port`; `voice`: the speech models loaded (Piper without noise) and the log at debug, else
    beeps (`ToneHandler`) and the log at info."""
    port, log = free_port(), directory / f"{name}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBOT_", "TWILIO_"))}
    environment |= {
        "PYTHONUNBUFFERED": "1",
        "VOICEBOT_SPEECH_CACHE": "off",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "VOICEBOT_PUBLIC_URL": PUBLIC_URL,
        "VOICEBOT_TWILIO_API_URL": f"http://127.0.0.1:{api_port}",
    }
    program = ["-m", "tests.speech.quiet_voicebot"] if voice else ["-m", "voicebot"]
    command = [sys.executable, *program, "serve", "--db", db, "--now", NOW.isoformat(), "--worker-id", name]
    command += ["--port", str(port), "--sip-port", "0", "--drain-seconds", str(drain_seconds)]
    command += ["--forwarded-allow-ips", "127.0.0.1", "--log-level", "debug" if voice else "info"]
    command += [] if voice else ["--no-voice"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=ROOT)
    return TwilioWorker(name, port, log, process)


@dataclass
class Haproxy:
    """haproxy with deploy/haproxy/haproxy.cfg in front of two workers (servers `worker1`, `worker2`)."""

    port: int
    runtime: Path
    """Its own directory: the runtime API's socket (short path: a unix socket's is at most 107 bytes)."""
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Where the carrier sends Twilio's requests."""
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        """Its log."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def command(self, line: str) -> str:
        """One runtime API command (`show stat`, `set server ...`), its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.runtime / "admin.sock"))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def servers(self) -> dict[str, dict[str, str]]:
        """The backend's servers as `show stat` has them (`status`: UP, DOWN, "UP 1/2"...; `check_status`)."""
        rows = csv.DictReader(self.command("show stat").lstrip("# ").splitlines())
        return {row["svname"]: row for row in rows if row["pxname"] == "voicebot" and row["svname"] != "BACKEND"}

    def wait_status(self, server: str, status: str, timeout: float = 20) -> None:
        """Wait until haproxy holds `server` for `status` after a check (UP: its first check passed)."""

        def reached() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"haproxy exited ({self.process.returncode}):\n{self.text()[-3000:]}")
            row = self.servers()[server]
            return row["status"] == status and row["check_status"] not in ("", "INI")

        wait_until(reached, timeout, f"haproxy: {server} {status}", every=0.1, details=lambda: str(self.servers()))

    def stop(self) -> None:
        """SIGTERM, SIGKILL after 10 s; its directory removed."""
        stop_all([self.process], 10)
        shutil.rmtree(self.runtime, ignore_errors=True)


def haproxy_environment(workers: list[TwilioWorker], port: int, runtime: Path, **more: str) -> dict[str, str]:
    """The settings deploy/haproxy/haproxy.cfg reads, for a test: loopback only, checks every 200 ms."""
    return {
        **os.environ,
        "VOICEBOT_HAPROXY_BIND": f"127.0.0.1:{port}",
        "VOICEBOT_HAPROXY_SOCKET": str(runtime / "admin.sock"),
        "VOICEBOT_HAPROXY_LOG": "stdout",
        "VOICEBOT_HAPROXY_UNPRIVILEGED": "1",
        "VOICEBOT_CHECK_INTER": "200ms",
        **{f"VOICEBOT_WORKER{n}": f"127.0.0.1:{worker.port}" for n, worker in enumerate(workers, 1)},
        **more,
    }


def start_haproxy(workers: list[TwilioWorker], directory: Path, **more: str) -> Haproxy:
    """haproxy on a free port of 127.0.0.1 in front of `workers` (settings `more` added); returns once it holds
    both for UP."""
    program = haproxy_binary()
    port, log = free_port(), directory / f"haproxy-{time.monotonic_ns()}.log"
    runtime = Path(tempfile.mkdtemp(prefix="haproxy-"))
    environment = haproxy_environment(workers, port, runtime, **more)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [program, "-db", "-f", str(HAPROXY_CFG)], stdout=out, stderr=subprocess.STDOUT, env=environment
        )
    proxy = Haproxy(port, runtime, log, process)
    try:
        wait_until(lambda: (runtime / "admin.sock").exists() or process.poll() is not None, 10, "haproxy started")
        for n in range(1, len(workers) + 1):
            proxy.wait_status(f"worker{n}", "UP")
    except BaseException:
        proxy.stop()
        raise
    return proxy


async def eventually(predicate: Callable[[], bool], seconds: float, what: str, details: Callable[[], str]) -> None:
    """Poll `predicate` every 50 ms in the event loop; fail with `what` and `details()` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}\n{details()}")
        await asyncio.sleep(0.05)


@dataclass
class Carrier:
    """The simulated Twilio: its REST API on 127.0.0.1:`api_port` (the workers hang calls up through it) and the
    calls it places at `server_url` (haproxy), signed for `PUBLIC_URL`. `async with Carrier(...) as carrier:`."""

    api_port: int
    server_url: str
    calls: dict[str, SimulatedTwilioCall] = field(default_factory=dict)
    fake: FakeTwilio | None = None

    async def __aenter__(self) -> Carrier:
        self.fake = FakeTwilio(ACCOUNT, TOKEN, port=self.api_port, on_update=self._updated)
        await self.fake.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await asyncio.gather(*(call.close() for call in self.calls.values()), return_exceptions=True)
        finally:
            if self.fake is not None:
                await self.fake.close()

    def call(self, caller: str = "+447700900999", *, public_url: str = PUBLIC_URL) -> SimulatedTwilioCall:
        """A new call from `caller` (not placed yet: `await call.start()`), signed for `public_url`."""
        assert self.fake is not None, "use the carrier in `async with`"
        placement = CallPlacement(self.server_url, ACCOUNT, TOKEN, public_url=public_url, caller=caller)
        call = SimulatedTwilioCall(placement)
        self.fake.add_call(call.call_sid, from_=caller)
        self.calls[call.call_sid] = call
        return call

    def _updated(self, call_sid: str, form: dict[str, str]) -> None:
        call = self.calls.get(call_sid)
        if call is not None:
            call.on_rest_update(call_sid, form)


@dataclass
class Line:
    """Two workers behind haproxy, and the port of the Twilio REST API they hang up through."""

    workers: list[TwilioWorker]
    proxy: Haproxy
    api_port: int
    db: str

    def carrier(self) -> Carrier:
        """The simulated Twilio, calling haproxy."""
        return Carrier(self.api_port, self.proxy.url)

    def logs(self) -> str:
        """The end of each log (for failure messages)."""
        return (
            "\n".join(f"--- {w.name}\n{w.text()[-2500:]}" for w in self.workers)
            + f"\n--- haproxy\n{self.proxy.text()[-1500:]}"
        )

    def taker(self, call: SimulatedTwilioCall) -> TwilioWorker | None:
        """The worker running `call`'s media stream."""
        return next((worker for worker in self.workers if call.call_sid in worker.streamed()), None)


def line_of(pg_cluster: Cluster, tmp_path: Path, *, voice: bool) -> Iterator[Line]:
    """Two workers (`voice`: with the voice pipeline) on a fresh database, haproxy in front; all stopped after."""
    haproxy_binary()  # skipped (or failed under CI) before any worker starts
    db, api_port = surgery_db(pg_cluster), free_port()
    workers: list[TwilioWorker] = []
    try:
        for n in (1, 2):
            workers.append(start_worker(f"worker{n}", db, tmp_path, api_port, voice=voice))
        for worker in workers:  # a worker that exits or never gets there fails the test
            wait_healthy(worker.url, worker.process, worker.log, 300 if voice else 60)
        proxy = start_haproxy(workers, tmp_path)
        try:
            yield Line(workers, proxy, api_port, db)
        finally:
            proxy.stop()
    finally:
        stop_all([worker.process for worker in workers])


async def beep_call(carrier: Carrier, line: Line) -> SimulatedTwilioCall:
    """Place a call, wait for its greeting beep to be played (the worker's mark echoed)."""
    call = carrier.call()
    await call.start()
    await eventually(lambda: "greeting" in call.marks_echoed, CALL_SECONDS, "the greeting beep", line.logs)
    return call


async def hang_up_with_hash(call: SimulatedTwilioCall, line: Line) -> None:
    """`#`: the worker beeps goodbye and hangs up through Twilio's REST API."""
    await call.send_dtmf("#")
    await eventually(call.ended.is_set, CALL_SECONDS, f"call {call.call_sid} hung up by the worker", line.logs)
    assert call.end_reason == "completed", (call.end_reason, line.logs())


def status(url: str) -> int:
    """The HTTP status of a GET of `url` (0: no answer)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0
