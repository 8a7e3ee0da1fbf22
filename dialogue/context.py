"""What one step may consult besides the state: the time, the booking port, the clinic and the wording."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from booking.clinic import Clinic
from dialogue.errors import DialogueError
from dialogue.port import BookingPort
from dialogue.wording.phrases import Phrases, load_phrases


@dataclass(frozen=True)
class Context:
    """The inputs of `step` other than the state and the event; build it with `Context.create`."""

    now: datetime
    """Aware current time, passed in by the caller of `step` (never read inside)."""
    port: BookingPort
    clinic: Clinic
    phrases: Phrases
    locale: str
    """"fr" or "en": the language spoken and understood."""
    min_confidence: float = 0.25
    """Transcriptions below this confidence are re-asked. With the recogniser's confidence the geometric mean of
    its token probabilities (issue 16), right short answers on the line scored 0.33 to 0.76; below 0.25 is
    mostly noise. Values taken from less sure turns are said back with the next question instead."""

    @classmethod
    def create(cls, port: BookingPort, now: datetime, locale: str | None = None) -> Context:
        """Load the clinic once from the port; `locale` defaults to the practice's.

        Raises:
            DialogueError: when `now` is naive or the locale is unknown.
        """
        if now.tzinfo is None:
            raise DialogueError("now must be timezone-aware")
        clinic = port.clinic()
        chosen = locale or clinic.practice.locale
        return cls(now=now, port=port, clinic=clinic, phrases=load_phrases(chosen), locale=chosen)

    def at(self, now: datetime) -> Context:
        """The same context at another time (the driver calls this before each step)."""
        return replace(self, now=now)

    @property
    def local_now(self) -> datetime:
        """`now` in the practice's time zone."""
        return self.now.astimezone(self.clinic.practice.zone)

    @property
    def today(self) -> date:
        """The practice's current local date."""
        return self.local_now.date()
