"""The console's login throttle behind real HTTP: it counts per account and per client address, and the client
address comes from X-Forwarded-For only when `voicebot serve --forwarded-allow-ips` trusts the sender.

The console app of the `console` fixture (fake monotonic clock, cheap argon2) is served by uvicorn with the
settings `voicebot serve` uses (`voicebot.app.web_config`) on 127.0.0.1; other loopback addresses (127.0.0.2)
stand for other machines.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.console.conftest import FAST, NOW, PASSWORD, Console, csrf_of
from tests.pg import free_port
from voicebot.app import web_config
from voicebot.console.passwords import hash_password
from voicebot.settings import BadSetting, forwarded_allow_ips

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(app: FastAPI, proxies: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a socket bound beforehand) in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(web_config(app, host="127.0.0.1", port=port, forwarded_allow_ips=proxies))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def attempt(
    url: str, username: str, password: str, *, forwarded: str | None = None, source: str = "127.0.0.1"
) -> httpx.Response:
    """One login through the form, from a fresh browser connecting from `source`, saying `forwarded` in
    X-Forwarded-For when given."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=url, headers=headers, transport=transport, timeout=10) as client:
        token = csrf_of(client.get("/admin/login").text)
        return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})


def logins_from(console: Console) -> list[str]:
    """The audit trail's login entries ("from ADDRESS"), oldest first."""
    return [entry.details for entry in reversed(console.staff.recent()) if entry.action == "login"]


def test_rotating_x_forwarded_for_does_not_escape_the_limit(console: Console) -> None:
    with serving(console.app) as url:
        for i in range(10):
            assert attempt(url, "alice", "guess", forwarded=f"203.0.113.{i + 1}").status_code == 401
        refused = attempt(url, "alice", PASSWORD, forwarded="198.51.100.1")
        assert refused.status_code == 429 and "Trop de tentatives" in refused.text
        assert attempt(url, "sam", PASSWORD, forwarded="198.51.100.2").status_code == 303
    assert logins_from(console) == ["from 127.0.0.1"]  # the header was not believed


def test_a_locked_account_stays_locked_from_a_new_address(console: Console) -> None:
    with serving(console.app) as url:
        for _ in range(10):
            assert attempt(url, " Alice ", "guess").status_code == 401  # the name as the account store reads it
        assert attempt(url, "alice", PASSWORD, source="127.0.0.2").status_code == 429
        assert attempt(url, "ALICE", PASSWORD, source="127.0.0.3", forwarded="192.0.2.9").status_code == 429
        assert attempt(url, "sam", PASSWORD, source="127.0.0.2").status_code == 303  # that address is not locked
        console.monotonic.advance(15 * 60 + 1)
        assert attempt(url, "alice", PASSWORD, source="127.0.0.2").status_code == 303
    assert logins_from(console) == ["from 127.0.0.2", "from 127.0.0.2"]


@pytest.mark.slow  # each name of no account costs a full argon2 check
def test_unknown_names_are_locked_like_accounts(console: Console) -> None:
    """Guessing at a name of no account ends the same way as at a real one: nothing tells them apart."""
    with serving(console.app) as url:
        for i in range(10):
            assert attempt(url, "nobody", "guess", forwarded=f"203.0.113.{i + 1}").status_code == 401
            assert attempt(url, "alice", "guess", forwarded=f"203.0.113.{i + 1}").status_code == 401
        unknown = attempt(url, "nobody", PASSWORD, source="127.0.0.2")
        known = attempt(url, "alice", PASSWORD, source="127.0.0.2")
    assert unknown.status_code == known.status_code == 429
    assert "Trop de tentatives" in unknown.text and "Trop de tentatives" in known.text


def test_trusted_proxy_forwarded_addresses_count_apart_but_share_the_account(console: Console) -> None:
    names = [f"user{i}" for i in range(4)]
    for name in names:
        console.staff.add(name, "secretary", hash_password(PASSWORD, FAST), NOW)
    with serving(console.app, ("127.0.0.1",)) as url:
        for i in range(30):  # 30 wrong passwords from one client, spread over four accounts (none locked by it)
            assert attempt(url, names[i % 4], "guess", forwarded="203.0.113.7").status_code == 401
        assert attempt(url, "sam", PASSWORD, forwarded="203.0.113.7").status_code == 429
        assert attempt(url, "sam", PASSWORD, forwarded="198.51.100.9").status_code == 303  # another client
        assert attempt(url, "user0", PASSWORD, forwarded="198.51.100.9").status_code == 303
        for client in ("192.0.2.1", "192.0.2.2"):  # five wrong passwords each at the same account
            for _ in range(5):
                assert attempt(url, "alice", "guess", forwarded=client).status_code == 401
        assert attempt(url, "alice", PASSWORD, forwarded="192.0.2.3").status_code == 429
        assert attempt(url, "alice", PASSWORD, source="127.0.0.2").status_code == 429  # not through the proxy
    assert logins_from(console) == ["from 198.51.100.9", "from 198.51.100.9"]


def test_forwarded_allow_ips_setting() -> None:
    assert forwarded_allow_ips(None, {}) == ()
    assert forwarded_allow_ips(None, {"VOICEBOT_FORWARDED_ALLOW_IPS": "10.1.2.3/8, ::1,10.0.0.0/8"}) == (
        "10.0.0.0/8",
        "::1",
    )
    assert forwarded_allow_ips("127.0.0.1", {"VOICEBOT_FORWARDED_ALLOW_IPS": "10.0.0.0/8"}) == ("127.0.0.1",)
    assert forwarded_allow_ips("", {"VOICEBOT_FORWARDED_ALLOW_IPS": "10.0.0.0/8"}) == ()  # the option wins
    with pytest.raises(BadSetting, match="VOICEBOT_FORWARDED_ALLOW_IPS 'nginx' is not the IP address"):
        forwarded_allow_ips(None, {"VOICEBOT_FORWARDED_ALLOW_IPS": "127.0.0.1,nginx"})
    with pytest.raises(BadSetting, match="--forwarded-allow-ips '\\*' is not the IP address"):
        forwarded_allow_ips("*", {})


def test_serve_refuses_a_proxy_that_is_no_address(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voicebot", "serve", "--no-voice", "--sip-port", "0", "--forwarded-allow-ips", "x"],
        env={**os.environ, "VOICEBOT_DB": f"sqlite:///{tmp_path / 'v.db'}"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "--forwarded-allow-ips 'x' is not the IP address" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "v.db").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "client"),
    [([], "127.0.0.1"), (["--forwarded-allow-ips", "127.0.0.1"], "203.0.113.7")],
    ids=["default", "trusted-loopback"],
)
def test_voicebot_serve_believes_x_forwarded_for_only_from_trusted_proxies(
    tmp_path: Path, options: list[str], client: str
) -> None:
    """A real `voicebot serve`: its access log names the client it saw (uvicorn's own FORWARDED_ALLOW_IPS, which
    would trust everyone, is not read)."""
    port = free_port()
    log = tmp_path / "serve.log"  # uvicorn's access log is on stdout, ours on stderr: both go there
    env = {**os.environ, "VOICEBOT_DB": f"sqlite:///{tmp_path / 'v.db'}", "FORWARDED_ALLOW_IPS": "*"}
    env.pop("VOICEBOT_FORWARDED_ALLOW_IPS", None)
    command = [sys.executable, "-m", "voicebot", "serve", "--port", str(port), "--no-voice", "--sip-port", "0"]
    with log.open("w") as stderr:
        server = subprocess.Popen([*command, *options], env=env, cwd=ROOT, stdout=stderr, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while "Uvicorn running" not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        page = httpx.get(f"http://127.0.0.1:{port}/admin/login", headers={"X-Forwarded-For": "203.0.113.7"})
        assert page.status_code == 200
        while '"GET /admin/login' not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=20)
    request_lines = [line for line in log.read_text().splitlines() if '"GET /admin/login' in line]
    assert len(request_lines) == 1 and f"{client}:" in request_lines[0], request_lines
