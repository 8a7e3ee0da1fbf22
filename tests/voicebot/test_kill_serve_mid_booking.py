"""`voicebot serve` killed with SIGKILL in the middle of a burst of staff-console bookings (texts on, so each booking
writes the appointment, the patient and the confirmation text in one transaction): after each kill the database
holds every booking whole or not at all, and every reference the console answered is booked; the server restarted
on that database answers `/healthz` and books again. Real `voicebot serve --no-voice --sip-port 0` processes, real
HTTP (httpx) through the console's login and CSRF-protected booking form, a real SQLite file and a real PostgreSQL
database.

Each round starts a server on the database the last one was killed on, books one appointment on it (answered, so the
restart works), posts `BURST` forms at once and kills the server at one of `KILLS`. Over the run both outcomes must
happen (the last assertion): "at once" kills before six bookings queued on one database can all commit, "after the
first answer" once one is committed and answered, the others in flight; a run that only ever saw one of them would
prove less than it claims. A booking committed but never answered (`Tally.booked_untold`) happens in most runs but
depends on timing, so it is counted, not required.

The Twilio side cannot book here: without speech models (`--no-voice`) a call only hears beeps, and a patient's
text can only cancel (`voicebot.sms_replies`), so the console is the booking path exercised.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text

from booking.clinic import load_clinic
from booking.db import migrate, open_engine
from booking.service import BookingService
from booking.slots import Slot, SlotQuery
from booking.staff import StaffStore
from booking.store import apply_clinic
from tests.conftest import NOW, PARIS, SAMPLE_CLINIC
from tests.voicebot.booking_consistency import WriteWatch, check_whole, connections_gone, wait_for
from tests.voicebot.serve_process import FakeApi, Serve
from voicebot.console.passwords import hash_password

pytestmark = pytest.mark.slow

SERVED_AT = NOW + timedelta(hours=1)
"""Where the servers' clocks start (`--now`)."""
ADMIN, PASSWORD = "alice", "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Cheap argon2 parameters for the admin's hash (the server verifies with the parameters stored in it)."""
BURST = 6
"""Booking forms posted at once in each round, each for its own slot and its own patient."""
KILLS = ("at once", "in the write", "after 30 ms", "after the first answer")
"""When each round kills the server, counted from the burst's start."""
HTTP_TIMEOUT = 15.0
ANSWERED = re.compile(r"/admin/appointments/(\d+)\?ok=booked")
"""Where the console sends the secretary after a booking: the appointment's page, its reference in the path."""


@dataclass(frozen=True)
class Booking:
    """One booking form: its slot and its patient (a unique last name, a mobile number)."""

    slot: Slot
    last_name: str

    def form(self, csrf: str) -> dict[str, str]:
        start = self.slot.start.astimezone(PARIS)
        return {
            "csrf_token": csrf,
            "practitioner": self.slot.practitioner_id,
            "motif": self.slot.motif_id,
            "day": start.date().isoformat(),
            "at": f"{start:%H:%M}",
            "first_name": "Jean",
            "last_name": self.last_name,
            "birth_date": "1985-07-14",
            "phone": "06 12 34 56 78",
        }


@dataclass
class Tally:
    """What the burst requests came to, over the whole run."""

    told: set[str] = field(default_factory=set)
    """References the console answered (probes included)."""
    probes: int = 0
    """Bookings made (and answered) on a server left running."""
    booked: int = 0
    not_booked: int = 0
    booked_untold: int = 0
    """Committed, but the server died before it answered."""


def sample_practice(url: str, tmp_path: Path) -> list[Slot]:
    """The sample practice with texts on, applied to the database at `url`, with the admin's account; enough
    free, non-overlapping consultation slots for every booking of the run."""
    clinic_file = tmp_path / "clinic.toml"
    clinic_file.write_text(SAMPLE_CLINIC.read_text(encoding="utf-8") + "\n[sms]\nenabled = true\n", encoding="utf-8")
    engine = open_engine(url)
    try:
        migrate(engine)
        apply_clinic(engine, load_clinic(clinic_file), NOW)
        StaffStore(engine).add(ADMIN, "admin", hash_password(PASSWORD, FAST), NOW)
        query = SlotQuery("consultation", first_day=date(2026, 11, 30), last_day=date(2026, 12, 18))
        free = BookingService(engine).find_slots(query, SERVED_AT)
    finally:
        engine.dispose()
    slots: list[Slot] = []
    ends: dict[str, datetime] = {}
    for slot in sorted(free, key=lambda s: (s.start, s.practitioner_id)):
        if slot.start >= ends.get(slot.practitioner_id, slot.start):
            slots.append(slot)
            ends[slot.practitioner_id] = slot.end
    assert len(slots) >= len(KILLS) * (BURST + 1) + 1
    return slots


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(server: Serve) -> tuple[httpx.Cookies, str]:
    """Log the admin in through the login form; the session's cookies and CSRF token."""
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=HTTP_TIMEOUT) as client:
        response = client.post(
            "/admin/login",
            data={"username": ADMIN, "password": PASSWORD, "csrf_token": csrf_of(client.get("/admin/login").text)},
        )
        assert response.status_code == 303, (response.status_code, server.log_text())
        return client.cookies, csrf_of(client.get("/admin/day").text)


def post(client: httpx.Client, booking: Booking, csrf: str) -> str | None:
    """Post the booking form; the reference answered, `None` when the server died before answering."""
    try:
        response = client.post("/admin/appointments/new", data=booking.form(csrf))
    except httpx.TransportError:
        return None
    match = ANSWERED.fullmatch(response.headers.get("location", ""))
    assert response.status_code == 303 and match, (response.status_code, response.text[-2000:])
    return match[1]


def book_one(server: Serve, booking: Booking) -> str:
    """A booking made on a healthy server: it must be answered."""
    cookies, csrf = log_in(server)
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", cookies=cookies, timeout=HTTP_TIMEOUT) as client:
        reference = post(client, booking, csrf)
    assert reference is not None, server.log_text()
    return reference


def burst_and_kill(server: Serve, bookings: list[Booking], how: str, watch: WriteWatch) -> list[str | None]:
    """Post `bookings` at once, each on its own connection, and SIGKILL the server `how` (see `KILLS`); what each
    request was answered (its reference, or `None`)."""
    cookies, csrf = log_in(server)
    base = f"http://127.0.0.1:{server.port}"
    clients = [httpx.Client(base_url=base, cookies=cookies, timeout=HTTP_TIMEOUT) for _ in bookings]
    try:
        with ThreadPoolExecutor(len(bookings)) as pool:
            watch.arm()
            futures: list[Future[str | None]] = [
                pool.submit(post, client, booking, csrf) for client, booking in zip(clients, bookings, strict=True)
            ]
            if how == "in the write":
                wait_for(watch.writing, 10.0)  # not seen in time (the write was too quick): killed after it, as well
            elif how == "after the first answer":
                wait(futures, timeout=HTTP_TIMEOUT, return_when=FIRST_COMPLETED)
            elif how.startswith("after "):
                time.sleep(int(how.split()[1]) / 1000)
            server.kill()
            return [future.result(timeout=HTTP_TIMEOUT + 5) for future in futures]
    finally:
        for client in clients:
            client.close()


def check_round(checker: Engine, bookings: list[Booking], answers: list[str | None], tally: Tally) -> None:
    """After a kill: the database whole, every answered reference booked for its own form, nothing more booked
    than was asked, and every booking the staff audit trail names present."""
    assert wait_for(lambda: connections_gone(checker), 15.0, 0.05), "the killed server's sessions linger"
    tally.told |= {reference for reference in answers if reference is not None}
    count = check_whole(checker, tally.told)
    service = BookingService(checker)
    by_slot = {(r.practitioner_id, r.start): r for r in service.list_appointments()}
    for booking, answer in zip(bookings, answers, strict=True):
        record = by_slot.get((booking.slot.practitioner_id, booking.slot.start))
        if answer is not None:
            assert record is not None and record.reference == answer, (booking, answer, record)
        if record is None:
            tally.not_booked += 1
        else:
            tally.booked += 1
            tally.booked_untold += answer is None
    with checker.connect() as connection:
        audited = connection.execute(
            text("SELECT details FROM audit_entry WHERE action = 'appointment.book'")
        ).scalars()
        references = {r.reference for r in by_slot.values()}
        assert {str(details).split()[0] for details in audited} <= references, "an audited booking is missing"
    assert count == tally.probes + tally.booked, "more appointments than forms"


def test_a_kill_in_a_burst_of_console_bookings_keeps_each_whole_or_absent(db_url: str, tmp_path: Path) -> None:
    slots = iter(sample_practice(db_url, tmp_path))
    names = (f"Essai{chr(65 + n // 26)}{chr(97 + n % 26)}" for n in range(26 * 26))
    checker = create_engine(db_url)
    watch = WriteWatch.on(checker, db_url)
    tally = Tally()
    servers: list[Serve] = []
    try:
        with FakeApi() as api:
            for round_, how in enumerate([*KILLS, "restart only"]):
                servers.append(server := Serve(db_url, api.url, tmp_path / f"serve-{round_}.log", now=SERVED_AT))
                server.wait_ready()  # /healthz is 200 on the database the last server was killed on
                tally.told.add(book_one(server, Booking(next(slots), next(names))))
                tally.probes += 1
                check_whole(checker, tally.told)
                if how == "restart only":
                    break
                bookings = [Booking(next(slots), next(names)) for _ in range(BURST)]
                answers = burst_and_kill(server, bookings, how, watch)
                check_round(checker, bookings, answers, tally)
    finally:
        for server in servers:
            server.close()
        checker.dispose()
    # the kills came both before and after commits: some burst bookings were made, some never were
    assert tally.booked > 0 and tally.not_booked > 0, tally
