"""How late a training run stops once its quota runs out, against a poller.

A :class:`RealClock` sped up 1,200 times makes a quota minute last 50 ms. A
bucket of capacity 1 that never refills lets a run use its free first
minute and draw one token for the second, so the run must stop at the
boundary two minutes (100 ms) after it starts. The delay measured is from
that boundary to the moment ``Trainer.run`` returns, in real milliseconds.

For comparison, in the same run, the same training is stopped by LEAN's
way of enforcing its budget: a loop that wakes every 100 ms (LEAN's timer)
or every second (its isolator's check in backtests) and cancels the run
once the budget is spent. Each poller starts at a random phase, as LEAN's
timer does not start with the training.

Part of ``python -m benchmarks``; alone::

    python -m benchmarks.bench_timeout [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import anyio
import attrs

from aiotrain import LeakyBucket, RealClock, RunStatus, Trainer, check_cancelled
from benchmarks._harness import Section, Target, percentile, print_section

__all__ = ["run"]

SPEED = 1200.0
MINUTE = 60.0
STOP_AFTER_MINUTES = 2
RUN_SECONDS = STOP_AFTER_MINUTES * MINUTE / SPEED
TARGET_P99_MS = 5.0
THREAD_NAP = 0.001


@attrs.frozen
class Sizes:
    """How many runs each subject makes, and how many go at a time."""

    runs: int
    lanes: int
    poller_lanes: int


FULL = Sizes(runs=240, lanes=4, poller_lanes=50)
QUICK = Sizes(runs=8, lanes=4, poller_lanes=8)

StopDelay = Callable[[RealClock], Awaitable[float]]


async def _never_ends() -> None:
    """An async training that would run forever."""
    await anyio.sleep_forever()


def _spins_until_stopped() -> None:
    """A sync training that naps in short steps until told to stop."""
    while True:
        check_cancelled()
        time.sleep(THREAD_NAP)


def _one_token_bucket(clock: RealClock) -> LeakyBucket:
    """Capacity 1, never refilled: a run may last two minutes."""
    return LeakyBucket(1, 0, MINUTE, clock=clock)


async def _metered_delay(clock: RealClock, training: Callable[[], object]) -> float:
    """Milliseconds from the two-minute boundary to the return of the run."""
    trainer = Trainer(_one_token_bucket(clock), clock=clock)
    run = await trainer.run(training)
    returned = clock.monotonic()

    assert run.status is RunStatus.QUOTA_EXHAUSTED, run.status
    assert run.started is not None
    boundary = run.started + STOP_AFTER_MINUTES * MINUTE
    return (returned - boundary) / SPEED * 1e3


async def _async_delay(clock: RealClock) -> float:
    """Stop delay of an async training."""
    return await _metered_delay(clock, _never_ends)


async def _thread_delay(clock: RealClock) -> float:
    """Stop delay of a sync training in a worker thread."""
    return await _metered_delay(clock, _spins_until_stopped)


def _poller_delay(period: float, chooser: random.Random) -> StopDelay:
    """A stop delay measured with a poller waking every ``period`` seconds."""

    async def delay(clock: RealClock) -> float:
        boundary = clock.monotonic() + STOP_AFTER_MINUTES * MINUTE
        async with anyio.create_task_group() as group:
            group.start_soon(_never_ends)
            await _poll_until(clock, boundary, period, chooser.uniform(0, period))
            group.cancel_scope.cancel()

        return (clock.monotonic() - boundary) / SPEED * 1e3

    return delay


async def _poll_until(
    clock: RealClock, boundary: float, period: float, phase: float
) -> None:
    """Wake every ``period`` seconds, after ``phase``, until the budget is spent."""
    await anyio.sleep(phase)
    while clock.monotonic() < boundary:
        await anyio.sleep(period)


async def _lane(
    measure: StopDelay, clock: RealClock, runs: int, offset: float, out: list[float]
) -> None:
    """Measure ``runs`` stops one after another, starting after ``offset``."""
    await anyio.sleep(offset)
    for _ in range(runs):
        out.append(await measure(clock))


async def _delays(measure: StopDelay, runs: int, lanes: int) -> list[float]:
    """``runs`` stop delays, ``lanes`` runs at a time, lanes spread over a run."""
    clock = RealClock(speed=SPEED)
    delays: list[float] = []
    async with anyio.create_task_group() as group:
        for lane in range(lanes):
            offset = lane * RUN_SECONDS / lanes
            group.start_soon(_lane, measure, clock, runs // lanes, offset, delays)

    return delays


async def _measure_all(sizes: Sizes) -> dict[str, list[float]]:
    """Stop delays of every subject, one subject after another."""
    chooser = random.Random(9)
    subjects = {
        "aiotrain, async training": (_async_delay, sizes.lanes),
        "aiotrain, sync training in a thread": (_thread_delay, sizes.lanes),
        "poller every 100 ms": (_poller_delay(0.1, chooser), sizes.poller_lanes),
        "poller every 1 s": (_poller_delay(1.0, chooser), sizes.poller_lanes),
    }
    return {
        label: await _delays(measure, sizes.runs, lanes)
        for label, (measure, lanes) in subjects.items()
    }


def _row(label: str, delays: list[float], reference_p99: float) -> tuple[str, ...]:
    """One subject's percentiles and its p99 as a multiple of aiotrain's."""
    p99 = percentile(delays, 0.99)
    return (
        label,
        f"{len(delays):,}",
        f"{percentile(delays, 0.5):.2f} ms",
        f"{p99:.2f} ms",
        f"{max(delays):.2f} ms",
        f"{p99 / reference_p99:.1f}",
    )


def _target(delays: list[float]) -> Target:
    """Is the p99 stop delay of an async training under 5 ms?"""
    p99 = percentile(delays, 0.99)
    detail = f"p99 {p99:.2f} ms, max {max(delays):.2f} ms."
    if p99 >= TARGET_P99_MS:
        detail += (
            " The stop is a timer on the event loop; on a busy machine the loop"
            " or the operating system wakes it late."
        )
    return Target(
        f"stop delay p99 under {TARGET_P99_MS:g} ms", p99 < TARGET_P99_MS, detail
    )


def run(quick: bool) -> Section:
    """Measure stop delays; ``quick`` makes a few runs of each subject."""
    sizes = QUICK if quick else FULL
    delays = asyncio.run(_measure_all(sizes))
    own = delays["aiotrain, async training"]
    reference = percentile(own, 0.99)
    return Section(
        title="Stop at the quota boundary",
        method=(
            f"A `RealClock(speed={SPEED:g})` makes a quota minute "
            f"{MINUTE / SPEED * 1e3:g} ms; a bucket of capacity 1 with no refill "
            f"ends each run {RUN_SECONDS * 1e3:g} ms after it starts. Delay: from "
            "that boundary to the return of `Trainer.run` (aiotrain) or of the "
            f"cancelled training (pollers). aiotrain runs go {sizes.lanes} at a "
            "time, started a fraction of a run apart; pollers start at a random "
            "phase. Percentiles are over all runs; ratio: the row's p99 divided "
            "by aiotrain's async p99 in the same run."
        ),
        columns=("subject", "runs", "p50", "p99", "max", "p99 ratio"),
        rows=tuple(_row(label, values, reference) for label, values in delays.items()),
        targets=(_target(own),),
        notes=(
            "aiotrain's meter is a timer set for the next minute boundary, so the "
            "stop costs one timer callback and a cancellation. A poller adds on "
            "average half its period, and up to a whole period.",
            "The sync training checks `check_cancelled()` every "
            f"{THREAD_NAP * 1e3:g} ms; the run returns at the boundary without "
            "waiting for the thread, which ends at its next check.",
        ),
    )


def main() -> None:
    """Run the section alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few runs each")
    print_section(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
