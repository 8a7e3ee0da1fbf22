"""`dial()` against `SipServer` end to end, and hand-made UDP peers for the transaction rules (all on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from telephony.g711 import tone
from telephony.sip import CallFailed, EndReason, SipCall, SipServer, dial
from telephony.sip import agent as sip_agent
from telephony.sip.messages import SipResponse, parse, tag_of
from telephony.sip.sdp import build_sdp
from tests.telephony.sip.peers import RawPeer, Recorder, dominant_hz, invite, level


def run(main: Callable[[], Awaitable[None]], limit: float = 30.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(main(), limit)

    asyncio.run(bounded())


async def listen(call: SipCall, into: bytearray, digits: list[str]) -> None:
    async for event in call.events():
        if hasattr(event, "pcm"):
            into += event.pcm
        else:
            digits.append(event.digit)


def voiced(pcm: bytes | bytearray) -> bytes:
    frames = [bytes(pcm[i : i + 320]) for i in range(0, len(pcm), 320)]
    return b"".join(f for f in frames if level(f) > 0.05)


def test_a_dialled_call_carries_audio_and_digits_both_ways_and_the_caller_hangs_up() -> None:
    async def main() -> None:
        handler = Recorder(greeting=tone(1000, 0.6))
        digits_heard: list[str] = []

        async def on_call(call: SipCall) -> None:
            assert call.caller == "+33612345678" and call.called == "bot" and call.codec == "PCMU"
            await asyncio.sleep(0.2)
            await call.send_digit("7")
            await handler(call)

        server = SipServer(on_call, port=0)
        await server.start()
        call = await dial(f"sip:bot@127.0.0.1:{server.address[1]}", caller="+33612345678")
        heard = bytearray()
        listener = asyncio.ensure_future(listen(call, heard, digits_heard))
        call.play(tone(600, 0.8))
        assert call.queued_seconds > 0.5
        await call.send_digit("4")
        await call.send_digit("#")
        await call.drained()
        await asyncio.sleep(1.0)
        assert list(server.calls) == [call.call_id]
        await call.hang_up()
        await call.hang_up()  # idempotent
        await asyncio.wait_for(listener, 2)
        bot_call = handler.calls[0]
        await asyncio.wait_for(bot_call.ended.wait(), 2)
        assert (call.end_reason, bot_call.end_reason) == ("local_bye", "remote_bye")
        assert (call.end_reason, bot_call.end_reason) == (EndReason.LOCAL_BYE, EndReason.REMOTE_BYE)
        assert handler.digits[bot_call.call_id] == ["4", "#"] and digits_heard == ["7"]
        caller_audio = voiced(handler.audio[bot_call.call_id])
        assert 0.6 <= len(caller_audio) / 16000 <= 0.9 and abs(dominant_hz(caller_audio) - 600) < 20
        bot_audio = voiced(heard)
        assert 0.4 <= len(bot_audio) / 16000 <= 0.7 and abs(dominant_hz(bot_audio) - 1000) < 20
        assert server.calls == {}
        await server.close()

    run(main)


def test_the_bot_hangs_up_when_its_handler_returns() -> None:
    async def main() -> None:
        server = SipServer(Recorder(hold=0.5), port=0)
        await server.start()
        call = await dial(f"sip:bot@127.0.0.1:{server.address[1]}")
        await asyncio.wait_for(call.ended.wait(), 3)
        assert call.end_reason == "remote_bye"
        await asyncio.sleep(0.1)
        assert server.calls == {}
        await server.close()

    run(main)


def test_close_hangs_up_the_calls_still_up() -> None:
    async def main() -> None:
        server = SipServer(Recorder(), port=0)
        await server.start()
        call = await dial(f"sip:bot@127.0.0.1:{server.address[1]}")
        await asyncio.sleep(0.2)
        await server.close()
        await asyncio.wait_for(call.ended.wait(), 3)
        assert call.end_reason == "remote_bye" and server.calls == {}

    run(main)


def test_digest_authentication() -> None:
    async def main() -> None:
        server = SipServer(Recorder(hold=0.3), port=0, credentials=("patient", "s3cret"))
        await server.start()
        uri = f"sip:bot@127.0.0.1:{server.address[1]}"
        with pytest.raises(CallFailed) as failure:
            await dial(uri)
        assert failure.value.status == 401
        with pytest.raises(CallFailed):
            await dial(uri, credentials=("patient", "wrong"))
        call = await dial(uri, credentials=("patient", "s3cret"))
        await asyncio.wait_for(call.ended.wait(), 3)
        await server.close()

    run(main)


def test_busy_beyond_max_calls() -> None:
    async def main() -> None:
        server = SipServer(Recorder(), port=0, max_calls=1)
        await server.start()
        uri = f"sip:bot@127.0.0.1:{server.address[1]}"
        first = await dial(uri)
        with pytest.raises(CallFailed) as failure:
            await dial(uri)
        assert failure.value.status == 486
        await first.hang_up()
        await asyncio.sleep(0.1)
        second = await dial(uri)
        await second.hang_up()
        await server.close()

    run(main)


def test_transfer_by_refer() -> None:
    async def main() -> None:
        results: list[bool] = []

        async def on_call(call: SipCall) -> None:
            await asyncio.sleep(0.2)
            results.append(await call.transfer("sip:staff@192.0.2.10"))
            await asyncio.wait_for(call.ended.wait(), 3)

        server = SipServer(on_call, port=0)
        await server.start()
        call = await dial(f"sip:bot@127.0.0.1:{server.address[1]}")
        await asyncio.wait_for(call.ended.wait(), 5)
        assert results == [True]
        assert call.referred_to == "sip:staff@192.0.2.10" and call.end_reason == "transferred"
        await server.close()

    run(main)


def test_a_reinvite_with_a_new_address_moves_the_bots_rtp() -> None:
    async def main() -> None:
        server = SipServer(Recorder(greeting=tone(500, 3.0)), port=0)
        await server.start()
        call = await dial(f"sip:bot@127.0.0.1:{server.address[1]}")
        await asyncio.sleep(0.3)
        moved = await RawPeer.open()
        sdp = build_sdp("127.0.0.1", moved.address[1], [("PCMU", 0)], 101)
        data, branch = call.dialog.request("INVITE", (call._agent.host, call._agent.port), body=sdp)
        response = await call._agent.request(data, branch, call.dialog.peer, invite=True, limit=3)
        assert response.status_code == 200 and b"a=sendrecv" in response.body
        ack, _ = call.dialog.request("ACK", (call._agent.host, call._agent.port), cseq=call.dialog.cseq)
        call._agent.send(ack, call.dialog.peer)
        packet = await moved.next(2.0)
        assert packet[0] >> 6 == 2 and packet[1] & 0x7F == 0
        await call.hang_up()
        moved.close()
        await server.close()

    run(main)


def test_the_2xx_is_retransmitted_until_the_ack_and_a_retransmitted_invite_is_no_new_call() -> None:
    async def main() -> None:
        handler = Recorder()
        server = SipServer(handler, port=0)
        await server.start()
        peer = await RawPeer.open()
        request = invite(peer, call_id="retx-1", branch="z9hG4bK-retx-1")
        peer.send(request, server.address)
        await peer.response(100)
        await peer.response(180)
        ok = await peer.response(200)
        peer.send(request, server.address)  # the same INVITE again: the same 200, no second call
        assert await peer.response(200) == ok
        await peer.response(200, limit=1.0)  # retransmitted after T1
        assert len(handler.calls) == 1 and list(server.calls) == ["retx-1"]
        message = parse(ok)
        assert isinstance(message, SipResponse)
        to_tag = tag_of(message.get_header("to"))
        peer.send(
            invite(peer, call_id="retx-1", branch="z9hG4bK-retx-ack", method="ACK", to_tag=to_tag), server.address
        )
        await asyncio.sleep(1.5)
        assert not [m for m in peer.drain() if m.startswith(b"SIP/2.0 200")]
        peer.send(
            invite(peer, call_id="retx-1", branch="z9hG4bK-retx-bye", method="BYE", to_tag=to_tag, cseq=2),
            server.address,
        )
        await peer.response(200)
        await asyncio.sleep(0.1)
        assert server.calls == {} and handler.calls[0].end_reason == "remote_bye"
        await server.close()
        peer.close()

    run(main)


def test_no_ack_means_bye(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sip_agent, "TIMER_B", 1.5)

    async def main() -> None:
        server = SipServer(Recorder(), port=0)
        await server.start()
        peer = await RawPeer.open()
        peer.send(invite(peer, call_id="noack-1", branch="z9hG4bK-noack"), server.address)
        async with asyncio.timeout(4):
            while not (data := await peer.next(4)).startswith(b"BYE "):
                pass
        assert b"Call-ID: noack-1" in data
        await asyncio.sleep(0.1)
        assert server.calls == {}
        await server.close()
        peer.close()

    run(main)


def test_requests_outside_any_dialog_and_unknown_methods() -> None:
    async def main() -> None:
        server = SipServer(Recorder(), port=0)
        await server.start()
        peer = await RawPeer.open()
        peer.send(invite(peer, call_id="ghost", branch="z9hG4bK-g1", method="BYE", to_tag="nope"), server.address)
        await peer.response(481)
        peer.send(invite(peer, call_id="ghost", branch="z9hG4bK-g2", method="CANCEL"), server.address)
        await peer.response(481)
        peer.send(invite(peer, call_id="ghost", branch="z9hG4bK-g3", method="SUBSCRIBE"), server.address)
        await peer.response(405)
        peer.send(invite(peer, call_id="ghost", branch="z9hG4bK-g4", method="FROBNICATE"), server.address)
        await peer.response(501)
        peer.send(invite(peer, call_id="ghost", branch="z9hG4bK-g5", method="OPTIONS"), server.address)
        assert b"Allow: INVITE" in await peer.response(200)
        await server.close()
        peer.close()

    run(main)


def test_options_says_whether_a_new_call_would_be_taken() -> None:
    async def main() -> None:
        server = SipServer(Recorder(), port=0, max_calls=1)
        await server.start()
        peer = await RawPeer.open()
        peer.send(invite(peer, call_id="hc-1", branch="z9hG4bK-hc1", method="OPTIONS"), server.address)
        await peer.response(200)
        call = await dial(f"sip:bot@127.0.0.1:{server.address[1]}")  # the one call it takes
        peer.send(invite(peer, call_id="hc-2", branch="z9hG4bK-hc2", method="OPTIONS"), server.address)
        assert b"Retry-After: 5" in await peer.response(503)  # full: a dispatcher sends calls elsewhere
        await call.hang_up()
        await asyncio.sleep(0.1)
        peer.send(invite(peer, call_id="hc-3", branch="z9hG4bK-hc3", method="OPTIONS"), server.address)
        await peer.response(200)
        server.accepting = lambda: False  # draining
        peer.send(invite(peer, call_id="hc-4", branch="z9hG4bK-hc4", method="OPTIONS"), server.address)
        await peer.response(503)
        await server.close()
        peer.close()

    run(main)


def test_invite_rate_limit_and_allow_list() -> None:
    async def main() -> None:
        server = SipServer(Recorder(), port=0, invites_per_second=1.0, max_calls=0)
        await server.start()
        peer = await RawPeer.open()
        peer.send(invite(peer, call_id="r1", branch="z9hG4bK-r1"), server.address)
        await peer.response(486)
        peer.send(invite(peer, call_id="r2", branch="z9hG4bK-r2"), server.address)
        assert b"Retry-After:" in await peer.response(503)
        await server.close()
        closed = SipServer(Recorder(), port=0, allow=["192.0.2.0/24"])
        await closed.start()
        peer.send(invite(peer, call_id="a1", branch="z9hG4bK-a1", method="OPTIONS"), closed.address)
        with pytest.raises(TimeoutError):
            await peer.next(0.5)
        await closed.close()
        peer.close()

    run(main)


def test_an_invite_without_sdp_gets_our_offer_and_the_ack_answers() -> None:
    async def main() -> None:
        server = SipServer(Recorder(greeting=tone(700, 1.0)), port=0)
        await server.start()
        peer = await RawPeer.open()
        peer.send(invite(peer, call_id="late-1", branch="z9hG4bK-late", sdp=""), server.address)
        ok = parse(await peer.response(200))
        assert isinstance(ok, SipResponse) and b"m=audio" in ok.body and b" 0 8 101" in ok.body
        media = await RawPeer.open()
        answer = build_sdp("127.0.0.1", media.address[1], [("PCMA", 8)], 101).decode()
        ack = invite(
            peer, call_id="late-1", branch="z9hG4bK-late-ack", method="ACK", to_tag=tag_of(ok.get_header("to"))
        )
        ack = ack.replace(
            b"Content-Length: 0\r\n\r\n",
            f"Content-Type: application/sdp\r\nContent-Length: {len(answer)}\r\n\r\n{answer}".encode(),
        )
        peer.send(ack, server.address)
        packet = await media.next(2.0)
        assert packet[1] & 0x7F == 8
        assert server.calls["late-1"].codec == "PCMA"
        await server.close()
        peer.close()
        media.close()

    run(main)


def test_what_the_bot_plays_before_its_bye_is_heard_to_the_end() -> None:
    async def main() -> None:
        async def on_call(call: SipCall) -> None:
            await asyncio.sleep(0.3)
            call.play(tone(500, 0.4))
            await call.played()  # not just sent: the caller's jitter buffer has played it too
            await call.hang_up()

        server = SipServer(on_call, port=0)
        await server.start()
        call = await dial(f"sip:bot@127.0.0.1:{server.address[1]}")
        heard = bytearray()
        await asyncio.wait_for(listen(call, heard, []), 5)
        assert call.end_reason == "remote_bye"
        assert len(voiced(heard)) / 16000 >= 0.38  # the whole 0.4 s tone (0.34 s when the BYE follows `drained`)
        await server.close()

    run(main)
