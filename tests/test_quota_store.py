"""Tests for quota stores: restarts, processes sharing a file, crashes, bad files."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

import aiotrain
from aiotrain import (
    LeakyBucket,
    ManualClock,
    MemoryStore,
    QuotaConfig,
    QuotaLedger,
    QuotaStore,
    QuotaStoreError,
    SqliteStore,
    wait_all_tasks_blocked,
)

MINUTE = 60.0
DAY = 1440 * MINUTE
START = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
START_US = 1_767_605_400_000_000
PROJECT_ROOT = Path(aiotrain.__file__).resolve().parent.parent

# A child process: opens the quota at START once told "go" on stdin, then
#   race:   tries to take 1 token 20 times, 2 ms apart so that the processes'
#           attempts interleave, and prints how many it got;
#   hold:   takes 3 tokens one at a time, reporting each, then blocks forever;
#   stream: takes tokens one at a time, reporting each, until none are left.
CHILD = """
import sys
import time
from datetime import UTC, datetime
from aiotrain import LeakyBucket, ManualClock, SqliteStore

path, mode, capacity = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
clock = ManualClock(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
bucket = LeakyBucket(capacity, 0, 60.0, clock=clock, store=SqliteStore(path))
if mode == "race":
    granted = 0
    for _ in range(20):
        granted += bucket.try_consume(1)
        time.sleep(0.002)
    print(granted, flush=True)
elif mode == "hold":
    for _ in range(3):
        bucket.try_consume(1)
        print("took", flush=True)
    sys.stdin.readline()
else:
    while bucket.try_consume(1):
        print("took", flush=True)
"""


def open_bucket(
    path: Path,
    clock: ManualClock,
    capacity: float = 120,
    refill: float = 18,
    interval: float = DAY,
) -> LeakyBucket:
    return LeakyBucket(capacity, refill, interval, clock=clock, store=SqliteStore(path))


def start_child(path: Path, mode: str, capacity: int) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), mode, str(capacity)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )


@contextmanager
def children(
    path: Path, mode: str, capacity: int, count: int
) -> Iterator[list[subprocess.Popen[str]]]:
    """Start ``count`` children, wait until all are ready, then say go to all."""
    started = [start_child(path, mode, capacity) for _ in range(count)]
    try:
        for child in started:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for child in started:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        yield started
    finally:
        for child in started:
            child.kill()
            child.communicate()


def read_row(path: Path) -> tuple[int, int, tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        row = connection.execute("SELECT * FROM quota").fetchone()
    return application_id, version, tuple(row)


def test_store_implementations_satisfy_the_protocol(tmp_path: Path) -> None:
    """Both stores are QuotaStores."""
    assert isinstance(MemoryStore(), QuotaStore)
    assert isinstance(SqliteStore(tmp_path / "quota.db"), QuotaStore)


def test_restart_keeps_spending_and_refills_exactly_once(tmp_path: Path) -> None:
    """Spend 100 of 120; reopened 23 h later 20 remain; the day's refill lands once."""
    path = tmp_path / "quota.db"
    first = open_bucket(path, ManualClock(START))
    assert first.try_consume(100)

    restarted_clock = ManualClock(START + timedelta(hours=23))
    restarted = open_bucket(path, restarted_clock)
    assert restarted.available == 20

    restarted_clock.advance(3600 - 1)
    assert restarted.available == 20
    restarted_clock.advance(1)
    assert restarted.available == 38

    later = open_bucket(path, ManualClock(START + timedelta(hours=25)))
    assert later.available == 38
    assert restarted.available == 38
    assert restarted.statistics().next_refill == 2 * DAY - 23 * 3600


def test_refill_boundaries_stay_anchored_at_first_creation(tmp_path: Path) -> None:
    """A bucket reopened mid-interval refills at the original boundaries."""
    path = tmp_path / "quota.db"
    assert open_bucket(path, ManualClock(START), 3, 1, MINUTE).try_consume(3)

    clock = ManualClock(START + timedelta(seconds=150))
    bucket = open_bucket(path, clock, 3, 1, MINUTE)
    assert bucket.available == 2
    assert bucket.statistics().next_refill == 30.0

    clock.advance(29.999)
    assert bucket.available == 2
    clock.advance(0.001)
    assert bucket.available == 3


def test_file_holds_wall_clock_epoch_microseconds(tmp_path: Path) -> None:
    """The file's row: settings, the anchor as epoch microseconds, the level."""
    path = tmp_path / "quota.db"
    clock = ManualClock(START)
    bucket = open_bucket(path, clock)
    clock.advance(DAY + 5)
    assert bucket.try_consume(7)

    assert read_row(path) == (
        0x61695174,
        1,
        (1, 120.0, 18.0, 86_400_000_000, START_US, 113.0, 1),
    )


def test_four_processes_share_ten_tokens(tmp_path: Path) -> None:
    """Four processes race 20 times each for a quota of 10: exactly 10 granted."""
    path = tmp_path / "quota.db"

    with children(path, "race", 10, 4) as racers:
        granted = [int(child.communicate(timeout=30)[0]) for child in racers]

    assert sum(granted) == 10
    assert open_bucket(path, ManualClock(START), 10, 0, 60.0).available == 0


def test_killed_process_keeps_its_spending(tmp_path: Path) -> None:
    """A child killed with SIGKILL after 3 draws leaves exactly 3 tokens spent."""
    path = tmp_path / "quota.db"

    with children(path, "hold", 10, 1) as (child,):
        assert child.stdout is not None
        reports = [child.stdout.readline() for _ in range(3)]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)

    assert reports == ["took\n"] * 3
    assert child.returncode == -signal.SIGKILL
    assert open_bucket(path, ManualClock(START), 10, 0, 60.0).available == 7


def test_kill_mid_stream_loses_at_most_the_draw_in_progress(tmp_path: Path) -> None:
    """Killed while drawing, every reported draw stays spent, plus at most one."""
    path = tmp_path / "quota.db"

    with children(path, "stream", 10_000, 1) as (child,):
        assert child.stdout is not None
        for _ in range(20):
            assert child.stdout.readline() == "took\n"
        os.kill(child.pid, signal.SIGKILL)
        reported = 20 + child.communicate(timeout=30)[0].count("took\n")

    left = open_bucket(path, ManualClock(START), 10_000, 0, 60.0).available
    assert 10_000 - left - reported in (0, 1)


def test_random_bytes_are_an_error_naming_the_file(tmp_path: Path) -> None:
    """A file of random bytes is refused, named, and left as it was."""
    path = tmp_path / "quota.db"
    garbage = random.Random(7).randbytes(8192)
    path.write_bytes(garbage)

    with pytest.raises(QuotaStoreError) as caught:
        open_bucket(path, ManualClock(START))

    assert str(caught.value) == (
        f"cannot use quota file {str(path)!r}: it is not an SQLite database"
    )
    assert path.read_bytes() == garbage


def test_foreign_sqlite_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """An SQLite file of another program is refused and named, with its tables."""
    path = tmp_path / "orders.db"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE orders (symbol TEXT, quantity INTEGER)")
        connection.commit()

    with pytest.raises(QuotaStoreError) as caught:
        open_bucket(path, ManualClock(START))

    assert str(caught.value) == (
        f"quota file {str(path)!r} is an SQLite database of another program "
        "(application_id 0, tables: orders)"
    )


def test_other_schema_version_is_an_error(tmp_path: Path) -> None:
    """A quota file of another schema version is refused, not rewritten."""
    path = tmp_path / "quota.db"
    open_bucket(path, ManualClock(START))
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA user_version = 2")

    with pytest.raises(QuotaStoreError) as caught:
        open_bucket(path, ManualClock(START))

    assert str(caught.value) == (
        f"quota file {str(path)!r} has schema version 2; this aiotrain reads version 1"
    )


def test_impossible_stored_values_are_an_error(tmp_path: Path) -> None:
    """A row edited to a zero interval is refused, naming the file and the row."""
    path = tmp_path / "quota.db"
    open_bucket(path, ManualClock(START))
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE quota SET refill_interval_us = 0")
        connection.commit()

    with pytest.raises(QuotaStoreError) as caught:
        open_bucket(path, ManualClock(START))

    assert str(caught.value) == (
        f"quota file {str(path)!r} holds impossible values "
        f"(120.0, 18.0, 0, {START_US}, 120.0, 0)"
    )


def test_mismatched_capacity_is_an_error_naming_both(tmp_path: Path) -> None:
    """Reopening with another capacity names the file and both settings."""
    path = tmp_path / "quota.db"
    assert open_bucket(path, ManualClock(START)).try_consume(50)

    with pytest.raises(QuotaStoreError) as caught:
        open_bucket(path, ManualClock(START), capacity=240)

    assert str(caught.value) == (
        f"quota file {str(path)!r} holds a bucket with capacity 120, refill 18 "
        "every 86400 s, not capacity 240, refill 18 every 86400 s; "
        "use the stored settings or a new file"
    )
    assert open_bucket(path, ManualClock(START)).available == 70


def test_locked_file_is_an_error_and_changes_nothing(tmp_path: Path) -> None:
    """A file locked by another writer beyond the timeout is a clear error."""
    path = tmp_path / "quota.db"
    clock = ManualClock(START)
    bucket = LeakyBucket(3, 0, MINUTE, clock=clock, store=SqliteStore(path, timeout=0))

    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(QuotaStoreError) as caught:
            bucket.try_consume(1)
        holder.execute("ROLLBACK")

    assert str(caught.value) == (
        f"cannot use quota file {str(path)!r}: "
        "it stayed locked by another process for 0 s"
    )
    assert bucket.available == 3


@pytest.mark.parametrize("timeout", [-1, "5", float("nan")])
def test_bad_timeout_names_the_value(tmp_path: Path, timeout: object) -> None:
    """The lock timeout must be a non-negative number."""
    with pytest.raises(ValueError, match=r"`timeout` must be a non-negative number"):
        SqliteStore(tmp_path / "quota.db", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_waiter_retries_when_another_bucket_took_the_refill(
    tmp_path: Path,
) -> None:
    """A waiter for 2 wakes at 120 s, finds 1 (the other took one), gets 2 at 180 s."""
    path = tmp_path / "quota.db"
    clock = ManualClock(START)
    waiting = open_bucket(path, clock, 2, 1, MINUTE)
    other = open_bucket(path, clock, 2, 1, MINUTE)
    assert waiting.try_consume(2)
    granted_at: list[float] = []

    async def take_two() -> None:
        await waiting.consume(2)
        granted_at.append(clock.monotonic())

    async with anyio.create_task_group() as group:
        group.start_soon(take_two)
        await wait_all_tasks_blocked()
        clock.advance(MINUTE)
        assert other.try_consume(1)
        clock.advance(MINUTE)
        await wait_all_tasks_blocked()
        assert clock.next_deadline() == 3 * MINUTE
        clock.advance(MINUTE)

    assert granted_at == [3 * MINUTE]
    assert other.available == 0


@pytest.mark.asyncio
async def test_store_failure_at_a_refill_wakes_waiters_with_the_error(
    tmp_path: Path,
) -> None:
    """A file locked when the refill comes fails both waiters; nothing is taken."""
    path = tmp_path / "quota.db"
    clock = ManualClock(START)
    bucket = LeakyBucket(2, 1, MINUTE, clock=clock, store=SqliteStore(path, timeout=0))
    assert bucket.try_consume(2)
    failures: list[str] = []

    async def take(tokens: int) -> None:
        with pytest.raises(QuotaStoreError) as caught:
            await bucket.consume(tokens)
        failures.append(str(caught.value))

    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        async with anyio.create_task_group() as group:
            group.start_soon(take, 1)
            group.start_soon(take, 2)
            await wait_all_tasks_blocked()
            holder.execute("BEGIN IMMEDIATE")
            clock.advance(MINUTE)
        holder.execute("ROLLBACK")

    locked = f"cannot use quota file {str(path)!r}: it stayed locked by another process for 0 s"
    assert failures == [locked, locked]
    assert bucket.statistics().waiting == 0
    assert bucket.available == 1


@pytest.mark.asyncio
async def test_cancelled_after_grant_gives_tokens_back_to_the_file(
    tmp_path: Path,
) -> None:
    """A granted waiter cancelled before it resumes returns its tokens to the file."""
    path = tmp_path / "quota.db"
    clock = ManualClock(START)
    bucket = open_bucket(path, clock, 2, 2, 1.0)
    assert bucket.try_consume(2)

    task = asyncio.create_task(bucket.consume(2))
    await wait_all_tasks_blocked()
    clock.advance(1)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert open_bucket(path, clock, 2, 2, 1.0).available == 2


def test_memory_store_shares_one_quota_between_buckets() -> None:
    """Two buckets on one MemoryStore draw from the same tokens."""
    store = MemoryStore()
    clock = ManualClock(START)
    first = LeakyBucket(5, 1, MINUTE, clock=clock, store=store)
    second = LeakyBucket(5, 1, MINUTE, clock=clock, store=store)

    assert first.try_consume(3)
    assert not second.try_consume(3)
    clock.advance(MINUTE)

    assert second.try_consume(3)
    assert first.available == 0


def test_memory_store_refuses_other_settings() -> None:
    """A MemoryStore opened with other settings is an error, not a reset."""
    store = MemoryStore()
    LeakyBucket(5, 1, MINUTE, clock=ManualClock(START), store=store)

    with pytest.raises(QuotaStoreError, match=r"^the memory store holds a bucket"):
        LeakyBucket(6, 1, MINUTE, clock=ManualClock(START), store=store)


def test_memory_store_must_be_opened_first() -> None:
    """Updating a MemoryStore that no bucket opened is an error."""
    with pytest.raises(QuotaStoreError, match="before it was opened"):
        MemoryStore().update(lambda ledger: (ledger, None))


def test_quota_config_makes_a_stored_bucket(tmp_path: Path) -> None:
    """QuotaConfig.make_bucket(store=...) continues the quota kept in the file."""
    path = tmp_path / "quota.db"
    config = QuotaConfig(capacity=10, refill_amount=3, refill_interval_minutes=2)
    assert config.make_bucket(ManualClock(START), store=SqliteStore(path)).try_consume(
        4
    )

    clock = ManualClock(START + timedelta(minutes=2))
    bucket = config.make_bucket(clock, store=SqliteStore(path))

    assert bucket.available == 9


def test_ledger_refill_is_whole_steps_capped_at_capacity() -> None:
    """QuotaLedger.refilled applies whole intervals only, up to capacity."""
    ledger = QuotaLedger(10, 3, 60_000_000, START_US, level=2)

    assert ledger.refilled(START_US + 59_999_999) == ledger
    assert ledger.refilled(START_US + 120_000_000).level == 8
    assert ledger.refilled(START_US + 600_000_000).level == 10
    assert ledger.refilled(START_US + 600_000_000).refills_applied == 10
