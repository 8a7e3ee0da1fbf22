"""telephony/twilio/sim."""
