"""Pure helpers of the console: form parsing, clinic-file edits, the import diff, the week grid."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from booking.clinic import TimeRange, load_clinic, parse_clinic
from booking.clinic_export import clinic_to_dict
from booking.errors import Refusal
from tests.conftest import SAMPLE_CLINIC
from voicebot.console.book_views import parse_clock, parse_day, patient_query, reason_key, week_grid
from voicebot.console.config_edit import (
    add_closure,
    closure_bounds,
    closure_key,
    describe_changes,
    normalize_ranges,
    remove_closure,
    remove_motif,
    remove_practitioner,
    set_hours,
    slugify,
    upsert_motif,
    upsert_practitioner,
)
from voicebot.console.i18n import Translator, _catalog

CLINIC = load_clinic(SAMPLE_CLINIC)


@pytest.mark.parametrize(
    ("typed", "ranges"),
    [
        ("08:30-12:00, 14:00-18:30", ["08:30-12:00", "14:00-18:30"]),
        ("8h30-12h ; 14h-18h30", ["08:30-12:00", "14:00-18:30"]),
        ("9:00 – 12:00\n13:30-17:30", ["09:00-12:00", "13:30-17:30"]),
        ("9h à 12h et 14h à 17h", ["09:00-12:00", "14:00-17:00"]),
        ("", []),
        ("midi", ["midi"]),  # left for the clinic file's validation to name
    ],
)
def test_normalize_ranges(typed: str, ranges: list[str]) -> None:
    assert normalize_ranges(typed) == ranges


@pytest.mark.parametrize(
    ("typed", "criteria"),
    [
        ("Dupont", {"last_name": "Dupont"}),
        ("Jean Dupont", {"first_name": "Jean", "last_name": "Dupont"}),
        ("Hélène Le Gall", {"first_name": "Hélène", "last_name": "Le Gall"}),
        ("14/03/1985", {"birth_date": date(1985, 3, 14)}),
        ("1985-03-14", {"birth_date": date(1985, 3, 14)}),
        ("06 12 34 56 78", {"phone": "+33612345678"}),
        ("", {}),
    ],
)
def test_patient_query(typed: str, criteria: dict[str, object]) -> None:
    assert patient_query(typed, "FR") == criteria


def test_parse_day_and_clock() -> None:
    assert parse_day("2026-12-01") == parse_day("01/12/2026") == date(2026, 12, 1)
    assert parse_day("31/02/2026") is None and parse_day(None) is None
    assert parse_clock("09:30") == parse_clock("9h30") == time(9, 30)
    assert parse_clock("9h") == time(9, 0)
    assert parse_clock("24:00") is None and parse_clock("") is None


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        (Refusal.TAKEN, "taken"),
        (Refusal.OFF_HOURS, "off_hours"),
        (Refusal.CLOSED, "closed"),
        (Refusal.TOO_SOON, "too_soon"),
        (Refusal.TOO_FAR, "too_far"),
        (Refusal.NOT_OFFERED, "not_offered"),
        (None, "other"),  # a SlotUnavailable raised with a message only
    ],
)
def test_reason_key(reason: Refusal | None, key: str) -> None:
    assert reason_key(reason) == key


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_refusal_has_its_words(lang: str) -> None:
    keys = {reason_key(reason) for reason in Refusal} | {reason_key(None)}
    assert len(keys) == len(Refusal) + 1
    assert {f"book.reason.{key}" for key in keys} <= _catalog(lang).keys()


def test_closure_bounds() -> None:
    day = date(2026, 12, 1)
    assert closure_bounds("days", day, None, None, None) == ("2026-12-01", "2026-12-01")
    assert closure_bounds("days", day, date(2026, 12, 3), None, None) == ("2026-12-01", "2026-12-03")
    assert closure_bounds("afternoon", day, None, None, None) == ("2026-12-01T12:00", "2026-12-01T23:59")
    assert closure_bounds("morning", day, None, None, None) == ("2026-12-01T00:00", "2026-12-01T12:00")
    assert closure_bounds("hours", day, None, time(10), time(11, 30)) == ("2026-12-01T10:00", "2026-12-01T11:30")
    assert closure_bounds("hours", day, None, time(10), None) is None


def test_edits_produce_valid_clinic_files() -> None:
    data = clinic_to_dict(CLINIC)
    edited = set_hours(data, "martin", {1: ["10:00-12:00"], 4: []})
    assert data == clinic_to_dict(CLINIC)  # the original is untouched
    martin = parse_clinic(edited).practitioner("martin")
    assert martin.hours[1] == (TimeRange(time(10), time(12)),) and 4 not in martin.hours
    closed = parse_clinic(add_closure(data, None, "2026-12-01T12:00", "2026-12-01T23:59", " réunion "))
    assert closed.closures[-1].label == "réunion" and closed.closures[-1].practitioner is None
    reopened = parse_clinic(remove_closure(clinic_to_dict(closed), closed, closure_key(closed.closures[-1])))
    assert reopened.closures == CLINIC.closures
    motif = parse_clinic(upsert_motif(data, "vaccination", "vaccin", "15", False, "5")).motif("vaccination")
    assert (motif.label, motif.duration_minutes, motif.new_patients, motif.buffer_minutes) == ("vaccin", 15, False, 5)
    assert motif.keywords == CLINIC.motif("vaccination").keywords
    without = parse_clinic(remove_motif(data, "frottis"))
    assert "frottis" not in without.practitioner("martin").motifs
    people = parse_clinic(upsert_practitioner(data, "roux", "Dr", "Anne", "Roux", "pédiatre", ["pediatrie"]))
    assert people.practitioner("roux").hours == {}
    gone = parse_clinic(remove_practitioner(data, "bertrand"))
    assert all(c.practitioner != "bertrand" for c in gone.closures)
    assert slugify("Consultation pédiatrique") == "consultation-pediatrique"


def test_describe_changes() -> None:
    data = clinic_to_dict(CLINIC)
    hours = {d: [str(r) for r in rs] for d, rs in CLINIC.practitioner("martin").hours.items()}
    data = set_hours(data, "martin", {**hours, 1: ["10:00-12:00"]})
    data = remove_motif(data, "frottis")
    data["practice"]["name"] = "Cabinet du Lac"
    new = parse_clinic(add_closure(data, "bernard", "2026-12-24", "2026-12-24", "Noël"))
    kinds = [(c.kind, c.subject) for c in describe_changes(CLINIC, new)]
    assert ("practice", "name") in kinds and ("motif_removed", "frottis") in kinds
    assert ("hours", "Dr Martin") in kinds and ("closure_added", "2026-12-24 → 2026-12-24 (bernard) Noël") in kinds
    hours = next(c for c in describe_changes(CLINIC, new) if c.kind == "hours")
    assert (hours.weekday, hours.before, hours.after) == (1, "08:30-12:00, 14:00-18:30", "10:00-12:00")
    assert describe_changes(CLINIC, CLINIC) == []


def test_week_grid_places_hours_closures_and_holidays() -> None:
    grid = week_grid(CLINIC, "martin", date(2026, 12, 21), [])
    assert [c.day.weekday() for c in grid.days] == [0, 1, 2, 3, 4]
    assert grid.hours[0] == 8 and grid.hours[-1] == 18
    christmas = grid.days[4]
    assert christmas.note  # a public holiday is named
    assert any(b.kind == "closed" for b in christmas.blocks)  # Dr Martin's holidays start on the 24th
    monday = grid.days[0]
    opening = [b for b in monday.blocks if b.kind == "open"]
    assert opening[0].top == pytest.approx(30 / 660 * 100, abs=0.01)  # 08:30 in an 08:00-19:00 grid
    assert all(0 <= b.top and b.top + b.height <= 100.001 for c in grid.days for b in c.blocks)
    assert datetime(2026, 12, 21, 8, 30) == opening[0].start


def test_both_languages_have_the_same_keys() -> None:
    assert _catalog("fr").keys() == _catalog("en").keys()
    assert Translator("fr").day(date(2026, 12, 1)) == "mardi 1 décembre 2026"
    assert Translator("en").day(date(2026, 12, 1), short=True) == "Tue 1 Dec"
    assert Translator("de").lang == "fr"
    assert Translator("fr")("login.throttled", minutes=15).endswith("15 minute(s).")
    assert Translator("en")("no.such.key") == "no.such.key"
