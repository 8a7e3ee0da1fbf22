"""Errors of the speech services: a missing or damaged model, a failed download."""

from __future__ import annotations


class SpeechError(Exception):
    """Base class of the errors raised by `voicebot.speech`."""


class ModelMissing(SpeechError):
    """A model file is not in the cache; the message says which command installs it."""


class ModelCorrupt(SpeechError):
    """A model file does not have its pinned size or SHA-256 (a partial copy, a changed package)."""


class FetchFailed(SpeechError):
    """A download asked for explicitly failed (no network, unknown name, HTTP error)."""
