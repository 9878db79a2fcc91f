"""What the training quota costs, against aiolimiter and asyncio's semaphore.

Three measurements, each in one event loop:

* uncontended: ``await LeakyBucket.consume(1)`` and ``try_consume(1)`` on a
  bucket too big to empty, against ``aiolimiter.AsyncLimiter.acquire()`` and
  ``asyncio.Semaphore`` acquire plus release, in microseconds per call;
* contended, on a :class:`ManualClock`: 1,000 tasks wait on an empty bucket
  that refills 10 tokens a minute, and every time a waiting task is resumed
  is counted, to check that each grant costs exactly one wake-up;
* contended, on the real clock: 1,000 tasks wait on an empty bucket of
  capacity 1 that refills far faster than a loop can hand tokens out, so every
  grant needs its own timer; grants per second against aiolimiter set up alike.

Usage::

    python -m benchmarks.bench_quota [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import anyio
import attrs

from aiotrain import LeakyBucket, ManualClock, RealClock, wait_all_tasks_blocked
from benchmarks._harness import Section, Target, median, no_gc, print_section

__all__ = ["run"]

HUGE = 1e15
WAITERS = 1_000
MANUAL_REFILL = 10
MANUAL_INTERVAL = 60.0
REAL_INTERVAL = 1e-5


@attrs.frozen
class Sizes:
    """How much work one run of the section does."""

    calls: int
    rounds: int
    waiters: int


FULL = Sizes(calls=200_000, rounds=9, waiters=WAITERS)
QUICK = Sizes(calls=1_000, rounds=1, waiters=100)


@attrs.define
class WakeTally:
    """Grants and task resumptions seen by a group of waiters."""

    grants: int = 0
    resumes: int = 0
    unwaited: int = 0
    started: float = attrs.field(factory=time.perf_counter)
    last_grant: float = 0.0

    def record(self, resumes: int) -> None:
        """Count one grant that took ``resumes`` wake-ups."""
        self.grants += 1
        self.resumes += resumes
        self.unwaited += resumes == 0
        self.last_grant = time.perf_counter()


@types.coroutine
def counted(awaitable: Awaitable[None], tally: WakeTally) -> Generator[Any, Any, None]:
    """Await ``awaitable``, counting each time the event loop resumes the task.

    The first step runs as part of the call, so it is not a wake-up; every
    later step (a result or an exception sent back in) is.
    """
    steps = awaitable.__await__()
    resumes = 0
    try:
        request = steps.send(None)
        while True:
            try:
                reply = yield request
            except BaseException as error:
                resumes += 1
                request = steps.throw(error)
            else:
                resumes += 1
                request = steps.send(reply)
    except StopIteration:
        tally.record(resumes)


async def _consume_loop(bucket: LeakyBucket, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await bucket.consume(1)

    return time.perf_counter() - started


async def _try_consume_loop(bucket: LeakyBucket, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        bucket.try_consume(1)

    return time.perf_counter() - started


async def _limiter_loop(limiter: Any, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await limiter.acquire()

    return time.perf_counter() - started


async def _semaphore_loop(semaphore: asyncio.Semaphore, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await semaphore.acquire()
        semaphore.release()

    return time.perf_counter() - started


def _load_aiolimiter() -> Any:
    """The ``aiolimiter`` module, or ``None`` when it is not installed."""
    try:
        import aiolimiter
    except ImportError:
        return None

    return aiolimiter


UncontendedLoop = Callable[[int], Awaitable[float]]
MakeLimiter = Callable[[], Awaitable[Any]]


def _uncontended_loops() -> dict[str, UncontendedLoop]:
    """One timed loop per subject, keyed by the row label."""
    bucket = LeakyBucket(HUGE, 1, 60.0, clock=RealClock())
    semaphore = asyncio.Semaphore(1)
    loops: dict[str, UncontendedLoop] = {
        "aiotrain `await bucket.consume(1)`": lambda n: _consume_loop(bucket, n),
        "aiotrain `bucket.try_consume(1)`": lambda n: _try_consume_loop(bucket, n),
        "asyncio `Semaphore` acquire + release": lambda n: _semaphore_loop(
            semaphore, n
        ),
    }
    aiolimiter = _load_aiolimiter()
    if aiolimiter is not None:
        limiter = aiolimiter.AsyncLimiter(HUGE, 60.0)
        loops["aiolimiter `await limiter.acquire()`"] = lambda n: _limiter_loop(
            limiter, n
        )

    return loops


async def _time_uncontended(sizes: Sizes) -> dict[str, list[float]]:
    """Microseconds per call for each subject, one figure per round.

    Subjects take turns inside each round, in a rotating order, so a drift in
    the machine's speed touches them all alike.
    """
    loops = _uncontended_loops()
    labels = list(loops)
    timings: dict[str, list[float]] = {label: [] for label in labels}
    for round_number in range(sizes.rounds):
        shift = round_number % len(labels)
        for label in labels[shift:] + labels[:shift]:
            with no_gc():
                seconds = await loops[label](sizes.calls)
            timings[label].append(seconds / sizes.calls * 1e6)

    return timings


def _uncontended_rows(
    timings: dict[str, list[float]],
) -> tuple[tuple[tuple[str, ...], ...], Target]:
    """Rows with the median cost and the median ratio to aiolimiter."""
    peer = next((label for label in timings if label.startswith("aiolimiter")), None)
    rows = []
    for label, costs in timings.items():
        ratio = "n/a" if peer is None else _median_ratio(costs, timings[peer])
        rows.append(("uncontended", label, f"{median(costs):.3f} µs/call", ratio))

    return tuple(rows), _uncontended_target(timings, peer)


def _uncontended_target(timings: dict[str, list[float]], peer: str | None) -> Target:
    """Is an uncontended ``consume`` no slower than aiolimiter's acquire?"""
    goal = "uncontended `consume(1)` no slower than aiolimiter's `acquire()`"
    if peer is None:
        return Target(goal, False, "Not checked: aiolimiter is not installed.")

    own = median(timings["aiotrain `await bucket.consume(1)`"])
    other = median(timings[peer])
    detail = f"{own:.3f} µs against {other:.3f} µs."
    if own > other:
        detail += (
            " Each call checks its argument, reads the monotonic clock and works"
            " out the refills due; aiolimiter's acquire does less per call."
        )

    return Target(goal, own <= other, detail)


async def _wait_counted(bucket_or_limiter: Any, tally: WakeTally) -> None:
    """Ask for one token, counting the task's wake-ups while it waits."""
    if isinstance(bucket_or_limiter, LeakyBucket):
        await counted(bucket_or_limiter.consume(1), tally)
    else:
        await counted(bucket_or_limiter.acquire(1), tally)


async def _contended_manual(waiters: int) -> WakeTally:
    """Waiters on an empty bucket on a :class:`ManualClock`, served by refills."""
    clock = ManualClock()
    bucket = LeakyBucket(MANUAL_REFILL, MANUAL_REFILL, MANUAL_INTERVAL, clock=clock)
    bucket.try_consume(MANUAL_REFILL)
    tally = WakeTally()
    refills = -(-waiters // MANUAL_REFILL)
    async with anyio.create_task_group() as group:
        for _ in range(waiters):
            group.start_soon(_wait_counted, bucket, tally)

        await clock.run_for(refills * MANUAL_INTERVAL)

    return tally


async def _contended_real(make: MakeLimiter, waiters: int) -> WakeTally:
    """Waiters on an empty limiter with a real clock, until all are served.

    Every task first parks on a gate; opening it makes all of them ask in the
    same turn of the event loop, and the clock for grants per second starts
    there, so task creation is not counted.
    """
    limiter = await make()
    gate = anyio.Event()
    tally = WakeTally()
    async with anyio.create_task_group() as group:
        for _ in range(waiters):
            group.start_soon(_wait_at_gate, gate, limiter, tally)

        await wait_all_tasks_blocked()
        tally.started = time.perf_counter()
        gate.set()

    return tally


async def _wait_at_gate(gate: anyio.Event, limiter: Any, tally: WakeTally) -> None:
    """Wait for ``gate`` to open, then ask ``limiter`` for one token."""
    await gate.wait()
    await _wait_counted(limiter, tally)


async def _empty_bucket() -> LeakyBucket:
    """Capacity 1, one token back every ``REAL_INTERVAL`` seconds, emptied."""
    bucket = LeakyBucket(1, 1, REAL_INTERVAL, clock=RealClock())
    bucket.try_consume(1)
    return bucket


async def _empty_limiter() -> Any:
    """aiolimiter's equivalent of :func:`_empty_bucket`, filled by one acquire."""
    limiter = _load_aiolimiter().AsyncLimiter(1, REAL_INTERVAL)
    await limiter.acquire(1)
    return limiter


def _grants_per_second(tally: WakeTally) -> float:
    """Grants per second from the opening of the gate to the last grant."""
    return tally.grants / (tally.last_grant - tally.started)


async def _time_contended_real(sizes: Sizes) -> dict[str, list[WakeTally]]:
    """Real-clock contended runs, subjects taking turns each round."""
    subjects: dict[str, MakeLimiter] = {"aiotrain LeakyBucket": _empty_bucket}
    if _load_aiolimiter() is not None:
        subjects["aiolimiter AsyncLimiter"] = _empty_limiter

    tallies: dict[str, list[WakeTally]] = {label: [] for label in subjects}
    for _ in range(sizes.rounds):
        for label, make in subjects.items():
            tallies[label].append(await _contended_real(make, sizes.waiters))

    return tallies


def _wakeups_per_grant(tally: WakeTally) -> float:
    return tally.resumes / tally.grants


def _contended_rows(
    manual: WakeTally, real: dict[str, list[WakeTally]], waiters: int
) -> tuple[tuple[tuple[str, ...], ...], Target]:
    """Rows for the contended runs and the one-wake-up-per-grant target."""
    rows = [
        (
            "contended, ManualClock",
            f"aiotrain, {waiters:,} waiters, {MANUAL_REFILL} tokens per refill",
            f"{_wakeups_per_grant(manual):.2f} wake-ups/grant",
            "",
        )
    ]
    rates = {
        label: [_grants_per_second(tally) for tally in tallies]
        for label, tallies in real.items()
    }
    peer_rates = rates.get("aiolimiter AsyncLimiter")
    for label, tallies in real.items():
        wakeups = median([_wakeups_per_grant(tally) for tally in tallies])
        unwaited = median([tally.unwaited for tally in tallies])
        figure = (
            f"{median(rates[label]):,.0f} grants/s; {wakeups:.2f} wake-ups/grant; "
            f"{unwaited:,.0f} served without waiting"
        )
        ratio = "n/a" if peer_rates is None else _median_ratio(rates[label], peer_rates)
        rows.append(
            ("contended, real clock", f"{label}, {waiters:,} waiters", figure, ratio)
        )

    met = manual.resumes == manual.grants == waiters
    detail = f"{manual.resumes:,} wake-ups for {manual.grants:,} grants."
    return tuple(rows), Target("one wake-up per grant", met, detail)


def _median_ratio(own: list[float], peer: list[float]) -> str:
    """The median of round-by-round ratios, formatted."""
    ratios = [mine / theirs for mine, theirs in zip(own, peer, strict=True)]
    return f"{median(ratios):.2f}"


async def _measure(sizes: Sizes) -> Section:
    """Run every quota measurement and gather the section."""
    timings = await _time_uncontended(sizes)
    manual = await _contended_manual(sizes.waiters)
    real = await _time_contended_real(sizes)
    uncontended_rows, speed_target = _uncontended_rows(timings)
    contended_rows, wake_target = _contended_rows(manual, real, sizes.waiters)
    return Section(
        title="Quota",
        method=(
            f"Uncontended: {sizes.calls:,} calls per subject per round, "
            f"rounds: {sizes.rounds}; median µs per call (loop overhead included). "
            "Contended: waiters queue on an empty bucket; wake-ups count every "
            "time a waiting task is resumed. On the real clock all tasks ask in "
            "the same turn of the event loop. The bucket there refills one "
            f"token every {REAL_INTERVAL * 1e6:g} µs, faster than a loop can "
            "serve, so the limiter and the loop, not the refill rate, set grants per second; "
            "aiolimiter gets the same rate and capacity. Ratio: the row's figure "
            "divided by aiolimiter's in the same round, median over rounds "
            "(for µs/call lower is better, for grants/s higher is better)."
        ),
        columns=("case", "subject", "median", "ratio"),
        rows=uncontended_rows + contended_rows,
        targets=(speed_target, wake_target),
        notes=(
            "aiolimiter lets a task that has just arrived take a token while "
            "earlier tasks wait, so part of its grants need no wake-up at all. "
            "aiotrain serves strictly first come, first served: once one task "
            "waits, every later one queues behind it and is woken once. That "
            "extra resumption per queued task is the price of the order, and "
            "the reason aiolimiter hands out more grants per second here.",
        ),
        peers=("aiolimiter",),
    )


def run(quick: bool) -> Section:
    """Measure the quota; ``quick`` does each measurement once at tiny sizes."""
    return asyncio.run(_measure(QUICK if quick else FULL))


def main() -> None:
    """Run the section alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run")
    print_section(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
