"""voicebot/simulate."""
