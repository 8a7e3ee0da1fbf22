"""What the Twilio gateway needs to know, as one typed value (read from the environment by `voicebot.settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TwilioSettings:
    """What the Twilio gateway needs; read once by `twilio_settings`, then passed as an argument."""

    public_base_url: str
    """The https URL Twilio reaches this server at (`VOICEBOT_PUBLIC_URL`); signatures are checked over it."""
    account_sid: str
    """`TWILIO_ACCOUNT_SID` (AC...)."""
    auth_token: str = field(repr=False)
    """`TWILIO_AUTH_TOKEN`, or the first line of `TWILIO_AUTH_TOKEN_FILE`; never printed or logged."""
    api_base_url: str = "https://api.twilio.com"
    """Twilio's REST API root (`VOICEBOT_TWILIO_API_URL`; a local fake in tests and `voicebot call`)."""
    staff_number: str | None = None
    """Where transfers go (`VOICEBOT_STAFF_NUMBER`; else the practice's `staff_phone`)."""
    sms_from: str | None = None
    """The number texts are sent from (`VOICEBOT_TWILIO_SMS_FROM`; else the practice's `phone`)."""
