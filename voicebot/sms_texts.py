"""The text messages patients get (booking's `TextComposer`): confirmations, moves, cancellations and reminders.

Written in the practice's language from `dialogue/wording/locales/<locale>.toml` (`[sms]`), with the day and time
the way the agent says them on the phone ("mardi 8 décembre à 10 h 30"). A message names the practice, the day and
time, the practitioner, the reference, the address and how to cancel; never the motif, the specialty or a reason
(health data). Each one fits in two SMS segments: a long address is left out first, then the text is cut.
"""

from __future__ import annotations

from datetime import datetime

import phonenumbers

from booking.clinic import Practice
from booking.records import AppointmentRecord
from booking.sms import TextChange
from dialogue.wording.phrases import Phrases, load_phrases
from dialogue.wording.spoken import say_date, say_time

MAX_LENGTH = 306
"""Two concatenated GSM-7 segments (153 characters each): every message stays within this many characters."""

KINDS = ("confirmation", "move", "cancellation", "reminder")
"""The kinds of message `SmsTexts` writes (a reply to a patient's text is `voicebot.sms_replies`' business)."""


def phrases_for(practice: Practice) -> Phrases:
    """The practice's phrases ("fr-FR" and "fr" alike read French)."""
    return load_phrases(practice.locale[:2])


def say_when(moment: datetime, phrases: Phrases) -> str:
    """A day and time as people say them: "mardi 8 décembre à 10 h 30", "Tuesday the 8th of December at 10:30 am"."""
    return f"{say_date(moment.date(), phrases)} {phrases.get('speech.at', time=say_time(moment.time(), phrases))}"


def display_phone(phone: str, country: str) -> str:
    """The practice's number as its patients dial it ("01 84 80 00 00"), or as written when it is no number."""
    try:
        number = phonenumbers.parse(phone, country.upper() or None)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_possible_number(number):
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def fit(sentences: list[str], optional: set[int], limit: int = MAX_LENGTH) -> str:
    """Sentences joined by spaces within `limit` characters: the optional ones (by index) are left out first,
    then the first sentence (the one holding the practice's name) is cut at a word, so the reference and how to
    cancel always remain.
    """
    text = " ".join(sentences)
    if len(text) <= limit:
        return text
    kept = [s for i, s in enumerate(sentences) if i not in optional]
    text = " ".join(kept)
    if len(text) <= limit:
        return text
    rest = " ".join(kept[1:])
    room = max(limit - len(rest) - 1, 0)
    head = kept[0][: room + 1].rsplit(" ", 1)[0] if len(kept[0]) > room else kept[0]
    return f"{head} {rest}"[:limit].strip()


class SmsTexts:
    """Writes the body of each message the booking service queues (`booking.sms.TextComposer`)."""

    def compose(self, change: TextChange) -> str | None:
        """The body of the text for `change`, or `None` for a kind it does not know (no text is sent)."""
        if change.kind not in KINDS:
            return None
        phrases = phrases_for(change.practice)
        practice = change.practice
        appointment = change.appointment
        fields: dict[str, object] = {
            "practice": practice.name,
            "when": say_when(appointment.start, phrases),
            "practitioner": change.practitioner.display_name,
        }
        if change.kind == "move":
            before: AppointmentRecord | None = change.previous
            if before is None:
                head = phrases.get("sms.confirmation", **fields)
            else:
                head = phrases.get("sms.move", before=say_when(before.start, phrases), **fields)
        else:
            head = phrases.get(f"sms.{change.kind}", **fields)
        reference = phrases.get("sms.reference", reference=appointment.reference)
        if change.kind == "cancellation":
            rebook = phrases.get("sms.rebook", phone=display_phone(practice.phone, practice.country))
            return fit([head, reference, rebook], optional=set())
        address = phrases.get("sms.address", address=practice.address)
        return fit([head, reference, address, phrases.get("sms.cancel_hint")], optional={2})
