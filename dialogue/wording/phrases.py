"""The agent's wording, read from `dialogue/wording/locales/<locale>.toml` (package data).

No sentence lives in code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from dialogue.errors import DialogueError

LOCALES: tuple[str, ...] = ("fr", "en")


class Phrases:
    """One locale's phrases, looked up by dotted key ("offer.one") and filled with `str.format` fields."""

    def __init__(self, locale: str, table: Mapping[str, Any]) -> None:
        self.locale = locale
        self._table = table

    def raw(self, key: str) -> Any:
        """The value stored under a dotted key (a string, a list or a table).

        Raises:
            DialogueError: when the key is missing, a bug in the locale file or the code.
        """
        node: Any = self._table
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise DialogueError(f"locale {self.locale!r} has no phrase {key!r}")
            node = node[part]
        return node

    def get(self, key: str, /, **fields: object) -> str:
        """The phrase under `key`, with `{fields}` filled in."""
        value = self.raw(key)
        if not isinstance(value, str):
            raise DialogueError(f"locale {self.locale!r}: phrase {key!r} is not text")
        return value.format(**fields) if fields else value

    def words(self, key: str) -> tuple[str, ...]:
        """A list of words under `key` (weekday names, month names...)."""
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DialogueError(f"locale {self.locale!r}: phrase {key!r} is not a list of text")
        return tuple(value)

    def table(self, key: str) -> Mapping[str, str]:
        """A table of text under `key` (titles, emergency numbers...)."""
        value = self.raw(key)
        if not isinstance(value, Mapping):
            raise DialogueError(f"locale {self.locale!r}: phrase {key!r} is not a table")
        return {str(k): str(v) for k, v in value.items()}

    def keys(self) -> set[str]:
        """Every dotted key of a leaf value (for checking that locales agree)."""
        found: set[str] = set()

        def walk(node: Mapping[str, Any], prefix: str) -> None:
            for key, value in node.items():
                if isinstance(value, Mapping):
                    walk(value, f"{prefix}{key}.")
                else:
                    found.add(f"{prefix}{key}")

        walk(self._table, "")
        return found


@cache
def load_phrases(locale: str) -> Phrases:
    """The phrases of `locale` ("fr" or "en").

    Raises:
        DialogueError: for an unknown locale.
    """
    if locale not in LOCALES:
        raise DialogueError(f"unknown locale {locale!r} (expected one of: {', '.join(LOCALES)})")
    text = resources.files("dialogue.wording").joinpath("locales", f"{locale}.toml").read_text(encoding="utf-8")
    return Phrases(locale, tomllib.loads(text))
