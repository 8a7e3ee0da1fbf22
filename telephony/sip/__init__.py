"""The SIP line: a UDP user agent server (`SipServer`), a client (`dial`), and the call both give (`SipCall`).

`agent` is the one UDP socket both share (transactions, retransmissions, dispatch), `server` and `dialer` its two
roles, `dialogs` a dialog's state, `messages` and `sdp` the SIP and SDP text, `media` and `rtp` the RTP side
(paced sending, jitter buffer, RFC 4733 digits), `call` one established call and `events` what it reports
(`Audio`, `Digit`, its `EndReason`); `safety` keeps the server safe on a network, `gateway` runs the calls of
`voicebot serve` and drains them, `transport` is a call as a pipecat transport, `settings` their typed settings.
aiosipua (messages, SDP) and aiortp (RTP packets, G.711, RFC 4733 payloads) stay behind this interface.
"""

from telephony.sip.call import SipCall
from telephony.sip.dialer import dial
from telephony.sip.errors import CallFailed, SipError
from telephony.sip.events import Audio, CallEvent, Digit, EndReason
from telephony.sip.server import SipServer

__all__ = ["Audio", "CallEvent", "CallFailed", "Digit", "EndReason", "SipCall", "SipError", "SipServer", "dial"]
