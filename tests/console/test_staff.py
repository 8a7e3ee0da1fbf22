"""Staff accounts: the store on both databases, `voicebot staff ...`, `voicebot serve`, package boundaries."""

from __future__ import annotations

import ast
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from booking.db import open_engine
from booking.service import BookingService
from booking.staff import StaffError, StaffStore
from tests.conftest import ROOT
from tests.console.conftest import NOW
from tests.pg import free_port
from voicebot.cli import main
from voicebot.console.passwords import hash_password, verify_password


def test_store_on_both_databases(db_url: str) -> None:
    service = BookingService.open(db_url)
    store = StaffStore(service.engine)
    account = store.add(" Alice ", "admin", "hash-1", NOW)
    assert (account.username, account.is_admin, account.active) == ("alice", True, True)
    with pytest.raises(StaffError, match="already exists"):
        store.add("ALICE", "secretary", "hash-2", NOW)
    with pytest.raises(StaffError, match="unknown role"):
        store.add("bob", "doctor", "hash-2", NOW)
    with pytest.raises(StaffError, match="not a valid user name"):
        store.add("a b", "admin", "hash-2", NOW)
    store.add("bob", "secretary", "hash-2", NOW)
    store.set_password("Bob", "hash-3")
    assert store.get("bob").password_hash == "hash-3"  # type: ignore[union-attr]
    assert [a.username for a in store.accounts()] == ["alice", "bob"]
    store.remove("bob")
    assert store.get("bob") is None
    with pytest.raises(StaffError, match="no staff account"):
        store.remove("bob")
    store.record("alice", "config.hours", "martin: tue 10:00-12:00", NOW)
    store.record("alice", "appointment.cancel", "123456", NOW)
    assert [e.action for e in store.recent()] == ["appointment.cancel", "config.hours"]
    assert store.recent()[0].at == NOW
    service.engine.dispose()


def test_passwords_are_argon2_hashes() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")


def test_staff_commands(sqlite_url: str) -> None:
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = runner.invoke(main, [*args, "--db", sqlite_url], input=stdin)
        return result.exit_code, result.output

    assert run("staff", "list")[1].startswith("No staff account yet")
    assert run("staff", "add", "Claire", "--role", "admin", stdin="a good password\n") == (
        0,
        "Account claire (admin) created.\n",
    )
    code, output = run("staff", "add", "claire", "--role", "secretary", stdin="another password\n")
    assert code == 1 and "already exists" in output
    code, output = run("staff", "add", "sam", "--role", "secretary", stdin="short\n")
    assert code == 1 and "at least 8 characters" in output
    assert run("staff", "add", "sam", "--role", "secretary", stdin="sam's password\n")[0] == 0
    listing = run("staff", "list")[1]
    assert "claire" in listing and "admin" in listing and "sam" in listing and "secretary" in listing
    assert run("staff", "passwd", "sam", stdin="a new password\n")[0] == 0
    store = StaffStore(open_engine(sqlite_url))
    assert verify_password(store.get("sam").password_hash, "a new password")  # type: ignore[union-attr]
    assert run("staff", "remove", "sam")[0] == 0
    code, output = run("staff", "remove", "sam")
    assert code == 1 and "no staff account" in output
    assert [e.action for e in store.recent()] == ["staff.remove", "staff.passwd", "staff.add", "staff.add"]
    assert "--role" in run("staff", "add", "--help")[1]


@pytest.mark.slow
def test_serve_applies_the_sample_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("voicebot")),
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--now",
            "2026-11-30T09:00",
            "--sip-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "voicebot serve did not start"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login", timeout=5) as response:
            assert "Cabinet médical du Parc" in response.read().decode()
    finally:
        server.send_signal(signal.SIGTERM)
        _, log = server.communicate(timeout=20)
    assert server.returncode in (0, -signal.SIGTERM), log
    assert "applied the sample" in log and "Finished server process" in log


def test_booking_imports_nothing_of_the_shells() -> None:
    for path in sorted((ROOT / "booking").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            for name in names:
                assert name.split(".")[0] not in ("voicebot", "dialogue", "telephony", "argon2", "fastapi"), (
                    f"{path.relative_to(ROOT)} imports {name}"
                )
