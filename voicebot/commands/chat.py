"""`voicebot chat`: the text simulator (wired once the dialogue manager lands)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the `chat` command."""
