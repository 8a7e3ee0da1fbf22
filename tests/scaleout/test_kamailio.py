"""Several workers behind Kamailio (deploy/kamailio/kamailio.cfg) on one PostgreSQL database, all real processes on
127.0.0.1: sipp's calls spread over two workers by call load; a rolling restart (SIGTERM to one worker under load:
the calls in progress finish, the new ones go to the other worker, none fails, the drained worker exits 0); a dead
worker's call moved on after a timeout; and one real voice call through the proxy (`voicebot softphone` hears the
bot's greeting).

sipp follows the Record-Route (tests/scaleout/scenarios/proxied_call.xml): ACK and BYE go through the proxy to the
worker that answered. Calls are placed at 4 a second: a worker takes at most 5 new calls a second from one address
(`telephony.sip.safety.RateLimiter`), and behind a proxy every INVITE comes from the proxy's.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.scaleout.conftest import (
    PROXIED_CALL,
    Kamailio,
    Worker,
    free_udp_port,
    healthy,
    options,
    start_kamailio,
    start_worker,
)
from tests.speech.shared import heard
from tests.telephony.sip.peers import free_media_port, require
from tests.voicebot.serve_process import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CALLS = 40
RATE = 4
"""New calls a second."""


def sipp(proxy: Kamailio, cwd: Path, *, calls: int, hold_ms: int) -> subprocess.Popen[bytes]:
    """sipp placing `calls` calls of `hold_ms` through `proxy` at `RATE` a second (started, not waited for; its
    screens in cwd/sipp.out)."""
    command = [require("sipp"), f"127.0.0.1:{proxy.port}", "-sf", str(PROXIED_CALL), "-s", "bot"]
    command += ["-m", str(calls), "-r", str(RATE), "-l", str(calls), "-d", str(hold_ms), "-i", "127.0.0.1"]
    command += ["-p", str(free_udp_port()), "-mi", "127.0.0.1", "-mp", str(free_media_port()), "-nostdin"]
    command += ["-timeout", "60s", "-timeout_error", "-trace_err"]
    with (cwd / "sipp.out").open("wb") as out:
        return subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def finished(caller: subprocess.Popen[bytes], cwd: Path, *logs: str) -> None:
    """Wait for sipp (bounded) and check every call succeeded; on failure, the ends of sipp's and the logs."""
    try:
        caller.wait(timeout=75)
    except subprocess.TimeoutExpired:
        caller.kill()
        caller.wait(timeout=10)
    errors = "".join(path.read_text(errors="replace")[-2000:] for path in cwd.glob("*_errors.log"))
    out = (cwd / "sipp.out").read_text(errors="replace")[-2500:]
    tails = "\n".join(log[-2500:] for log in logs)
    assert caller.returncode == 0, f"sipp exit {caller.returncode}:\n{errors}\n{out}\n{tails}"


def test_calls_spread_over_both_workers_by_load(tmp_path: Path, two_workers: list[Worker], front: Kamailio) -> None:
    caller = sipp(front, tmp_path, calls=CALLS, hold_ms=1000)
    finished(caller, tmp_path, front.text(), *(w.text() for w in two_workers))

    def counted() -> bool:  # a call is counted once its handler is over, just after the BYE's 200
        return sum(w.sip_calls_ended() for w in two_workers) == CALLS

    wait_until(counted, 15, f"{CALLS} calls counted by the workers", every=0.2)
    taken = [w.sip_calls_ended() for w in two_workers]
    # By load, the two take turns: neither gets fewer than a quarter (all 40 on one is what a broken front does).
    assert min(taken) >= CALLS // 4, taken
    assert [len(w.answered()) for w in two_workers] == taken  # the logs say the same as /metrics
    assert front.text().count("new call to sip:127.0.0.1:") == CALLS, front.text()[-3000:]


@pytest.mark.parametrize("ping_interval", [1, 60], ids=["pings", "invite-503"])
def test_rolling_restart_under_load_loses_no_call(tmp_path: Path, scale_db: str, ping_interval: int) -> None:
    """SIGTERM to worker-1 in the middle of sipp's calls. Pinged every second, Kamailio sees its 503 to OPTIONS
    (and may still send it a call, which fails over); pinged every minute, only the 503 to an INVITE can tell it."""
    calls = 24
    leaving = start_worker("worker-1", scale_db, tmp_path, drain_seconds=15)
    staying = start_worker("worker-2", scale_db, tmp_path)
    workers = [leaving, staying]
    proxy: Kamailio | None = None
    try:
        healthy(workers)
        proxy = start_kamailio(workers, tmp_path, ping_interval=ping_interval)
        caller = sipp(proxy, tmp_path, calls=calls, hold_ms=1500)  # 6 at once: one worker can take them all
        wait_until(lambda: len(leaving.answered()) >= 2, 20, "worker-1 taking calls", details=leaving.text)
        leaving.process.send_signal(signal.SIGTERM)  # calls in progress on it, more coming
        finished(caller, tmp_path, proxy.text(), leaving.text(), staying.text())
        code = leaving.process.wait(timeout=30)
        log, front = leaving.text(), proxy.text()
        assert code == 0, log[-3000:]
        drain = re.search(r"draining SIP: (\d+) call\(s\) in progress", log)
        assert drain and int(drain.group(1)) >= 1, log[-3000:]  # the signal came with calls in progress
        # Not one call taken after the signal: the new ones all went to worker-2.
        assert "SIP call answered" not in log[drain.start() :], log[drain.start() :][:3000]
        taken = leaving.answered()
        assert len(taken) + len(staying.answered()) == calls, (taken, staying.answered())
        for call_id in taken:  # each call in progress went on to the caller's BYE
            assert f"call {call_id} ended: remote_bye" in log, log[-3000:]
        assert f"worker down: sip:127.0.0.1:{leaving.sip_port}" in front, front[-3000:]
        if ping_interval > 30:  # no ping before the end: a call sent to worker-1 was moved on by its 503
            moved = f"refused the call (503): trying sip:127.0.0.1:{staying.sip_port}"
            assert f"worker sip:127.0.0.1:{leaving.sip_port} {moved}" in front, front[-3000:]
        assert options(staying.sip_port) == 200
    finally:
        if proxy is not None:
            proxy.stop()
        for worker in workers:
            worker.stop()


def test_a_dead_worker_costs_a_call_seconds_not_the_call(tmp_path: Path, two_workers: list[Worker]) -> None:
    """SIGKILL: no 503, no answer at all. Before any ping (every minute here) finds it, the first call sent to it
    waits ANSWER_TIMEOUT (3 s) for its 100 Trying, then goes to the other worker."""
    dead, alive = two_workers
    dead.process.kill()
    dead.process.wait(timeout=10)
    proxy = start_kamailio(two_workers, tmp_path, ping_interval=60)
    try:
        caller = sipp(proxy, tmp_path, calls=6, hold_ms=500)
        finished(caller, tmp_path, proxy.text(), alive.text())
        front = proxy.text()
        moved = f"worker sip:127.0.0.1:{dead.sip_port} refused the call (408): trying sip:127.0.0.1:{alive.sip_port}"
        assert moved in front and f"worker down: sip:127.0.0.1:{dead.sip_port}" in front, front[-3000:]
        assert len(alive.answered()) == 6, alive.text()[-3000:]
    finally:
        proxy.stop()


@pytest.mark.models
def test_a_real_voice_call_through_the_proxy_hears_the_greeting(tmp_path: Path, scale_db: str) -> None:
    worker = start_worker("voice-1", scale_db, tmp_path, voice=True)
    proxy: Kamailio | None = None
    try:
        healthy([worker], timeout=240)
        proxy = start_kamailio([worker], tmp_path)
        script = tmp_path / "caller.txt"
        script.write_text("hangup\n", encoding="utf-8")  # the greeting, then the caller hangs up
        command = ["-m", "voicebot", "softphone", "--to", f"sip:voicebot@127.0.0.1:{proxy.port}", "--json"]
        command += ["--script", str(script), "--language", "en", "--caller-id", "+447700900123"]
        done = subprocess.run(
            [sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL
        )
        events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        said = " ".join(event["text"] for event in events if event["type"] == "say")
        details = f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n{worker.text()[-2000:]}\n{proxy.text()[-2000:]}"
        assert events and events[-1]["type"] == "end", details
        assert heard(said, ("riverside", "surgery", "assistant"), 2), details  # the greeting, transcribed
        assert len(worker.answered()) == 1 and f"new call to sip:127.0.0.1:{worker.sip_port}" in proxy.text(), details
        wait_until(lambda: "ended: remote_bye" in worker.text(), 10, "the caller's BYE, through the proxy")
    finally:
        if proxy is not None:
            proxy.stop()
        worker.stop()
