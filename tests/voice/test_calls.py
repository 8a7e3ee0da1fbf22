"""Scripted phone calls through the simulated carrier against a real `voicebot serve`: they book."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.speech.shared import heard as heard_words
from tests.voice.conftest import Server, bot_tail_text, caller_wavs

pytestmark = [pytest.mark.models, pytest.mark.slow]

ENGLISH_CALLER = [
    "Hi, I'd like to see Doctor Patel on Tuesday morning for a flu jab.",
    "The second one.",
    "Emily Clarke.",
    "The fifth of May, nineteen ninety.",
    "Yes, that's my number.",  # a bare "Yes." from this voice is sometimes missed by the VAD on the line
    "Yes, that's right.",
    "silence",  # then wait for the bot to finish: on two busy cores its last sentences may come seconds later
    "silence",
]


VAD_STOP_SECS = 0.5
"""The pipeline's VAD reports the end of speech this long after the caller stopped (builder's default)."""
TIME = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)"


def reply_delays(log: Path) -> list[float]:
    """From the server's log: seconds from the end of each caller utterance (VAD stop minus its stop delay) to the
    first audio of the bot's answer sent on the socket (pipecat's "Bot started speaking")."""
    from datetime import datetime

    delays: list[float] = []
    stopped: datetime | None = None
    for line in log.read_text(errors="replace").splitlines():
        found = re.match(TIME, line)
        if found is None:
            continue
        when = datetime.fromisoformat(found.group(1))
        if "VADProcessor" in line and "User stopped speaking" in line:
            stopped = when
        elif "VADProcessor" in line and "User started speaking" in line:
            stopped = None
        elif "Bot started speaking" in line and stopped is not None:
            delays.append((when - stopped).total_seconds() + VAD_STOP_SECS)
            stopped = None
    return delays


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower())


def test_english_call_books_an_appointment(tmp_path: Path, english_server: Server) -> None:
    lines = caller_wavs(tmp_path, ENGLISH_CALLER, "en")
    started = time.monotonic()
    # On two busy cores the bot's audio may pause inside a long sentence (synthesis slower than real time): the
    # caller waits for 2 s of quiet before answering, or it would talk over the read-back and cut it.
    events = english_server.call(
        lines, locale="en", caller_id="+447700900555", turn_gap=2.0, record=tmp_path / "call.wav"
    )
    took = time.monotonic() - started
    said = [event["text"] for event in events if event["type"] == "say"]
    heard = _words(" ".join(said))
    log = english_server.log.read_text(errors="replace")[-4000:]
    assert events[-1]["outcome"] == "completed", f"{said}\n{log}"
    booked = english_server.appointments()
    assert len(booked) == 1, f"{said}\n{log}"
    assert "2026-12-01T08:10" in str(booked[0]), booked[0]
    assert booked[0]["patient"]["last_name"].lower().startswith("clark"), booked[0]
    assert "read that back" in heard, said  # the read-back was spoken and heard on the line
    assert "patel" in heard and "tuesday" in heard, said
    assert "goodbye" in heard, said  # the goodbye was heard in full before the hang-up
    delays = reply_delays(english_server.log)
    print(
        f"\nEnglish call: {took:.0f} s; end of caller speech -> first bot audio: "
        + ", ".join(f"{delay:.2f}" for delay in delays)
        + " s"
    )


FRENCH_CALLER = [
    "Bonjour, je voudrais voir le docteur Martin, mardi prochain, pour un vaccin.",
    "dtmf:2",  # the second slot offered: Tuesday 1 December 8 h 40 (8 h 30, 8 h 40, 8 h 50)
    "Jean Dupont.",
    "dtmf:14071985",  # the birth date on the keypad
    "Oui, c'est bien mon numéro.",
    "Oui, c'est parfait.",
    # Kokoro renders the read-back's long clause slower than real time on two busy cores: the caller may answer
    # into that pause, and a yes said before the read-back was heard in full has it read again. Like a person,
    # this caller says yes again; once booked, a yes said over the goodbye changes nothing and cuts nothing.
    "Oui.",
    "Oui.",
    "silence",  # then wait for the confirmation and the goodbye (Kokoro is slower than real time here)
    "silence",
]


def test_french_call_books_with_the_keypad_birth_date(tmp_path: Path, french_server: Server) -> None:
    lines = caller_wavs(tmp_path, FRENCH_CALLER, "fr", voice="ff_siwis")  # Whisper base misreads pm_alex often
    started = time.monotonic()
    # Kokoro synthesises slower than real time on two busy cores: long pauses inside a bot turn.
    events = french_server.call(
        lines, locale="fr", caller_id="+33698765432", turn_gap=2.5, record=tmp_path / "call.wav"
    )
    took = time.monotonic() - started
    said = [event["text"] for event in events if event["type"] == "say"]
    heard = _words(" ".join(said))
    log = french_server.log.read_text(errors="replace")[-4000:]
    assert events[-1]["outcome"] == "completed", f"{said}\n{log}"
    booked = french_server.appointments()
    assert len(booked) == 1, f"{said}\n{log}"
    assert booked[0]["start"].startswith("2026-12-01T08:40"), booked[0]
    # Whisper base hears the spoken surname over the phone as "Dupont" or "Dippon" from run to run (a real caller
    # corrects the spelled read-back; this scripted one just says yes): the keyed birth date is the exact check.
    assert booked[0]["patient"]["last_name"].lower()[:1] == "d", booked[0]
    assert booked[0]["patient"]["birth_date"] == "1985-07-14", booked[0]  # typed on the keypad
    # The read-back was heard (maybe twice, when the caller answered into its pause: see FRENCH_CALLER).
    assert "capitule" in heard, said
    # The goodbye reached the caller in full before the hang-up (the carrier's last turn may be cut into pieces
    # at Kokoro's pauses: read it straight from the recording of what the caller heard).
    tail = _words(bot_tail_text(tmp_path / "call.wav", 8.0, "fr"))
    # "Merci de votre appel. Au revoir, et bonne journée.": 4 of its 5 words (one may be misheard).
    assert heard_words(tail, ("merci", "appel", "revoir", "bonne", "journ"), 4), (tail, said)
    assert_no_caller_data(french_server, booked[0])
    (logged,) = french_server.query("calls", "list")
    assert (logged["channel"], logged["outcome"], logged["booked"]) == ("twilio", "booked", [booked[0]["reference"]])
    assert logged["caller_phone"] == "+33698765432" and logged["caller_turns"] >= 6
    latency = logged["latency"]
    assert latency is not None and latency["replies"] >= 3 and 0 < latency["p50_ms"] <= latency["max_ms"], latency
    print(
        f"\nFrench call: {took:.0f} s; end of caller speech -> first bot audio: p50 {latency['p50_ms']} ms, "
        f"p95 {latency['p95_ms']} ms, max {latency['max_ms']} ms over {latency['replies']} replies"
    )


def birth_date_forms(born: str) -> list[str]:
    """A birth date ("1985-07-14") as a log could write it: ISO, "14/07/1985", keyed "14071985", as the bot says it
    ("14 juillet 1985", "14 July 1985")."""
    from datetime import date

    from dialogue.wording.phrases import load_phrases
    from dialogue.wording.spoken import say_birth_date

    day = date.fromisoformat(born)
    spoken = [say_birth_date(day, load_phrases(locale)) for locale in ("fr", "en")]
    return [born, f"{day:%d/%m/%Y}", f"{day:%d%m%Y}", *spoken]


def assert_no_caller_data(server: Server, booked: dict[str, Any]) -> None:
    """Neither the server's output at the default log level nor the call's stored transcript holds the patient's
    name, birth date or phone digits; the transcript is there, pseudonymised."""
    patient = booked["patient"]
    national = "0" + patient["phone"][3:]  # +33698765432 -> 0698765432
    secrets = [
        patient["first_name"],
        patient["last_name"],
        *birth_date_forms(patient["birth_date"]),
        patient["phone"],
        national,
        national[1:],
        " ".join(national[i : i + 2] for i in range(0, 10, 2)),  # "06 98 76 54 32"
        national[-4:-2] + " " + national[-2:],  # "54 32", as the bot reads it back
    ]
    output = server.log.read_text(errors="replace")
    assert "privacy purge: 0 transcript(s) deleted" in output  # the daily purge ran at start-up
    for secret in secrets:
        assert secret.casefold() not in output.casefold(), (secret, output[-3000:])
    (listed,) = server.query("calls", "list")
    transcript = server.query("calls", "show", str(listed["id"]))["transcript"]
    assert len(transcript) > 10 and {line["speaker"] for line in transcript} == {"bot", "caller"}
    text = " ".join(line["text"] for line in transcript)
    for secret in (*secrets, booked["reference"]):
        assert secret.casefold() not in text.casefold(), (secret, transcript)
    assert "⟨NAME⟩" in text and "⟨BIRTH_DATE⟩" in text and "⟨PHONE⟩" in text and "⟨REFERENCE⟩" in text
