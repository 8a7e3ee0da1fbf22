"""The clinic file: the samples load, and every mistake is reported naming the file, the entry and the key."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from booking.clinic import Closure, TimeRange, load_clinic, parse_clinic
from booking.clinic_export import clinic_to_dict, clinic_to_toml
from booking.errors import BookingError, ClinicFileError

CONFIG = Path(__file__).resolve().parents[2] / "config"

VALID: dict[str, Any] = {
    "practice": {
        "name": "Cabinet du Parc",
        "timezone": "Europe/Paris",
        "locale": "fr",
        "country": "FR",
        "phone": "+33 1 84 80 00 00",
        "address": "12 rue du Parc, 75011 Paris",
    },
    "motifs": [
        {"id": "consultation", "label": "consultation", "duration_minutes": 20},
        {"id": "vaccination", "label": "vaccination", "duration_minutes": 10},
    ],
    "practitioners": [
        {
            "id": "martin",
            "title": "Dr",
            "first_name": "Sophie",
            "last_name": "Martin",
            "specialty": "médecin généraliste",
            "motifs": ["consultation", "vaccination"],
            "hours": {"mon": ["08:30-12:00", "14:00-18:30"], "wed": ["08:30-12:00"]},
        },
        {
            "id": "bernard",
            "title": "Dr",
            "first_name": "Luc",
            "last_name": "Bernard",
            "specialty": "médecin généraliste",
            "motifs": ["consultation"],
            "hours": {"tue": ["09:00-12:30"]},
        },
    ],
    "closures": [
        {"practitioner": "martin", "start": "2026-12-24", "end": "2027-01-03", "label": "congés"},
    ],
}

MARTIN = 'practitioners[1] (id "martin")'


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ClinicFileError) as caught:
        parse_clinic(data, "clinic.toml")
    assert caught.value.problems, "an error must list its problems"
    return caught.value.problems


def edited(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def set_in(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def delete(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


# --- the samples ----------------------------------------------------------------------------------


def test_the_french_sample_loads() -> None:
    clinic = load_clinic(CONFIG / "clinic.toml")
    assert clinic.practice.timezone == "Europe/Paris" and clinic.practice.country == "FR"
    assert (clinic.practice.locale, clinic.practice.min_notice_minutes, clinic.practice.horizon_days) == ("fr", 120, 60)
    assert clinic.practice.staff_phone == "+33 1 84 80 00 01"
    assert [m.id for m in clinic.motifs] == ["consultation", "vaccination", "suivi", "pediatrie", "frottis"]
    assert clinic.motif("frottis").buffer_minutes == 10 and clinic.motif("frottis").duration_minutes == 30
    assert clinic.motif("suivi").new_patients is False
    assert "piqûre" in clinic.motif("vaccination").keywords
    assert [p.id for p in clinic.practitioners] == ["martin", "bernard", "bertrand", "girard"]
    girard = clinic.practitioner("girard")
    assert girard.display_name == "Mme Girard"
    assert dict(girard.hours) == {0: (TimeRange(time(9), time(13)),), 3: (TimeRange(time(13), time(18)),)}
    assert clinic.practitioner("martin").hours[2] == (TimeRange(time(8, 30), time(12)),)  # Wednesday morning only
    leave, training, congress = clinic.closures
    # Dates are whole days: the leave ends at midnight after 2027-01-03.
    assert leave == Closure(datetime(2026, 12, 24), datetime(2027, 1, 4), "martin", "congés", all_day=True)
    assert training == Closure(
        datetime(2027, 2, 19, 14), datetime(2027, 2, 19, 18, 30), None, "formation de l'équipe", all_day=False
    )
    assert congress.practitioner == "bertrand" and congress.end == datetime(2027, 1, 16)


def test_the_english_sample_loads() -> None:
    clinic = load_clinic(CONFIG / "clinic.en.toml")
    practice = clinic.practice
    assert (practice.timezone, practice.locale, practice.country, practice.subdivision) == (
        "Europe/London",
        "en",
        "GB",
        "ENG",
    )
    assert (practice.min_notice_minutes, practice.horizon_days) == (60, 42)
    assert {p.id for p in clinic.practitioners} == {"patel", "jones", "johnson", "okafor"}
    assert clinic.practitioner("okafor").display_name == "Nurse Okafor"
    assert clinic.closures[0] == Closure(datetime(2026, 12, 29), datetime(2026, 12, 30), None, "staff training")


def test_the_valid_table_parses_and_defaults_apply() -> None:
    clinic = parse_clinic(VALID)
    assert clinic.practice.min_notice_minutes == 120 and clinic.practice.horizon_days == 60
    assert clinic.practice.slot_step_minutes is None and clinic.practice.subdivision is None
    assert clinic.motif("consultation").buffer_minutes == 0 and clinic.motif("consultation").new_patients
    assert clinic.practitioner("bernard").motifs == ("consultation",)
    with pytest.raises(KeyError):
        clinic.motif("echographie")
    with pytest.raises(KeyError):
        clinic.practitioner("dupont")


def test_aliases_are_read_and_keywords_is_their_former_name() -> None:
    aliases = parse_clinic(edited(set_in(("motifs", 1, "aliases"), [" vaccin ", "piqûre", "rappel de vaccin"])))
    assert aliases.motif("vaccination").aliases == ("vaccin", "piqûre", "rappel de vaccin")
    keywords = parse_clinic(edited(set_in(("motifs", 1, "keywords"), ["vaccin", "piqûre", "rappel de vaccin"])))
    assert keywords == aliases and keywords.motif("vaccination").keywords == aliases.motif("vaccination").aliases
    assert parse_clinic(VALID).motif("vaccination").aliases == ()


def test_aliases_round_trip_through_the_export() -> None:
    clinic = parse_clinic(edited(set_in(("motifs", 1, "keywords"), ["vaccin", "piqûre"])))
    exported = clinic_to_dict(clinic)
    assert exported["motifs"][1]["aliases"] == ["vaccin", "piqûre"] and "keywords" not in exported["motifs"][1]
    assert "aliases" not in exported["motifs"][0]
    assert parse_clinic(exported) == clinic
    assert parse_clinic(tomllib.loads(clinic_to_toml(clinic))) == clinic


def test_an_alias_may_repeat_its_own_motifs_label() -> None:
    clinic = parse_clinic(edited(set_in(("motifs", 1, "aliases"), ["Vaccination", "vaccin"])))
    assert clinic.motif("vaccination").aliases == ("Vaccination", "vaccin")


def test_lower_case_country_is_accepted() -> None:
    clinic = parse_clinic(edited(set_in(("practice", "country"), "fr")))
    assert clinic.practice.country == "FR"


def test_closure_bounds_may_be_toml_dates_and_local_date_times() -> None:
    data = edited(
        set_in(("closures", 0), {"start": datetime(2027, 2, 19, 14).date(), "end": datetime(2027, 2, 20, 10, 30)})
    )
    (closure,) = parse_clinic(data).closures
    assert (closure.start, closure.end, closure.practitioner, closure.all_day) == (
        datetime(2027, 2, 19),
        datetime(2027, 2, 20, 10, 30),
        None,
        False,
    )


# --- one mistake at a time ------------------------------------------------------------------------

BAD: list[tuple[str, Callable[[dict[str, Any]], object], list[str]]] = [
    (
        "hour out of range",
        set_in(("practitioners", 0, "hours", "mon"), ["25:00-26:00"]),
        [MARTIN, "hours.mon", '"25:00-26:00"', "not a valid time range"],
    ),
    (
        "range ends before it starts",
        set_in(("practitioners", 0, "hours", "mon"), ["12:00-11:00"]),
        [MARTIN, "hours.mon", '"12:00-11:00"'],
    ),
    (
        "range without a dash",
        set_in(("practitioners", 0, "hours", "wed"), ["08:30 12:00"]),
        [MARTIN, "hours.wed", '"08:30 12:00"'],
    ),
    (
        "overlapping ranges on one day",
        set_in(("practitioners", 0, "hours", "mon"), ["08:30-12:00", "11:00-13:00"]),
        [MARTIN, "hours.mon", '"08:30-12:00" and "11:00-13:00" overlap'],
    ),
    (
        "unknown weekday",
        set_in(("practitioners", 0, "hours", "lun"), ["08:30-12:00"]),
        [MARTIN, "hours.lun", 'unknown weekday "lun"'],
    ),
    (
        "hours of a day not a list",
        set_in(("practitioners", 0, "hours", "mon"), "08:30-12:00"),
        [MARTIN, "hours.mon", "must be a list"],
    ),
    (
        "unknown motif reference",
        set_in(("practitioners", 1, "motifs"), ["consultation", "echographie"]),
        ['practitioners[2] (id "bernard")', "motifs", 'unknown motif "echographie"'],
    ),
    (
        "unknown practitioner in a closure",
        set_in(("closures", 0, "practitioner"), "dupont"),
        ["closures[1]", "practitioner", 'unknown practitioner "dupont"'],
    ),
    ("duplicate motif id", set_in(("motifs", 1, "id"), "consultation"), ["motifs", 'duplicate id "consultation"']),
    (
        "duplicate practitioner id",
        set_in(("practitioners", 1, "id"), "martin"),
        ["practitioners", 'duplicate id "martin"'],
    ),
    (
        "unknown time zone",
        set_in(("practice", "timezone"), "Europe/Pari"),
        ["[practice]", "timezone", 'unknown time zone "Europe/Pari"'],
    ),
    (
        "time zone not a zone name",
        set_in(("practice", "timezone"), "../etc/passwd"),
        ["[practice]", "timezone", "unknown time zone"],
    ),
    ("unknown locale", set_in(("practice", "locale"), "de"), ["[practice]", "locale", 'unknown locale "de"']),
    ("unknown country", set_in(("practice", "country"), "XX"), ["[practice]", "country", '"XX"']),
    ("unknown subdivision", set_in(("practice", "subdivision"), "99"), ["[practice]", "subdivision", '"99"']),
    ("missing practice name", delete(("practice", "name")), ["[practice]", "name", "is required"]),
    ("empty practice phone", set_in(("practice", "phone"), "  "), ["[practice]", "phone", "must not be empty"]),
    (
        "missing motif duration",
        delete(("motifs", 0, "duration_minutes")),
        ['motifs[1] (id "consultation")', "duration_minutes", "is required"],
    ),
    ("missing practitioner last name", delete(("practitioners", 0, "last_name")), [MARTIN, "last_name", "is required"]),
    ("missing practitioner motifs", delete(("practitioners", 0, "motifs")), [MARTIN, "motifs", "is required"]),
    ("missing motif id", delete(("motifs", 1, "id")), ["motifs[2]", "id", "is required"]),
    ("missing closure start", delete(("closures", 0, "start")), ["closures[1]", "start", "is required"]),
    ("missing practice section", delete(("practice",)), ["[practice]", "missing"]),
    ("no motifs", delete(("motifs",)), ["[[motifs]]", "at least one"]),
    ("no practitioners", delete(("practitioners",)), ["[[practitioners]]", "at least one"]),
    ("motifs not a list of tables", set_in(("motifs",), {"id": "x"}), ["motifs", "list of tables"]),
    ("practice not a table", set_in(("practice",), "Cabinet"), ["[practice]", "must be a table"]),
    (
        "closure ends before it starts",
        set_in(("closures", 0, "end"), "2026-12-20"),
        ["closures[1]", "end", "must come after start"],
    ),
    (
        "closure date-times in the wrong order",
        set_in(("closures", 0), {"start": "2027-02-19T18:00", "end": "2027-02-19T14:00"}),
        ["closures[1]", "end", "must come after start"],
    ),
    (
        "closure of zero length",
        set_in(("closures", 0), {"start": "2027-02-19T14:00", "end": "2027-02-19T14:00"}),
        ["closures[1]", "end", "must come after start"],
    ),
    (
        "closure bound not a date",
        set_in(("closures", 0, "start"), "Christmas"),
        ["closures[1]", "start", '"Christmas"', "must be a date"],
    ),
    (
        "closure bound with a UTC offset",
        set_in(("closures", 0, "start"), datetime.fromisoformat("2027-01-01T10:00+01:00")),
        ["closures[1]", "start", "must be a date"],
    ),
    ("unknown practice key", set_in(("practice", "colour"), "blue"), ["[practice]", "colour", "unknown key"]),
    (
        "unknown motif key",
        set_in(("motifs", 0, "price"), 25),
        ['motifs[1] (id "consultation")', "price", "unknown key"],
    ),
    ("unknown closure key", set_in(("closures", 0, "reason"), "x"), ["closures[1]", "reason", "unknown key"]),
    ("unknown section", set_in(("extras",), {"a": 1}), ["[extras]", "unknown section"]),
    (
        "duration as text",
        set_in(("motifs", 0, "duration_minutes"), "20"),
        ['motifs[1] (id "consultation")', "duration_minutes", "whole number"],
    ),
    (
        "duration too short",
        set_in(("motifs", 0, "duration_minutes"), 0),
        ['motifs[1] (id "consultation")', "duration_minutes", "at least 5"],
    ),
    (
        "notice as a boolean",
        set_in(("practice", "min_notice_minutes"), True),
        ["[practice]", "min_notice_minutes", "whole number"],
    ),
    ("negative buffer", set_in(("motifs", 0, "buffer_minutes"), -5), ["buffer_minutes", "at least 0"]),
    ("horizon of zero days", set_in(("practice", "horizon_days"), 0), ["[practice]", "horizon_days", "at least 1"]),
    ("new_patients as text", set_in(("motifs", 0, "new_patients"), "yes"), ["new_patients", "true or false"]),
    ("keywords not words", set_in(("motifs", 0, "keywords"), ["vaccin", 3]), ["keywords", "list of words"]),
    ("aliases not a list", set_in(("motifs", 1, "aliases"), "vaccin"), ['motifs[2] (id "vaccination")', "aliases"]),
    ("an empty alias", set_in(("motifs", 1, "aliases"), ["vaccin", " "]), ["motifs[2]", "aliases", "' '"]),
    ("an alias on two lines", set_in(("motifs", 1, "aliases"), ["vaccin\npiqûre"]), ["aliases", "one line"]),
    ("an alias twice", set_in(("motifs", 1, "aliases"), ["piqûre", "Piqure"]), ["aliases", '"Piqure" is listed twice']),
    (
        "aliases and keywords both",
        lambda data: data["motifs"][1].update(aliases=["vaccin"], keywords=["piqûre"]),
        ['motifs[2] (id "vaccination")', "keywords", 'give "aliases" only'],
    ),
    (
        "an alias of two motifs",
        lambda data: (data["motifs"][0].update(aliases=["piqûre"]), data["motifs"][1].update(aliases=["Piqure"])),
        ['motifs[2] (id "vaccination"), aliases: "Piqure" is already an alias of motif "consultation"'],
    ),
    (
        "an alias that is another motif's label",
        set_in(("motifs", 1, "aliases"), ["Consultation"]),
        ['motifs[2] (id "vaccination"), aliases: "Consultation" is already the label of motif "consultation"'],
    ),
    (
        "id with capitals and spaces",
        set_in(("practitioners", 0, "id"), "Dr Martin"),
        ["practitioners[1]", "id", '"Dr Martin"'],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in BAD], ids=[name for name, _, _ in BAD])
def test_each_mistake_names_the_entry_and_the_key(
    change: Callable[[dict[str, Any]], object], expected: list[str]
) -> None:
    problems = problems_of(edited(change))
    assert any(all(part in problem for part in expected) for problem in problems), problems


# --- several mistakes, files, messages ------------------------------------------------------------


def test_several_problems_are_reported_together() -> None:
    data = edited(set_in(("practice", "locale"), "de"))
    data["practice"]["timezone"] = "Mars/Olympus"
    data["motifs"][0]["duration_minutes"] = "twenty"
    data["practitioners"][0]["hours"]["mon"] = ["25:00-26:00", "12:00-11:00"]
    data["practitioners"][1]["hours"]["lun"] = ["09:00-12:00"]
    data["closures"][0]["practitioner"] = "dupont"
    problems = problems_of(data)
    for expected in (
        'unknown locale "de"',
        'unknown time zone "Mars/Olympus"',
        "duration_minutes",
        '"25:00-26:00"',
        '"12:00-11:00"',
        'unknown weekday "lun"',
        'unknown practitioner "dupont"',
    ):
        assert sum(expected in problem for problem in problems) == 1, (expected, problems)


def test_error_names_the_file_and_lists_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "cabinet.toml"
    path.write_text(
        '[practice]\nname = "Cabinet"\ntimezone = "Europe/Paris"\nlocale = "xx"\ncountry = "FR"\n'
        'phone = "1"\naddress = "2"\n\n[[motifs]]\nid = "consultation"\nlabel = "consultation"\n'
        'duration_minutes = 20\n\n[[practitioners]]\nid = "martin"\nfirst_name = "S"\nlast_name = "M"\n'
        'specialty = "gp"\nmotifs = ["consultation"]\n[practitioners.hours]\nmon = ["08:30-12:00", "11:00-13:00"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ClinicFileError) as caught:
        load_clinic(path)
    error = caught.value
    assert isinstance(error, BookingError)
    assert error.source == str(path)
    assert len(error.problems) == 2
    text = str(error)
    assert text.splitlines()[0] == f"{path}: 2 problem(s) found"
    assert all(f"  - {problem}" in text.splitlines() for problem in error.problems)
    assert 'unknown locale "xx"' in text and '"08:30-12:00" and "11:00-13:00" overlap' in text


def test_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text("[practice\nname = Cabinet\n", encoding="utf-8")
    with pytest.raises(ClinicFileError) as caught:
        load_clinic(path)
    assert str(path) in str(caught.value)
    assert len(caught.value.problems) == 1 and caught.value.problems[0].startswith("not valid TOML")
    assert "line 1" in caught.value.problems[0]


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ClinicFileError, match="not UTF-8"):
        load_clinic(path)


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ClinicFileError) as caught:
        load_clinic(path)
    assert caught.value.source == str(path) and str(path) in str(caught.value)
    assert caught.value.problems == ["cannot read the file: No such file or directory"]


def test_a_directory_instead_of_a_file(tmp_path: Path) -> None:
    with pytest.raises(ClinicFileError, match="cannot read the file"):
        load_clinic(tmp_path)


def test_parse_clinic_default_source_name() -> None:
    with pytest.raises(ClinicFileError, match="^<clinic>: "):
        parse_clinic({})
