"""The clinic file's numbers stay in sane ranges: too small, too large or not a whole number is a problem that
names the file, the entry, the key and the range, never a traceback later (issue 13, hole 3)."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.clinic import Clinic, load_clinic, parse_clinic
from booking.clinic_entry import CEILING
from booking.errors import ClinicFileError
from tests.conftest import NOW, SAMPLE_CLINIC

SAMPLE: dict[str, Any] = tomllib.loads(SAMPLE_CLINIC.read_text(encoding="utf-8"))

Path_ = tuple[str | int, ...]

BOUNDED: list[tuple[Path_, str, int, int, str]] = [
    (("practice", "min_notice_minutes"), "[practice], min_notice_minutes", 0, 43_200, "minutes"),
    (("practice", "horizon_days"), "[practice], horizon_days", 1, 730, "days"),
    (("practice", "slot_step_minutes"), "[practice], slot_step_minutes", 5, 240, "minutes"),
    (("motifs", 0, "duration_minutes"), 'motifs[1] (id "consultation"), duration_minutes', 5, 480, "minutes"),
    (("motifs", 0, "buffer_minutes"), 'motifs[1] (id "consultation"), buffer_minutes', 0, 240, "minutes"),
]
"""Each bounded key: where it is, how a problem names it, its smallest and largest value, its unit."""

OTHER_NUMBERS: list[Path_] = [
    ("privacy", "transcript_days"),
    ("privacy", "call_log_days"),
    ("privacy", "patient_data_years"),
    ("sms", "reminder_hours"),
]
"""The numeric keys of `[privacy]` and `[sms]`, whose own rules are checked by their own tests."""


def with_value(path: Path_, value: Any) -> dict[str, Any]:
    """The sample clinic with `value` at `path` (sections created as needed)."""
    data = copy.deepcopy(SAMPLE)
    table: Any = data
    for part in path[:-1]:
        table = table.setdefault(part, {}) if isinstance(part, str) else table[part]
    table[path[-1]] = value
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ClinicFileError) as caught:
        parse_clinic(data, "clinic.toml")
    return caught.value.problems


@pytest.mark.parametrize(("path", "where", "low", "high", "unit"), BOUNDED, ids=[b[1] for b in BOUNDED])
def test_both_ends_of_each_range_are_accepted(path: Path_, where: str, low: int, high: int, unit: str) -> None:
    for value in (low, high):
        clinic = parse_clinic(with_value(path, value), "clinic.toml")
        assert isinstance(clinic, Clinic)


@pytest.mark.parametrize(("path", "where", "low", "high", "unit"), BOUNDED, ids=[b[1] for b in BOUNDED])
@pytest.mark.parametrize("excess", [1, 3_000_000_000, 10**21])
def test_too_large_is_refused_with_the_range(
    path: Path_, where: str, low: int, high: int, unit: str, excess: int
) -> None:
    value = high + excess
    problems = problems_of(with_value(path, value))
    shown = str(value) if value < 10**18 else f"a number of {len(str(value))} digits"
    assert f"{where}: must be at most {high} ({low} to {high} {unit}), not {shown}" in problems


@pytest.mark.parametrize(("path", "where", "low", "high", "unit"), BOUNDED, ids=[b[1] for b in BOUNDED])
@pytest.mark.parametrize("shortfall", [1, 10**21])
def test_too_small_is_refused_with_the_range(
    path: Path_, where: str, low: int, high: int, unit: str, shortfall: int
) -> None:
    value = low - shortfall
    problems = problems_of(with_value(path, value))
    shown = str(value) if abs(value) < 10**18 else f"a number of {len(str(abs(value)))} digits"
    assert f"{where}: must be at least {low} ({low} to {high} {unit}), not {shown}" in problems


WRONG_TYPES: list[tuple[Any, str]] = [
    ("20", "'20'"),
    (20.0, "20.0"),
    (float("inf"), "inf"),
    (float("nan"), "nan"),
    (True, "True"),
    (False, "False"),
    ([20], "[20]"),
    ({"minutes": 20}, "{'minutes': 20}"),
    (date(2026, 12, 1), "2026-12-01"),
    (datetime(2026, 12, 1, 9, 30), "2026-12-01T09:30:00"),
    (datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "2026-12-01T09:30:00+00:00"),
    (time(0, 20), "00:20:00"),
    ([10**5000], "a list too large to show"),
]


@pytest.mark.parametrize(("path", "where", "low", "high", "unit"), BOUNDED, ids=[b[1] for b in BOUNDED])
@pytest.mark.parametrize(("value", "shown"), WRONG_TYPES, ids=[s for _, s in WRONG_TYPES])
def test_anything_but_a_whole_number_is_refused(
    path: Path_, where: str, low: int, high: int, unit: str, value: Any, shown: str
) -> None:
    assert f"{where}: must be a whole number, not {shown}" in problems_of(with_value(path, value))


@pytest.mark.parametrize("place", OTHER_NUMBERS, ids=[".".join(map(str, p)) for p in OTHER_NUMBERS])
@pytest.mark.parametrize("value", [CEILING + 1, 10**21, 10**5000], ids=["ceiling+1", "10**21", "5000 digits"])
def test_numbers_with_rules_of_their_own_still_stay_under_the_ceiling(place: Path_, value: int) -> None:
    shown = str(value) if value < 10**18 else "a number of thousands of digits"
    if 10**18 <= value < 10**3000:
        shown = f"a number of {len(str(value))} digits"
    where = f"[{place[0]}], {place[1]}"
    assert f"{where}: must be at most {CEILING}, not {shown}" in problems_of(with_value(place, value))


def test_a_notice_as_long_as_the_horizon_is_refused() -> None:
    data = with_value(("practice", "horizon_days"), 1)
    data["practice"]["min_notice_minutes"] = 24 * 60
    assert problems_of(data) == [
        "[practice], min_notice_minutes: 1440 minutes is not shorter than horizon_days = 1 (1440 minutes): "
        "no appointment could ever be booked"
    ]
    data["practice"]["min_notice_minutes"] = 24 * 60 - 1
    assert parse_clinic(data).practice.min_notice_minutes == 24 * 60 - 1


def test_the_sample_files_are_within_the_bounds() -> None:
    for path in sorted(SAMPLE_CLINIC.parent.glob("*.toml")):
        assert load_clinic(path).practice.name, path


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1" + "0" * 21, "duration_minutes: must be at most 480 (5 to 480 minutes), not a number of 22 digits"),
        ("3_000_000_000", "duration_minutes: must be at most 480 (5 to 480 minutes), not 3000000000"),
        ("9" * 5000, "a number in the file has thousands of digits: no setting needs one"),
        ("[" * 100_000 + "]" * 100_000, "lists nested thousands deep: no setting needs them"),
        ('"twenty"', "duration_minutes: must be a whole number, not 'twenty'"),
        ("1979-05-27", "duration_minutes: must be a whole number, not 1979-05-27"),
    ],
    ids=["10**21", "3e9", "5000 digits", "nested lists", "text", "date"],
)
def test_a_file_with_an_impossible_number_names_file_key_and_range(tmp_path: Path, value: str, problem: str) -> None:
    text = SAMPLE_CLINIC.read_text(encoding="utf-8").replace("duration_minutes = 20", f"duration_minutes = {value}", 1)
    assert text != SAMPLE_CLINIC.read_text(encoding="utf-8")
    file = tmp_path / "clinic.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ClinicFileError) as caught:
        load_clinic(file)
    report = str(caught.value)
    assert report.startswith(f"{file}: ") and problem in report


_LEAVES = st.one_of(
    st.integers(),
    st.builds(lambda sign, exponent: sign * 10**exponent, st.sampled_from([1, -1]), st.integers(0, 6000)),
    st.floats(),
    st.booleans(),
    st.text(max_size=12),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.times(),
)
TOML_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
"""What a TOML file (or the console's edited copy of one) can put in a key: every TOML type, any size."""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    place=st.sampled_from([path for path, *_ in BOUNDED] + OTHER_NUMBERS),
    value=TOML_VALUES,
)
def test_any_value_in_a_numeric_key_is_accepted_or_refused_by_the_loader(place: Path_, value: Any) -> None:
    try:
        clinic = parse_clinic(with_value(place, value), "clinic.toml")
    except ClinicFileError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)
        assert str(error).startswith("clinic.toml: ")
        return
    bound = next((b for b in BOUNDED if b[0] == place), None)
    if bound is None:  # [privacy] or [sms]: their own rules, under the loader's ceiling
        assert type(value) is int and 1 <= value <= CEILING
        assert NOW - timedelta(days=value) < NOW < NOW + timedelta(days=value)
        return
    _, _, low, high, _ = bound
    assert type(value) is int and low <= value <= high
    practice, motif = clinic.practice, clinic.motifs[0]
    latest = NOW + timedelta(days=practice.horizon_days, minutes=motif.duration_minutes + motif.buffer_minutes)
    assert latest > NOW + timedelta(minutes=practice.min_notice_minutes)
