"""The state of one SIP dialog (RFC 3261 §12), the in-dialog requests built from it, and what the agent needs of
an established call (`InDialog`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from telephony.sip.messages import SipRequest, build_request, new_branch, tag_of


@dataclass
class Dialog:
    """One side of a dialog: who we are, who they are, where their requests go."""

    call_id: str
    local: str
    """Our name-addr with our tag: the From of the requests we send."""
    remote: str
    """Theirs with their tag: the To of the requests we send."""
    remote_target: str
    """The Request-URI of our in-dialog requests (their Contact)."""
    peer: tuple[str, int]
    """Where we send them: the address their requests came from (symmetric signalling)."""
    contact: str
    """Our Contact value."""
    cseq: int = 1
    route: list[str] = field(default_factory=list)
    """Route set from Record-Route, in the order we must send it."""

    @property
    def local_tag(self) -> str | None:
        """Our tag."""
        return tag_of(self.local)

    @property
    def remote_tag(self) -> str | None:
        """Their tag."""
        return tag_of(self.remote)

    def request(
        self,
        method: str,
        via: tuple[str, int],
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        content_type: str = "application/sdp",
        cseq: int | None = None,
    ) -> tuple[bytes, str]:
        """A new in-dialog request (its own CSeq unless given) and its branch."""
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = new_branch()
        extra = dict(headers or {})
        if self.route:
            extra["Route"] = ", ".join(self.route)
        data = build_request(
            method,
            self.remote_target,
            via_host=via[0],
            via_port=via[1],
            branch=branch,
            from_=self.local,
            to=self.remote,
            call_id=self.call_id,
            cseq=cseq,
            contact=self.contact,
            headers=extra,
            body=body,
            content_type=content_type,
        )
        return data, branch


class InDialog(Protocol):
    """What the agent needs of an established call (`SipCall` is one): its requests, told from strangers'."""

    def owns(self, request: SipRequest) -> bool:
        """Whether an in-dialog request belongs to this dialog (tags match)."""
        ...

    def handle_request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        """A request inside the dialog (BYE, re-INVITE, NOTIFY...): answer it."""
        ...

    def handle_ack(self, request: SipRequest) -> None:
        """The ACK of a 2xx in the dialog."""
        ...
