"""Errors of the SIP gateway: raised only for real violations (a call that cannot be placed, a bad setting).

A peer's malformed datagram is not an error: it gets a 400 or silence, and the server goes on.
"""

from __future__ import annotations

from telephony.errors import TelephonyError


class SipError(TelephonyError):
    """A SIP operation failed: no answer in time, a socket that cannot be bound, a URI that cannot be dialled."""


class CallFailed(SipError):
    """The called side answered an outgoing INVITE with a final non-2xx response."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"call failed: {status} {reason}")
        self.status = status
        """The SIP status code of the final response (486, 488, 603, ...)."""
        self.reason = reason
        """Its reason phrase."""


class ListenFailed(SipError):
    """The SIP port cannot be bound (taken by another server, or not ours to take)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen for SIP on UDP {host}:{port} ({reason})")
        self.host = host
        """The address asked for."""
        self.port = port
        """The UDP port asked for."""
        self.reason = reason
        """Why, in the system's words ("Address already in use")."""
