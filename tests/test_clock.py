"""Tests for the clocks."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import pytest

from aiotrain import ClockError, ManualClock, RealClock, wait_all_tasks_blocked

START_2026 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.asyncio
async def test_sleeper_wakes_at_epoch_sized_start() -> None:
    """C1: a start in 2026 must not freeze a one-second sleep."""
    clock = ManualClock(START_2026)
    woke_at: list[float] = []

    async def sleeper() -> None:
        await clock.sleep_until(clock.monotonic() + 1)
        woke_at.append(clock.monotonic())

    async with anyio.create_task_group() as group:
        group.start_soon(sleeper)
        await wait_all_tasks_blocked()
        clock.advance(1)

    assert woke_at == [1.0]
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_timers_run_in_deadline_order_each_at_its_own_time() -> None:
    """advance() runs due timers in deadline order, showing each its deadline."""
    clock = ManualClock()
    seen: list[tuple[str, float]] = []
    clock.call_at(3.0, lambda: seen.append(("c", clock.monotonic())))
    clock.call_at(1.0, lambda: seen.append(("a", clock.monotonic())))
    clock.call_at(1.0, lambda: seen.append(("b", clock.monotonic())))
    clock.call_at(9.0, lambda: seen.append(("late", clock.monotonic())))

    clock.advance(5)

    assert seen == [("a", 1.0), ("b", 1.0), ("c", 3.0)]
    assert clock.monotonic() == 5.0


def test_cancelled_timer_does_not_run() -> None:
    """A cancelled timer never runs."""
    clock = ManualClock()
    seen: list[int] = []
    clock.call_at(1.0, lambda: seen.append(1)).cancel()

    clock.advance(2)

    assert seen == []
    assert clock.next_deadline() is None


def test_manual_clock_never_goes_backwards() -> None:
    """advance(-1) and set(earlier) are clear errors naming the value."""
    clock = ManualClock(START_2026)
    clock.advance(10)

    with pytest.raises(ClockError, match=r"`seconds` must be >= 0 \(got -1.0\)"):
        clock.advance(-1)
    with pytest.raises(ClockError, match="2026-01-01T00:00:05"):
        clock.set(datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC))
    assert clock.monotonic() == 10.0


def test_naive_start_is_an_error() -> None:
    """A naive start time is refused with its value."""
    with pytest.raises(ClockError, match="naive 2026-01-01T00:00:00"):
        ManualClock(datetime(2026, 1, 1))


def test_set_moves_wall_time() -> None:
    """set() moves wall and monotonic time together."""
    clock = ManualClock(START_2026)

    clock.set(datetime(2026, 1, 2, tzinfo=UTC))

    assert clock.monotonic() == 86400.0
    assert clock.now() == datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.asyncio
async def test_autojump_wakes_sleepers_at_exact_deadlines() -> None:
    """Inside autojump, sleeps end at their exact virtual deadlines."""
    clock = ManualClock()
    woke_at: list[float] = []

    async def sleeper(deadline: float) -> None:
        await clock.sleep_until(deadline)
        woke_at.append(clock.monotonic())

    async with clock.autojump(), anyio.create_task_group() as group:
        for deadline in (2.5, 0.5, 1e6):
            group.start_soon(sleeper, deadline)

    assert woke_at == [0.5, 2.5, 1e6]


@pytest.mark.asyncio
async def test_run_for_lets_tasks_chain_timers() -> None:
    """run_for() fires timers that tasks set inside the window, exactly on time."""
    clock = ManualClock()
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            await clock.sleep_until(clock.monotonic() + 1.5)
            ticks.append(clock.monotonic())

    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        await clock.run_for(5)
        group.cancel_scope.cancel()

    assert ticks == [1.5, 3.0, 4.5]
    assert clock.monotonic() == 5.0


def test_real_clock_scaled_and_shifted() -> None:
    """A scaled clock starts at its start time and runs speed times faster."""
    clock = RealClock(START_2026, speed=60)

    assert clock.now() >= START_2026
    assert clock.monotonic() >= 0.0


@pytest.mark.parametrize("speed", [0, -1, float("nan"), float("inf")])
def test_real_clock_rejects_bad_speed(speed: float) -> None:
    """speed must be a positive finite number."""
    with pytest.raises(ClockError, match="`speed`"):
        RealClock(speed=speed)


@pytest.mark.asyncio
async def test_two_autojumps_at_once_are_refused() -> None:
    """A second autojump while one runs is a clear error, not a livelock."""
    first, second = ManualClock(), ManualClock()

    with pytest.raises(
        ClockError, match=r"only one ManualClock.autojump\(\) can run at a time"
    ):
        async with first.autojump(), second.autojump():
            await first.sleep_until(1.0)
