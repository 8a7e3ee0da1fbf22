"""The clinic file's `[privacy]` section: defaults, checks, stored by `clinic apply`, read back and exported."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from booking.clinic import load_clinic, parse_clinic
from booking.clinic_export import clinic_to_dict, clinic_to_toml
from booking.db import migrate, open_engine
from booking.errors import ClinicFileError
from booking.models import PracticeRow
from booking.privacy import Retention
from booking.store import apply_clinic, read_clinic
from tests.booking.test_clinic_file import VALID
from tests.conftest import NOW, SAMPLE_CLINIC

CONFIG = Path(__file__).resolve().parents[2] / "config"


def with_privacy(table: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    data["privacy"] = table
    return data


def problems_of(table: Any) -> list[str]:
    with pytest.raises(ClinicFileError) as caught:
        parse_clinic(with_privacy(table), "clinic.toml")
    return caught.value.problems


def test_without_the_section_the_defaults_apply() -> None:
    assert parse_clinic(VALID).privacy == Retention(30, 90, 3)


def test_the_section_is_read() -> None:
    table = {"transcript_days": 7, "call_log_days": 30, "patient_data_years": 1}
    assert parse_clinic(with_privacy(table)).privacy == Retention(7, 30, 1)
    assert parse_clinic(with_privacy({"call_log_days": 60})).privacy == Retention(30, 60, 3)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"patient_data_years": 5}, "[privacy] patient_data_years = 5: more than 3 years is not allowed (CNIL)"),
        ({"transcript_days": 0}, "[privacy], transcript_days: must be at least 1, not 0"),
        ({"call_log_days": -3}, "[privacy], call_log_days: must be at least 1, not -3"),
        ({"patient_data_years": 0}, "[privacy], patient_data_years: must be at least 1, not 0"),
        ({"transcript_days": "30"}, "[privacy], transcript_days: must be a whole number, not '30'"),
        ({"transcript_days": 2.5}, "[privacy], transcript_days: must be a whole number, not 2.5"),
        ({"call_log_days": True}, "[privacy], call_log_days: must be a whole number, not True"),
        ({"transcripts_days": 30}, "[privacy], transcripts_days: unknown key"),
        (
            {"transcript_days": 120},
            "[privacy] transcript_days = 120 is more than call_log_days = 90: "
            "a transcript cannot be kept longer than its call",
        ),
        ("30 days", "[privacy]: must be a table"),
    ],
)
def test_each_mistake_is_named(table: Any, expected: str) -> None:
    assert expected in problems_of(table)


def test_mistakes_are_reported_with_the_others() -> None:
    data = with_privacy({"patient_data_years": 10})
    data["practice"]["timezone"] = "Mars/Olympus"
    with pytest.raises(ClinicFileError) as caught:
        parse_clinic(data, "clinic.toml")
    assert len(caught.value.problems) == 2
    assert "more than 3 years is not allowed (CNIL)" in str(caught.value)


def test_an_unknown_section_lists_privacy_among_the_expected() -> None:
    data = copy.deepcopy(VALID)
    data["privacy_policy"] = {}
    with pytest.raises(ClinicFileError, match=r"expected practice, motifs, practitioners, closures, privacy"):
        parse_clinic(data)


def test_the_export_writes_it_and_reads_it_back() -> None:
    clinic = parse_clinic(with_privacy({"transcript_days": 10, "call_log_days": 20, "patient_data_years": 2}))
    assert clinic_to_dict(clinic)["privacy"] == {"transcript_days": 10, "call_log_days": 20, "patient_data_years": 2}
    assert parse_clinic(tomllib.loads(clinic_to_toml(clinic))) == clinic
    assert clinic_to_dict(parse_clinic(VALID))["privacy"] == {
        "transcript_days": 30,
        "call_log_days": 90,
        "patient_data_years": 3,
    }


def test_apply_stores_it_and_read_clinic_reads_it_back(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    clinic = parse_clinic(with_privacy({"transcript_days": 14, "call_log_days": 60, "patient_data_years": 2}))
    assert apply_clinic(engine, clinic, NOW).changed
    with Session(engine) as session:
        row = session.get(PracticeRow, 1)
        assert row is not None
        assert (row.transcript_days, row.call_log_days, row.patient_data_years) == (14, 60, 2)
        assert read_clinic(session).privacy == Retention(14, 60, 2)
    assert not apply_clinic(engine, clinic, NOW).changed  # idempotent
    shorter = parse_clinic(with_privacy({"transcript_days": 7}))
    report = apply_clinic(engine, shorter, NOW)
    assert report.changed
    with Session(engine) as session:
        assert read_clinic(session).privacy == Retention(7, 90, 3)
    engine.dispose()


@pytest.mark.parametrize("name", sorted(p.name for p in CONFIG.glob("*.toml")))
def test_every_sample_documents_the_section_in_a_comment(name: str) -> None:
    text = (CONFIG / name).read_text(encoding="utf-8")
    assert "# [privacy]" in text
    for key in ("transcript_days", "call_log_days", "patient_data_years"):
        assert f"# {key} = " in text
    assert load_clinic(CONFIG / name).privacy == Retention()  # commented out: the defaults


def test_the_documented_sample_uncommented_is_valid() -> None:
    text = SAMPLE_CLINIC.read_text(encoding="utf-8")
    start = text.index("# [privacy]")
    block = [line for line in text[start:].splitlines() if line.startswith("# ")][:4]
    uncommented = "\n".join(line[2:] for line in block)
    assert tomllib.loads(uncommented)["privacy"] == {
        "transcript_days": 30,
        "call_log_days": 90,
        "patient_data_years": 3,
    }
