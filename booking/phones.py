"""Phone numbers: parsing what people type or say into E.164 (pure)."""

from __future__ import annotations

import re

_CALLING_CODES = {
    "FR": "33",
    "BE": "32",
    "CH": "41",
    "LU": "352",
    "MC": "377",
    "GB": "44",
    "IE": "353",
    "DE": "49",
    "ES": "34",
    "IT": "39",
    "NL": "31",
    "PT": "351",
    "CA": "1",
    "US": "1",
}
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def to_e164(phone: str, country: str) -> str | None:
    """A phone number as typed ("06 12 34 56 78", "+33 6...", "0033 6...") in E.164, or `None`."""
    digits = re.sub(r"[\s.\-()/]", "", phone.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0") and country.upper() in _CALLING_CODES:
        prefix = _CALLING_CODES[country.upper()]
        digits = "+" + prefix + (digits if prefix == "39" else digits[1:])
    return digits if E164.match(digits) else None
