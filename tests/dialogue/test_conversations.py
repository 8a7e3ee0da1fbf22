"""Scripted calls (tests/dialogue/conversations/*.toml) played through `step` with a fake port and a frozen
clock (Saturday 2026-11-28 10:00 in the practice's zone), asserting on what was said and on the bookings.

A script's keys:

* `locale` ("fr" or "en", also picks config/clinic.toml or config/clinic.en.toml), `caller_id`, `now`;
* `[[patients]]` and `[[appointments]]` already in the practice's records;
* `[[turns]]`: `caller` (words, `dtmf:123`, `silence`, `hangup`), then `bot` (substrings the answer must
  contain, case-insensitive) and `bot_not` (substrings it must not contain);
* `[expect]`: `outcome`, `reference`, `never_say` (never said in the whole call), `booked` (every appointment
  still booked afterwards: practitioner, motif, start, and optionally patient fields), `cancelled`
  (references cancelled), `port_never` (port methods never called, e.g. "book").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialogue.actions import Expect, HangUp, Say, Transfer
from tests.dialogue.scripts import CONVERSATIONS, Run, load_script, run_script

SCRIPTS = sorted(CONVERSATIONS.glob("*.toml"))


def _check_turn_shapes(run: Run) -> None:
    """Every answer ends with exactly one wait (Expect) or one end (HangUp/Transfer); nothing follows an end."""
    ended = False
    for caller, actions in run.turns:
        if ended:
            assert actions == [], f"actions after the end of the call: {caller!r}"
            continue
        assert actions, f"no answer to {caller!r}"
        finals = [a for a in actions if isinstance(a, Expect | HangUp | Transfer)]
        assert len(finals) == 1 and actions[-1] is finals[0], f"answer to {caller!r} must end with one wait or end"
        assert all(isinstance(a, Say) for a in actions[:-1])
        ended = isinstance(actions[-1], HangUp | Transfer)


def _check_bookings(run: Run, expect: dict[str, Any]) -> None:
    if "booked" in expect:
        booked = run.port.booked()
        wanted = expect["booked"]
        assert len(booked) == len(wanted), run.transcript() + f"\nbooked: {booked}"
        for record, entry in zip(booked, wanted, strict=True):
            assert record.practitioner_id == entry["practitioner"]
            assert record.motif_id == entry["motif"]
            assert record.start.replace(tzinfo=None) == entry["start"], record
            for key in ("first_name", "last_name", "birth_date", "phone"):
                if key in entry:
                    assert getattr(record.patient, key) == entry[key], (key, record.patient)
            if "reference" in entry:
                assert record.reference == entry["reference"]
    cancelled = sorted(a.reference for a in run.port.appointments if a.status.value == "cancelled")
    assert cancelled == sorted(expect.get("cancelled", [])), run.transcript()
    for method in expect.get("port_never", []):
        assert method not in run.port.calls, f"{method} was called"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_conversation(path: Path) -> None:
    spec = load_script(path)
    run = run_script(spec)
    transcript = run.transcript()
    for index, turn in enumerate(spec.get("turns", []), start=1):
        said = run.said(index).casefold()
        for part in turn.get("bot", []):
            assert part.casefold() in said, f"turn {index} ({turn['caller']!r}) lacks {part!r}\n{transcript}"
        for part in turn.get("bot_not", []):
            assert part.casefold() not in said, f"turn {index} ({turn['caller']!r}) has {part!r}\n{transcript}"
    expect = spec.get("expect", {})
    outcome = run.state.outcome
    if "outcome" in expect:
        assert outcome is not None and outcome.kind.value == expect["outcome"], transcript
    if "reference" in expect:
        assert outcome is not None and outcome.reference == expect["reference"], transcript
    whole = " ".join(run.said(i) for i in range(len(run.turns))).casefold()
    for part in expect.get("never_say", []):
        assert part.casefold() not in whole, f"{part!r} was said\n{transcript}"
    _check_turn_shapes(run)
    _check_bookings(run, expect)


@pytest.mark.parametrize("path", SCRIPTS[:6], ids=lambda p: p.stem)
def test_conversation_replays_identically(path: Path) -> None:
    spec = load_script(path)
    first, second = run_script(spec), run_script(spec)
    assert first.turns == second.turns


def test_enough_scripts_in_both_locales() -> None:
    locales = [load_script(p).get("locale", "fr") for p in SCRIPTS]
    assert len(locales) >= 40
    assert locales.count("fr") >= 20 and locales.count("en") >= 12
