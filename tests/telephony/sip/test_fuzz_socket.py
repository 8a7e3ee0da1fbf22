"""Hostile datagrams over a real socket (issue 13): the SIP server on 127.0.0.1 takes 300 generated datagrams
(garbage, mutated requests, INVITEs with mutated SDP), logs no failure, and still answers an OPTIONS.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from telephony.sip import SipServer
from tests.telephony.sip.peers import RawPeer, Recorder, invite
from tests.telephony.sip.test_fuzz_messages import DATAGRAMS
from tests.telephony.sip.test_fuzz_sdp import mutated_offers

COUNT = 300
MAX_UDP = 65_000


def generated(strategy: st.SearchStrategy[bytes], count: int) -> list[bytes]:
    """`count` examples of `strategy`, the same on every run (Hypothesis, derandomized, no shrinking)."""
    found: list[bytes] = []

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(data: bytes) -> None:
        found.append(data)

    collect()
    return found


def invite_with_sdp(peer: RawPeer) -> st.SearchStrategy[bytes]:
    """An INVITE from `peer` (new Call-ID and branch each time) offering a mutated SDP body."""
    return st.builds(
        lambda n, sdp: invite(peer, call_id=f"fuzz-{n}", branch=f"z9hG4bK-fuzz-{n}", sdp=sdp),
        st.integers(min_value=0, max_value=10**9),
        mutated_offers(),
    )


@pytest.mark.slow
def test_the_server_survives_hostile_datagrams_and_still_answers(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        server = SipServer(Recorder(hold=0.2), port=0, invites_per_second=1000.0, max_calls=5)
        await server.start()
        peer = await RawPeer.open()
        rtp_here = f"m=audio {peer.address[1]} ".encode()  # RTP for any call that gets up goes to our own socket
        datagrams = generated(st.one_of(DATAGRAMS, DATAGRAMS, invite_with_sdp(peer)), COUNT)
        sent = 0
        for data in datagrams:
            if len(data) <= MAX_UDP:
                peer.send(data.replace(b"m=audio 4000 ", rtp_here), server.address)
                sent += 1
                await asyncio.sleep(0.001)  # let the server read: the socket buffer must not drop what we test
        peer.send(invite(peer, call_id="still-alive", branch="z9hG4bK-alive", method="OPTIONS"), server.address)
        async with asyncio.timeout(10):
            while True:
                answer = await peer.next(10)
                if b"Call-ID: still-alive" in answer and answer.startswith(b"SIP/2.0 "):
                    break
        # 200, or 503 while the fuzzed calls still fill its 5 places (the dispatcher's health check): it answers
        assert answer.startswith((b"SIP/2.0 200 ", b"SIP/2.0 503 ")) and b"Allow: INVITE" in answer
        assert sent >= COUNT * 0.9
        await server.close()
        peer.close()

    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(main(), 60))
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.name.startswith("asyncio")]
    assert not failures, [r.getMessage() for r in failures]
