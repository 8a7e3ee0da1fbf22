"""`run_chat`, the core of `voicebot chat`: the JSON line protocol, scripts, interactive transcripts."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

from booking.clinic import load_clinic
from dialogue.events import CallerHungUp, CallerSaid, KeypadPressed, NoInput
from tests.dialogue.fake_port import FakePort
from voicebot.simulate.chat import parse_caller_line, run_chat

ROOT = Path(__file__).resolve().parents[3]
FR = load_clinic(ROOT / "config" / "clinic.toml")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=FR.practice.zone)

BOOKING = [
    "un vaccin avec le docteur Martin lundi à 9 h",
    "celui de 9 h",
    "Jean Dupont",
    "dtmf:14071985",
    "oui",
    "oui",
]


def _chat(lines: list[str] | None, json_mode: bool, stdin: str = "") -> tuple[int, str, str, FakePort]:
    port = FakePort(FR)
    out, err = io.StringIO(), io.StringIO()
    code = run_chat(
        port,
        locale=None,
        caller_id="+33698765432",
        now_fn=lambda: NOW,
        lines=iter(lines) if lines is not None else None,
        json_mode=json_mode,
        out=out,
        err=err,
        inp=io.StringIO(stdin),
    )
    return code, out.getvalue(), err.getvalue(), port


def test_parse_caller_line() -> None:
    assert parse_caller_line("dtmf:123") == KeypadPressed("123")
    assert parse_caller_line("DTMF: 0") == KeypadPressed("0")
    assert parse_caller_line("silence") == NoInput()
    assert parse_caller_line("") == NoInput()
    assert parse_caller_line("hangup") == CallerHungUp()
    assert parse_caller_line("# a comment") is None
    assert parse_caller_line("  bonjour  ") == CallerSaid("bonjour")


def test_json_protocol_books_from_stdin() -> None:
    code, out, err, port = _chat(None, True, "\n".join(BOOKING) + "\n")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == ""
    assert {e["type"] for e in events} == {"say", "listen", "end"}
    assert events[-1] == {"type": "end", "outcome": "booked", "reference": "100001"}
    assert sum(e["type"] == "listen" for e in events) == len(BOOKING)
    assert events[0]["type"] == "say" and "Cabinet médical du Parc" in events[0]["text"]
    assert [a.start.hour for a in port.booked()] == [9]


def test_stdin_closing_is_a_hang_up_and_nothing_is_booked() -> None:
    code, out, _, port = _chat(None, True, "\n".join(BOOKING[:5]) + "\n")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert events[-1] == {"type": "end", "outcome": "hung_up", "reference": None}
    assert events[-2] == {"type": "listen", "expect": "yes_no"}  # the read-back waits for a yes or a no
    assert port.booked() == [] and "book" not in port.calls


def test_json_transfer_names_the_target() -> None:
    _, out, _, _ = _chat(["dtmf:0"], True)
    assert json.loads(out.splitlines()[-1]) == {
        "type": "end",
        "outcome": "transferred",
        "reference": None,
        "transfer_to": "+33 1 84 80 00 01",
    }


def test_script_mode_prints_a_readable_transcript() -> None:
    code, out, _, port = _chat(["# booking by voice", *BOOKING], False)
    assert code == 0
    assert "bot> Cabinet médical du Parc, bonjour." in out
    assert "you> celui de 9 h" in out and "# booking" not in out
    assert out.rstrip().endswith("[call ended: booked (reference 100001)]")
    assert len(port.booked()) == 1


def test_a_failing_port_is_reported_on_stderr_with_an_error_end() -> None:
    class Broken(FakePort):
        def find_slots(self, query, now):  # type: ignore[no-untyped-def]
            raise RuntimeError("database is down")

    out, err = io.StringIO(), io.StringIO()
    code = run_chat(Broken(FR), now_fn=lambda: NOW, lines=iter(BOOKING), json_mode=True, out=out, err=err)
    assert code == 1 and "database is down" in err.getvalue()
    assert json.loads(out.getvalue().splitlines()[-1]) == {"type": "end", "outcome": "error", "reference": None}
    assert all(json.loads(line)["type"] in ("say", "listen", "end") for line in out.getvalue().splitlines())
