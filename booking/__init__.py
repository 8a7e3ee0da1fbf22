"""Booking core: the clinic configuration, the slot engine and appointments in the database.

Imports nothing else of voicebot's: the dialogue manager, the console and the CLI build on it.
"""
