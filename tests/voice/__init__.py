"""End-to-end voice calls: `voicebot call` against a real `voicebot serve` with the real speech models."""
