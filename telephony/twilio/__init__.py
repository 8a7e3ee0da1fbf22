"""The Twilio line: an inbound call reaches the practice through Twilio's voice webhook and a Media Streams
websocket. `protocol` parses and builds the stream's JSON messages, `auth` checks Twilio's signatures and our
per-call stream tokens, `twiml` builds the webhook's answers and URLs, and `rest` ends or redirects a call
through Twilio's REST API; `call` is one call as a handler sees it (`TwilioCall`, with `buffers` putting the
caller's audio back in order), `gateway` the FastAPI router that answers, runs and drains the calls
(`TwilioGateway`), `transport` the stream as a pipecat transport, and `settings` what all of it needs to know.
`sim/` plays Twilio's side of a call, for tests and `voicebot call`.
"""
