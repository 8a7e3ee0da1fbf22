"""SIP gateway: a UDP user agent server (`SipServer`), a client (`dial`), and the call both give (`SipCall`).

aiosipua (messages, SDP) and aiortp (RTP packets, G.711, RFC 4733 payloads) stay behind this interface.
"""

from telephony.sip.call import Audio, CallEvent, Digit, SipCall
from telephony.sip.dialer import dial
from telephony.sip.errors import CallFailed, SipError
from telephony.sip.server import SipServer

__all__ = ["Audio", "CallEvent", "CallFailed", "Digit", "SipCall", "SipError", "SipServer", "dial"]
