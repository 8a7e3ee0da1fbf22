"""Errors of the telephony package: one base class, raised only for real violations.

A caller's malformed or unexpected message is not an error: the protocol parsers return a typed result
(`telephony.twilio.protocol.Rejected`) and the call goes on.
"""

from __future__ import annotations


class TelephonyError(Exception):
    """Base class of every error raised by `telephony`."""


class BadTelephonySetting(TelephonyError, ValueError):
    """A URL, number or credential given to a telephony helper cannot be used (the message says why)."""


class TwilioRestError(TelephonyError):
    """Twilio's REST API could not be reached, or answered something that is not JSON."""


class CallClosed(TelephonyError):
    """The media stream of a call is closed: nothing can be sent on it any more."""
