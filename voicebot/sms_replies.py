"""What the bot answers to a patient's text (Twilio's inbound SMS webhook calls `sms_replier`'s function).

- "ANNULER" / "CANCEL" (any case, accents and punctuation ignored), with or without a 6-digit reference: cancels
  that number's upcoming appointment when exactly one matches (the reference, else the only upcoming one); the
  cancellation's own text then goes out through the outbox like any other (the service's `cancel`). More than one
  and no reference: the reply lists them and asks for the reference. None: the reply says so, with the practice's
  number.
- "STOP" / "ARRET" / "ARRÊT": no more texts to that number (`opt_out`, honoured by every later message).
- Anything else: the practice's phone number.

"That number" is the sender's: the patients whose stored phone (E.164) equals `From`. Each answer (within two
SMS segments) is kept in the outbox as a `reply`, already sent, tied to the appointment it cancelled; nothing of
the patient's text is kept or logged (it may hold health data).
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from booking.clinic import Clinic
from booking.errors import AppointmentNotFound
from booking.phones import to_e164
from booking.records import AppointmentRecord
from booking.service import BookingService
from dialogue.wording.phrases import Phrases
from voicebot.sms_texts import display_phone, phrases_for, say_when, shorten, within_segments

log = logging.getLogger(__name__)

CANCEL_WORDS = frozenset({"annuler", "annule", "annulation", "cancel", "cancellation"})
"""Words asking to cancel, folded (no case, no accents)."""
STOP_WORDS = frozenset({"stop", "arret", "arreter", "stopall", "unsubscribe"})
"""Words asking for no more texts, folded; only as the first word ("stop" inside a sentence is no request)."""
MAX_LISTED = 3
"""How many upcoming appointments a reply lists when it asks which one to cancel."""

Reply = Callable[[str, str], Awaitable[str | None]]
"""`async (from_, body) -> the text to answer, or None for no answer`."""


class RepliesOutbox(Protocol):
    """The part of the outbox (`booking`'s `Outbox`) the replies use."""

    def opt_out(self, phone: str, now: datetime) -> object:
        """Stop every later text to `phone` (E.164)."""
        ...

    def record_reply(self, to_phone: str, body: str, now: datetime, *, reference: str | None = None) -> object:
        """Keep the answer sent to `to_phone` (already sent: the webhook's response carries it)."""
        ...


def fold(text: str) -> list[str]:
    """The words of a text without case, accents or punctuation ("Annulér !" -> ["annuler"])."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"[a-z]+|\d+", plain)


def find_reference(words: list[str]) -> str | None:
    """A 6-digit reference in the text: a run of 6 digits, or the only digits being two groups of 3 ("123 456").

    Other numbers ("le 12 décembre à 10 h 30") are no reference.
    """
    runs = [w for w in words if w.isdigit()]
    six = [r for r in runs if len(r) == 6]
    if six:
        return six[0]
    if [len(r) for r in runs] == [3, 3]:
        return "".join(runs)
    return None


def sms_replier(service: BookingService, outbox: RepliesOutbox, clock: Callable[[], datetime]) -> Reply:
    """The function that answers a text from `from_` (E.164) saying `body`; `clock()` is now. Each answer is kept
    in the outbox as a `reply` (with the appointment's reference when it concerns one), not the patient's text.
    """

    def answer(from_: str, body: str) -> str | None:
        clinic = service.clinic()
        phrases = phrases_for(clinic.practice)
        phone = to_e164(from_, clinic.practice.country) or from_.strip()
        words = fold(body)
        now = clock()
        reference: str | None = None
        if words and words[0] in STOP_WORDS:
            outbox.opt_out(phone, now)
            text = phrases.get("sms.reply.stopped", practice=clinic.practice.name)
        elif CANCEL_WORDS.intersection(words):
            text, reference = _cancel(service, clinic, phrases, phone, find_reference(words), now)
        else:
            text = _other(clinic, phrases)
        text = shorten(text)
        try:
            outbox.record_reply(phone, text, now, reference=reference)
        except SQLAlchemyError as error:  # the answer still goes back; only its copy in the outbox is missing
            log.warning("SMS reply not kept in the outbox (%s)", type(error).__name__)
        return text

    async def reply(from_: str, body: str) -> str | None:
        return await asyncio.to_thread(answer, from_, body)

    return reply


def _cancel(
    service: BookingService, clinic: Clinic, phrases: Phrases, phone: str, reference: str | None, now: datetime
) -> tuple[str, str | None]:
    """Cancel the one upcoming appointment of this number (or the one with `reference`), or say why not; the
    answer and the reference of the appointment cancelled (`None`: none was).
    """
    upcoming = sorted(
        (a for patient in service.find_patients(phone=phone) for a in service.upcoming(patient.id, now)),
        key=lambda a: a.start,
    )
    practice_phone = display_phone(clinic.practice.phone, clinic.practice.country)
    if reference is not None:
        chosen = [a for a in upcoming if a.reference == reference]
        if not chosen:
            return phrases.get("sms.reply.unknown_reference", reference=reference, phone=practice_phone), None
    elif len(upcoming) > 1:
        return _which(upcoming, phrases), None
    else:
        chosen = upcoming
    if not chosen:
        return phrases.get("sms.reply.none", phone=practice_phone), None
    try:
        record = service.cancel(chosen[0].reference, now)
    except AppointmentNotFound:  # cancelled meanwhile (the console, a call)
        return phrases.get("sms.reply.none", phone=practice_phone), None
    return _cancelled(record, phrases), record.reference


def _which(upcoming: list[AppointmentRecord], phrases: Phrases) -> str:
    """Which one to cancel: the first `MAX_LISTED` upcoming appointments, fewer when the list would not fit."""
    for count in range(min(len(upcoming), MAX_LISTED), 0, -1):
        listed = [
            phrases.get("sms.reply.item", when=say_when(a.start, phrases), reference=a.reference)
            for a in upcoming[:count]
        ]
        text = phrases.get("sms.reply.which", appointments=", ".join(listed), example=upcoming[0].reference)
        if within_segments(text):
            break
    return text


def _cancelled(record: AppointmentRecord, phrases: Phrases) -> str:
    return phrases.get("sms.reply.cancelled", when=say_when(record.start, phrases), reference=record.reference)


def _other(clinic: Clinic, phrases: Phrases) -> str:
    practice = clinic.practice
    return phrases.get("sms.reply.other", practice=practice.name, phone=display_phone(practice.phone, practice.country))
