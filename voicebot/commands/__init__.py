"""The sub-commands of `voicebot`, one module per group."""
