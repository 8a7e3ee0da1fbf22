"""The SIP gateway of `voicebot serve` without speech models: real UDP on 127.0.0.1, calls placed with our dialer.

Its settings (allow-list, credentials, loopback rule), the tone stand-in, 503 to new calls while draining (the
refusal for a call answered as the drain began), closing calls politely then cancelling the stuck ones, a busy
port, and the caller number / staff URI helpers.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from telephony.g711 import tone
from telephony.sip.call import Audio, SipCall
from telephony.sip.dialer import dial
from telephony.sip.errors import CallFailed, ListenFailed
from telephony.sip.gateway import SipGateway, SipToneHandler
from telephony.sip.messages import SipResponse, parse, tag_of
from tests.pg import free_port
from tests.telephony.sip.peers import RawPeer, invite
from tests.telephony.twilio.live import eventually, run
from voicebot.app import start_sip
from voicebot.phone.sip import phone_number, staff_sip_uri
from voicebot.settings import LOOPBACK_NETWORKS, BadSetting, SipSettings, sip_settings

ROOT = Path(__file__).resolve().parents[3]


def level(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, "<i2").astype(np.float64) / 32768
    return float(np.sqrt((samples**2).mean())) if len(samples) else 0.0


async def listen(call: SipCall, seconds: float) -> bytes:
    """What the caller hears for `seconds` (or until the call ends)."""
    heard = bytearray()
    with_deadline = asyncio.get_running_loop().time() + seconds
    async for event in call.events():
        if isinstance(event, Audio):
            heard += event.pcm
        if asyncio.get_running_loop().time() >= with_deadline:
            break
    return bytes(heard)


async def started(gateway: SipGateway) -> str:
    await gateway.start()
    host, port = gateway.address
    return f"sip:bot@{host}:{port}"


# -- settings --------------------------------------------------------------------------------------------------------


def test_sip_is_off_with_port_0_and_loopback_only_by_default() -> None:
    assert sip_settings("127.0.0.1", 0, environ={}) is None
    settings = sip_settings("127.0.0.1", 5060, environ={})
    assert settings == SipSettings(host="127.0.0.1", port=5060, max_calls=10, allow=LOOPBACK_NETWORKS)


def test_the_invite_rate_per_source_is_a_setting_the_server_applies() -> None:
    # behind Kamailio every INVITE comes from the proxy's address: 5 a second would cap the worker
    settings = sip_settings("127.0.0.1", 5060, environ={}, invite_rate=50.0)
    assert settings is not None and settings.invites_per_second == 50.0
    gateway = SipGateway(settings, SipToneHandler())
    assert gateway.server.rate.rate == 50.0
    default = sip_settings("127.0.0.1", 5060, environ={})
    assert default is not None and default.invites_per_second == 5.0


def test_a_public_address_needs_an_allow_list_or_credentials() -> None:
    with pytest.raises(BadSetting, match=r"--sip-allow.*VOICEBOT_SIP_USER.*--sip-port 0"):
        sip_settings("0.0.0.0", 5060, environ={})
    allowed = sip_settings("0.0.0.0", 5060, 4, ["192.168.1.7/24", " 10.0.0.1 "], environ={})
    assert allowed is not None and allowed.allow == ("192.168.1.0/24", "10.0.0.1/32") and allowed.max_calls == 4
    secured = sip_settings("192.168.1.2", 5070, environ={"VOICEBOT_SIP_USER": "pbx", "VOICEBOT_SIP_PASSWORD": "s3cret"})
    assert secured is not None and secured.credentials == ("pbx", "s3cret")
    assert secured.allow == ("0.0.0.0/0", "::/0")  # anyone may try, the password decides
    assert "s3cret" not in repr(secured)
    with pytest.raises(BadSetting, match="not a network"):
        sip_settings("127.0.0.1", 5060, allow=["the office"], environ={})


def test_credentials_come_from_files_and_go_together(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    settings = sip_settings(
        "127.0.0.1",
        5060,
        environ={
            "VOICEBOT_SIP_USER": "pbx",
            "VOICEBOT_SIP_PASSWORD_FILE": str(secret),
            "VOICEBOT_SIP_STAFF_URI": "sip:reception@pbx.example",
        },
    )
    assert settings is not None and settings.credentials == ("pbx", "from-a-file")
    assert settings.staff_uri == "sip:reception@pbx.example"
    with pytest.raises(BadSetting, match="go together"):
        sip_settings("127.0.0.1", 5060, environ={"VOICEBOT_SIP_USER": "pbx"})
    with pytest.raises(BadSetting, match="VOICEBOT_SIP_PASSWORD_FILE"):
        sip_settings(
            "127.0.0.1",
            5060,
            environ={"VOICEBOT_SIP_USER": "pbx", "VOICEBOT_SIP_PASSWORD_FILE": str(tmp_path / "missing")},
        )


@pytest.mark.parametrize(
    ("user", "country", "expected"),
    [
        ("+33612345678", "FR", "+33612345678"),
        ("0612345678", "FR", "+33612345678"),
        ("0033612345678", "FR", "+33612345678"),
        ("07700900555", "GB", "+447700900555"),
        ("+447700900555;phone-context=x", "GB", "+447700900555"),
        ("patient", "FR", None),
        ("anonymous", "FR", None),
        (None, "FR", None),
        ("", "FR", None),
    ],
)
def test_the_caller_number_comes_from_the_from_user(user: str | None, country: str, expected: str | None) -> None:
    assert phone_number(user, country) == expected


def test_the_staff_uri_is_the_staff_number_at_a_host() -> None:
    assert staff_sip_uri("+44 20 7946 0001", "pbx.example") == "sip:+442079460001@pbx.example"
    assert staff_sip_uri("01.23.45.67.89", "127.0.0.1") == "sip:0123456789@127.0.0.1"


# -- the gateway on a real socket ------------------------------------------------------------------------------------


def test_the_tone_stand_in_beeps_and_hangs_up_on_hash() -> None:
    async def test() -> None:
        gateway = SipGateway(SipSettings(port=0), SipToneHandler())
        try:
            call = await dial(await started(gateway))
            assert level(await listen(call, 0.5)) > 0.05  # the greeting beep
            await call.send_digit("#")
            await asyncio.wait_for(call.ended.wait(), 5)
            assert call.end_reason == "remote_bye"
        finally:
            await gateway.close()

    run(test)


def test_a_new_call_while_draining_gets_503_with_retry_after() -> None:
    """A dispatcher in front (Kamailio) takes the 503 as "try another worker"; without one the caller's phone
    says the line is unavailable."""

    async def test() -> None:
        gateway = SipGateway(SipSettings(port=0), SipToneHandler(), refusal=lambda: tone(300, 0.6))
        assert gateway.server.available()
        gateway.draining = True
        assert not gateway.server.available()  # a dispatcher's OPTIONS gets 503
        peer = await RawPeer.open()
        try:
            await started(gateway)
            peer.send(invite(peer, call_id="drain-1", branch="z9hG4bK-drain-1"), gateway.address)
            answer = await peer.response(503)
            assert b"Retry-After: 5" in answer and not gateway.server._ringing
            response = parse(answer)
            assert isinstance(response, SipResponse)
            ack = invite(
                peer,
                call_id="drain-1",
                branch="z9hG4bK-drain-1",
                method="ACK",
                to_tag=tag_of(response.get_header("to")),
            )
            peer.send(ack, gateway.address)
            with pytest.raises(CallFailed) as failure:
                await dial(f"sip:bot@127.0.0.1:{gateway.address[1]}")
            assert failure.value.status == 503
            assert not gateway.active and not gateway.server.calls
        finally:
            peer.close()
            await gateway.close()

    run(test)


def test_the_answer_carries_the_record_route_of_a_proxy_in_front() -> None:
    """RFC 3261 12.1.1: Kamailio's caller then sends its ACK and BYE through Kamailio (tests/scaleout)."""

    async def test() -> None:
        gateway = SipGateway(SipSettings(port=0), SipToneHandler())
        peer = await RawPeer.open()
        route = "Record-Route: <sip:127.0.0.1:5999;lr>, <sip:10.0.0.1;lr;ftag=x>\r\n"
        try:
            await started(gateway)
            peer.send(invite(peer, call_id="rr-1", branch="z9hG4bK-rr-1", extra=route), gateway.address)
            for status in (180, 200):
                assert route.encode() in await peer.response(status)
        finally:
            peer.close()
            await gateway.close()

    run(test)


def test_a_call_ringing_when_the_drain_begins_gets_503_too() -> None:
    async def test() -> None:
        gateway = SipGateway(SipSettings(port=0), SipToneHandler(), refusal=lambda: tone(300, 0.6))
        gateway.server.answer_delay = 0.5
        try:
            dialling = asyncio.create_task(dial(await started(gateway)))
            await eventually(lambda: bool(gateway.server._ringing))
            gateway.draining = True  # after the INVITE was taken, before its 200
            with pytest.raises(CallFailed) as failure:
                await dialling
            assert failure.value.status == 503 and not gateway.active and not gateway.server.calls
        finally:
            await gateway.close()

    run(test)


def test_a_call_answered_as_the_drain_begins_hears_the_refusal_then_bye() -> None:
    async def test() -> None:
        gateway = SipGateway(SipSettings(port=0), SipToneHandler(), refusal=lambda: tone(300, 0.6))
        gateway.server.accepting = lambda: True  # the 200 went out just before the drain began
        gateway.draining = True
        try:
            call = await dial(await started(gateway))
            heard = await listen(call, 5)
            assert call.end_reason == "remote_bye"
            assert level(heard) > 0.05 and len(heard) >= 2 * 8000 * 0.5  # the refusal, played out before the BYE
            assert not gateway.active
        finally:
            await gateway.close()

    run(test)


class PoliteHandler:
    """Keeps calls open until `close`, which plays a short goodbye tone and hangs up; `stubborn` ignores `close`."""

    def __init__(self, stubborn: bool = False) -> None:
        self.stubborn = stubborn
        self.closed: list[str] = []
        self._calls: dict[str, SipCall] = {}
        self._close: dict[str, asyncio.Event] = {}

    async def handle(self, call: SipCall) -> None:
        self._close[call.call_id] = asyncio.Event()
        await self._close[call.call_id].wait()
        call.play(tone(500, 0.4))
        await call.drained()
        await call.hang_up()

    async def close(self, call_id: str) -> bool:
        self.closed.append(call_id)
        if not self.stubborn:
            self._close[call_id].set()
        return True


def test_drain_closes_calls_politely_then_cancels_the_stuck_ones() -> None:
    async def test() -> None:
        polite, stubborn = PoliteHandler(), PoliteHandler(stubborn=True)
        first = SipGateway(SipSettings(port=0), polite)
        second = SipGateway(SipSettings(port=0), stubborn)
        try:
            call = await dial(await started(first))
            stuck = await dial(await started(second))
            await eventually(lambda: bool(first.active and second.active), 5)
            listening = asyncio.create_task(listen(call, 10))
            await asyncio.gather(first.drain(0.2, closing=5), second.drain(0.2, closing=0.5))
            heard = await listening
            assert polite.closed == [call.call_id] and call.end_reason == "remote_bye"
            assert level(heard[-2 * 8000 // 2 :]) > 0.05  # the goodbye tone came just before the BYE
            assert stubborn.closed == [stuck.call_id] and not second.active  # cancelled after 0.5 s
            await second.close()  # the server's shutdown hangs up what is left
            await asyncio.wait_for(stuck.ended.wait(), 5)
            assert stuck.end_reason == "remote_bye"
        finally:
            await first.close()
            await second.close()

    run(test)


def test_a_taken_port_is_a_clear_error() -> None:
    async def test() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            gateway = SipGateway(SipSettings(port=port), SipToneHandler())
            with pytest.raises(ListenFailed, match=rf"UDP 127\.0\.0\.1:{port} "):
                await gateway.start()
            with pytest.raises(BadSetting, match=rf"UDP 127\.0\.0\.1:{port} .*--sip-port 0"):
                await start_sip(gateway)

    run(test)


def test_serve_says_which_sip_port_is_taken_and_exits(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "voicebot",
                "serve",
                "--no-voice",
                "--db",
                f"sqlite:///{tmp_path / 'voicebot.db'}",
                "--port",
                str(free_port()),
                "--sip-port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"127.0.0.1:{port}" in done.stderr and "--sip-port 0" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def test_serve_refuses_a_public_sip_address_without_allow_list_or_password(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "voicebot",
            "serve",
            "--no-voice",
            "--db",
            f"sqlite:///{tmp_path / 'voicebot.db'}",
            "--port",
            str(free_port()),
            "--sip-host",
            "0.0.0.0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 1 and "--sip-allow" in done.stderr, done.stderr[-2000:]
