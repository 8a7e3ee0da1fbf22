"""Telephony gateways (`twilio/`: Twilio Media Streams; `sip/`: SIP/RTP), what both lines share (`g711`: the
codec, the line's rate and frame sizes; `draining`: the calls in progress and draining them; `errors`), and the
caller's side of a simulated line (`caller_side`); knows nothing of booking or the dialogue.
"""
