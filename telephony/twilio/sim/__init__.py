"""Twilio, simulated over its real protocols, for `voicebot call`, the voice benchmark and the tests.

`carrier`'s `SimulatedTwilioCall` is Twilio's side of an inbound call: the signed voice webhook, the
`<Connect><Stream>` websocket, 20 ms mu-law media in real time, marks and `clear` honoured. `fake_rest`'s
`FakeTwilio` is a local HTTP server speaking the part of Twilio's REST API the bot uses (hang-ups and
redirects), which it reports to the call.
"""
