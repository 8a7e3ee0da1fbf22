"""The state several servers share in the database (`booking.shared_state`), on SQLite and PostgreSQL: each test
opens two engines on one database, as two `voicebot serve` processes would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from booking.db import migrate, open_engine
from booking.models import LoginFailureRow, RevokedSessionRow, StreamClaimRow
from booking.shared_state import PURGE_BATCH, SharedState

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def pair(db_url: str) -> Iterator[tuple[SharedState, SharedState]]:
    """Two servers' views of one migrated database (two engines)."""
    engines = [open_engine(db_url), open_engine(db_url)]
    migrate(engines[0])
    yield SharedState(engines[0]), SharedState(engines[1])
    for engine in engines:
        engine.dispose()


def count(state: SharedState, table: type[SQLModel]) -> int:
    with Session(state.engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_revoked_session_is_refused_on_the_other_server_until_it_expires(
    pair: tuple[SharedState, SharedState],
) -> None:
    one, other = pair
    assert not other.session_revoked("s1", T0)
    one.revoke_session("s1", T0 + 12 * HOUR, T0)
    one.revoke_session("s1", T0 + 13 * HOUR, T0 + HOUR)  # a second logout of the same cookie changes nothing
    assert other.session_revoked("s1", T0 + 11 * HOUR) and not other.session_revoked("s2", T0)
    assert not other.session_revoked("s1", T0 + 12 * HOUR)
    assert count(one, RevokedSessionRow) == 1


def test_failures_are_counted_by_every_server_and_forgotten_for_one_key(pair: tuple[SharedState, SharedState]) -> None:
    one, other = pair
    for minute in range(5):
        server = one if minute % 2 else other
        server.add_failure(("account", "address"), T0 + timedelta(minutes=minute), T0 - HOUR)
    newest_first = [T0 + timedelta(minutes=m) for m in (4, 3, 2)]
    assert one.recent_failures("account", T0 - HOUR, 3) == newest_first
    assert other.recent_failures("address", T0 + timedelta(minutes=1), 10) == newest_first
    other.forget_failures("account")
    assert one.recent_failures("account", T0 - HOUR, 10) == []
    assert len(one.recent_failures("address", T0 - HOUR, 10)) == 5


def test_a_stream_is_claimed_once_across_servers_then_again_after_expiry(pair: tuple[SharedState, SharedState]) -> None:
    one, other = pair
    assert one.claim_stream("call", T0 + timedelta(minutes=2), T0)
    assert not other.claim_stream("call", T0 + timedelta(minutes=3), T0 + timedelta(minutes=1))
    assert not one.claim_stream("call", T0 + timedelta(minutes=4), T0 + timedelta(minutes=2))  # still held at its end
    assert other.claim_stream("another", T0 + timedelta(minutes=3), T0 + timedelta(minutes=1))
    assert other.claim_stream("call", T0 + timedelta(minutes=5), T0 + timedelta(minutes=3))  # expired: claimed anew


def test_racing_claims_have_one_winner(pair: tuple[SharedState, SharedState]) -> None:
    barrier = threading.Barrier(6)
    won: list[bool] = []

    def claim(state: SharedState) -> None:
        barrier.wait(timeout=10)
        won.append(state.claim_stream("raced", T0 + HOUR, T0))

    threads = [threading.Thread(target=claim, args=(pair[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(won) == [False] * 5 + [True]


def test_each_write_deletes_a_bounded_batch_of_expired_rows(pair: tuple[SharedState, SharedState]) -> None:
    one, other = pair
    extra = 30
    for i in range(PURGE_BATCH + extra):
        one.claim_stream(f"old{i}", T0 + timedelta(seconds=i + 1), T0)
        one.revoke_session(f"old{i}", T0 + timedelta(seconds=i + 1), T0)
        one.add_failure((f"old{i}",), T0, T0 - HOUR)
    later = T0 + HOUR
    other.claim_stream("new", later + HOUR, later)
    other.revoke_session("new", later + HOUR, later)
    other.add_failure(("new",), later, later - timedelta(minutes=15))
    assert [count(one, table) for table in (StreamClaimRow, RevokedSessionRow, LoginFailureRow)] == [extra + 1] * 3
    other.claim_stream("new2", later + HOUR, later)
    other.revoke_session("new2", later + HOUR, later)
    other.add_failure(("new2",), later, later - timedelta(minutes=15))
    assert [count(one, table) for table in (StreamClaimRow, RevokedSessionRow, LoginFailureRow)] == [2] * 3
