"""`voicebot bench ...`: benchmarks."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the `bench` group."""
