"""Slots on the night the clocks go back (Europe/Paris, Sunday 2027-10-31: 02:00-03:00 happens twice).

Python compares two date-times sharing one `tzinfo` by wall clock and ignores `fold`, so 02:20 CEST and
02:20 CET are "equal". Navigating with "plus tard" / "plus tôt" must still walk real time: every slot once,
in order, none skipped.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from booking.slots import Slot, SlotQuery
from dialogue.context import Context
from dialogue.events import CallerSaid, CallStarted
from dialogue.flows.search import earlier_offers, later_offers
from dialogue.machine import step
from dialogue.state import Phase, State, When, Wish
from dialogue.understand.choices import parse_choice
from tests.booking.clinic_factory import make_clinic, paris, practitioner
from tests.dialogue.fake_port import FakePort

NIGHT = date(2027, 10, 31)
CLINIC = make_clinic(practitioners=[practitioner(hours={"sun": ["01:00-04:00"]})])
NOW = paris(2027, 10, 30, 10)
WISH = Wish(practitioner_ids=("martin",), motif_id="consultation", when=When(NIGHT, NIGHT))


def _instants(slots: tuple[Slot, ...] | list[Slot]) -> list[datetime]:
    return [s.start.astimezone(UTC) for s in slots]


def _night(port: FakePort) -> list[Slot]:
    query = SlotQuery("consultation", first_day=NIGHT, last_day=NIGHT)
    return port.find_slots(query, NOW)


def test_the_engine_gives_the_repeated_hour_twice() -> None:
    slots = _night(FakePort(CLINIC))
    assert len(slots) == 12
    assert [s.start.fold for s in slots if s.start.hour == 2] == [0, 0, 0, 1, 1, 1]
    assert _instants(slots) == sorted(set(_instants(slots)))


def test_later_walks_the_repeated_hour_once_each() -> None:
    port = FakePort(CLINIC)
    ctx = Context.create(port, NOW)
    seen: tuple[Slot, ...] = ()
    for _ in range(4):
        found = later_offers(WISH, seen, ctx, other_day=False)
        assert found, "navigation stopped early"
        seen += found
    assert _instants(seen) == _instants(_night(port))


def test_earlier_walks_back_through_the_repeated_hour() -> None:
    port = FakePort(CLINIC)
    ctx = Context.create(port, NOW)
    night = _night(port)
    seen: tuple[Slot, ...] = tuple(night[-3:])
    for _ in range(3):
        found = earlier_offers(WISH, seen, ctx)
        assert found
        seen = found + seen
    assert _instants(seen) == _instants(night)
    assert earlier_offers(WISH, seen, ctx) == ()


def test_plus_tard_in_a_call_never_repeats_or_skips_a_slot() -> None:
    port = FakePort(CLINIC)
    ctx = Context.create(port, NOW)
    state, _ = step(State(), CallStarted("+33698765432"), ctx)
    state, _ = step(state, CallerSaid("un rendez-vous avec le docteur Martin dimanche 31 octobre"), ctx)
    assert state.phase is Phase.OFFER
    offered = list(state.offers)
    for _ in range(3):
        state, _ = step(state, CallerSaid("plus tard"), ctx)
        assert state.phase is Phase.OFFER
        offered += state.offers
    assert _instants(offered) == _instants(_night(port))
    assert len(set(_instants(state.seen))) == len(state.seen) == 12


def test_the_earliest_of_two_offers_is_the_earliest_in_real_time() -> None:
    summer, winter = paris(2027, 10, 31, 2, 40), paris(2027, 10, 31, 2, 20, fold=1)
    assert winter < summer  # the wall-clock comparison Python makes, wrong here
    assert parse_choice("le plus tôt", "fr", [summer, winter]) == 0
    assert parse_choice("le plus tard", "fr", [summer, winter]) == 1
