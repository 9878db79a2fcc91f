"""Tests for the time-loop guard."""

from __future__ import annotations

import anyio
import pytest

from aiotrain import LeakyBucket, ManualClock, TimeLoopExceeded, TimeLoopGuard, Trainer

MINUTE = 60.0


async def run_slice(
    guard: TimeLoopGuard, work_seconds: float, clock: ManualClock
) -> None:
    guard.begin_slice()
    await clock.sleep_until(clock.monotonic() + work_seconds)
    guard.end_slice()


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    error = group.exceptions[0]
    return _first_leaf(error) if isinstance(error, BaseExceptionGroup) else error


@pytest.mark.asyncio
async def test_slice_over_the_maximum_raises_leans_message() -> None:
    """An 11-minute slice with a 10-minute maximum fails at exactly 10 minutes."""
    clock = ManualClock()
    guard = TimeLoopGuard(10 * MINUTE, clock=clock)

    with pytest.raises(ExceptionGroup) as caught:
        async with clock.autojump(), anyio.create_task_group() as group:
            group.start_soon(guard.watch)
            await run_slice(guard, 11 * MINUTE, clock)

    matched, _ = caught.value.split(TimeLoopExceeded)
    assert matched is not None
    error = _first_leaf(matched)
    assert str(error) == (
        "Algorithm took longer than 10 minutes on a single time loop. "
        "CurrentTimeStepElapsed: 10.0 minutes (including 0 minutes drawn from the training quota)"
    )
    assert clock.monotonic() == 10 * MINUTE


@pytest.mark.asyncio
async def test_slices_under_the_maximum_pass() -> None:
    """Many 9-minute slices in a row never trip a 10-minute guard."""
    clock = ManualClock()
    guard = TimeLoopGuard(10 * MINUTE, clock=clock)

    async with clock.autojump(), anyio.create_task_group() as group:
        group.start_soon(guard.watch)
        for _ in range(5):
            await run_slice(guard, 9 * MINUTE, clock)
            await clock.sleep_until(clock.monotonic() + 30 * MINUTE)
        group.cancel_scope.cancel()

    assert clock.monotonic() == 5 * 39 * MINUTE


@pytest.mark.asyncio
async def test_training_minutes_drawn_extend_the_slice() -> None:
    """A 15-minute inline training draws 15 minutes, so the slice may last 25."""
    clock = ManualClock()
    trainer = Trainer(LeakyBucket(120, 0, 1e9, clock=clock), clock=clock)
    guard = TimeLoopGuard(
        10 * MINUTE, clock=clock, tokens_drawn=lambda: trainer.tokens_drawn
    )

    async def fit() -> None:
        await clock.sleep_until(clock.monotonic() + 15 * MINUTE)

    async with clock.autojump(), anyio.create_task_group() as group:
        group.start_soon(guard.watch)
        guard.begin_slice()
        run = await trainer.run(fit)
        guard.end_slice()
        group.cancel_scope.cancel()

    assert run.tokens_drawn == 15
    assert clock.monotonic() == 15 * MINUTE


@pytest.mark.asyncio
async def test_quota_stops_training_before_the_guard() -> None:
    """Loop max 1.5 min, capacity 1, no refill: a 2.5-min training stops at 2 min by quota."""
    clock = ManualClock()
    trainer = Trainer(LeakyBucket(1, 0, 1e9, clock=clock), clock=clock)
    guard = TimeLoopGuard(
        1.5 * MINUTE, clock=clock, tokens_drawn=lambda: trainer.tokens_drawn
    )

    async def fit() -> None:
        await clock.sleep_until(clock.monotonic() + 2.5 * MINUTE)

    async with clock.autojump(), anyio.create_task_group() as group:
        group.start_soon(guard.watch)
        guard.begin_slice()
        run = await trainer.run(fit)
        guard.end_slice()
        group.cancel_scope.cancel()

    assert (run.status.value, run.tokens_drawn, run.ended) == (
        "quota exhausted",
        1,
        2 * MINUTE,
    )


def test_bad_maximum() -> None:
    """A non-positive maximum is refused with its value."""
    with pytest.raises(ValueError, match=r"`maximum` must be positive \(got 0\)"):
        TimeLoopGuard(0, clock=ManualClock())
