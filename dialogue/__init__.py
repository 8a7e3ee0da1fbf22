"""Dialogue manager: a pure, deterministic state machine and the language understanding it needs.

No audio, pipecat, telephony or database imports: the clock and bookings come in through `dialogue.port`.
"""
