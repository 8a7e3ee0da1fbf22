"""Two `voicebot serve` workers on one PostgreSQL database behind haproxy (deploy/haproxy/haproxy.cfg), called by
the simulated Twilio carrier at haproxy's address with signatures over the public URL: calls spread over both
workers and complete; a request signed for another URL is refused; a draining worker (SIGTERM) gets no new call
while its call in progress finishes; two callers on the two workers racing for one slot: one is booked, the other
is told it was just taken and books the next free time.

The `<Stream>` URL is the public one for every call: the webhook and the media stream of one call may reach
different workers, which holds because a worker keeps nothing of a call between the two (the stream's token is
an HMAC every worker checks with the shared auth token). The workers see haproxy's address in `Host` and `http` in
X-Forwarded-Proto (believed: `--forwarded-allow-ips 127.0.0.1`); neither matters, signatures are checked over
VOICEBOT_PUBLIC_URL.

The race is a keypad-only dialogue, the real one (the voice pipeline, Piper's voice, Twilio's `dtmf` messages
through haproxy): each caller keys in its answers without waiting for the bot to finish each question (keys are
answered in order, whatever is still being said), and waits at the read-back until its worker has said it (the
worker's debug log names each sentence synthesised). Both then confirm at once.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from booking.models import PatientRow
from booking.records import Status
from booking.service import BookingService, fold_name
from booking.slots import SlotQuery
from dialogue.wording.phrases import load_phrases
from telephony.twilio.auth import SIGNATURE_HEADER, sign_websocket
from telephony.twilio.sim.carrier import CallRejected, SimulatedTwilioCall
from tests.conftest import NOW, ROOT
from tests.pg import Cluster, free_port
from tests.scaleout.twilio_fixtures import (
    CALL_SECONDS,
    HAPROXY_CFG,
    PUBLIC_URL,
    SYNTHESISED,
    TOKEN,
    Line,
    TwilioWorker,
    beep_call,
    eventually,
    hang_up_with_hash,
    haproxy_binary,
    haproxy_environment,
    line_of,
    start_haproxy,
    status,
)
from voicebot.server import create_app
from voicebot.settings import Clock

UNIT = ROOT / "deploy" / "systemd" / "voicebot@.service"


@pytest.fixture
def beeps(pg_cluster: Cluster, tmp_path: Path) -> Iterator[Line]:
    """Two `--no-voice` workers (calls hear beeps: `ToneHandler`) behind haproxy."""
    yield from line_of(pg_cluster, tmp_path, voice=False)


@pytest.fixture
def voices(pg_cluster: Cluster, tmp_path: Path) -> Iterator[Line]:
    """Two workers with the voice pipeline (the English surgery, Piper) behind haproxy."""
    yield from line_of(pg_cluster, tmp_path, voice=True)


def test_healthz_is_503_while_draining(tmp_path: Path) -> None:
    service = BookingService.open(f"sqlite:///{tmp_path / 'health.db'}")
    draining = False
    app = create_app(service, Clock(NOW), secret_key="k", draining=lambda: draining)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        draining = True
        answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (503, {"status": "draining"})


def test_haproxy_config_is_valid(tmp_path: Path) -> None:
    program = haproxy_binary()
    for environment in (
        dict(os.environ),
        haproxy_environment([], free_port(), tmp_path, VOICEBOT_WORKER3="127.0.0.1:9"),
    ):
        checked = subprocess.run(
            [program, "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True, env=environment, timeout=30
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "WARNING" not in checked.stdout + checked.stderr, checked.stdout + checked.stderr


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = "/usr/bin/systemd-analyze"
    if not os.access(analyze, os.X_OK):
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is not installed: CI checks deploy/systemd with it (apt-get install systemd)")
        pytest.skip("systemd-analyze is not installed")
    # The unit as shipped names /opt/voicebot; verify checks that ExecStart exists: point it at this checkout's
    unit = tmp_path / "voicebot@.service"
    unit.write_text(
        UNIT.read_text().replace("/opt/voicebot/.venv/bin/voicebot", str(Path(sys.executable).with_name("voicebot")))
    )
    checked = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, ""), checked.stdout + checked.stderr


@pytest.mark.slow
@pytest.mark.postgres
def test_calls_spread_over_both_workers_and_complete(beeps: Line) -> None:
    async def scenario() -> list[SimulatedTwilioCall]:
        async with beeps.carrier() as carrier:
            calls = [await beep_call(carrier, beeps) for _ in range(6)]  # all in progress at once
            await asyncio.gather(*(hang_up_with_hash(call, beeps) for call in calls))
            return calls

    calls = asyncio.run(scenario())
    taken = {worker.name: set(worker.streamed()) for worker in beeps.workers}
    assert set().union(*taken.values()) == {call.call_sid for call in calls}, beeps.logs()
    assert all(taken.values()), taken  # leastconn: each worker took some of the calls in progress
    answered = [sid for worker in beeps.workers for sid in worker.answered()]
    assert sorted(answered) == sorted(call.call_sid for call in calls)  # each webhook answered once, by either


@pytest.mark.slow
@pytest.mark.postgres
def test_a_request_signed_for_another_url_is_refused(beeps: Line, tmp_path: Path) -> None:
    own = beeps.workers[0].url  # the worker's own address, which Twilio never calls

    async def scenario() -> None:
        async with beeps.carrier() as carrier:
            with pytest.raises(CallRejected) as refused:
                await carrier.call(public_url=own).start()
            assert (refused.value.stage, refused.value.status) == ("webhook", 403)
            stream = beeps.proxy.url.replace("http", "ws") + "/twilio/stream"
            for signed_for in (stream, own.replace("http", "ws") + "/twilio/stream"):
                with pytest.raises(InvalidStatus) as upgrade:
                    await connect(
                        stream,
                        additional_headers={SIGNATURE_HEADER: sign_websocket(TOKEN, signed_for)},
                        open_timeout=10,
                    )
                assert upgrade.value.response.status_code == 403
            signed = {SIGNATURE_HEADER: sign_websocket(TOKEN, PUBLIC_URL.replace("https", "wss") + "/twilio/stream")}
            async with connect(stream, additional_headers=signed, open_timeout=10):
                pass  # the public URL's signature opens the stream through the proxy

    asyncio.run(scenario())
    assert not any(worker.answered() for worker in beeps.workers)
    assert status(beeps.proxy.url + "/metrics") == 403  # scraped on each worker, never through the proxy
    assert status(beeps.proxy.url + "/admin/login") == 200  # the console, from the staff network
    outside = start_haproxy(beeps.workers, tmp_path, VOICEBOT_CONSOLE_NETWORK="192.0.2.0/24")
    try:
        assert status(outside.url + "/admin/login") == 403
    finally:
        outside.stop()


@pytest.mark.slow
@pytest.mark.postgres
def test_a_draining_worker_gets_no_new_calls_while_its_call_finishes(beeps: Line) -> None:
    async def scenario() -> tuple[TwilioWorker, TwilioWorker, list[SimulatedTwilioCall]]:
        async with beeps.carrier() as carrier:
            first = await beep_call(carrier, beeps)
            await eventually(lambda: beeps.taker(first) is not None, CALL_SECONDS, "the first call taken", beeps.logs)
            draining = beeps.taker(first)
            assert draining is not None
            other = next(worker for worker in beeps.workers if worker is not draining)
            draining.process.terminate()  # SIGTERM: the drain
            await eventually(lambda: draining.health() == 503, 10, f"{draining.name} /healthz 503", beeps.logs)
            await asyncio.to_thread(beeps.proxy.wait_status, draining.name, "DOWN")
            later = [await beep_call(carrier, beeps) for _ in range(4)]
            await asyncio.gather(*(hang_up_with_hash(call, beeps) for call in later))
            assert not first.ended.is_set() and draining.process.poll() is None  # still in its call
            await hang_up_with_hash(first, beeps)
            return draining, other, later

    draining, other, later = asyncio.run(scenario())
    assert draining.process.wait(timeout=30) == 0, draining.text()[-3000:]  # drained, then exited
    new = {call.call_sid for call in later}
    assert new <= set(other.streamed()) and new <= set(other.answered()), beeps.logs()
    assert not new & (set(draining.streamed()) | set(draining.answered())), beeps.logs()
    assert "did not end in time" not in draining.text()


@dataclass(frozen=True)
class Caller:
    """A registered patient calling from their own number, keying in everything."""

    first_name: str
    last_name: str
    birth_date: date
    phone: str

    def row(self) -> PatientRow:
        """The patient as the practice already knows them."""
        first, last = self.first_name, self.last_name
        return PatientRow(
            first_name=first,
            last_name=last,
            first_name_key=fold_name(first),
            last_name_key=fold_name(last),
            birth_date=self.birth_date,
            phone=self.phone,
            created_at=NOW.astimezone(UTC),
        )

    @property
    def up_to_read_back(self) -> list[str]:
        """Book, Doctor Jones, a GP appointment, the first available day, the first time offered, the birth date,
        yes it is for them: then the bot reads the booking back."""
        return ["1", "2", "1", "1#", "1", f"{self.birth_date:%d%m%Y}#", "1"]


CALLERS = (
    Caller("John", "Smith", date(1980, 3, 2), "+447700900123"),
    Caller("Mary", "Brown", date(1975, 5, 6), "+447700900124"),
)
EN = load_phrases("en")
GREETED, TAKEN, BOOKED = EN.get("open.question"), EN.get("done.taken"), EN.get("done.booked")
READ_BACK = EN.get("confirm.book", motif="", slot="", name="", spelled="").split(":")[0]


async def keys(call: SimulatedTwilioCall, answers: list[str]) -> None:
    """Key in each answer (a menu key, or digits ended by `#`), a fast caller's pace."""
    for answer in answers:
        for key in answer:
            await call.send_dtmf(key)
            await asyncio.sleep(0.15)
        await asyncio.sleep(0.3)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.models
def test_two_callers_on_two_workers_race_for_one_slot(voices: Line) -> None:
    service = BookingService.open(voices.db)
    first, second = service.find_slots(SlotQuery("consultation", ("jones",), limit=2), NOW)
    with Session(service.engine) as session:
        session.add_all(caller.row() for caller in CALLERS)
        session.commit()

    async def scenario() -> int:
        async with voices.carrier() as carrier:
            calls: list[SimulatedTwilioCall] = []
            for caller in CALLERS:  # one after the other: leastconn gives the second to the idle worker
                call = carrier.call(caller.phone)
                await call.start()
                await eventually(partial(taken, voices, call), 30, "the stream taken", voices.logs)
                calls.append(call)
            workers = [voices.taker(call) or voices.workers[0] for call in calls]
            assert workers[0] is not workers[1], voices.logs()  # the calls run on two workers
            await said(workers, GREETED, 1, voices)
            await asyncio.gather(
                *(keys(call, caller.up_to_read_back) for call, caller in zip(calls, CALLERS, strict=True))
            )
            await said(workers, READ_BACK, 1, voices)
            assert read_back(workers[0]) == read_back(workers[1]) != "", voices.logs()  # one time for both
            await asyncio.gather(*(keys(call, ["1"]) for call in calls))  # both say yes at once

            def settled() -> bool:
                return sorted((w.said(BOOKED), w.said(TAKEN)) for w in workers) == [(0, 1), (1, 0)]

            await eventually(settled, 60, "one booked, the other told the time was taken", voices.logs)
            loser = next(n for n, worker in enumerate(workers) if worker.said(TAKEN))
            await keys(calls[loser], ["1"])  # the next free times, offered at once: the first of them
            await said(workers[loser : loser + 1], READ_BACK, 2, voices)
            await keys(calls[loser], ["1"])
            await said(workers[loser : loser + 1], BOOKED, 1, voices)
            return loser

    try:
        loser = asyncio.run(scenario())
        booked = {a.patient.last_name: a.start for a in service.list_appointments(status=Status.BOOKED)}
    finally:
        service.engine.dispose()
    winner = 1 - loser
    assert booked == {CALLERS[winner].last_name: first.start, CALLERS[loser].last_name: second.start}, booked
    assert not any("dialogue step failed" in worker.text() for worker in voices.workers), voices.logs()


def taken(line: Line, call: SimulatedTwilioCall) -> bool:
    """Whether a worker runs `call`'s media stream."""
    return line.taker(call) is not None


async def said(workers: list[TwilioWorker], words: str, times: int, line: Line) -> None:
    """Wait until each of `workers` has synthesised a sentence holding `words` `times` times."""
    for worker in workers:

        def enough(worker: TwilioWorker = worker) -> bool:
            return worker.said(words) >= times

        await eventually(enough, 60, f"{worker.name}: {words!r}", line.logs)


def read_back(worker: TwilioWorker) -> str:
    """What the worker's first read-back named: the motif, the time and the practitioner (not the patient)."""
    line = next((line for line in worker.text().splitlines() if SYNTHESISED + READ_BACK in line), "")
    return line.partition(SYNTHESISED + READ_BACK)[2].partition(", for ")[0]
