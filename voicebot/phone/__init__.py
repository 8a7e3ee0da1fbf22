"""The voice pipeline on the phone: one call handler per kind of line, each taking the calls its gateway answers
(`telephony.twilio.gateway`, `telephony.sip.gateway`) and running each through
`voicebot.pipeline.builder.build_pipeline` with the process's speech engines, the booking service and the
server's clock. `calls.PipelineHandler` is the part they share: the run of one call's pipeline, the polite close
while the server drains, the outcome (`CallOutcome`) and record (`CallRecord`) of each finished call. Each handler
adds only what its line differs in: `twilio.PipelineCallHandler` the media-stream websocket, the transfer by
redirect and the REST hang-up; `sip.SipPipelineHandler` the RTP transport, the transfer by REFER and the BYE.
"""
