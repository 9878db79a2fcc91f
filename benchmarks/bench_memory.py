"""Memory after many training runs in live mode.

One ``live()`` session on a feed of slices that arrive as fast as the loop
takes them; ``on_data`` starts one training run per slice (a trivial async
fit), so 10,000 slices make 10,000 runs, each spawned into the session's task
group and finished. Resident memory (psutil's RSS) is read before the
session and after every 10,000 runs, in one process, and separately the
Python heap under ``tracemalloc`` in a second session. A short session
first warms up imports and caches, so one-off costs are not counted.

Part of ``python -m benchmarks``; alone::

    python -m benchmarks.bench_memory [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tracemalloc
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import attrs

from aiotrain import Algorithm, RealClock, Slice, live, wait_all_tasks_blocked
from benchmarks._harness import Section, Target, print_section

__all__ = ["run"]

TARGET_GROWTH_MB = 5.0
MB = 1024 * 1024


@attrs.frozen
class Sizes:
    """Runs between readings, how many readings, and the warm-up's runs."""

    runs_per_reading: int
    readings: int
    warm_up: int


FULL = Sizes(runs_per_reading=10_000, readings=2, warm_up=500)
QUICK = Sizes(runs_per_reading=200, readings=2, warm_up=20)

Reading = Callable[[], int]


async def trivial_fit() -> int:
    """A training that returns at once."""
    return 1


class TrainsEverySlice(Algorithm):
    """Starts one training run on every slice."""

    async def on_data(self, data: Slice) -> None:
        """Spawn a run beside the data loop."""
        await self.train(trivial_fit)


async def feed(
    slices: int, every: int, read: Reading, readings: list[int]
) -> AsyncIterator[Slice]:
    """``slices`` empty slices; reads memory first and after every ``every``."""
    readings.append(read())
    for number in range(1, slices + 1):
        yield Slice(datetime.now(UTC), {})
        await asyncio.sleep(0)
        if number % every == 0:
            await wait_all_tasks_blocked()
            readings.append(read())


def _rss() -> int:
    """This process's resident memory, in bytes."""
    import psutil

    gc.collect()
    return int(psutil.Process().memory_info().rss)


def _traced() -> int:
    """Bytes of Python heap that ``tracemalloc`` sees allocated now."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def _session(sizes: Sizes, read: Reading) -> list[int]:
    """One live session; memory read before it and after each batch of runs."""
    readings: list[int] = []
    slices = sizes.runs_per_reading * sizes.readings
    source = feed(slices, sizes.runs_per_reading, read, readings)
    result = await live(TrainsEverySlice(), source, clock=RealClock())
    assert len(result.runs) == min(slices, 10_000), len(result.runs)
    return readings


def _rss_readings(sizes: Sizes) -> list[int]:
    """RSS before a session and after each batch of runs."""
    return asyncio.run(_session(sizes, _rss))


def _traced_readings(sizes: Sizes) -> list[int]:
    """Traced heap before a session and after each batch of runs."""
    tracemalloc.start()
    try:
        return asyncio.run(_session(sizes, _traced))
    finally:
        tracemalloc.stop()


def _warm_up(sizes: Sizes) -> None:
    """A short session, so imports and caches are in place before measuring."""
    asyncio.run(_session(attrs.evolve(sizes, runs_per_reading=sizes.warm_up), _rss))


def _rows(kind: str, readings: list[int], every: int) -> list[tuple[str, ...]]:
    """One row per reading: runs so far, the figure, growth since the start."""
    return [
        (
            kind,
            f"{number * every:,}",
            f"{reading / MB:.2f} MB",
            f"{(reading - readings[0]) / MB:+.2f} MB",
        )
        for number, reading in enumerate(readings)
    ]


def _target(rss: list[int], traced: list[int], runs: int) -> Target:
    """Did both RSS and the traced heap grow less than 5 MB over the first batch?"""
    rss_growth = (rss[1] - rss[0]) / MB
    traced_growth = (traced[1] - traced[0]) / MB
    later = (rss[-1] - rss[1]) / MB
    met = max(rss_growth, traced_growth) < TARGET_GROWTH_MB
    detail = (
        f"RSS grew {rss_growth:.2f} MB over {runs:,} runs ({later:+.2f} MB over the"
        f" runs after them); the traced heap grew {traced_growth:.2f} MB."
    )
    if not met:
        detail += (
            " Live mode keeps the last 10,000 run records and events by design;"
            " growth beyond them would be a leak."
        )
    return Target(
        f"memory growth under {TARGET_GROWTH_MB:g} MB after {runs:,} runs",
        met,
        detail,
    )


def run(quick: bool) -> Section:
    """Measure live-mode memory; ``quick`` makes a few hundred runs."""
    sizes = QUICK if quick else FULL
    _warm_up(sizes)
    rss = _rss_readings(sizes)
    traced = _traced_readings(sizes)
    every = sizes.runs_per_reading
    return Section(
        title="Live-mode memory",
        method=(
            "`live()` on a feed of empty slices, one per event-loop turn;"
            " `on_data` starts one training run (a trivial async fit) per slice."
            f" Memory is read before the session and after every {every:,} runs,"
            " once all of them have finished, after a garbage collection: RSS"
            " (psutil) in one session, the traced Python heap (tracemalloc) in"
            f" another. A {sizes.warm_up:,}-run session warms up first. A byte"
            " count, measured once."
        ),
        columns=("memory", "runs", "reading", "growth"),
        rows=tuple(_rows("RSS", rss, every) + _rows("traced heap", traced, every)),
        targets=(_target(rss, traced, every),),
        notes=(
            "Live mode keeps the records and events of the last 10,000 runs"
            " (`RunResult.runs`, `RunResult.events`), so the first 10,000 runs"
            " grow memory by their records and later ones replace them.",
            "RSS counts pages the allocator holds, not objects: after the"
            " sections before it in a full run, freed memory is reused and RSS"
            " may not move at all. The traced heap does not depend on that;"
            " `python -m benchmarks --only memory` gives RSS in a fresh process.",
        ),
        peers=("psutil",),
    )


def main() -> None:
    """Run the section alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few hundred runs")
    print_section(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
