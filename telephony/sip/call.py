"""One established SIP call, either side: caller audio and digits in, paced audio and digits out, BYE and REFER.

This is the interface the rest of voicebot codes against; aiosipua and aiortp stay behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from telephony.sip.dialogs import Dialog
from telephony.sip.errors import SipError
from telephony.sip.events import Audio, CallEvent, CallEvents, Digit, EndReason
from telephony.sip.messages import ALLOW, SipRequest, dtmf_relay_digit, sipfrag_status, tag_of, uri_of
from telephony.sip.sdp import build_answer, build_offer, negotiate, read_sdp

if TYPE_CHECKING:
    from telephony.sip.agent import SipAgent
    from telephony.sip.media import MediaSession

__all__ = ["Audio", "CallEvent", "Digit", "EndReason", "SipCall"]

logger = logging.getLogger(__name__)

BYE_TIMEOUT = 4.0
PLAYOUT_SECONDS = 0.2
"""After the last packet is sent, how long the far end may still be playing it (jitter buffer, network)."""
TRANSFER_GRACE = 5.0
"""After a REFER is accepted, how long the peer has to hang up before we send BYE ourselves."""


class SipCall:
    """One established call: the server's incoming call or the dialer's outgoing one."""

    def __init__(
        self,
        agent: SipAgent,
        dialog: Dialog,
        media: MediaSession,
        *,
        caller: str | None,
        called: str,
        codec: str,
        codecs: tuple[str, ...] = ("PCMU", "PCMA"),
        on_ended: Callable[[SipCall], None] | None = None,
        on_released: Callable[[SipCall], None] | None = None,
        accept_refer: bool = False,
    ) -> None:
        self.call_id = dialog.call_id
        self.caller = caller
        self.called = called
        self.codec = codec
        self.ended = asyncio.Event()
        self.end_reason: EndReason | None = None
        self.dialog = dialog
        self._agent, self._media, self._codecs = agent, media, codecs
        self._on_ended, self._on_released = on_ended, on_released
        self._events = CallEvents()
        self._sdp_version = 2
        self._transferring = False
        self._released = False
        self._accept_refer = accept_refer
        self._offer_pending = False
        self.referred_to: str | None = None
        """Where the peer transferred us (a REFER we accepted: the dialer's calls only)."""
        media.on_audio, media.on_digit, media.on_timeout = self._audio, self._digit, self._media_timeout

    def __repr__(self) -> str:
        return f"SipCall({self.call_id!r}, caller={self.caller!r}, called={self.called!r}, ended={self.ended.is_set()})"

    # --- the public interface ---

    def events(self) -> AsyncIterator[CallEvent]:
        """Caller audio (one `Audio` per 20 ms) and digits, until the call ends."""
        return self._events.read()

    def play(self, pcm: bytes) -> None:
        """Queue 8 kHz s16le mono audio, sent as paced 20 ms RTP packets."""
        if not self.ended.is_set():
            self._media.play(pcm)

    def clear(self) -> None:
        """Drop queued audio not yet sent (barge-in)."""
        self._media.clear()

    @property
    def queued_seconds(self) -> float:
        """Audio queued, not yet sent, in seconds."""
        return self._media.queued_seconds

    async def drained(self) -> None:
        """Return once everything queued has been sent (or the call ended)."""
        await self._media.drained()

    async def played(self) -> None:
        """Return once everything queued has been sent and the far end had time to play it out (its jitter
        buffer holds a few packets, dropped when a BYE comes): wait for this, not `drained`, before hanging up.
        """
        await self._media.drained()
        if not self.ended.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ended.wait(), PLAYOUT_SECONDS)

    async def send_digit(self, digit: str, duration_ms: int = 160) -> None:
        """Press a key: RFC 4733 telephone-events on the RTP stream."""
        if digit.upper() not in "0123456789*#ABCD" or len(digit) != 1:
            raise ValueError(f"not a DTMF key: {digit!r}")
        if not self.ended.is_set():
            await self._media.send_digit(digit, duration_ms)

    async def hang_up(self, reason: EndReason = EndReason.LOCAL_BYE) -> None:
        """Send BYE when the call is still up, ending it for `reason`; idempotent; sets `ended`."""
        await self._bye(reason)

    async def transfer(self, target: str) -> bool:
        """REFER the peer to `target` (a SIP URI); True when it accepted (2xx). The call then ends."""
        if self.ended.is_set():
            return False
        referred_by = f"<{uri_of(self.dialog.local)}>"
        data, branch = self.dialog.request(
            "REFER", self._via(), headers={"Refer-To": f"<{uri_of(target)}>", "Referred-By": referred_by}
        )
        self._transferring = True  # its NOTIFY may overtake our reading of the 202
        try:
            response = await self._agent.request(data, branch, self.dialog.peer, limit=8.0)
        except SipError as error:
            logger.warning("REFER of %s got no answer: %s", self.call_id, error)
            self._transferring = False
            return False
        if not 200 <= response.status_code < 300:
            logger.info("REFER of %s refused: %d", self.call_id, response.status_code)
            self._transferring = False
            return False
        self._agent.spawn(self._end_transfer_after(TRANSFER_GRACE), "sip-transfer-grace")
        return True

    # --- what the agent and the media session call ---

    def owns(self, request: SipRequest) -> bool:
        """Whether an in-dialog request belongs to this dialog (tags match)."""
        return (
            tag_of(request.get_header("to")) == self.dialog.local_tag
            and tag_of(request.get_header("from")) == self.dialog.remote_tag
        )

    def start(self) -> None:
        """Start the media clock."""
        self._media.start()

    def handle_request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        """A request inside this dialog: BYE, re-INVITE, NOTIFY (transfer progress), INFO, OPTIONS."""
        agent, method = self._agent, request.method
        if method == "BYE":
            agent.respond(request, 200, "OK", addr)
            self._finish(EndReason.TRANSFERRED if self._transferring else EndReason.REMOTE_BYE)
        elif method == "INVITE":
            self._reinvite(request, addr)
        elif method == "NOTIFY":
            agent.respond(request, 200, "OK", addr)
            status = sipfrag_status(request.text)
            if self._transferring and status is not None and 200 <= status < 300:
                agent.spawn(self._bye(EndReason.TRANSFERRED), "sip-transfer-bye")
        elif method == "INFO":
            agent.respond(request, 200, "OK", addr)
            digit = dtmf_relay_digit(request.text)
            if digit is not None:
                self._digit(digit)
        elif method == "OPTIONS":
            agent.respond(request, 200, "OK", addr, headers={"Allow": ALLOW, "Accept": "application/sdp"})
        elif method == "REFER" and self._accept_refer and request.get_header("refer-to"):
            agent.respond(request, 202, "Accepted", addr)
            self.referred_to = uri_of(request.get_header("refer-to") or "")
            self._transferring = True
            agent.spawn(self._notify_referrer(), "sip-refer-notify")
        else:
            agent.refuse_method(request, addr)

    def _reinvite(self, request: SipRequest, addr: tuple[str, int]) -> None:
        media, agent = self._media, self._agent
        if request.body:
            remote = read_sdp(request.body)
            if remote is None:
                agent.respond(request, 488, "Not Acceptable Here", addr)
                return
            ours = (self.codec, *[c for c in self._codecs if c != self.codec])
            negotiated = negotiate(remote, ours)
            if negotiated is None:
                agent.respond(request, 488, "Not Acceptable Here", addr)
                return
            media.configure(negotiated)
            self.codec = negotiated.codec
            body = build_answer(negotiated, media.local[0], media.local[1], version=self._next_version())
        else:  # an offer-less re-INVITE: we offer, its ACK carries the answer
            body = self.offer_in_ack()
        contact = request.get_header("contact")
        if contact:
            self.dialog.remote_target = uri_of(contact)
        data = agent.respond(request, 200, "OK", addr, headers={"Contact": self.dialog.contact}, body=body)
        agent.retransmit_until_ack(request, data, addr)

    def offer_in_ack(self) -> bytes:
        """Our SDP offer for a 2xx to an INVITE without SDP; the ACK will carry the answer."""
        self._offer_pending = True
        return build_offer(
            self._media.local[0], self._media.local[1], self._codecs, version=self._next_version(), user="voicebot"
        )

    def handle_ack(self, request: SipRequest) -> None:
        """An ACK in this dialog: the SDP answer to the offer we made in a 2xx, if we made one."""
        if not self._offer_pending:
            return
        self._offer_pending = False
        remote = read_sdp(request.body) if request.body else None
        negotiated = negotiate(remote, self._codecs, prefer_ours=False) if remote is not None else None
        if negotiated is None:  # no usable answer: nothing left but to hang up (RFC 3261 §13.3.1.4)
            logger.info("the ACK of %s carries no usable SDP answer: hanging up", self.call_id)
            self._agent.spawn(self._bye(EndReason.LOCAL_BYE), "sip-bad-ack")
            return
        self._media.configure(negotiated)
        self.codec = negotiated.codec

    def _next_version(self) -> int:
        self._sdp_version += 1
        return self._sdp_version

    def _via(self) -> tuple[str, int]:
        return self._agent.host, self._agent.port

    def _audio(self, pcm: bytes) -> None:
        self._events.put(Audio(pcm))

    def _digit(self, digit: str) -> None:
        self._events.put(Digit(digit))

    def _media_timeout(self) -> None:
        logger.info("no RTP on %s for %.0f s: hanging up", self.call_id, self._media.media_timeout)
        self._agent.spawn(self._bye(EndReason.MEDIA_TIMEOUT), "sip-media-timeout")

    async def _notify_referrer(self) -> None:
        """Tell the referrer the transfer succeeded (we do not place the new call: we are a test phone)."""
        data, branch = self.dialog.request(
            "NOTIFY",
            self._via(),
            headers={"Event": "refer", "Subscription-State": "terminated;reason=noresource"},
            body=b"SIP/2.0 200 OK\r\n",
            content_type="message/sipfrag;version=2.0",
        )
        try:
            await self._agent.request(data, branch, self.dialog.peer, limit=BYE_TIMEOUT)
        except SipError as error:
            logger.debug("NOTIFY of %s unanswered: %s", self.call_id, error)

    async def _end_transfer_after(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.ended.wait(), seconds)
        except TimeoutError:
            await self._bye(EndReason.TRANSFERRED)

    async def _bye(self, reason: EndReason) -> None:
        if self.ended.is_set():
            return
        self._finish(reason, release=False)
        data, branch = self.dialog.request("BYE", self._via())
        try:
            await self._agent.request(data, branch, self.dialog.peer, limit=BYE_TIMEOUT)
        except SipError as error:
            logger.debug("BYE of %s unanswered: %s", self.call_id, error)
        finally:
            self._release()

    def _finish(self, reason: EndReason, *, release: bool = True) -> None:
        """The call is over: stop the media, end the events iterator, tell the agent and the owner."""
        if not self.ended.is_set():
            self.end_reason = reason
            self._media.close()
            self.ended.set()
            self._events.close()
            self._agent.remove_dialog(self.call_id, self)
            if self._on_ended is not None:
                self._on_ended(self)
            logger.info("call %s ended: %s", self.call_id, reason)
        if release:
            self._release()

    def _release(self) -> None:
        if self._released:
            return
        self._released = True
        if self._on_released is not None:
            self._on_released(self)
