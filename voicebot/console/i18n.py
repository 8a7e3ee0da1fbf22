"""The console's French and English wording, read from `locales/fr.toml` and `locales/en.toml`."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("fr", "en")
LOCALES = Path(__file__).with_name("locales")


@cache
def _catalog(lang: str) -> dict[str, Any]:
    data = tomllib.loads((LOCALES / f"{lang}.toml").read_text("utf-8"))
    flat: dict[str, Any] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}{key}.", value)
            else:
                flat[prefix + key] = value

    walk("", data)
    return flat


class Translator:
    """Looks up UI strings in one language; a missing key shows as itself, so it is easy to spot."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "fr"
        self._strings = _catalog(self.lang)

    def __call__(self, key: str, **values: Any) -> str:
        """The string for `key`, with `{name}` placeholders filled from `values`."""
        text = self._strings.get(key)
        if not isinstance(text, str):
            return key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether the catalog defines `key`."""
        return isinstance(self._strings.get(key), str)

    def weekday(self, index: int, short: bool = False) -> str:
        """Name of a weekday, 0 = Monday."""
        return str(self._strings["dates.weekdays_short" if short else "dates.weekdays"][index])

    def day(self, value: date | datetime, short: bool = False) -> str:
        """A date for people: "mardi 1 décembre 2026" / "Tuesday 1 December 2026" (short: "mar. 1 déc.")."""
        months = self._strings["dates.months_short" if short else "dates.months"]
        weekday = self.weekday(value.weekday(), short)
        text = f"{weekday} {value.day} {months[value.month - 1]}"
        return text if short else f"{text} {value.year}"

    def time(self, value: datetime) -> str:
        """A wall-clock time, "09:30"."""
        return f"{value:%H:%M}"

    def seconds(self, milliseconds: int | None) -> str:
        """A delay in seconds, one decimal in the language's style ("1,2 s" / "1.2 s"); a dash for `None`."""
        if milliseconds is None:
            return "—"
        text = f"{milliseconds / 1000:.1f} s"
        return text.replace(".", ",") if self.lang == "fr" else text

    def moment(self, value: datetime) -> str:
        """A short date and time: "mar. 1 déc. 09:30"."""
        return f"{self.day(value, short=True)} {self.time(value)}"
