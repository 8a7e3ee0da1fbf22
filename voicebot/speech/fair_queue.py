"""Fair turns at one shared model: the oldest finished turn first, guesses only on an idle model.

Every call of the process shares one recognizer. CTranslate2 queues concurrent calls in its own order, so a turn
that ended first could wait behind later ones, and an early guess (a turn transcribed before the VAD's end of
speech) could take the model just before a final turn arrived and delay it. `FairQueue` admits them itself:

- finals wait in order of `priority` (the monotonic time their turn ended: the oldest turn goes first), first
  come first served among equal priorities;
- an early guess gets the model only when it is idle and no final waits; otherwise it is refused at once
  (`SlotRefused`), and its turn takes the final path when the VAD ends it.

Pure Python and thread-safe: callers are worker threads (`asyncio.to_thread`), never the event loop.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SlotRefused(Exception):
    """An early guess found the model busy or a final turn waiting: the guess is dropped."""


class FairQueue:
    """Admits `width` inferences at a time, waiting finals lowest priority first.

    Args:
        width: Inferences that may run at once (the model's workers); 1 on a small machine, where one inference
            uses every core.
    """

    def __init__(self, width: int = 1) -> None:
        if width < 1:
            raise ValueError(f"width must be at least 1, not {width}")
        self.width = width
        self._ready = threading.Condition()
        self._waiting: list[tuple[float, int]] = []
        """Heap of the waiting finals: (priority, arrival number)."""
        self._arrivals = itertools.count()
        self._running = 0

    @property
    def depth(self) -> int:
        """Finals waiting plus inferences running (the recognizer's load, for metrics and the window)."""
        with self._ready:
            return len(self._waiting) + self._running

    @property
    def waiting(self) -> int:
        """Finals waiting for the model."""
        with self._ready:
            return len(self._waiting)

    @property
    def running(self) -> int:
        """Inferences holding the model."""
        with self._ready:
            return self._running

    @contextmanager
    def slot(self, priority: float, early: bool = False) -> Iterator[None]:
        """Hold the model for one inference; blocks a final until its turn, refuses a guess that would wait.

        Args:
            priority: The monotonic time the caller's turn ended (lower goes first); unused for a guess.
            early: A guess: admitted only while nothing runs or waits (it would slow the final it ran beside).

        Raises:
            SlotRefused: `early` and the model is not idle.
        """
        with self._ready:
            if early:
                if self._running or self._waiting:
                    raise SlotRefused("the recognizer is busy")
            else:
                ticket = (priority, next(self._arrivals))
                heapq.heappush(self._waiting, ticket)
                try:
                    self._ready.wait_for(lambda: self._waiting[0] == ticket and self._running < self.width)
                finally:
                    self._waiting.remove(ticket)  # the head when served; anywhere when the wait was interrupted
                    heapq.heapify(self._waiting)
                    self._ready.notify_all()  # the next one may fit in a slot still free (width > 1)
            self._running += 1
        try:
            yield
        finally:
            with self._ready:
                self._running -= 1
                self._ready.notify_all()
