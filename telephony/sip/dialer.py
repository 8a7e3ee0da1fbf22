"""The SIP user agent client: `dial(uri)` places one call and returns it as a `SipCall` (the softphone, tests)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
from collections.abc import Sequence
from typing import Any

from aiosipua.auth import SipDigestAuth, answer_challenge
from aiosipua.headers import parse_uri

from telephony.sip.agent import SipAgent
from telephony.sip.call import SipCall
from telephony.sip.dialogs import Dialog
from telephony.sip.errors import CallFailed, SipError
from telephony.sip.media import MediaSession
from telephony.sip.messages import ALLOW, SipResponse, build_request, new_branch, new_tag, uri_of, user_of
from telephony.sip.sdp import build_offer, negotiate, read_sdp

logger = logging.getLogger(__name__)

_closing: set[asyncio.Task[Any]] = set()


async def dial(
    uri: str,
    *,
    caller: str = "patient",
    local_host: str = "127.0.0.1",
    codecs: Sequence[str] = ("PCMU", "PCMA"),
    timeout: float = 10.0,  # noqa: ASYNC109 - the interface
    credentials: tuple[str, str] | None = None,
) -> SipCall:
    """Call `uri` ("sip:bot@127.0.0.1:5060") from `caller`; returns the established call.

    Raises:
        CallFailed: the called side answered with a final non-2xx response (busy, 488, 403...).
        SipError: no final answer within `timeout` seconds, or the URI cannot be dialled.
    """
    codecs = tuple(c.upper() for c in codecs)
    request_uri = uri_of(uri) if uri.strip().lower().startswith(("sip:", "sips:", "<")) else f"sip:{uri.strip()}"
    peer = await _resolve(request_uri)
    agent = SipAgent(user_agent="voicebot-softphone")
    media = MediaSession(on_audio=_ignore, on_digit=_ignore, on_timeout=_nothing, media_timeout=3600.0)
    try:
        await agent.bind(local_host, 0)
        await media.bind(local_host)
        return await _invite(
            agent, media, request_uri, peer, caller=caller, codecs=codecs, limit=timeout, credentials=credentials
        )
    except BaseException:
        media.close()
        await agent.close()
        raise


async def _invite(
    agent: SipAgent,
    media: MediaSession,
    request_uri: str,
    peer: tuple[str, int],
    *,
    caller: str,
    codecs: tuple[str, ...],
    limit: float,
    credentials: tuple[str, str] | None,
) -> SipCall:
    host = f"[{agent.host}]" if ":" in agent.host else agent.host
    call_id = f"{secrets.token_hex(12)}@{host}"
    from_ = f"<sip:{caller}@{host}:{agent.port}>;tag={new_tag()}"
    to = f"<{request_uri}>"
    contact = f"<sip:{caller}@{host}:{agent.port}>"
    offer = build_offer(media.local[0], media.local[1], codecs, user=caller)
    headers = {"User-Agent": agent.user_agent, "Allow": ALLOW}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    cseq, authenticated = 1, False
    while True:
        branch = new_branch()
        data = build_request(
            "INVITE",
            request_uri,
            via_host=agent.host,
            via_port=agent.port,
            branch=branch,
            from_=from_,
            to=to,
            call_id=call_id,
            cseq=cseq,
            contact=contact,
            headers=headers,
            body=offer,
        )
        ringing: list[SipResponse] = []
        try:
            response = await agent.request(
                data, branch, peer, invite=True, limit=max(0.1, deadline - loop.time()), on_provisional=ringing.append
            )
        except SipError:
            if ringing:  # give up the ringing call properly
                agent.send(
                    build_request(
                        "CANCEL",
                        request_uri,
                        via_host=agent.host,
                        via_port=agent.port,
                        branch=branch,
                        from_=from_,
                        to=to,
                        call_id=call_id,
                        cseq=cseq,
                        cseq_method="CANCEL",
                    ),
                    peer,
                )
            raise SipError(f"no answer from {request_uri} within {limit:g} s") from None
        status = response.status_code
        if status >= 300:
            _ack_failure(agent, response, request_uri, branch, from_, call_id, cseq, peer)
            if status in (401, 407) and credentials and not authenticated:
                answer = answer_challenge(SipDigestAuth(*credentials), response, status, "INVITE", request_uri)
                if answer is not None:
                    headers[answer[0]] = answer[1]
                    cseq, authenticated = cseq + 1, True
                    continue
            raise CallFailed(status, response.reason_phrase)
        break
    remote_contact = response.get_header("contact")
    dialog = Dialog(
        call_id=call_id,
        local=from_,
        remote=response.get_header("to") or to,
        remote_target=uri_of(remote_contact) if remote_contact else request_uri,
        peer=peer,
        contact=contact,
        cseq=cseq,
        route=list(reversed(response.get_header_values("record-route"))),
    )
    ack, _ = dialog.request("ACK", (agent.host, agent.port), cseq=cseq)
    agent.send(ack, peer)
    agent.remember_ack(branch, ack, peer)
    remote = read_sdp(response.body)
    negotiated = negotiate(remote, codecs, prefer_ours=False) if remote is not None else None
    call = SipCall(
        agent,
        dialog,
        media,
        caller=caller,
        called=user_of(request_uri) or "",
        codec=negotiated.codec if negotiated else codecs[0],
        codecs=codecs,
        on_released=_close_agent(agent),
        accept_refer=True,
    )
    agent.add_dialog(call_id, call)
    if negotiated is None:
        await call.hang_up()
        raise CallFailed(488, "Not Acceptable Here (no codec of ours in the answer)")
    media.trust(peer[0])
    media.configure(negotiated)
    call.start()
    logger.info("call %s to %s established (%s)", call_id, request_uri, negotiated.codec)
    return call


def _ack_failure(
    agent: SipAgent,
    response: SipResponse,
    request_uri: str,
    branch: str,
    from_: str,
    call_id: str,
    cseq: int,
    peer: tuple[str, int],
) -> None:
    """ACK a non-2xx final response: same branch as the INVITE, the response's To (RFC 3261 §17.1.1.3)."""
    ack = build_request(
        "ACK",
        request_uri,
        via_host=agent.host,
        via_port=agent.port,
        branch=branch,
        from_=from_,
        to=response.get_header("to") or "",
        call_id=call_id,
        cseq=cseq,
    )
    agent.send(ack, peer)
    agent.remember_ack(branch, ack, peer)


def _close_agent(agent: SipAgent) -> Any:
    def released(_: SipCall) -> None:
        task = asyncio.get_running_loop().create_task(_close_later(agent))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    return released


async def _close_later(agent: SipAgent) -> None:
    await asyncio.sleep(0.5)  # a retransmitted BYE still gets its 200 meanwhile
    await agent.close()


async def _resolve(request_uri: str) -> tuple[str, int]:
    try:
        target = parse_uri(request_uri)
    except Exception as error:  # noqa: BLE001
        raise SipError(f"not a SIP URI: {request_uri!r}") from error
    host = target.host.strip("[]")
    port = target.port or 5060
    if not host:
        raise SipError(f"no host in {request_uri!r}")
    try:
        ipaddress.ip_address(host)
        return host, port
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError as error:
        raise SipError(f"cannot resolve {host}: {error}") from error
    return str(infos[0][4][0]), port


def _ignore(_: object) -> None:
    return None


def _nothing() -> None:
    return None
