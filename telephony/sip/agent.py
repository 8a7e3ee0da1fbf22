"""One UDP SIP socket shared by the server and the dialer: transactions, retransmissions, dispatch.

Hand-written rather than aiosipua's UAS/UAC so that every rule we must keep (answer a retransmitted request with
the same response, retransmit a final INVITE response until its ACK, never let a hostile datagram escape the
handler, track and cancel every timer) lives in one small place we control.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from telephony.sip.dialogs import InDialog
from telephony.sip.errors import SipError
from telephony.sip.messages import (
    ALLOW,
    Malformed,
    SipRequest,
    SipResponse,
    branch_of,
    build_response,
    cseq_of,
    parse,
    tag_of,
)

logger = logging.getLogger(__name__)

T1 = 0.5
T2 = 4.0
TIMER_B = 32.0
"""64 × T1: how long a transaction or a retransmission lasts at most."""
_CACHE = 2048
MAX_RETRANSMITTING = 256
"""Final responses being retransmitted at once at most (beyond it, a failure response is sent once)."""
_KNOWN = {"PRACK", "UPDATE", "SUBSCRIBE", "MESSAGE", "REGISTER", "PUBLISH", "REFER"}


class SipAgent(asyncio.DatagramProtocol):
    """A SIP endpoint on one UDP socket: sends requests and responses, routes what it receives."""

    def __init__(self, *, user_agent: str = "voicebot") -> None:
        self.user_agent = user_agent
        self.transport: asyncio.DatagramTransport | None = None
        self.host, self.port = "127.0.0.1", 0
        self._dialogs: dict[str, InDialog] = {}
        """Established calls by Call-ID."""
        self._pending: dict[str, asyncio.Future[SipResponse]] = {}
        self._provisional: dict[str, Callable[[SipResponse], None]] = {}
        self._answered: OrderedDict[tuple[str, str], tuple[bytes, tuple[str, int], float]] = OrderedDict()
        self._acks: OrderedDict[str, tuple[bytes, tuple[str, int]]] = OrderedDict()
        self._until_ack: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False

    async def bind(self, host: str, port: int) -> None:
        """Open the UDP socket (port 0: an ephemeral one)."""
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        except OSError as error:
            raise SipError(f"cannot bind SIP on {host}:{port}: {error}") from error
        assert self.transport is not None
        self.host, self.port = self.transport.get_extra_info("sockname")[:2]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = cast(asyncio.DatagramTransport, transport)  # 3.11's selector one is no subclass of it

    def error_received(self, exc: Exception) -> None:  # noqa: D102 - ICMP errors: the peer is gone, nothing to do
        logger.debug("SIP socket error: %s", exc)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "sip") -> asyncio.Task[Any]:
        """Run `coro` as a tracked task (cancelled on close, its failure logged)."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("SIP task %s failed", task.get_name(), exc_info=task.exception())

    async def close(self) -> None:
        """Cancel every timer and task, close the socket."""
        self.closed = True
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(SipError("the SIP agent is closed"))
        if self.transport is not None:
            self.transport.close()

    def add_dialog(self, call_id: str, dialog: InDialog) -> None:
        """Route the in-dialog requests and ACKs of `call_id` to `dialog` from now on."""
        self._dialogs[call_id] = dialog

    def remove_dialog(self, call_id: str, dialog: InDialog) -> None:
        """Stop routing `call_id` to `dialog` (when it is still the one routed to: a no-op otherwise)."""
        if self._dialogs.get(call_id) is dialog:
            del self._dialogs[call_id]

    def answered(self, branch: str, method: str) -> bool:
        """Whether we answered the request of this branch and method (a response kept for retransmissions)."""
        return (branch, method) in self._answered

    # --- sending ---

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send one datagram (errors are logged: UDP is best effort)."""
        if self.transport is None or self.transport.is_closing():
            return
        try:
            self.transport.sendto(data, addr)
        except OSError as error:
            logger.debug("cannot send to %s: %s", addr, error)

    def respond(
        self,
        request: SipRequest,
        status: int,
        reason: str,
        addr: tuple[str, int],
        *,
        to_tag: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        content_type: str = "application/sdp",
    ) -> bytes:
        """Answer `request` and remember the answer for its retransmissions; returns the bytes sent."""
        extra = {"Server": self.user_agent, **(headers or {})}
        data = bytes(
            build_response(request, status, reason, to_tag=to_tag, headers=extra, body=body, content_type=content_type)
        )
        key = (branch_of(request), request.method)
        self._answered[key] = (data, addr, time.monotonic() + TIMER_B)
        self._answered.move_to_end(key)
        while len(self._answered) > _CACHE:
            self._answered.popitem(last=False)
        self.send(data, addr)
        return data

    def retransmit_until_ack(
        self,
        request: SipRequest,
        data: bytes,
        addr: tuple[str, int],
        on_give_up: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Resend a final INVITE response (T1 doubling to T2) until its ACK arrives, for 32 s at most."""
        key = (request.call_id or "", cseq_of(request)[0])
        if on_give_up is None and len(self._until_ack) >= MAX_RETRANSMITTING:
            return
        previous = self._until_ack.pop(key, None)
        if previous is not None:
            previous.cancel()

        async def resend() -> None:
            interval, deadline = T1, time.monotonic() + TIMER_B
            while time.monotonic() + interval < deadline:
                await asyncio.sleep(interval)
                self.send(data, addr)
                interval = min(interval * 2, T2)
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            self._until_ack.pop(key, None)
            if on_give_up is not None:
                await on_give_up()

        self._until_ack[key] = self.spawn(resend(), "sip-2xx-retransmit")

    async def request(
        self,
        data: bytes,
        branch: str,
        addr: tuple[str, int],
        *,
        invite: bool = False,
        limit: float = TIMER_B,
        on_provisional: Callable[[SipResponse], None] | None = None,
    ) -> SipResponse:
        """Send a request and retransmit it until its final response; `SipError` after `limit` seconds."""
        future: asyncio.Future[SipResponse] = asyncio.get_running_loop().create_future()
        self._pending[branch] = future
        provisional = asyncio.Event()
        if on_provisional is not None or invite:

            def note(response: SipResponse) -> None:
                provisional.set()
                if on_provisional is not None:
                    on_provisional(response)

            self._provisional[branch] = note
        try:
            async with asyncio.timeout(limit):
                interval = T1
                self.send(data, addr)
                while True:
                    done, _ = await asyncio.wait([future], timeout=interval)
                    if done:
                        return future.result()
                    if not (invite and provisional.is_set()):
                        self.send(data, addr)
                    interval = interval * 2 if invite else min(interval * 2, T2)
        except TimeoutError as error:
            raise SipError(f"no final response to the request within {limit:g} s") from error
        finally:
            self._pending.pop(branch, None)
            self._provisional.pop(branch, None)

    def remember_ack(self, branch: str, ack: bytes, addr: tuple[str, int]) -> None:
        """Keep the ACK of a completed INVITE, to resend it if the final response is retransmitted."""
        self._acks[branch] = (ack, addr)
        while len(self._acks) > _CACHE:
            self._acks.popitem(last=False)

    # --- receiving ---

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # noqa: D102
        try:
            self.received(data, (addr[0], addr[1]))
        except Exception:  # noqa: BLE001 - the event loop must survive whatever a peer sends
            logger.exception("dropped a SIP datagram from %s that broke its handler", addr)

    def received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Route one datagram: responses to their transaction, requests to `handle_request`."""
        if self.closed:
            return
        message = parse(data)
        if message is None:
            logger.debug("dropped an unusable datagram from %s (%d bytes)", addr, len(data))
            return
        if isinstance(message, SipResponse):
            self.handle_response(message)
            return
        if not self.admit(message, addr):
            return
        if isinstance(message, Malformed):
            logger.debug("400 to %s: %s", addr, message.why)
            if message.request.method != "ACK":
                self.respond(message.request, 400, message.why, addr)
            return
        if message.method == "ACK":
            task = self._until_ack.pop((message.call_id or "", cseq_of(message)[0]), None)
            if task is not None:
                task.cancel()
            call = self._dialogs.get(message.call_id or "")
            if call is not None and call.owns(message):
                call.handle_ack(message)
            return
        answered = self._answered.get((branch_of(message), message.method))
        if answered is not None and answered[2] > time.monotonic():
            self.send(answered[0], addr)
            return
        self.handle_request(message, addr)

    def admit(self, message: SipRequest | Malformed, addr: tuple[str, int]) -> bool:
        """Whether to consider a request from `addr` at all (the server checks its allow-list here)."""
        return True

    def handle_response(self, response: SipResponse) -> None:
        """Give a response to its pending request, or resend the ACK of a retransmitted final response."""
        branch = branch_of(response)
        future = self._pending.get(branch)
        if response.status_code < 200:
            callback = self._provisional.get(branch)
            if callback is not None:
                callback(response)
            return
        if future is not None and not future.done():
            future.set_result(response)
            return
        ack = self._acks.get(branch)
        if ack is not None and cseq_of(response)[1] == "INVITE":
            self.send(*ack)

    def handle_request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        """Requests in a dialog go to their call; outside one, only OPTIONS is welcome here."""
        method = request.method
        if tag_of(request.get_header("to")) is not None:
            call = self._dialogs.get(request.call_id or "")
            if call is None or not call.owns(request):
                self.respond(request, 481, "Call/Transaction Does Not Exist", addr)
            else:
                call.handle_request(request, addr)
            return
        if method == "OPTIONS":
            self.respond(request, 200, "OK", addr, headers={"Allow": ALLOW, "Accept": "application/sdp"})
        elif method in ("BYE", "CANCEL", "NOTIFY", "INFO"):
            self.respond(request, 481, "Call/Transaction Does Not Exist", addr)
        else:
            self.refuse_method(request, addr)

    def refuse_method(self, request: SipRequest, addr: tuple[str, int]) -> None:
        """405 for a SIP method we know but do not take, 501 for one we do not know."""
        if request.method in _KNOWN or request.method == "INVITE":
            self.respond(request, 405, "Method Not Allowed", addr, headers={"Allow": ALLOW})
        else:
            self.respond(request, 501, "Not Implemented", addr, headers={"Allow": ALLOW})
