"""Backtest throughput on real bars, against a bare loop and backtrader.

SPY's hourly LEAN bars (about 40,800) are read and merged into slices
before any timing starts, so reading is not measured; a longer series
repeats them five times, each copy shifted by whole weeks. On each series:

* a bare ``for`` loop awaiting a no-op ``on_data`` for every slice;
* ``backtest()`` of a no-op strategy;
* ``backtest()`` of a strategy that trains every Sunday at noon (a trivial
  async fit);
* on the SPY series only, ``backtrader`` running a no-op strategy on the
  same bars, fed as a pandas DataFrame through ``bt.feeds.PandasData``.

A profile of one no-op backtest lists where the engine spends its time.

Part of ``python -m benchmarks``; alone::

    python -m benchmarks.bench_backtest [--quick] [--data LEAN_DATA_DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from aiotrain import SUNDAY, Algorithm, Slice, backtest, merge_slices, read_lean
from benchmarks._harness import Section, Target, median, print_section

__all__ = ["run"]

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean"
SPY_HOUR = Path("equity", "usa", "hour", "spy.zip")
TITLE = "Backtest throughput"
BARE = "bare `for` loop awaiting `on_data`"
NO_OP = "aiotrain `backtest()`, no-op strategy"
WEEKLY = "aiotrain `backtest()`, weekly training"
BACKTRADER = "backtrader, no-op strategy"
BARE_LOOP_FACTOR = 3.0
BACKTRADER_FACTOR = 20.0
HOT_SPOTS = 8

Run = Callable[[Sequence[Slice]], Coroutine[Any, Any, Any]]


@attrs.frozen
class Sizes:
    """How many slices to use, how many copies make the long series, rounds."""

    slices: int | None
    copies: int
    rounds: int


FULL = Sizes(slices=None, copies=5, rounds=3)
QUICK = Sizes(slices=500, copies=2, rounds=1)


class NoOp(Algorithm):
    """A strategy that does nothing with its data."""

    async def on_data(self, data: Slice) -> None:
        """Ignore the slice."""


async def trivial_fit() -> int:
    """A training that returns at once."""
    return 1


class WeeklyTraining(NoOp):
    """A no-op strategy that trains every Sunday at noon."""

    async def initialize(self) -> None:
        """Schedule the weekly training."""
        await self.train(
            self.date_rules.every(SUNDAY), self.time_rules.at(12), trivial_fit
        )


def load_slices(data: Path, limit: int | None) -> list[Slice]:
    """SPY's hourly slices, the first ``limit`` of them (all if ``None``)."""
    slices = list(merge_slices(read_lean(data, "spy", "hour")))
    return slices if limit is None else slices[:limit]


def _shifted(data_slice: Slice, shift: timedelta) -> Slice:
    """``data_slice`` with its time and its bars' times moved by ``shift``."""
    bars = {
        symbol: attrs.evolve(bar, time=bar.time + shift, end_time=bar.end_time + shift)
        for symbol, bar in data_slice.items()
    }
    return Slice(data_slice.time + shift, bars)


def repeated(slices: Sequence[Slice], copies: int) -> list[Slice]:
    """``copies`` of ``slices`` back to back, each shifted by whole weeks."""
    span = slices[-1].time - slices[0].time
    step = timedelta(weeks=span // timedelta(weeks=1) + 1)
    return [
        _shifted(data_slice, step * copy) if copy else data_slice
        for copy in range(copies)
        for data_slice in slices
    ]


async def bare_loop(slices: Sequence[Slice]) -> None:
    """Await a no-op ``on_data`` for every slice, with no engine around it."""
    algorithm = NoOp()
    for data_slice in slices:
        await algorithm.on_data(data_slice)


def _engine(strategy: type[Algorithm]) -> Run:
    """A backtest of a fresh ``strategy`` over the given slices."""
    return lambda slices: backtest(strategy(), slices)


def _rate(work: Run, slices: Sequence[Slice]) -> float:
    """Slices per second of one run of ``work`` in a fresh event loop."""
    started = time.perf_counter()
    asyncio.run(work(slices))
    return len(slices) / (time.perf_counter() - started)


def _backtrader_rate(slices: Sequence[Slice]) -> float:
    """Bars per second of backtrader's no-op strategy on the same bars."""
    import backtrader

    frame = _frame(slices)

    class Idle(backtrader.Strategy):  # type: ignore[misc]
        def next(self) -> None:
            """Do nothing on each bar."""

    started = time.perf_counter()
    cerebro = backtrader.Cerebro(stdstats=False)
    cerebro.adddata(backtrader.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(Idle)
    cerebro.run()
    return len(frame) / (time.perf_counter() - started)


def _frame(slices: Sequence[Slice]) -> Any:
    """The bars as a pandas DataFrame indexed by naive New York start time."""
    import pandas

    rows = [
        (
            bar.time.replace(tzinfo=None),
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume,
        )
        for data_slice in slices
        for bar in data_slice.values()
    ]
    columns = ["datetime", "open", "high", "low", "close", "volume"]
    return pandas.DataFrame(rows, columns=columns).set_index("datetime")


def _has_backtrader() -> bool:
    """Whether backtrader and pandas can be imported."""
    try:
        import backtrader  # noqa: F401
        import pandas  # noqa: F401
    except ImportError:
        return False

    return True


def _subjects(with_peer: bool) -> dict[str, Callable[[Sequence[Slice]], float]]:
    """Each subject's timed run, keyed by the row label."""
    subjects: dict[str, Callable[[Sequence[Slice]], float]] = {
        BARE: lambda slices: _rate(bare_loop, slices),
        NO_OP: lambda slices: _rate(_engine(NoOp), slices),
        WEEKLY: lambda slices: _rate(_engine(WeeklyTraining), slices),
    }
    if with_peer and _has_backtrader():
        subjects[BACKTRADER] = _backtrader_rate

    return subjects


def _rates(
    slices: Sequence[Slice], rounds: int, with_peer: bool
) -> dict[str, list[float]]:
    """Each subject's slices per second, one figure per round, in rotating order."""
    subjects = _subjects(with_peer)
    labels = list(subjects)
    rates: dict[str, list[float]] = {label: [] for label in labels}
    for round_number in range(rounds):
        shift = round_number % len(labels)
        for label in labels[shift:] + labels[:shift]:
            rates[label].append(subjects[label](slices))

    return rates


def _ratio(own: list[float], other: list[float] | None) -> str:
    """The median of round-by-round ratios, or blank without a peer."""
    if other is None:
        return ""

    return f"{median([a / b for a, b in zip(own, other, strict=True)]):.3f}"


def _rows(series: str, rates: dict[str, list[float]]) -> list[tuple[str, ...]]:
    """One row per subject: median rate, and ratios to the bare loop and backtrader."""
    return [
        (
            series,
            label,
            f"{median(values):,.0f} slices/s",
            _ratio(values, rates[BARE]),
            _ratio(values, rates.get(BACKTRADER)),
        )
        for label, values in rates.items()
    ]


def hot_spots(
    slices: Sequence[Slice], count: int = HOT_SPOTS
) -> list[tuple[str, float, float]]:
    """The functions with the most own time in a profiled no-op backtest.

    Returns ``(function, µs per slice, share of the profiled total)`` rows.
    """
    profiler = cProfile.Profile()
    profiler.runcall(asyncio.run, backtest(NoOp(), slices))
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values())
    ranked = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)
    return [
        (_function_label(where), own / len(slices) * 1e6, own / total)
        for where, (_, _, own, _, _) in ranked[:count]
    ]


def _function_label(where: tuple[str, int, str]) -> str:
    """``module.py:line(function)`` for a profile entry, built-ins as named."""
    path, line, name = where
    return name if path == "~" else f"{Path(path).name}:{line}({name})"


def _bare_loop_target(rates: dict[str, list[float]]) -> Target:
    """Is a no-op backtest within three times the bare loop's time per slice?"""
    slowdown = median([b / a for a, b in zip(rates[NO_OP], rates[BARE], strict=True)])
    met = slowdown <= BARE_LOOP_FACTOR
    detail = f"The no-op backtest takes {slowdown:,.0f} times the bare loop's time per slice."
    if not met:
        detail += (
            " The bare loop does one await of an empty coroutine per slice, a"
            " tenth of a microsecond; the engine per slice marks the time-loop"
            " guard, asks the scheduler for due events, moves the simulated clock,"
            " keeps the bars for `history()` and looks at the quota's level, a few"
            " microseconds of Python in all (see the profile below)."
        )
    return Target(
        f"no-op backtest within {BARE_LOOP_FACTOR:g} times the bare loop", met, detail
    )


def _backtrader_target(rates: dict[str, list[float]]) -> Target:
    """Is a no-op backtest at least twenty times faster than backtrader's?"""
    goal = f"no-op backtest at least {BACKTRADER_FACTOR:g} times backtrader"
    if BACKTRADER not in rates:
        return Target(
            goal, False, "Not checked: backtrader or pandas is not installed."
        )

    speedup = median(
        [a / b for a, b in zip(rates[NO_OP], rates[BACKTRADER], strict=True)]
    )
    met = speedup >= BACKTRADER_FACTOR
    detail = f"{speedup:.1f} times backtrader's bars per second on the same SPY bars."
    if not met:
        detail += (
            " The engine's per-slice work (profile below) is a few microseconds;"
            " reaching the target needs it under 1/20 of backtrader's time per bar."
        )
    return Target(goal, met, detail)


def _hot_spot_notes(slices: Sequence[Slice]) -> tuple[str, ...]:
    """Notes listing the profile's top functions by own time."""
    spots = hot_spots(slices)
    listed = "; ".join(
        f"`{name}` {per_slice:.2f} µs/slice ({share:.0%})"
        for name, per_slice, share in spots
    )
    return (
        f"Profile of one no-op backtest over {len(slices):,} slices (cProfile, own"
        f" time, which the profiler inflates): {listed}.",
    )


def _missing_data() -> Section:
    """The section when the LEAN sample data is not there to read."""
    return Section(
        title=TITLE,
        method="Not measured: the LEAN sample data (SPY hourly bars) was not found.",
        columns=("series", "subject", "median", "vs bare loop", "vs backtrader"),
        rows=(),
    )


def run(quick: bool, data: Path = DEFAULT_DATA) -> Section:
    """Measure backtest throughput; ``quick`` uses 500 slices, one round."""
    if not (data / SPY_HOUR).is_file():
        return _missing_data()

    sizes = QUICK if quick else FULL
    spy = load_slices(data, sizes.slices)
    longer = repeated(spy, sizes.copies)
    spy_rates = _rates(spy, sizes.rounds, with_peer=True)
    long_rates = _rates(longer, sizes.rounds, with_peer=False)
    rows = _rows(f"SPY hour, {len(spy):,} slices", spy_rates)
    rows += _rows(
        f"SPY hour, {sizes.copies} copies, {len(longer):,} slices", long_rates
    )
    return Section(
        title=TITLE,
        method=(
            "Slices are read and merged before timing. Each figure is slices per"
            " second of one whole run (a fresh event loop, `initialize` and"
            f" `on_end` included); median over rounds: {sizes.rounds}, subjects"
            " taking turns. Ratios: the row's rate divided by the bare loop's, and"
            " by backtrader's, in the same round, median over rounds. backtrader"
            " runs with `stdstats=False` (no observers), its fastest setting, and"
            " its time includes building the Cerebro and its feed from the"
            " prepared DataFrame."
        ),
        columns=("series", "subject", "median", "vs bare loop", "vs backtrader"),
        rows=tuple(rows),
        targets=(_bare_loop_target(spy_rates), _backtrader_target(spy_rates)),
        notes=_hot_spot_notes(spy),
        peers=("backtrader", "pandas"),
    )


def main() -> None:
    """Run the section alone and print its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 slices, one round")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    section = run(args.quick, args.data)
    print_section(section)
    for note in section.notes:
        print(note)


if __name__ == "__main__":
    main()
