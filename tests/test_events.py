"""Tests for the run record: the event stream and a restart with a stored quota."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from aiotrain import (
    Algorithm,
    EventKind,
    EventLog,
    ManualClock,
    QuotaConfig,
    RunEvent,
    Slice,
    SqliteStore,
    TradeBar,
    live,
)

START = datetime(2024, 1, 8, 14, 0, tzinfo=UTC)


async def minute_feed(clock: ManualClock, count: int) -> AsyncIterator[Slice]:
    """One slice a minute on the manual clock."""
    for number in range(count):
        await clock.sleep_until((number + 1) * 60.0)
        now = clock.now()
        bar = TradeBar(
            "X",
            now - timedelta(minutes=1),
            now,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            timedelta(minutes=1),
        )
        yield Slice(now, {"X": bar})


class TrainsForMinutes(Algorithm):
    """Trains once at start for a given number of minutes (async, on the clock)."""

    def __init__(self, clock: ManualClock, minutes: float) -> None:
        self.clock = clock
        self.minutes = minutes

    async def initialize(self) -> None:
        await self.train(self.fit, name="fit")

    async def fit(self) -> None:
        await self.clock.sleep_until(self.clock.monotonic() + self.minutes * 60)


class SkipsOverlaps(Algorithm):
    """A 90-second training every minute: every other occurrence is skipped."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    async def initialize(self) -> None:
        every_minute = self.time_rules.every(timedelta(minutes=1))
        await self.train(self.date_rules.every_day(), every_minute, self.fit)

    async def fit(self) -> None:
        await self.clock.sleep_until(self.clock.monotonic() + 90)


@pytest.mark.asyncio
async def test_subscriber_receives_runs_and_skips_in_order() -> None:
    """An async subscriber sees each finished run and each skipped occurrence, then the end."""
    clock = ManualClock(START)
    log = EventLog()
    received: list[RunEvent] = []

    async def listen(stream: anyio.abc.ObjectReceiveStream[RunEvent]) -> None:
        async with stream:
            async for event in stream:
                received.append(event)

    async with clock.autojump(), anyio.create_task_group() as group:
        group.start_soon(listen, log.subscribe())
        result = await live(
            SkipsOverlaps(clock), minute_feed(clock, 4), clock=clock, events=log
        )

    kinds = [event.kind for event in received]
    assert kinds == [
        EventKind.OCCURRENCE_SKIPPED,
        EventKind.TRAINING_SUCCEEDED,
        EventKind.OCCURRENCE_SKIPPED,
        EventKind.TRAINING_SUCCEEDED,
        EventKind.TRAINING_CANCELLED,
    ]
    assert received == list(result.events)
    assert received[0].time == START + timedelta(minutes=1)
    assert (
        received[1].message
        == "training 'EveryDay: Every 1 min': succeeded (1 quota minutes, 90.0 s)"
    )
    assert log.dropped == 0


def test_full_subscriber_misses_events_and_they_are_counted() -> None:
    """emit never blocks: a subscriber with a full buffer misses events; dropped counts them."""
    log = EventLog()
    stream = log.subscribe(max_buffer=1)
    notice_free = RunEvent(EventKind.OCCURRENCE_MISSED, "x", START, "missed")

    for _ in range(3):
        log.emit(notice_free)

    assert (len(log.events), log.dropped) == (3, 2)
    assert stream.receive_nowait() == notice_free
    log.close()
    stream.close()


@pytest.mark.asyncio
async def test_restarted_live_algorithm_keeps_its_spending(tmp_path: Path) -> None:
    """A live algorithm that spent 100 of 120 minutes restarts with 20 left, not a fresh 120."""
    path = tmp_path / "quota.sqlite"
    config = QuotaConfig()
    clock = ManualClock(START)

    bucket = config.make_bucket(clock, store=SqliteStore(path))
    async with clock.autojump():
        first = await live(
            TrainsForMinutes(clock, 100.5),
            minute_feed(clock, 102),
            clock=clock,
            bucket=bucket,
        )

    restarted_clock = ManualClock(clock.now())
    reopened = config.make_bucket(restarted_clock, store=SqliteStore(path))

    assert first.tokens_drawn == 100
    assert reopened.available == 20
