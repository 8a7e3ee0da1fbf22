"""What the SIP gateway needs to know, as one typed value (read from options and environment by `voicebot.settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field

LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
"""Where SIP calls may come from by default."""


@dataclass(frozen=True)
class SipSettings:
    """What the SIP gateway needs; read once by `sip_settings`, then passed as an argument."""

    host: str = "127.0.0.1"
    """The address the SIP server binds (`--sip-host`)."""
    port: int = 5060
    """Its UDP port (`--sip-port`)."""
    max_calls: int = 10
    """Simultaneous calls; one more gets 486 Busy Here (`--sip-max-calls`)."""
    invites_per_second: float = 5.0
    """New calls per second taken from one source address; more get 503 (`--sip-invite-rate`)."""
    allow: tuple[str, ...] = LOOPBACK_NETWORKS
    """Source networks (CIDR) whose requests are answered (`--sip-allow`; default loopback)."""
    credentials: tuple[str, str] | None = field(default=None, repr=False)
    """Digest authentication of INVITEs (`VOICEBOT_SIP_USER` and `VOICEBOT_SIP_PASSWORD`, or their `_FILE`
    variants); never printed or logged."""
    staff_uri: str | None = None
    """Where transfers go (`VOICEBOT_SIP_STAFF_URI`); else the staff phone number at `staff_host`."""
    staff_host: str | None = None
    """The host of the derived staff URI (`VOICEBOT_SIP_STAFF_HOST`); else `host`."""
