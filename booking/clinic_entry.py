"""Reading the clinic file's tables: key by key, with problems that name the entry and the key.

`Entry` reads one table; `parse_list` each table of an array (`[[motifs]]`...); `read_aliases` and
`check_aliases` the words callers use for a motif.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, Protocol

CEILING = 36_500
"""The largest whole number a key takes when it names no maximum of its own: a hundred years in days, so that a
date computed from any number of the file is still a real date."""


class Entry:
    """Reads keys of one table, recording problems that name the entry and the key."""

    def __init__(self, table: Any, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        self.table: Mapping[str, Any] = table if isinstance(table, Mapping) else {}
        self.used: set[str] = set()
        if not isinstance(table, Mapping):
            self.fail("", "must be a table")

    def fail(self, key: str, message: str) -> None:
        """Record a problem with `key` (or with the whole entry when `key` is empty)."""
        self.problems.append(f"{self.where}{', ' + key if key else ''}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., what: str = "") -> Any:
        """The value of `key` when of `kind`; `default` when absent (required when no default is given)."""
        self.used.add(key)
        if key not in self.table:
            if default is ...:
                self.fail(key, "is required")
                return None
            return default
        value = self.table[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.fail(key, f"must be {what or _kind_name(kind)}, not {shown(value)}")
            return None
        if not isinstance(value, kind):
            self.fail(key, f"must be {what or _kind_name(kind)}, not {shown(value)}")
            return None
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        """A text value; a required one must not be blank."""
        value = self.get(key, str, default, "text")
        if isinstance(value, str) and not value.strip() and default is ...:
            self.fail(key, "must not be empty")
        return value

    def number(self, key: str, default: Any = ..., minimum: int = 0, maximum: int | None = None, unit: str = "") -> Any:
        """A whole number from `minimum` to `maximum` (`CEILING` unless given); `unit` ("minutes") words the range."""
        value = self.get(key, int, default, "a whole number")
        if key not in self.table or not isinstance(value, int):
            return value
        allowed = f" ({minimum} to {maximum}{' ' + unit if unit else ''})" if maximum is not None else ""
        maximum = CEILING if maximum is None else maximum
        if value < minimum:
            self.fail(key, f"must be at least {minimum}{allowed}, not {shown(value)}")
            return None
        if value > maximum:
            self.fail(key, f"must be at most {maximum}{allowed}, not {shown(value)}")
            return None
        return value

    def finish(self) -> None:
        """Record every key of the table that was never read (usually a typo)."""
        for key in self.table:
            if key not in self.used:
                self.fail(key, "unknown key")


def shown(value: Any) -> str:
    """`value` as a problem quotes it: its Python form, dates as written in TOML, long values cut short."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        return f"a number of {len(str(abs(value))) if value.bit_length() < 10_000 else 'thousands of'} digits"
    if isinstance(value, date | time):
        return value.isoformat()
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an integer too long to write out, nested in a list
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def parse_list(data: Mapping[str, Any], key: str, parse: Any, problems: list[str], required: bool = True) -> list[Any]:
    """Each table of the array `key`, read by `parse(table, entry)`; those it could not build are left out."""
    items = data.get(key)
    if items is None:
        if required:
            problems.append(f"[[{key}]]: at least one entry is required")
        return []
    if not isinstance(items, list):
        problems.append(f"{key}: must be a list of tables ([[{key}]])")
        return []
    parsed = []
    for index, item in enumerate(items, start=1):
        label = item.get("id") if isinstance(item, Mapping) else None
        where = f"{key}[{index}]" + (f' (id "{label}")' if isinstance(label, str) else "")
        result = parse(item, Entry(item, where, problems))
        if result is not None:
            parsed.append(result)
    return parsed


def identifier(entry: Entry) -> Any:
    """The entry's `id`: lower-case letters, digits, "-" and "_"."""
    value = entry.text("id")
    if isinstance(value, str) and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
        entry.fail("id", f'"{value}" must use lower-case letters, digits, "-" or "_"')
        return None
    return value


def check_unique_ids(key: str, items: list[Any], problems: list[str]) -> None:
    """Record every id used twice among `items`."""
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            problems.append(f'{key}: duplicate id "{item.id}"')
        seen.add(item.id)


def parse_moment(value: Any) -> tuple[datetime, bool] | None:
    """A closure bound: a TOML date, a local date-time, or the same as text."""
    if isinstance(value, datetime):
        return (None, False) if value.tzinfo else (value, False)  # type: ignore[return-value]
    if isinstance(value, date):
        return datetime.combine(value, time()), True
    if isinstance(value, str):
        try:
            if len(value.strip()) == 10:
                return datetime.combine(date.fromisoformat(value.strip()), time()), True
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return (parsed, False) if parsed.tzinfo is None else None
    return None


class Named(Protocol):
    """What `check_aliases` reads of a motif."""

    @property
    def id(self) -> str:
        """The motif's id."""

    @property
    def label(self) -> str:
        """How the agent says it."""

    @property
    def aliases(self) -> tuple[str, ...]:
        """Words callers use for it."""


def fold(text: str) -> str:
    """`text` compared as callers' words are: case, accents, hyphens and apostrophes aside ("Piqûre" = "piqure")."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", bare).split())


def read_aliases(entry: Entry) -> tuple[str, ...] | None:
    """A motif's `aliases` (or `keywords`, their former name): one-line, non-empty, each listed once.

    Returns:
        The aliases as written (stripped), or `None` after recording a problem.
    """
    key = "aliases" if "aliases" in entry.table or "keywords" not in entry.table else "keywords"
    if "aliases" in entry.table and "keywords" in entry.table:
        entry.used.add("keywords")
        entry.fail("keywords", 'give "aliases" only ("keywords" is its former name)')
        return None
    values = entry.get(key, list, [], "a list of words or phrases")
    if not isinstance(values, list):
        return None
    aliases: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, str) or not fold(value) or "\n" in value:
            entry.fail(key, f"must be a list of words or phrases: {value!r} is not one (one line of text, not empty)")
            return None
        if fold(value) in seen:
            entry.fail(key, f'"{value}" is listed twice')
            return None
        seen.add(fold(value))
        aliases.append(value.strip())
    return tuple(aliases)


def check_aliases(motifs: Sequence[Named], problems: list[str]) -> None:
    """Record each alias that another motif also uses, as an alias or as its label (callers could mean either)."""
    owners: dict[str, str] = {}
    for motif in motifs:
        owners.setdefault(fold(motif.label), motif.id)
    for index, motif in enumerate(motifs, start=1):
        for alias in motif.aliases:
            owner = owners.setdefault(fold(alias), motif.id)
            if owner != motif.id:
                other = next(m for m in motifs if m.id == owner)
                what = "the label" if fold(other.label) == fold(alias) else "an alias"
                problems.append(
                    f'motifs[{index}] (id "{motif.id}"), aliases: "{alias}" is already {what} of motif "{owner}"'
                )
