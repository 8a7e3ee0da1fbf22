"""Several `voicebot serve` workers on one PostgreSQL database behind Kamailio (deploy/kamailio/kamailio.cfg), all
on 127.0.0.1: real processes started and stopped by the fixtures, every wait bounded.

Kamailio runs in the foreground (`-DD -E`) as whoever runs the tests, with its runtime directory (control socket,
pid file) in the test's temporary directory and the settings the config lets the command line override (`-A`):
its UDP port, the workers' list written for the test, OPTIONS pings every second. It is missing → skipped, except
under CI=true, where it must be there (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import NOW, ROOT
from tests.pg import Cluster, free_port
from tests.scaleout.twilio_fixtures import surgery_db
from tests.voicebot.serve_process import wait_healthy, wait_until

KAMAILIO_CFG = ROOT / "deploy" / "kamailio" / "kamailio.cfg"
PROXIED_CALL = Path(__file__).with_name("scenarios") / "proxied_call.xml"
ANSWERED = re.compile(r"^(\S+ \S+) INFO telephony\.sip\.gateway: call (\S+): SIP call answered$", re.MULTILINE)
"""A worker's log line for each call it took (its time, its Call-ID)."""


def kamailio_binary() -> str:
    """The `kamailio` program (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("kamailio") or next((p for p in ("/usr/sbin/kamailio",) if os.access(p, os.X_OK)), None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("kamailio is not installed: the scale-out tests need it in CI (apt-get install kamailio)")
    pytest.skip("kamailio is not installed (apt-get install kamailio)")


def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def options(port: int, timeout: float = 1.0) -> int | None:
    """The status of an OPTIONS sent to 127.0.0.1:`port` (None: no answer within `timeout`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        own = sock.getsockname()[1]
        stamp = time.time_ns()
        request = (
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{own};branch=z9hG4bK-{stamp}\r\n"
            f"From: <sip:probe@127.0.0.1:{own}>;tag=probe\r\nTo: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: probe-{stamp}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(request.encode(), ("127.0.0.1", port))
        try:
            data = sock.recv(65535)
        except (TimeoutError, ConnectionRefusedError):
            return None
    found = re.match(rb"SIP/2\.0 (\d{3})", data)
    return int(found.group(1)) if found else None


@dataclass
class Worker:
    """One `voicebot serve` worker: its name (`--worker-id`), SIP and HTTP ports, log, process."""

    name: str
    sip_port: int
    http_port: int
    log: Path
    process: subprocess.Popen[bytes]

    def text(self) -> str:
        """Its whole log."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def answered(self) -> list[str]:
        """The Call-IDs of the calls it took, in order."""
        return [call_id for _, call_id in ANSWERED.findall(self.text())]

    def sip_calls_ended(self) -> int:
        """SIP calls over, from its /metrics (`voicebot_calls_total`, every outcome)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as response:
            exposition = response.read().decode()
        counts = re.findall(r'^voicebot_calls_total\{line="sip",[^}]*\} (\S+)$', exposition, re.MULTILINE)
        return int(sum(float(count) for count in counts))

    def stop(self) -> None:
        """SIGTERM (the drain), then SIGKILL if it is still there after 20 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_worker(name: str, db: str, directory: Path, *, voice: bool = False, drain_seconds: float = 10) -> Worker:
    """`voicebot serve` on `db` as worker `name`, SIP on a free UDP port of 127.0.0.1 (calls from loopback only);
    `voice`: the speech models loaded (Piper without noise, as the voice tests do), else beeps."""
    sip_port, http_port, log = free_udp_port(), free_port(), directory / f"{name}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBOT_", "TWILIO_"))}
    environment |= {"PYTHONUNBUFFERED": "1", "VOICEBOT_SPEECH_CACHE": "off"}
    program = ["-m", "tests.speech.quiet_voicebot"] if voice else ["-m", "voicebot"]
    command = [sys.executable, *program, "serve", "--db", db, "--now", NOW.isoformat(), "--worker-id", name]
    command += ["--port", str(http_port), "--sip-port", str(sip_port), "--drain-seconds", str(drain_seconds)]
    command += ["--log-level", "info"] + ([] if voice else ["--no-voice"])
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=ROOT)
    return Worker(name, sip_port, http_port, log, process)


def healthy(workers: list[Worker], timeout: float = 90.0) -> None:
    """Wait for each worker's /healthz (a worker that exits or never gets there fails the test)."""
    for worker in workers:
        wait_healthy(f"http://127.0.0.1:{worker.http_port}", worker.process, worker.log, timeout)


@dataclass
class Kamailio:
    """Kamailio with deploy/kamailio/kamailio.cfg in front of `workers` (dispatcher set 1)."""

    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def text(self) -> str:
        """Its log."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM (its children go with it), SIGKILL to its process group after 10 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_kamailio(workers: list[Worker], directory: Path, *, ping_interval: int = 1) -> Kamailio:
    """Kamailio on a free UDP port of 127.0.0.1 dispatching to `workers`, pinging each every `ping_interval`
    seconds; returns once it answers OPTIONS."""
    program = kamailio_binary()
    runtime = directory / "kamailio"
    runtime.mkdir()
    listing = runtime / "dispatcher.list"
    listing.write_text(
        "".join(f"1 sip:127.0.0.1:{w.sip_port} 0 0 duid={w.name};maxload=10\n" for w in workers), encoding="utf-8"
    )
    port, log = free_udp_port(), directory / "kamailio.log"
    command = [program, "-DD", "-E", "-f", str(KAMAILIO_CFG), "-Y", str(runtime), "-P", str(runtime / "kamailio.pid")]
    # One receiving process: it relays each worker's 180 and 200 in order. With several, the 200 sometimes
    # overtakes the 180 (each goes through another process), which a UA ignores but sipp takes for an error.
    command += ["-n", "1", "-m", "32", "-M", "4", "-A", f"LISTEN=udp:127.0.0.1:{port}"]
    command += ["-A", f'DISPATCHER_LIST="{listing}"', "-A", f"PING_INTERVAL={ping_interval}", "-A", "LOG_LEVEL=1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    proxy = Kamailio(port, log, process)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"kamailio exited ({process.returncode}):\n{proxy.text()[-3000:]}")
        return options(port, 0.5) == 200

    try:
        wait_until(up, 20, "kamailio answering OPTIONS", every=0.2, details=lambda: proxy.text()[-3000:])
    except BaseException:
        proxy.stop()
        raise
    return proxy


@pytest.fixture
def scale_db(pg_cluster: Cluster) -> str:
    """A fresh PostgreSQL database with the schema and the English sample surgery, shared by the workers."""
    return surgery_db(pg_cluster)


@pytest.fixture
def two_workers(scale_db: str, tmp_path: Path) -> Iterator[list[Worker]]:
    """Two `--no-voice` workers on the same database, healthy."""
    workers = [start_worker(f"worker-{n}", scale_db, tmp_path) for n in (1, 2)]
    try:
        healthy(workers)
        yield workers
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture
def front(two_workers: list[Worker], tmp_path: Path) -> Iterator[Kamailio]:
    """Kamailio in front of the two workers."""
    proxy = start_kamailio(two_workers, tmp_path)
    try:
        yield proxy
    finally:
        proxy.stop()
