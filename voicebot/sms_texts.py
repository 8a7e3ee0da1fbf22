"""The text messages patients get (booking's `TextComposer`): confirmations, moves, cancellations and reminders.

Written in the practice's language from `dialogue/wording/locales/<locale>.toml` (`[sms]`), with the day and time
the way the agent says them on the phone ("mardi 8 décembre à 10 h 30"). A message names the practice, the day and
time, the practitioner, the reference, the address and how to cancel; never the motif, the specialty or a reason
(health data). Each one fits in two SMS segments, counted in the encoding it needs (`booking.sms.segments`): a text
too long as it is loses the accents outside the GSM alphabet first, then the address, then the end of its first
sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import phonenumbers

from booking.clinic import Practice
from booking.records import AppointmentRecord
from booking.sms import MAX_SEGMENTS, TextChange, gsm_letters, gsm_punctuation, segments
from dialogue.wording.phrases import Phrases, load_phrases
from dialogue.wording.spoken import say_date, say_time

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


def within_segments(text: str) -> bool:
    """Whether `text` fits in the segments a message may take (`booking.sms.MAX_SEGMENTS`)."""
    return segments(text) <= MAX_SEGMENTS


def fit(sentences: list[str], optional: set[int], fits: Callable[[str], bool] = within_segments) -> str:
    """Sentences joined by spaces so that `fits` (two SMS segments, counted in the encoding the text needs).

    Typographic punctuation is always made plain (`gsm_punctuation`). A text too long as it is has its letters
    outside the GSM alphabet written without their accents first (`gsm_letters`: "août" becomes "aout", and the
    text goes as GSM-7, 153 characters a part instead of UCS-2's 67: the patient keeps every detail); then the
    optional sentences (by index) are left out; then the first sentence (the one holding the practice's name) is
    cut at a word. The reference and how to cancel always remain.
    """
    text = gsm_punctuation(" ".join(sentences))
    if fits(text):
        return text
    plain = [gsm_letters(gsm_punctuation(s)) for s in sentences]
    text = " ".join(plain)
    if fits(text):
        return text
    kept = [s for i, s in enumerate(plain) if i not in optional]
    text = " ".join(kept)
    head, rest = kept[0].split(" "), kept[1:]
    while head and not fits(text):
        head.pop()
        text = " ".join([" ".join(head), *rest] if head else rest)
    while text and not fits(text):  # the fixed sentences alone are too long: cut at the end
        text = text[:-1]
    return text.strip()


def shorten(text: str, fits: Callable[[str], bool] = within_segments) -> str:
    """`text` within `fits`, as `fit` makes a sentence of its own: plain punctuation, then plain letters, then cut
    at a word (a reply naming a very long practice).
    """
    return fit([text], optional=set(), fits=fits)


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
