"""The disk cache filled in the background when `voicebot serve` starts, so that calls rarely wait for a first clause.

The fixed prompts are pre-rendered before the first call (`CachingSynthesizer.prerender`, which stores them on
disk too). What else the agent says often is variable, but known in advance (`practice_pieces`): the sentences
naming the practice's practitioners and motifs, and the offers of the coming days' free slots, whose first clause
after the lead-in ("J'ai une place" | "mardi huit décembre à dix heures,") is the one a caller waits for. All are
worded by the dialogue's own functions, then split as the synthesizer splits them.

`SpeechWarmup` renders those pieces one at a time, into the disk cache only, on a daemon thread that yields to
calls: it waits while a call's sentence is being rendered or the recognizer is busy (and a short quiet time
after), stops when asked, and logs one line when done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from booking.clinic import Clinic
from booking.slots import Slot, SlotQuery
from dialogue.flows.wish import motifs_for
from dialogue.state import Wish
from dialogue.wording.phrases import Phrases, load_phrases
from dialogue.wording.spoken import say_list, say_practitioner, say_slots

if TYPE_CHECKING:
    from voicebot.speech.tts import CachingSynthesizer

log = logging.getLogger(__name__)

DAYS = 7
"""How many coming days' slots are warmed."""
MAX_PIECES = 600
"""The most pieces one warm-up considers (about 60 MB of 24 kHz speech when none was there)."""
QUIET_SECONDS = 0.5
"""How long after a call's sentence was rendered the warm-up waits before rendering again."""
OFFER_SLOTS = 3
"""Slots read in one offer (`dialogue.flows.search.MAX_OFFERS`): the first clause of a long offer ends at a comma."""


class Practice(Protocol):
    """What the warm-up reads of the booking service (`booking.service.BookingService` has it)."""

    def clinic(self) -> Clinic:
        """The practice's configuration."""
        ...

    def find_slots(self, query: SlotQuery, now: datetime) -> list[Slot]:
        """Free slots for `query`."""
        ...


def coming_slots(practice: Practice, now: datetime, days: int = DAYS) -> list[Slot]:
    """The free slots of every motif from `now` to the end of the `days`-th day, one per start and practitioner."""
    clinic = practice.clinic()
    today = now.astimezone(clinic.practice.zone).date()
    found: dict[tuple[datetime, str], Slot] = {}
    for motif in clinic.motifs:
        query = SlotQuery(motif.id, first_day=today, last_day=today + timedelta(days=days - 1))
        for slot in practice.find_slots(query, now):
            found.setdefault((slot.start, slot.practitioner_id), slot)
    return sorted(found.values(), key=lambda slot: (slot.start, slot.practitioner_id))


def name_texts(clinic: Clinic, phrases: Phrases) -> list[str]:
    """The sentences naming a practitioner or a motif, as the dialogue says them (`dialogue.flows`)."""
    texts = []
    everyone = [m.label for m in motifs_for(Wish(anyone=True), clinic)]
    texts.append(phrases.get("motif.question", motifs=say_list(everyone, phrases)))
    for practitioner in clinic.practitioners:
        name = say_practitioner(practitioner, phrases)
        labels = [m.label for m in motifs_for(Wish(practitioner_ids=(practitioner.id,)), clinic)]
        texts.append(phrases.get("ok_with", name=name))
        texts.append(phrases.get("motif.only_with", name=name))
        texts.append(phrases.get("motif.question", motifs=say_list(labels, phrases)))
    for motif in clinic.motifs:
        if not motif.new_patients:
            texts.append(phrases.get("motif.known_question", motif=motif.label))
    return texts


def offer_texts(slot: Slot, later: Sequence[Slot], clinic: Clinic, phrases: Phrases) -> list[str]:
    """The offers that read `slot` first (`dialogue.flows.booking.present`): alone, and before `later` slots of
    its day; each without and with the practitioner's name.
    """
    texts = []
    for named in (False, True):
        texts.append(phrases.get("offer.one", slots=say_slots([slot], clinic, phrases, named)))
        if later:
            texts.append(phrases.get("offer.many", slots=say_slots([slot, *later], clinic, phrases, named)))
    return texts


def by_rank(slots: Sequence[Slot]) -> Iterator[tuple[Slot, Sequence[Slot]]]:
    """Each slot with the next ones of its day: the first slot of every day, then the second of every day, ..."""
    days: dict[date, list[Slot]] = {}
    for slot in slots:  # `start` is in the practice's zone
        days.setdefault(slot.start.date(), []).append(slot)
    rank = 0
    while any(rank < len(day) for day in days.values()):
        for day in days.values():
            if rank < len(day):
                yield day[rank], day[rank + 1 : rank + OFFER_SLOTS]
        rank += 1


def practice_pieces(
    split: Callable[[str], list[str]], practice: Practice, now: datetime, *, days: int = DAYS, limit: int = MAX_PIECES
) -> Iterator[str]:
    """The pieces worth having on disk, most useful first, `limit` at most (computed as they are taken).

    Args:
        split: How the synthesizer cuts a text into pieces (`CachingSynthesizer.pieces`).
        practice: The booking service.
        now: The server's now (the coming days start from it).
        days: How many days of slots.
        limit: The most pieces yielded.
    """
    clinic = practice.clinic()
    phrases = load_phrases(clinic.practice.locale[:2])
    seen: set[str] = set()

    def fresh(pieces: Iterable[str]) -> Iterator[str]:
        for piece in pieces:
            if piece not in seen and len(seen) < limit:
                seen.add(piece)
                yield piece

    for text in name_texts(clinic, phrases):
        yield from fresh(split(text))
    for slot, later in by_rank(coming_slots(practice, now, days)):
        if len(seen) >= limit:
            return
        for text in offer_texts(slot, later, clinic, phrases):
            yield from fresh(split(text)[:2])  # the lead-in and the first clause: the rest renders while they play


class SpeechWarmup:
    """Renders pieces into a synthesizer's disk cache on a background thread, one at a time, yielding to calls.

    Args:
        synthesizer: The voice whose disk cache is filled (`disk` set; without one nothing is rendered).
        pieces: Normalised pieces, taken one by one on the thread (a generator is computed there).
        quiet: Seconds without a call's rendering (nor `busy`) before the next piece is rendered.
        busy: Whether something else of the calls is at work (the recognizer's `busy`): the warm-up waits too.
    """

    def __init__(
        self,
        synthesizer: CachingSynthesizer,
        pieces: Iterable[str],
        *,
        quiet: float = QUIET_SECONDS,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.synthesizer = synthesizer
        self.pieces = pieces
        self.quiet = quiet
        self.busy = busy
        self.rendered = 0
        """Pieces rendered into the disk cache."""
        self.present = 0
        """Pieces found there already."""
        self.done = threading.Event()
        """Set when the thread has finished (every piece seen, stopped, or failed)."""
        self._stop = threading.Event()
        self._calm_since = float("-inf")
        """When `busy` was last seen true."""
        self._thread = threading.Thread(target=self._run, name="speech-warmup", daemon=True)

    def start(self) -> SpeechWarmup:
        """Start the thread; returns the warm-up."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it (a piece being rendered is finished first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _quiet(self) -> bool:
        """Wait until no call has rendered nor been `busy` for `quiet` seconds; `False` when asked to stop."""
        while not self._stop.is_set():
            if self.synthesizer.busy or self.busy():
                self._calm_since = time.monotonic()
            elif min(time.monotonic() - self._calm_since, self.synthesizer.idle_seconds()) >= self.quiet:
                return True
            self._stop.wait(0.05)
        return False

    def _run(self) -> None:
        started = time.perf_counter()
        outcome = "done"
        try:
            for piece in self.pieces:
                if not self._quiet():
                    outcome = "stopped"
                    break
                if self.synthesizer.warm(piece):
                    self.rendered += 1
                else:
                    self.present += 1
        except Exception as error:  # the server goes on without the rest: those sentences render during calls
            outcome = f"failed ({type(error).__name__}: {error})"
        finally:
            log.info(
                "speech warm-up %s: %d pieces rendered, %d already on disk, in %.1f s",
                outcome,
                self.rendered,
                self.present,
                time.perf_counter() - started,
            )
            self.done.set()
