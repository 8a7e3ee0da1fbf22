"""Phone numbers on the `phonenumbers` library (pure): parsing what people type or say, E.164, mobile or landline.

Which numbers are accepted: every number `phonenumbers` holds valid (in an allocated range of its country), and
besides those the numbers of full national length in ranges it does not know, such as Ofcom's drama range
07700 900000-900999 or an unallocated French 07 00 block: test fixtures and sample practices use them, and a
number of the right length that no one owns yet does no harm. A number too short or too long for its country
(a digit dropped or repeated) is refused. Only valid numbers get a kind (mobile, landline); the others are `OTHER`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumberType

_TYPED = re.compile(r"\+?[\d\s.\-()/]+")
"""What a typed number may hold: digits, separators, one leading "+" (no letters: "1 800 FLOWERS" is no number)."""


class PhoneKind(StrEnum):
    """What a number reaches, as far as the numbering plan tells."""

    MOBILE = "mobile"
    """A mobile phone: it can receive a text message."""
    LANDLINE = "landline"
    """A fixed line: it never gets a text."""
    OTHER = "other"
    """Anything else: toll-free, shared cost, VoIP, pager, a range the plan does not classify, or a number that is
    either (the North American plan does not tell mobiles from fixed lines)."""


_KINDS = {PhoneNumberType.MOBILE: PhoneKind.MOBILE, PhoneNumberType.FIXED_LINE: PhoneKind.LANDLINE}


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number understood."""

    e164: str
    """The number in E.164 ("+33612345678")."""
    kind: PhoneKind
    """Mobile, landline or other."""
    region: str | None
    """The ISO country it belongs to ("FR", "GB"), `None` where the number is in no known range."""


def parse_number(text: str, country: str) -> PhoneNumber | None:
    """A phone number as typed, dialled or spoken as digits, read in the practice's `country`; `None` if none.

    Args:
        text: "06 12 34 56 78", "+33 6 12 34 56 78", "0033 6...", "33612345678", "07700 900123": digits and
            separators (spaces, dots, dashes, brackets, slashes), with a leading "+" or "00" for the country code.
        country: ISO code of the country whose national numbers `text` may be ("FR", "GB"); "" for none.

    Returns:
        The number, or `None` when `text` is no phone number of the right length (see the module's docstring).
    """
    number = _read(text, country)
    if number is None:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        return PhoneNumber(e164, PhoneKind.OTHER, None)
    kind = _KINDS.get(phonenumbers.number_type(number), PhoneKind.OTHER)
    return PhoneNumber(e164, kind, phonenumbers.region_code_for_number(number))


def to_e164(text: str, country: str) -> str | None:
    """A phone number as typed ("06 12 34 56 78", "+33 6...", "0033 6...") in E.164, or `None` (see `parse_number`)."""
    number = parse_number(text, country)
    return number.e164 if number else None


def is_mobile(e164: str) -> bool:
    """Whether a number in E.164 is a mobile phone, one that can get a text message (`False` when unsure)."""
    number = parse_number(e164, "")
    return number is not None and number.kind is PhoneKind.MOBILE


def last_digits(phone: str, n: int = 4) -> str:
    """The last `n` digits of a phone number ("+33612345678" -> "5678"), never reaching into the country code.

    A text that is no number in E.164 gives the last of whatever digits it holds.
    """
    number = _read(phone, "")
    digits = phonenumbers.national_significant_number(number) if number else re.sub(r"\D", "", phone)
    return digits[-n:] if n > 0 else ""


def _read(text: str, country: str) -> phonenumbers.PhoneNumber | None:
    """`text` parsed by `phonenumbers`, if it is a valid number or one of full length (see the module)."""
    text = text.strip()
    if not _TYPED.fullmatch(text):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, country.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return number
    return None if number.italian_leading_zero or not _full_length(number) else number


def _full_length(number: phonenumbers.PhoneNumber) -> bool:
    """Whether `number` has the longest national length of its country (no digit missing, none extra)."""
    if number.country_code is None:
        return False
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return False
    region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, region)
    if metadata is None or metadata.general_desc is None:
        return False
    length = len(phonenumbers.national_significant_number(number))
    return length == max(metadata.general_desc.possible_length, default=0)
