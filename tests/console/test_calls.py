"""The call log in the console: the list and its filters, one call's transcript (or its purge), the day page's
30-day chart, access and the audit trail."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from booking.calls import CallLog
from booking.privacy import purge
from booking.records import CallChannel, CallEntry, PatientDetails, ReplyLatency, Source, TranscriptLine
from booking.slots import SlotQuery
from tests.conftest import PARIS
from tests.console.conftest import NOW, Console
from voicebot.console import routes_calls

JEAN = PatientDetails("Jean", "Dupont", date(1985, 7, 14), "+33612345678")
TRANSCRIPT = (
    TranscriptLine("bot", "Cabinet médical, bonjour. Que puis-je faire pour vous ?"),
    TranscriptLine("caller", "Je voudrais un rendez-vous, je m'appelle ⟨NAME⟩."),
    TranscriptLine("bot", "C'est noté, votre référence est ⟨REFERENCE⟩."),
)


def at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=PARIS)


def entry(
    key: str, started: str, outcome: str, seconds: int = 95, channel: CallChannel = CallChannel.TWILIO, **values: Any
) -> CallEntry:
    start = at(started)
    values = {"caller_phone": "+33612345678", "caller_turns": 4, **values}
    return CallEntry(key, channel, start, start + timedelta(seconds=seconds), outcome, **values)


def book_jean(console: Console) -> tuple[str, int]:
    """A real phone booking for Jean Dupont: its reference and patient id."""
    query = SlotQuery("consultation", ("martin",), first_day=date(2026, 12, 1), last_day=date(2026, 12, 1))
    slot = console.service.find_slots(query, NOW)[0]
    record = console.service.book(slot, JEAN, NOW, source=Source.PHONE)
    return record.reference, record.patient_id


def seed_three(console: Console) -> tuple[list[int], str]:
    reference, patient_id = book_jean(console)
    log = CallLog(console.service.engine)
    booked = log.record(
        entry(
            "CA-booked",
            "2026-11-28T10:15:00",
            "booked",
            seconds=185,
            booked=(reference,),
            latency=ReplyLatency(6, 1200, 1900, 2400),
            patient_ids=(patient_id,),
            transcript=TRANSCRIPT,
        )
    )
    sip = log.record(entry("sip-1", "2026-11-29T14:00:00", "transferred", channel=CallChannel.SIP, moved=("999999",)))
    chat = log.record(
        entry(
            "chat-1",
            "2026-11-30T08:30:00",
            "hung_up",
            seconds=40,
            channel=CallChannel.CHAT,
            caller_phone=None,
            refused=True,
        )
    )
    return [booked.id, sip.id, chat.id], reference


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-call="(\d+)"', html)


def test_the_call_log_lists_calls_newest_first_with_what_they_did(
    console: Console, secretary: tuple[TestClient, str]
) -> None:
    client, _ = secretary
    (booked, transferred, chat), reference = seed_three(console)
    page = unescape(client.get("/admin/calls").text)
    assert "Journal des appels" in page and 'id="nav-calls"' in page
    assert rows(page) == [str(chat), str(transferred), str(booked)]
    first = page[page.index(f'data-call="{booked}"') :]
    first = first[: first.index("</tr>")]
    assert "sam. 28 nov. 10:15" in first and "Twilio" in first and "3 min 05 s" in first
    assert "Rendez-vous pris" in first and f'href="/admin/appointments/{reference}"' in first
    assert 'href="tel:+33612345678"' in first and "1,2 s" in first and "<td>4</td>" in first
    assert "réutilisation refusée" not in first
    second = page[page.index(f'data-call="{transferred}"') :]
    second = second[: second.index("</tr>")]
    assert "SIP" in second and "Transféré au secrétariat" in second and "déplacé 999999" in second
    assert 'href="/admin/appointments/999999"' not in second  # no such appointment: no link
    last = page[page.index(f'data-call="{chat}"') :]
    last = last[: last.index("</tr>")]
    assert "Simulateur (texte)" in last and "Raccroché avant la fin" in last and "40 s" in last
    assert "numéro masqué" in last and "réutilisation refusée" in last and "—" in last
    english = unescape(client.get("/admin/calls?lang=en").text)
    assert "Call log" in english and "Appointment booked" in english and "Hung up before the end" in english
    assert "Transferred to the front desk" in english and "reuse refused" in english and "1.2 s" in english


def test_the_filters_narrow_the_list_and_each_view_is_audited(
    console: Console, secretary: tuple[TestClient, str], admin: tuple[TestClient, str]
) -> None:
    client, _ = secretary
    (booked, transferred, chat), _ = seed_three(console)
    assert rows(client.get("/admin/calls?outcome=transferred").text) == [str(transferred)]
    assert rows(client.get("/admin/calls?channel=chat").text) == [str(chat)]
    assert rows(client.get("/admin/calls?since=2026-11-29&until=2026-11-29").text) == [str(transferred)]
    assert rows(client.get("/admin/calls?until=2026-11-29&channel=twilio").text) == [str(booked)]
    assert rows(client.get("/admin/calls?since=2026-11-29").text) == [str(chat), str(transferred)]
    nothing = client.get("/admin/calls?outcome=emergency").text
    assert rows(nothing) == [] and "Aucun appel ne correspond." in nothing
    ignored = client.get("/admin/calls?outcome=nonsense&since=yesterday").text
    assert len(rows(ignored)) == 3  # a filter not understood is left out
    chosen = client.get("/admin/calls?outcome=transferred&channel=sip").text
    assert '<option value="transferred" selected>' in chosen and '<option value="sip" selected>' in chosen
    views = [e for e in console.staff.recent() if e.action == "calls.view"]
    assert len(views) == 8 and all(e.username == "sam" for e in views)
    assert {"outcome=transferred", "channel=chat", "from=2026-11-29 until=2026-11-29", "all"} <= {
        e.details for e in views
    }
    assert not any("336" in e.details or "Dupont" in e.details for e in console.staff.recent())
    audit = unescape(admin[0].get("/admin/audit").text)
    assert "Journal des appels consulté" in audit


def test_the_list_stops_at_its_newest_calls(
    console: Console, secretary: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = secretary
    (_, transferred, chat), _ = seed_three(console)
    monkeypatch.setattr(routes_calls, "MAX_SHOWN", 2)
    page = unescape(client.get("/admin/calls").text)
    assert rows(page) == [str(chat), str(transferred)]
    assert "Seuls les 2 appels les plus récents sont affichés" in page
    twilio = unescape(client.get("/admin/calls?channel=twilio").text)
    assert len(rows(twilio)) == 1 and 'id="calls-more"' not in twilio


def test_a_call_shows_its_pseudonymised_transcript(console: Console, secretary: tuple[TestClient, str]) -> None:
    client, _ = secretary
    (booked, transferred, _), reference = seed_three(console)
    page = unescape(client.get(f"/admin/calls/{booked}").text)
    assert f"Appel n° {booked}" in page and "samedi 28 novembre 2026, 10:15–10:18 (3 min 05 s)" in page
    assert f'href="/admin/appointments/{reference}"' in page and "médian 1,2 s, 95 % sous 1,9 s (6 réponses)" in page
    lines = re.findall(
        r'<li class="(bot|caller)"><span class="speaker">([^<]+)</span> <span class="said">([^<]+)', page
    )
    assert lines == [
        ("bot", "Agent", TRANSCRIPT[0].text),
        ("caller", "Appelant", TRANSCRIPT[1].text),
        ("bot", "Agent", TRANSCRIPT[2].text),
    ]
    assert "Jean" not in page and "Dupont" not in page
    empty = client.get(f"/admin/calls/{transferred}").text
    assert "Rien n'a été dit" in unescape(empty)
    assert [e.details for e in console.staff.recent() if e.action == "call.view"] == [str(transferred), str(booked)]
    missing = client.get("/admin/calls/999")
    assert missing.status_code == 404 and "pas dans le journal" in unescape(missing.text)


def test_a_purged_transcript_says_why_it_is_gone(console: Console, secretary: tuple[TestClient, str]) -> None:
    client, _ = secretary
    old = CallLog(console.service.engine).record(entry("old", "2026-10-20T11:00:00", "goodbye", transcript=TRANSCRIPT))
    assert purge(console.service.engine, NOW).transcripts_deleted == 1
    page = unescape(client.get(f"/admin/calls/{old.id}").text)
    assert "Transcription supprimée après 30 jours (durée de conservation)." in page
    assert "⟨NAME⟩" not in page and "Terminé sans changement" in page
    english = unescape(client.get(f"/admin/calls/{old.id}?lang=en").text)
    assert "Transcript deleted after 30 days (retention)." in english


def chart_rows(html: str) -> dict[str, tuple[int, ...]]:
    table = html[html.index('id="calls-chart-table"') :]
    found = re.findall(r'<tr data-day="([\d-]+)"><th scope="row">[^<]+</th>((?:<td>\d+</td>){4})</tr>', table)
    return {day: tuple(int(n) for n in re.findall(r"\d+", cells)) for day, cells in found}


def test_the_day_page_charts_the_last_30_days_of_calls(console: Console, secretary: tuple[TestClient, str]) -> None:
    client, _ = secretary
    log = CallLog(console.service.engine)
    seeded = [
        ("2026-10-31T18:00:00", "booked"),  # the day before the chart's first day
        ("2026-11-01T09:00:00", "booked"),
        ("2026-11-01T09:30:00", "moved"),
        ("2026-11-28T10:00:00", "booked"),
        ("2026-11-28T11:00:00", "transferred"),
        ("2026-11-28T12:00:00", "emergency"),
        ("2026-11-28T13:00:00", "requested"),
        ("2026-11-30T00:30:00", "hung_up"),  # 23:30 UTC the day before: Paris says the 30th
        ("2026-11-30T08:00:00", "no_input"),
        ("2026-11-30T08:30:00", "closed"),
    ]
    for n, (started, outcome) in enumerate(seeded):
        log.record(entry(f"k{n}", started, outcome))
    page = unescape(client.get("/admin/day").text)
    counts = chart_rows(page)
    assert len(counts) == 30 and min(counts) == "2026-11-01" and max(counts) == "2026-11-30"
    assert counts["2026-11-01"] == (2, 2, 0, 0)
    assert counts["2026-11-28"] == (4, 1, 2, 0)
    assert counts["2026-11-29"] == (0, 0, 0, 0)
    assert counts["2026-11-30"] == (3, 0, 0, 3)
    assert sum(c[0] for c in counts.values()) == 9
    bar = re.search(
        r'<g data-day="2026-11-28" data-calls="4" data-booked="1" data-transferred="2" data-abandoned="0">'
        r"\s*<title>([^<]+)</title>",
        page,
    )
    assert bar and bar[1] == "sam. 28 nov. : 4 appel(s), 1 rendez-vous, 2 transféré(s), 0 abandonné(s)"
    assert '<svg class="chart"' in page and 'role="img"' in page and 'aria-labelledby="chart-title chart-desc"' in page
    assert "Appels des 30 derniers jours" in page
    assert "Du dimanche 1 novembre 2026 au lundi 30 novembre 2026 : 9 appel(s)" in page
    assert "<script" not in page[page.index('id="calls-chart"') :]
    english = unescape(client.get("/admin/day?day=2026-12-01&lang=en").text)  # the chart follows the clock
    assert chart_rows(english) == counts and "Calls of the last 30 days" in english
    assert "From Sunday 1 November 2026 to Monday 30 November 2026: 9 call(s)" in english


def test_an_empty_chart_still_draws(console: Console, secretary: tuple[TestClient, str]) -> None:
    client, _ = secretary
    page = unescape(client.get("/admin/day").text)
    assert set(chart_rows(page).values()) == {(0, 0, 0, 0)}
    assert "0 appels, 0 rendez-vous, 0 transférés, 0 abandonnés" in page


def test_the_call_log_needs_a_login(console: Console) -> None:
    client = console.client()
    for path in ("/admin/calls", "/admin/calls/1"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next=")
    assert console.staff.recent() == []
