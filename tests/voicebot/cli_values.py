"""What the command-line fuzzing types (`test_cli_fuzz`): for each kind of option, valid-looking values (the edges
of what parses included) and junk, and the folder of files its path options name.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import click
from hypothesis import strategies as st

from tests.conftest import NOW, SAMPLE_CLINIC, SAMPLE_CLINIC_EN

CLI_NOW = NOW.strftime("%Y-%m-%dT%H:%M")
"""`--now`, most of the time."""

CHARACTERS = st.characters(codec="utf-8", exclude_characters="\x00") | st.sampled_from(
    ["\udcff", "\udc80", "é", "ß", "\u202e", "\u200b", "💉", "\n", "\t", " ", "-", "'", '"', "%", "\\", "\ufeff"]
)
"""Anything a shell can pass: no NUL (argv cannot hold one), but undecodable bytes, which Python turns into lone
surrogates (`\\udcff` is the byte 0xff)."""
ODD = st.sampled_from(
    ["", " ", "x" * 10_000, "9" * 400, "-1", "--json", "null", "'; DROP TABLE appointment; --", "é" * 300, "\udcff"]
)
TEXT = st.text(CHARACTERS, max_size=40) | ODD
FILE_NAME = st.text(CHARACTERS.filter(lambda c: c != "/"), min_size=1, max_size=30) | ODD
"""A file name in the test's own folder (no slash: nothing is written outside it)."""


@dataclass(frozen=True)
class Values:
    """What to type for one option: `valid` values (valid-looking: the edges of what parses included) and `junk`."""

    valid: st.SearchStrategy[str]
    junk: st.SearchStrategy[str] = TEXT

    def draw(self, draw: st.DrawFn, dirty: bool) -> str:
        """A valid value on a clean command line; on a dirty one, junk one time in three."""
        if dirty and draw(st.sampled_from([False, False, True])):
            return draw(self.junk)
        return draw(self.valid)


def pool(*values: str, more: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """One of `values`, or of `more`."""
    chosen = st.sampled_from(values)
    return chosen if more is None else chosen | more


INTEGERS = Values(
    st.integers(-3, 400).map(str) | st.integers().map(str) | pool("0", "1", "2", "9" * 40),
    pool("1.5", "1e3", "abc", " 7", "０", "٣", "-" + "9" * 40, more=TEXT),
)
DAYS = Values(
    st.dates(min_value=NOW.date().replace(day=1), max_value=NOW.date().replace(year=NOW.year + 1)).map(
        lambda d: d.isoformat()
    )
    | pool("9999-12-31", "0001-01-01", "1900-01-01", "1899-12-31", "2999-12-31", "3000-01-01", "1985-07-14"),
    pool("2026-02-30", "31/12/2026", "mardi", "2026-12-01T10:00", more=TEXT),
)
START_TIMES = Values(
    st.builds(
        lambda day, hour, minute: f"{day.isoformat()}T{hour:02d}:{minute:02d}",
        st.dates(min_value=NOW.date(), max_value=NOW.date().replace(month=12, day=31)),
        st.integers(7, 19),
        st.sampled_from([0, 10, 20, 30, 40, 50]),
    )
    | pool(
        "9999-12-31T23:59",
        "0001-01-01T00:00",
        "2026-12-01T10:00+14:00",
        "2026-12-01T10:00-12:00",
        "2026-12-01T10:00Z",
        "2027-03-28T02:30",  # not a time in Paris (the clocks go forward)
        "2026-10-25T02:30",  # twice a time in Paris (the clocks go back)
        "2026-12-01",
        "2028-12-01T10:00",
        "2024-12-01T10:00",
    ),
    pool("2026-12-01T25:00", "mardi à 10h", "10:00", more=TEXT),
)
CLOCK_TIMES = Values(pool("09:00", "9:00", "14:30", "23:59", "00:00"), pool("24:00", "25:61", "9h", "midi", more=TEXT))
PHONES = Values(
    pool("+33612345678", "06 12 34 56 78", "0612345678", "+33 1 23 45 67 89", "12", "+1 202 555 0100", "+" + "9" * 30),
)
NAMES = Values(pool("Jean", "Lucie", "Marie-Ève", "Dupont", "Ferrand", "Le Gall", more=TEXT), ODD)
NOWS = Values(
    pool(CLI_NOW, CLI_NOW, CLI_NOW, "2026-11-28T10:00+14:00", "2026-11-28T09:00Z", "2999-12-31T23:59"),
    pool("9999-12-31T23:59", "0001-01-01T00:00", "mardi", "", "2026-13-01", more=TEXT),
)
"""`--now`: the frozen clock of the test, mostly."""
PASSWORDS = pool("correct horse battery staple\n", "\n", "x\n", "y\n", "n\n", "", more=TEXT)
FILES = Values(
    pool("clinic.toml", "clinic.en.toml", "broken.toml", "latin1.toml", "empty.toml", "script.txt", "missing.toml"),
    pool("a-folder", ".", "no/such/folder/file", more=FILE_NAME),
)
"""Names in the test's folder only, never the repository's files: an output option may overwrite them."""

BY_NAME: dict[str, Values] = {
    "practitioner_id": Values(pool("martin", "bernard", "bertrand", "girard", "MARTIN", "dupont")),
    "practitioners": Values(pool("martin", "bernard", "bertrand", "girard", "dupont")),
    "motif_id": Values(pool("consultation", "frottis", "pediatrie", "suivi", "vaccination", "rien")),
    "specialty": Values(pool("pédiatre", "médecin généraliste", "sage-femme", "PEDIATRE", "dentiste")),
    "start": START_TIMES,
    "first_name": NAMES,
    "last_name": NAMES,
    "name": Values(pool("Lucie Ferrand", "Marie Curie", "lucie FERRAND", "Jean Dupont", "Lucie", more=TEXT), ODD),
    "phone": PHONES,
    "caller_id": PHONES,
    "not_before": CLOCK_TIMES,
    "username": Values(pool("alice", "ALICE", " alice ", "sam", "nobody", more=TEXT), ODD),
    "script": Values(pool("script.txt", "script.txt", "script.txt", "latin1.toml", "empty.toml", "a-folder")),
}
"""The options known by their name."""

SCRIPT_LINES = pool(
    "je voudrais un rendez-vous",
    "oui",
    "non",
    "dtmf:1",
    "dtmf:#",
    "silence",
    "# a comment",
    "annuler mon rendez-vous",
    "Lucie Ferrand",
    "le 14 juillet 1985",
    "mardi à 10h",
    "",
    more=st.text(CHARACTERS, max_size=60),
)
"""The caller's lines of a `chat --script` file."""


def values_for(param: click.Parameter, references: tuple[str, ...]) -> Values:
    """Values to type for one option or argument: from its name when known, else from its type."""
    name = param.name or ""
    kind = param.type
    if name == "reference":
        return Values(pool(*references, "000000", "ABCDEF"))
    if name in BY_NAME:
        return BY_NAME[name]
    if isinstance(kind, click.Choice):
        return Values(pool(*(str(c) for c in kind.choices)))
    if isinstance(kind, click.DateTime):
        return CLOCK_TIMES if any("%H" in f for f in kind.formats) else DAYS
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return INTEGERS
    if isinstance(kind, click.Path):
        return FILES
    return Values(TEXT, ODD)


def prepare(folder: Path) -> None:
    """The test's working folder (its current directory) and the files named by `FILES`, copies of the sample
    clinics among them.
    """
    folder.mkdir()
    shutil.copy(SAMPLE_CLINIC, folder / "clinic.toml")
    shutil.copy(SAMPLE_CLINIC_EN, folder / "clinic.en.toml")
    (folder / "a-folder").mkdir()
    (folder / "broken.toml").write_text('[practice\nname = "x"\n', encoding="utf-8")
    (folder / "latin1.toml").write_bytes('[practice]\nname = "Cabinet é"\n'.encode("latin-1"))
    (folder / "empty.toml").write_text("", encoding="utf-8")
