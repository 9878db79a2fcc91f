"""Tests for the leaky bucket: refill arithmetic, fairness, cancellation."""

from __future__ import annotations

import asyncio
import math

import anyio
import pytest

from aiotrain import LeakyBucket, ManualClock, wait_all_tasks_blocked

MINUTE = 60.0


def make_bucket(
    capacity: float, refill: float, interval: float
) -> tuple[LeakyBucket, ManualClock]:
    clock = ManualClock()
    return LeakyBucket(capacity, refill, interval, clock=clock), clock


def test_starts_full() -> None:
    """A new bucket holds its capacity."""
    bucket, _ = make_bucket(120, 18, 1440 * MINUTE)

    assert bucket.available == 120


def test_refill_in_whole_steps_anchored_at_creation() -> None:
    """Refill 1 per minute: 3 tokens back after 3.5 minutes, 4 more at 7.0."""
    bucket, clock = make_bucket(10, 1, MINUTE)
    assert bucket.try_consume(10)

    clock.advance(3.5 * MINUTE)
    assert bucket.available == 3

    clock.advance(3.5 * MINUTE)
    assert bucket.available == 7


def test_refill_is_capped_at_capacity() -> None:
    """Tokens above capacity are discarded."""
    bucket, clock = make_bucket(5, 2, MINUTE)
    assert bucket.try_consume(1)

    clock.advance(100 * MINUTE)

    assert bucket.available == 5


def test_refill_counts_boundaries_passed_while_full() -> None:
    """Boundaries passed while full are not banked for later."""
    bucket, clock = make_bucket(5, 1, MINUTE)
    clock.advance(10 * MINUTE)
    assert bucket.try_consume(5)

    clock.advance(0.5 * MINUTE)
    assert bucket.available == 0

    clock.advance(0.5 * MINUTE)
    assert bucket.available == 1


def test_try_consume_is_all_or_nothing() -> None:
    """try_consume takes everything asked for, or nothing."""
    bucket, _ = make_bucket(3, 1, 1.0)

    assert bucket.try_consume(2)
    assert not bucket.try_consume(2)
    assert bucket.available == 1


@pytest.mark.asyncio
async def test_q1_granted_at_exactly_the_refill() -> None:
    """Q1: capacity 3, refill 1/s; consume(1), then consume(3) is granted at t = 1 s."""
    bucket, clock = make_bucket(3, 1, 1.0)
    await bucket.consume(1)

    async with clock.autojump():
        await bucket.consume(3)

    assert clock.monotonic() == 1.0
    assert bucket.available == 0


@pytest.mark.asyncio
async def test_q2_cancelled_waiter_takes_nothing_and_delays_no_one() -> None:
    """Q2: two waiters for 3; the first is cancelled at 0.5 s; the second gets 3 at 2 s."""
    bucket, clock = make_bucket(3, 1, 1.0)
    assert bucket.try_consume(2)
    granted: dict[str, float] = {}

    async def take(name: str, scope: anyio.CancelScope) -> None:
        with scope:
            await bucket.consume(3)
            granted[name] = clock.monotonic()

    first, second = anyio.CancelScope(), anyio.CancelScope()
    async with anyio.create_task_group() as group:
        group.start_soon(take, "first", first)
        await wait_all_tasks_blocked()
        group.start_soon(take, "second", second)
        await clock.run_for(0.5)
        first.cancel()
        await clock.run_for(10)

    assert granted == {"second": 2.0}
    assert bucket.available == 3


@pytest.mark.asyncio
async def test_q3_waiters_served_in_arrival_order() -> None:
    """Q3: empty bucket, ten waiters for 1, refill 1/s: served 0..9, one per second."""
    bucket, clock = make_bucket(10, 1, 1.0)
    assert bucket.try_consume(10)
    served: list[tuple[int, float]] = []

    async def take(index: int) -> None:
        await bucket.consume(1)
        served.append((index, clock.monotonic()))

    async with clock.autojump(), anyio.create_task_group() as group:
        for index in range(10):
            group.start_soon(take, index)
            await wait_all_tasks_blocked()

    assert served == [(index, float(index + 1)) for index in range(10)]


@pytest.mark.asyncio
async def test_q4_large_request_is_not_starved_by_small_ones() -> None:
    """Q4: a waiter for 60 is served as soon as 60 are there; later 5s wait behind it."""
    bucket, clock = make_bucket(60, 1, 1.0)
    assert bucket.try_consume(60)
    served: list[tuple[int, float]] = []

    async def take(tokens: int) -> None:
        await bucket.consume(tokens)
        served.append((tokens, clock.monotonic()))

    async def keep_asking_for_five() -> None:
        async with anyio.create_task_group() as asks:
            for _ in range(10):
                await clock.sleep_until(clock.monotonic() + 1)
                asks.start_soon(take, 5)

    async with clock.autojump(), anyio.create_task_group() as group:
        group.start_soon(take, 60)
        await wait_all_tasks_blocked()
        group.start_soon(keep_asking_for_five)

    assert served[0] == (60, 60.0)
    assert [tokens for tokens, _ in served[1:]] == [5] * 10
    assert served[1] == (5, 65.0)


@pytest.mark.asyncio
async def test_q5_token_promised_to_a_waiter_is_not_taken_by_try_consume() -> None:
    """Q5: a refill wakes the waiter; before it resumes, try_consume(1) is False."""
    bucket, clock = make_bucket(1, 1, 1.0)
    assert bucket.try_consume(1)
    results: list[str] = []

    async def waiter() -> None:
        await bucket.consume(1)
        results.append("waiter")

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await wait_all_tasks_blocked()
        clock.advance(1)
        results.append(f"try_consume={bucket.try_consume(1)}")

    assert results == ["try_consume=False", "waiter"]
    assert bucket.available == 0


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (0, r"`tokens` must be positive \(got 0\)"),
        (-1, r"`tokens` must be positive \(got -1\)"),
        (4, r"`tokens` must be at most the capacity 3 \(got 4\)"),
    ],
)
def test_q6_bad_amounts_fail_at_once_with_the_value(tokens: int, message: str) -> None:
    """Q6: try_consume(0), (-1) and (capacity + 1) are ValueErrors naming the value."""
    bucket, _ = make_bucket(3, 1, 1.0)

    with pytest.raises(ValueError, match=message):
        bucket.try_consume(tokens)
    assert bucket.available == 3


@pytest.mark.asyncio
async def test_q6_consume_over_capacity_never_waits() -> None:
    """Q6: consume(capacity + 1) raises at once instead of waiting forever."""
    bucket, _ = make_bucket(3, 1, 1.0)

    with pytest.raises(ValueError, match=r"\(got 4\)"):
        await bucket.consume(4)
    assert bucket.statistics().waiting == 0


@pytest.mark.parametrize("tokens", [1.5, "2", True, None])
def test_non_integer_amounts_are_type_errors(tokens: object) -> None:
    """Token counts must be ints; the message shows the value."""
    bucket, _ = make_bucket(3, 1, 1.0)

    with pytest.raises(TypeError, match=r"`tokens` must be an int \(got "):
        bucket.try_consume(tokens)  # type: ignore[arg-type]


@pytest.mark.realtime
def test_q7_bucket_works_across_two_event_loops() -> None:
    """Q7: one bucket used in two asyncio.run calls works in both, waiting included."""
    bucket = LeakyBucket(2, 1, 0.01)

    async def use() -> float:
        await bucket.consume(2)
        with anyio.fail_after(5):
            await bucket.consume(1)
        return bucket.available

    assert asyncio.run(use()) == 0
    assert asyncio.run(use()) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((-1, 1, 1.0), r"`capacity` must be positive \(got -1\)"),
        ((0, 1, 1.0), r"`capacity` must be positive \(got 0\)"),
        ((3, -1, 1.0), r"`refill_amount` must be non-negative \(got -1\)"),
        ((3, 1, 0), r"`refill_interval` must be positive \(got 0\)"),
        ((3, 1, -5.0), r"`refill_interval` must be positive \(got -5.0\)"),
        ((3, 1, math.nan), r"`refill_interval` must be a number \(got nan\)"),
        (("3", 1, 1.0), r"`capacity` must be a number \(got '3'\)"),
    ],
)
def test_bad_bucket_arguments_name_the_argument_and_value(
    arguments: tuple[object, object, object], message: str
) -> None:
    """Each bad constructor argument is a ValueError naming it and its value."""
    with pytest.raises(ValueError, match=message):
        LeakyBucket(*arguments)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_statistics_is_a_frozen_snapshot() -> None:
    """statistics() reports capacity, available, waiting and next refill time."""
    bucket, clock = make_bucket(3, 1, 10.0)
    assert bucket.try_consume(3)

    async with anyio.create_task_group() as group:
        group.start_soon(bucket.consume, 2)
        await wait_all_tasks_blocked()
        clock.advance(12)
        stats = bucket.statistics()
        group.cancel_scope.cancel()

    assert (stats.capacity, stats.available, stats.waiting, stats.next_refill) == (
        3,
        1,
        1,
        20.0,
    )
    with pytest.raises(AttributeError):
        stats.available = 5  # type: ignore[misc]


@pytest.mark.asyncio
async def test_one_wake_up_per_grant_with_many_waiters() -> None:
    """1,000 waiters for 1 token: each is woken exactly once, at its own refill."""
    bucket, clock = make_bucket(1000, 1, 1.0)
    assert bucket.try_consume(1000)
    wake_ups = 0

    async def take() -> None:
        nonlocal wake_ups
        await bucket.consume(1)
        wake_ups += 1

    async with anyio.create_task_group() as group:
        for _ in range(1000):
            group.start_soon(take)
        await wait_all_tasks_blocked()
        clock.advance(499.5)
        await wait_all_tasks_blocked()
        assert wake_ups == 499
        clock.advance(1000)

    assert wake_ups == 1000


@pytest.mark.asyncio
async def test_timeout_from_outside_cancels_the_wait() -> None:
    """A cancel scope timing out at 5 s (virtual) cancels the wait; nothing taken."""
    bucket, clock = make_bucket(2, 1, 10.0)
    assert bucket.try_consume(2)

    with anyio.CancelScope() as timeout:
        clock.call_at(5.0, timeout.cancel)
        async with clock.autojump():
            await bucket.consume(2)

    assert timeout.cancelled_caught
    assert clock.monotonic() == 5.0
    assert bucket.statistics().waiting == 0
    clock.advance(15)
    assert bucket.available == 2


@pytest.mark.asyncio
async def test_cancelled_after_grant_gives_tokens_back() -> None:
    """A waiter granted and then cancelled before it resumes returns its tokens."""
    bucket, clock = make_bucket(2, 2, 1.0)
    assert bucket.try_consume(2)

    task = asyncio.create_task(bucket.consume(2))
    await wait_all_tasks_blocked()
    clock.advance(1)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert bucket.available == 2


def test_unlimited_bucket_never_runs_dry() -> None:
    """A bucket of infinite capacity grants any amount, forever."""
    bucket, _ = make_bucket(math.inf, 0, 1.0)

    assert all(bucket.try_consume(10**6) for _ in range(100))
    assert bucket.statistics().next_refill is None


@pytest.mark.asyncio
async def test_no_refill_bucket_waits_until_cancelled() -> None:
    """With refill 0 a waiter sets no timer and waits until cancelled."""
    bucket, clock = make_bucket(1, 0, 1.0)
    assert bucket.try_consume(1)

    async with anyio.create_task_group() as group:
        group.start_soon(bucket.consume, 1)
        await wait_all_tasks_blocked()
        assert clock.next_deadline() is None
        group.cancel_scope.cancel()

    assert bucket.available == 0
