"""The SIP user agent server: answers INVITEs with an SDP answer and hands each established call to `on_call`."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telephony.sip.agent import SipAgent
from telephony.sip.call import SipCall
from telephony.sip.dialogs import Dialog
from telephony.sip.events import EndReason
from telephony.sip.media import MediaSession
from telephony.sip.messages import ALLOW, Malformed, SipRequest, branch_of, new_tag, tag_of, uri_of, user_of
from telephony.sip.safety import AllowList, DigestAuth, RateLimiter
from telephony.sip.sdp import Negotiated, build_answer, negotiate, read_sdp

logger = logging.getLogger(__name__)
UNAVAILABLE = {"Retry-After": "5"}
"""A 503's headers (draining, full, rate-limited): seconds before the sender tries this server again."""


@dataclass
class _Ringing:
    """An INVITE between its 180 and its 200 (CANCEL can still stop it)."""

    request: SipRequest
    addr: tuple[str, int]
    negotiated: Negotiated | None
    """None for an INVITE without SDP: we offer in the 200, the ACK answers."""
    to_tag: str
    media: MediaSession | None = None
    task: asyncio.Task[None] | None = None


class _ServerAgent(SipAgent):
    def __init__(self, server: SipServer, user_agent: str) -> None:
        super().__init__(user_agent=user_agent)
        self.server = server

    def admit(self, message: SipRequest | Malformed, addr: tuple[str, int]) -> bool:
        if addr[0] in self.server.allow:
            return True
        logger.debug("ignored a request from %s (not in the allow-list)", addr[0])
        return False

    def handle_request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        outside_dialog = tag_of(request.get_header("to")) is None
        if request.method == "INVITE" and outside_dialog:
            self.server._invite(request, addr)
        elif request.method == "CANCEL":
            self.server._cancel(request, addr)
        elif request.method == "OPTIONS" and outside_dialog and not self.server.available():
            # a dispatcher's health check (Kamailio's): this worker takes no new call now
            self.respond(request, 503, "Service Unavailable", addr, headers={**UNAVAILABLE, "Allow": ALLOW})
        else:
            super().handle_request(request, addr)


class SipServer:
    """A SIP UAS on UDP: INVITE → 100/180/200 + SDP answer, then `on_call(call)` runs as a task.

    When `on_call` returns, the server sends BYE if the call is still up. While `accepting()` is false (the
    gateway drains), a new INVITE gets 503 with Retry-After, as an OPTIONS does (`available`): a dispatcher in front
    of several workers sends the call to another. `answer_delay` (seconds of ringing before the 200) is for tests.
    """

    def __init__(
        self,
        on_call: Callable[[SipCall], Awaitable[None]],
        *,
        host: str = "127.0.0.1",
        port: int = 5060,
        max_calls: int = 10,
        allow: Sequence[str] | None = None,
        credentials: tuple[str, str] | None = None,
        invites_per_second: float = 5.0,
        media_timeout: float = 30.0,
        user_agent: str = "voicebot",
        answer_delay: float = 0.0,
    ) -> None:
        self.on_call = on_call
        self.host, self.port = host, port
        self.max_calls = max_calls
        self.allow = AllowList(allow)
        self.auth = DigestAuth(*credentials) if credentials else None
        self.rate = RateLimiter(invites_per_second)
        self.media_timeout = media_timeout
        self.answer_delay = answer_delay
        self.calls: dict[str, SipCall] = {}
        """Calls in progress by Call-ID."""
        self.accepting: Callable[[], bool] = lambda: True
        """Whether new calls are welcome (the gateway's: not while draining); see `available`."""
        self._agent = _ServerAgent(self, user_agent)
        self._ringing: dict[str, _Ringing] = {}
        self._call_tasks: set[asyncio.Task[None]] = set()

    def available(self) -> bool:
        """Whether a new call would be taken: `accepting` and under `max_calls`. An OPTIONS outside a dialog gets
        200 then, else 503 with Retry-After, so that a dispatcher in front of several workers sends calls
        elsewhere.
        """
        return self.accepting() and len(self.calls) + len(self._ringing) < self.max_calls

    async def start(self) -> None:
        """Bind the UDP socket (port 0: an ephemeral port)."""
        await self._agent.bind(self.host, self.port)
        logger.info("SIP server listening on udp:%s:%d", *self.address)

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port)."""
        return self._agent.host, self._agent.port

    async def close(self) -> None:
        """Stop listening, hang up the calls still up (BYE), cancel their tasks."""
        for ringing in list(self._ringing.values()):
            if ringing.task is not None:
                ringing.task.cancel()
            if ringing.media is not None:
                ringing.media.close()
        self._ringing.clear()
        for task in list(self._call_tasks):
            task.cancel()
        if self._call_tasks:
            await asyncio.wait(list(self._call_tasks), timeout=2.0)
        calls = list(self.calls.values())
        if calls:
            await asyncio.wait([asyncio.ensure_future(call.hang_up(EndReason.CLOSED)) for call in calls], timeout=2.0)
        await self._agent.close()
        self.calls.clear()

    # --- INVITE ---

    def _invite(self, request: SipRequest, addr: tuple[str, int]) -> None:
        agent = self._agent
        if not self.rate.allow(addr[0], time.monotonic()):
            agent.respond(request, 503, "Service Unavailable", addr, headers=UNAVAILABLE)
            return
        if self.auth is not None and not self.auth.verify(request.get_header("authorization"), "INVITE", time.time()):
            data = agent.respond(
                request,
                401,
                "Unauthorized",
                addr,
                to_tag=new_tag(),
                headers={"WWW-Authenticate": self.auth.challenge(time.time())},
            )
            agent.retransmit_until_ack(request, data, addr)
            return
        call_id = request.call_id or ""
        if call_id in self.calls or any(r.request.call_id == call_id for r in self._ringing.values()):
            self._final(request, addr, 482, "Loop Detected")
            return
        if not self.accepting():
            self._unavailable(request, addr, new_tag())
            return
        if len(self.calls) + len(self._ringing) >= self.max_calls:
            self._final(request, addr, 486, "Busy Here")
            return
        negotiated = None
        if request.body:  # else a delayed offer: ours goes in the 200, the answer comes in the ACK
            remote = read_sdp(request.body)
            negotiated = negotiate(remote) if remote is not None else None
            if negotiated is None:
                self._final(request, addr, 488, "Not Acceptable Here")
                return
        agent.respond(request, 100, "Trying", addr)
        ringing = _Ringing(request, addr, negotiated, new_tag())
        self._ringing[branch_of(request)] = ringing
        ringing.task = agent.spawn(self._answer(ringing), "sip-answer")

    def _final(self, request: SipRequest, addr: tuple[str, int], status: int, reason: str) -> None:
        data = self._agent.respond(request, status, reason, addr, to_tag=new_tag())
        self._agent.retransmit_until_ack(request, data, addr)

    def _unavailable(self, request: SipRequest, addr: tuple[str, int], to_tag: str) -> None:
        """503 + Retry-After to a new call while draining: a dispatcher in front (Kamailio) tries another worker."""
        data = self._agent.respond(request, 503, "Service Unavailable", addr, to_tag=to_tag, headers=UNAVAILABLE)
        self._agent.retransmit_until_ack(request, data, addr)

    async def _answer(self, ringing: _Ringing) -> None:
        request, addr, agent = ringing.request, ringing.addr, self._agent
        branch = branch_of(request)
        try:
            media = MediaSession(
                on_audio=_ignore, on_digit=_ignore, on_timeout=_nothing, media_timeout=self.media_timeout
            )
            ringing.media = media
            await media.bind(_media_host(self.host, addr[0]))
            contact = f"<sip:{user_of(request.uri) or 'voicebot'}@{_uri_host(agent.host)}:{agent.port}>"
            route = request.get_header_values("record-route")
            # RFC 3261 12.1.1: without the Record-Route back, a proxy's caller sends ACK and BYE around the proxy
            answer = {"Contact": contact} | ({"Record-Route": ", ".join(route)} if route else {})
            agent.respond(request, 180, "Ringing", addr, to_tag=ringing.to_tag, headers=answer)
            if self.answer_delay > 0:
                await asyncio.sleep(self.answer_delay)
        except asyncio.CancelledError:
            if ringing.media is not None:
                ringing.media.close()
            raise
        except Exception:
            logger.exception("cannot answer %s", request.call_id)
            if ringing.media is not None:
                ringing.media.close()
            self._ringing.pop(branch, None)
            self._final(request, addr, 500, "Server Internal Error")
            return
        self._ringing.pop(branch, None)
        if not self.accepting():  # the drain began while it rang
            media.close()
            self._unavailable(request, addr, ringing.to_tag)
            return
        to = f"{request.get_header('to')};tag={ringing.to_tag}"
        from_ = request.get_header("from") or ""
        target = request.get_header("contact")
        dialog = Dialog(
            call_id=request.call_id or "",
            local=to,
            remote=from_,
            remote_target=uri_of(target) if target else uri_of(from_),
            peer=addr,
            contact=contact,
            cseq=0,
            route=request.get_header_values("record-route"),
        )
        call = SipCall(
            agent,
            dialog,
            media,
            caller=user_of(from_),
            called=user_of(request.uri) or user_of(request.get_header("to")) or "",
            codec=ringing.negotiated.codec if ringing.negotiated else "PCMU",
            on_ended=self._ended,
        )
        media.trust(addr[0])
        if ringing.negotiated is not None:
            media.configure(ringing.negotiated)
            body = build_answer(ringing.negotiated, media.local[0], media.local[1])
        else:
            body = call.offer_in_ack()
        data = agent.respond(request, 200, "OK", addr, to_tag=ringing.to_tag, headers=answer, body=body)
        self.calls[call.call_id] = call
        agent.add_dialog(call.call_id, call)

        async def no_ack() -> None:
            logger.info("no ACK for the 200 of %s: hanging up", call.call_id)
            await call.hang_up()

        agent.retransmit_until_ack(request, data, addr, no_ack)
        call.start()
        task = asyncio.get_running_loop().create_task(self._run_call(call), name=f"sip-call-{call.call_id}")
        self._call_tasks.add(task)
        task.add_done_callback(self._call_tasks.discard)

    async def _run_call(self, call: SipCall) -> None:
        try:
            await self.on_call(call)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the handler of call %s failed", call.call_id)
        if not call.ended.is_set():
            await call.hang_up()

    def _ended(self, call: SipCall) -> None:
        if self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]

    # --- CANCEL ---

    def _cancel(self, request: SipRequest, addr: tuple[str, int]) -> None:
        agent = self._agent
        ringing = self._ringing.pop(branch_of(request), None)
        if ringing is None or ringing.request.call_id != request.call_id:
            if ringing is not None:
                self._ringing[branch_of(request)] = ringing
            if agent.answered(branch_of(request), "INVITE"):
                agent.respond(request, 200, "OK", addr)
            else:
                agent.respond(request, 481, "Call/Transaction Does Not Exist", addr)
            return
        if ringing.task is not None:
            ringing.task.cancel()
        if ringing.media is not None:
            ringing.media.close()
        agent.respond(request, 200, "OK", addr)
        data = agent.respond(ringing.request, 487, "Request Terminated", ringing.addr, to_tag=ringing.to_tag)
        agent.retransmit_until_ack(ringing.request, data, ringing.addr)
        logger.info("call %s cancelled before the answer", request.call_id)


def _ignore(_: object) -> None:
    return None


def _nothing() -> None:
    return None


def _uri_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _media_host(bound: str, peer: str) -> str:
    """The address to put in our SDP: the SIP bind address, or (bound to any) the one that routes to the peer."""
    if bound not in ("0.0.0.0", "::", ""):
        return bound
    family = socket.AF_INET6 if ":" in peer else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((peer, 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
