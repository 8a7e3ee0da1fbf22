"""Telephony gateways (Twilio Media Streams, SIP/RTP), codecs and the softphone; knows nothing of booking."""
