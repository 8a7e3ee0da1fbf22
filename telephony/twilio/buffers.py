"""Small pure buffers at both ends of a media stream.

* `MediaReorderBuffer` (our side): the caller's frames in order, duplicates dropped.
* `PlayoutBuffer` (Twilio's side, for the simulated carrier): the bot's audio queued for playing in real time,
  with marks echoed once the audio before them was played and `clear` dropping what was not.
"""

from __future__ import annotations

from collections import deque

from telephony.g711 import FRAME_BYTES
from telephony.twilio.protocol import Media


class MediaReorderBuffer:
    """Puts media frames back in `chunk` order and drops duplicates, late frames and wild jumps.

    Twilio's stream runs over TCP and is in order; this guards against a faulty peer. `sequenceNumber` counts
    every message (a `dtmf` takes a number too), so ordering goes by `chunk`, which counts media only; frames
    without either pass through as they come. A missing frame holds the next ones back for at most `window`
    frames, then is given up.

    Args:
        window: Frames held while waiting for a missing one.
        max_jump: A frame this far ahead of the expected one is dropped as bogus.
    """

    def __init__(self, window: int = 4, max_jump: int = 250) -> None:
        self.window = window
        self.max_jump = max_jump
        self.dropped = 0
        """Frames dropped so far (duplicates, late or bogus)."""
        self._next: int | None = None
        self._pending: dict[int, Media] = {}

    @staticmethod
    def _key(media: Media) -> int | None:
        return media.chunk if media.chunk is not None else media.sequence

    def push(self, media: Media) -> list[Media]:
        """Add one frame; return the frames now ready to play, in order (often just this one)."""
        key = self._key(media)
        if key is None:
            return [media]
        if self._next is None:
            self._next = key
        if key < self._next or key in self._pending or key > self._next + self.max_jump:
            self.dropped += 1
            return []
        self._pending[key] = media
        ready = self._drain()
        while len(self._pending) > self.window:
            self._next = min(self._pending)
            ready.extend(self._drain())
        return ready

    def flush(self) -> list[Media]:
        """The frames still held, in order (at the end of the stream)."""
        ready = [self._pending[key] for key in sorted(self._pending)]
        if ready:
            self._next = max(self._pending) + 1
        self._pending.clear()
        return ready

    def _drain(self) -> list[Media]:
        ready: list[Media] = []
        while self._next is not None and self._next in self._pending:
            ready.append(self._pending.pop(self._next))
            self._next += 1
        return ready


class PlayoutBuffer:
    """The bot's audio waiting to be played, with its marks, as Twilio keeps it."""

    def __init__(self) -> None:
        self._items: deque[bytes | str] = deque()
        """mu-law chunks (bytes) and mark names (str), in the order received."""
        self._bytes = 0

    @property
    def buffered(self) -> int:
        """mu-law bytes not played yet (8 per millisecond)."""
        return self._bytes

    def add_audio(self, ulaw: bytes) -> None:
        """Queue audio after everything already queued."""
        if ulaw:
            self._items.append(bytes(ulaw))
            self._bytes += len(ulaw)

    def add_mark(self, name: str) -> None:
        """Queue a mark: it is reached when the audio queued before it has been played."""
        self._items.append(str(name))

    def clear(self) -> list[str]:
        """Drop the queued audio; return the marks that were pending (Twilio sends them back at once)."""
        marks = [item for item in self._items if isinstance(item, str)]
        self._items.clear()
        self._bytes = 0
        return marks

    def play(self, size: int = FRAME_BYTES) -> tuple[bytes, list[str]]:
        """Play up to `size` bytes.

        Returns:
            The audio played (shorter, even empty, when the queue runs dry) and the marks reached meanwhile.
        """
        played = bytearray()
        marks: list[str] = []
        while self._items and (len(played) < size or isinstance(self._items[0], str)):
            item = self._items.popleft()
            if isinstance(item, str):
                marks.append(item)
                continue
            take = size - len(played)
            played += item[:take]
            if len(item) > take:
                self._items.appendleft(item[take:])
        self._bytes -= len(played)
        return bytes(played), marks
