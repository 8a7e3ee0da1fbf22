"""telephony/twilio."""
