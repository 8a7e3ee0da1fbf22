"""Errors of the dialogue manager. Not understanding the caller is normal and never raises."""

from __future__ import annotations


class DialogueError(Exception):
    """A bug or a bad locale file (a missing phrase, an unknown locale)."""
