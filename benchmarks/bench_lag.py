"""Event-loop lag in live mode while a synchronous training burns the CPU.

The live feed is a heartbeat: it asks to wake every 10 ms, notes how late
it woke, and hands a slice to ``on_data``. The strategy's ``initialize``
starts one pure-Python, CPU-bound training, in a worker thread
(``executor="thread"``) or in a worker process (``executor="process"``),
and the heartbeat runs until the training has ended. The baseline runs the
same heartbeat for as long with no training.

Part of ``python -m benchmarks``; alone::

    python -m benchmarks.bench_lag [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import attrs

from aiotrain import Algorithm, RealClock, Slice, TrainingRun, live
from aiotrain._training import Executor
from benchmarks._harness import Section, Target, median, percentile, print_section

__all__ = ["burn_cpu", "run"]

HEARTBEAT = 0.010
TARGET_P99_MS = 20.0
CALIBRATION_STEPS = 200_000
BASELINE = "no training (baseline)"


@attrs.frozen
class Sizes:
    """How long each training lasts, and how many rounds each case gets."""

    training_seconds: float
    rounds: int


FULL = Sizes(training_seconds=2.0, rounds=3)
QUICK = Sizes(training_seconds=0.2, rounds=1)


def burn_cpu(steps: int) -> int:
    """A CPU-bound training stand-in: pure Python arithmetic, holding the GIL."""
    total = 0
    for step in range(steps):
        total += step * step % 7

    return total


def steps_for(seconds: float) -> int:
    """How many :func:`burn_cpu` steps take about ``seconds`` on this machine."""
    started = time.perf_counter()
    burn_cpu(CALIBRATION_STEPS)
    elapsed = time.perf_counter() - started
    return max(1, round(CALIBRATION_STEPS * seconds / elapsed))


@attrs.define
class TrainsOnce(Algorithm):
    """Starts one training in ``initialize``, or none for the baseline."""

    training: Callable[[], Any] | None
    executor: Executor
    run: TrainingRun | None = None

    async def initialize(self) -> None:
        """Start the training beside the data loop."""
        if self.training is not None:
            self.run = await self.train(self.training, executor=self.executor)

    def training_running(self) -> bool:
        """Whether the training has started and not yet ended."""
        return self.run is not None and not self.run.status.finished


async def heartbeat(
    clock: RealClock, lags: list[float], keep_going: Callable[[], bool]
) -> AsyncIterator[Slice]:
    """A feed that wakes every ``HEARTBEAT`` seconds and notes how late it woke."""
    due = time.monotonic() + HEARTBEAT
    while keep_going():
        await anyio.sleep(max(0.0, due - time.monotonic()))
        woke = time.monotonic()
        lags.append((woke - due) * 1e3)
        due = woke + HEARTBEAT
        yield Slice(clock.now(), {})


def _for_seconds(seconds: float) -> Callable[[], bool]:
    """True until ``seconds`` have passed since the call."""
    until = time.monotonic() + seconds
    return lambda: time.monotonic() < until


async def _lags_in_live(algorithm: TrainsOnce, seconds: float) -> list[float]:
    """Heartbeat lags, in ms, through one live session of ``algorithm``.

    The session lasts as long as the training, or ``seconds`` without one.
    """
    clock = RealClock()
    lags: list[float] = []
    keep_going = (
        _for_seconds(seconds)
        if algorithm.training is None
        else algorithm.training_running
    )
    await live(algorithm, heartbeat(clock, lags, keep_going), clock=clock)
    return lags


def _cases(steps: int) -> dict[str, Callable[[], TrainsOnce]]:
    """A fresh algorithm per case and round, keyed by the row label."""
    training = functools.partial(burn_cpu, steps)
    return {
        BASELINE: lambda: TrainsOnce(None, "thread"),
        'sync training, `executor="thread"`': lambda: TrainsOnce(training, "thread"),
        'sync training, `executor="process"`': lambda: TrainsOnce(training, "process"),
    }


async def _measure_all(sizes: Sizes) -> dict[str, list[list[float]]]:
    """Each case's lags, one list per round; cases take turns in each round."""
    cases = _cases(steps_for(sizes.training_seconds))
    lags: dict[str, list[list[float]]] = {label: [] for label in cases}
    for _ in range(sizes.rounds):
        for label, make in cases.items():
            lags[label].append(await _lags_in_live(make(), sizes.training_seconds))

    return lags


def _p99(rounds: list[list[float]]) -> float:
    """The median over rounds of each round's 99th-percentile lag."""
    return median([percentile(lags, 0.99) for lags in rounds])


def _row(label: str, rounds: list[list[float]], baseline_p99: float) -> tuple[str, ...]:
    """A case's beats, median p50 and p99, overall max, and p99 ratio."""
    every_lag = [lag for lags in rounds for lag in lags]
    p99 = _p99(rounds)
    return (
        label,
        f"{len(every_lag):,}",
        f"{median([percentile(lags, 0.5) for lags in rounds]):.2f} ms",
        f"{p99:.2f} ms",
        f"{max(every_lag):.2f} ms",
        f"{p99 / baseline_p99:.1f}",
    )


def _target(label: str, rounds: list[list[float]], baseline_p99: float) -> Target:
    """Is the heartbeat's p99 lag under 20 ms while this training runs?"""
    p99 = _p99(rounds)
    met = p99 < TARGET_P99_MS
    detail = (
        f"p99 {p99:.2f} ms, max {max(max(lags) for lags in rounds):.2f} ms"
        f" (baseline p99 {baseline_p99:.2f} ms)."
    )
    if not met:
        detail += (
            " A pure-Python training in a thread holds the GIL; the event loop"
            " gets it back at the interpreter's switch interval, and later when"
            " other processes also want the machine's two cores."
        )
    return Target(f"heartbeat p99 lag under {TARGET_P99_MS:g} ms, {label}", met, detail)


def run(quick: bool) -> Section:
    """Measure heartbeat lag; ``quick`` runs each case once, briefly."""
    sizes = QUICK if quick else FULL
    lags = asyncio.run(_measure_all(sizes))
    baseline_p99 = _p99(lags[BASELINE])
    return Section(
        title="Event-loop lag in live mode",
        method=(
            f"`live()` with a feed that wakes every {HEARTBEAT * 1e3:g} ms and "
            "notes how late it woke; `initialize` starts one pure-Python "
            f"CPU-bound training of about {sizes.training_seconds:g} s, and the "
            "feed runs until it ends (the baseline runs as long with none). "
            f"Rounds: {sizes.rounds}, cases taking turns; p50 and p99 are medians "
            "over rounds, max is over all beats; ratio: the row's p99 divided by "
            "the baseline's."
        ),
        columns=("case", "beats", "p50", "p99", "max", "p99 ratio"),
        rows=tuple(_row(label, rounds, baseline_p99) for label, rounds in lags.items()),
        targets=tuple(
            _target(label.split(", ")[1], rounds, baseline_p99)
            for label, rounds in lags.items()
            if label != BASELINE
        ),
        notes=(
            "In a thread, the training and the event loop share the GIL; "
            f"CPython hands it over every {sys.getswitchinterval() * 1e3:g} ms "
            "(the switch interval), which bounds the lag. In a process they "
            "share nothing but the CPUs; the first process run also pays for "
            "starting the worker process.",
        ),
    )


def main() -> None:
    """Run the section alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round")
    print_section(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
