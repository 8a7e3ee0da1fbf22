"""Phone numbers: typed or dialled text to E.164, mobile or landline, the last digits (booking.phones)."""

from __future__ import annotations

import pytest

from booking.phones import PhoneKind, PhoneNumber, is_mobile, last_digits, parse_number, to_e164

MOBILE, LANDLINE, OTHER = PhoneKind.MOBILE, PhoneKind.LANDLINE, PhoneKind.OTHER


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("06.12.34.56.78", "FR", "+33612345678"),
        ("06-12-34-56-78", "FR", "+33612345678"),
        ("+33 6 12 34 56 78", "FR", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "FR", "+33612345678"),
        ("0033612345678", "FR", "+33612345678"),
        ("33612345678", "FR", "+33612345678"),  # the country code without "+"
        ("612345678", "FR", "+33612345678"),  # the leading zero left out
        ("0612345678", "fr", "+33612345678"),  # the country in lower case
        ("07700 900123", "GB", "+447700900123"),
        ("07700900555", "GB", "+447700900555"),
        ("+44 20 7946 0001", "FR", "+442079460001"),  # international: the practice's country does not matter
        ("0033612345678", "US", "+33612345678"),  # "00" is read as "+" everywhere
        ("06 1234 5678", "IT", "+390612345678"),  # Italy keeps its leading zero
        ("12", "FR", None),
        ("hello", "FR", None),
        ("anonymous", "FR", None),
        ("", "FR", None),
        ("+", "FR", None),
        ("06 12 34 56 7", "FR", None),  # a digit missing
        ("06 12 34 56 789", "FR", None),  # one too many
        ("07700 90012", "GB", None),  # possible in the UK (some areas have 9 digits), but a digit short of a mobile
        ("+1234567", "FR", None),
        ("1 800 FLOWERS", "US", None),  # letters are no digits here
        ("0612345678", "", None),  # a national number needs a country
        ("+33612345678", "", "+33612345678"),
    ],
)
def test_to_e164(typed: str, country: str, e164: str | None) -> None:
    assert to_e164(typed, country) == e164


@pytest.mark.parametrize(
    ("e164", "kind", "region"),
    [
        ("+33612345678", MOBILE, "FR"),
        ("+33698765432", MOBILE, "FR"),
        ("+33123456789", LANDLINE, "FR"),
        ("+33100000000", LANDLINE, "FR"),
        ("+33184800001", LANDLINE, "FR"),
        ("+33800123456", OTHER, "FR"),  # toll-free
        ("+442079460001", LANDLINE, "GB"),
        ("+447400123456", MOBILE, "GB"),
        ("+447700900123", OTHER, None),  # Ofcom's drama range: of full length, in no allocated range
        ("+447700900555", OTHER, None),
        ("+33700000000", OTHER, None),  # unallocated, of full length
        ("+12025550123", OTHER, "US"),  # the North American plan does not tell mobiles from landlines
    ],
)
def test_parse_number_tells_the_kind(e164: str, kind: PhoneKind, region: str | None) -> None:
    assert parse_number(e164, "FR") == PhoneNumber(e164, kind, region)
    assert is_mobile(e164) is (kind is MOBILE)


@pytest.mark.parametrize("text", ["", "anonymous", "0612345678", "+3312", "06 12 34 56 78 ext 9"])
def test_is_mobile_is_false_for_no_number(text: str) -> None:
    assert not is_mobile(text)  # national numbers are no E.164: "0612345678" is not known to be French here


@pytest.mark.parametrize(
    ("phone", "n", "digits"),
    [
        ("+33612345678", 4, "5678"),
        ("+447700900123", 4, "0123"),
        ("+33 6 12 34 00 07", 4, "0007"),
        ("+33612345678", 2, "78"),
        ("+33612345678", 12, "612345678"),  # never the country code
        ("+390612345678", 10, "0612345678"),  # the Italian leading zero is part of the number
        ("+33612345678", 0, ""),
        ("1234-56", 4, "3456"),  # no number: the last digits it holds
        ("anonymous", 4, ""),
    ],
)
def test_last_digits(phone: str, n: int, digits: str) -> None:
    assert last_digits(phone, n) == digits


def test_the_numbers_of_the_samples_and_fixtures_are_accepted() -> None:
    used = [
        "+33612345678", "+33698765432", "+33699999999", "+33611223344", "+33612121212", "+33600000000",
        "+33600000001", "+33612340007", "+33612000111", "+33611111111", "+33700000000", "+33100000000",
        "+33100000001", "+33100000009", "+33123456789", "+33184800000", "+33184800001", "+447700900123",
        "+447700900555", "+447700900777", "+447700900999", "+442079460000", "+442079460001",
    ]  # fmt: skip
    assert [to_e164(number, "FR") for number in used] == used
