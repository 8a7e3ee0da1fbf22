"""What the benchmarks share without loading the server: their error and a bounded wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class BenchError(Exception):
    """The benchmark could not run (a child process failed, the server did not start)."""


async def until(predicate: Callable[[], bool], seconds: float, every: float = 0.05) -> None:
    """Wait until `predicate()` holds, or `seconds` have passed (the caller checks which)."""
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110 - uvicorn's, the gateway's, the log's state
        await asyncio.sleep(every)
