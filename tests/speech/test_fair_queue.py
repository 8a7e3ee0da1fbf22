"""`FairQueue` with real threads: the oldest turn first, guesses only on an idle model, no deadlock on failure;
and the shared recognizer behind it (the French window under load, a guess refused while a turn holds it).

Every wait is bounded, so a bug fails the test instead of hanging it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from tests.speech.shared import recognizer
from voicebot.speech.audio import WHISPER_RATE
from voicebot.speech.fair_queue import FairQueue, SlotRefused
from voicebot.speech.stt import LOADED_DEPTH

WAIT = 5.0
"""Seconds any join or event may take before the test fails."""


def until(condition: Callable[[], bool]) -> None:
    """Wait (bounded) for `condition`, which other threads make true."""
    done = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the threads never got there")


def start(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def join(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a thread is still waiting for the model"


def test_waiting_finals_go_oldest_first() -> None:
    queue, served, release = FairQueue(), list[float](), threading.Event()

    def holder() -> None:
        with queue.slot(0.0):
            release.wait(WAIT)

    def final(priority: float) -> Callable[[], None]:
        def run() -> None:
            with queue.slot(priority):
                served.append(priority)

        return run

    holding = start(holder)
    until(lambda: queue.running == 1)
    waiting = []
    for priority in (3.0, 1.0, 2.0):  # arriving in this order, each one queued before the next starts
        waiting.append(start(final(priority)))
        until(lambda: queue.waiting == len(waiting))
    assert queue.depth == 4
    release.set()
    join(holding, *waiting)
    assert served == [1.0, 2.0, 3.0] and queue.depth == 0


def test_equal_priorities_are_served_in_arrival_order() -> None:
    queue, served, release = FairQueue(), list[str](), threading.Event()

    def holder() -> None:
        with queue.slot(0.0):
            release.wait(WAIT)

    def final(name: str) -> Callable[[], None]:
        def run() -> None:
            with queue.slot(1.0):
                served.append(name)

        return run

    holding = start(holder)
    until(lambda: queue.running == 1)
    waiting = []
    for name in "abc":
        waiting.append(start(final(name)))
        until(lambda: queue.waiting == len(waiting))
    release.set()
    join(holding, *waiting)
    assert served == ["a", "b", "c"]


def test_a_guess_is_refused_while_a_final_runs_or_waits() -> None:
    queue, release, queued = FairQueue(), threading.Event(), threading.Event()

    def holder() -> None:
        with queue.slot(0.0):
            release.wait(WAIT)

    def waiter() -> None:
        with queue.slot(1.0):
            queued.set()

    holding = start(holder)
    until(lambda: queue.running == 1)
    with pytest.raises(SlotRefused), queue.slot(0.0, early=True):
        pass  # a final runs
    waiting = start(waiter)
    until(lambda: queue.waiting == 1)
    with pytest.raises(SlotRefused), queue.slot(0.0, early=True):
        pass  # and one waits
    assert queue.depth == 2  # the refused guesses left no trace
    release.set()
    join(holding, waiting)
    assert queued.is_set() and queue.depth == 0


def test_a_guess_runs_on_an_idle_model_and_holds_it() -> None:
    queue = FairQueue()
    with queue.slot(0.0, early=True):
        assert queue.depth == 1 and queue.running == 1
        with pytest.raises(SlotRefused), queue.slot(0.0, early=True):
            pass  # one guess at a time
    assert queue.depth == 0


def test_a_holder_that_raises_frees_the_model_for_the_next() -> None:
    queue, events, release = FairQueue(), list[str](), threading.Event()

    def failing() -> None:
        try:
            with queue.slot(0.0):
                release.wait(WAIT)
                raise RuntimeError("inference failed")
        except RuntimeError:
            events.append("failed")

    def final() -> None:
        with queue.slot(1.0):
            events.append("served")

    holding = start(failing)
    until(lambda: queue.running == 1)
    waiting = start(final)
    until(lambda: queue.waiting == 1)
    release.set()
    join(holding, waiting)
    assert events == ["failed", "served"] and queue.depth == 0
    with pytest.raises(RuntimeError), queue.slot(2.0):
        raise RuntimeError("inference failed")
    with queue.slot(0.0, early=True):  # idle again: even a guess gets it
        assert queue.running == 1


def test_width_two_runs_two_at_once() -> None:
    queue, both, release = FairQueue(width=2), threading.Barrier(2, timeout=WAIT), threading.Event()
    served = list[float]()

    def final(priority: float) -> Callable[[], None]:
        def run() -> None:
            with queue.slot(priority):
                both.wait()  # broken (and the test failed) unless the two hold the model together
                release.wait(WAIT)
                served.append(priority)

        return run

    def third() -> None:
        with queue.slot(3.0):
            served.append(3.0)

    first, second = start(final(1.0)), start(final(2.0))
    until(lambda: queue.running == 2)
    waiting = start(third)
    until(lambda: queue.waiting == 1)
    assert queue.depth == 3 and not both.broken
    with pytest.raises(SlotRefused), queue.slot(0.0, early=True):
        pass  # a guess never shares the model
    release.set()
    join(first, second, waiting)
    assert sorted(served) == [1.0, 2.0, 3.0] and queue.depth == 0


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FairQueue(width=0)


@pytest.mark.models
def test_the_french_window_shortens_once_a_turn_waits() -> None:
    shared = recognizer()
    assert shared.shortest_window("fr", 1) == 16.0 and shared.shortest_window("en", 1) == 8.0
    assert shared.shortest_window("fr", LOADED_DEPTH) == 8.0 and shared.shortest_window("en", LOADED_DEPTH) == 8.0


@pytest.mark.models
def test_the_recognizer_refuses_a_guess_while_a_turn_holds_it() -> None:
    shared, silence = recognizer(), np.zeros(WHISPER_RATE, dtype=np.float32)
    with shared.queue.slot(0.0):  # another call's turn
        assert shared.busy
        with pytest.raises(SlotRefused):
            shared.transcribe(silence, "fr", early=True)
    assert not shared.busy
    assert shared.transcribe(silence, "fr", early=True).text == ""  # idle: the guess runs
