"""voicebot/phone."""
