"""The ``aiotrain`` command: run a strategy file in a backtest or a live replay.

Exit codes: 0 on success, 1 when the run failed (the strategy or a training
raised, the data turned out corrupt), 2 for bad input (a missing or broken
strategy file, a bad date, config or data path), 130 when stopped by Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from . import __version__, _simulate_cli
from ._algorithm import Algorithm
from ._bars import Slice
from ._cli_output import UsageError, plot_run, print_summary, require_matplotlib
from ._clock import RealClock
from ._config import QuotaConfig
from ._embedded import sp500_daily
from ._errors import AiotrainError
from ._lean_reader import read_lean
from ._merge import merge_slices
from ._runner import RunResult, backtest, live, replay

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["main"]

EMBEDDED_SYMBOL = "SPX"
INTERRUPTED = 130
THREAD_EXIT_WAIT = 0.2


class RunFailed(Exception):
    """The run itself failed: exit code 1."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aiotrain`` command line; returns the exit code.

    Args:
        argv: The arguments after the program name; default ``sys.argv[1:]``.
    """
    try:
        arguments = _parser().parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)

    stdout, stderr = _consoles()
    logging.getLogger("aiotrain").setLevel(logging.CRITICAL)
    try:
        code = _run_command(arguments, stdout)
    except (UsageError, RunFailed) as error:
        if arguments.traceback:
            stderr.print_exception()
        stderr.print(f"[red]error:[/red] {_escape(str(error))}", soft_wrap=True)
        return 2 if isinstance(error, UsageError) else 1

    return _exit_leaving_threads(code, stdout)


def _consoles() -> tuple[Console, Console]:
    try:
        from rich.console import Console
    except ModuleNotFoundError:
        sys.stderr.write(
            'error: the aiotrain command needs rich: pip install "aiotrain[cli]"\n'
        )
        raise SystemExit(2) from None

    return Console(), Console(stderr=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# --- arguments -------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiotrain",
        description="Run a strategy in a backtest or a live replay.",
    )
    parser.add_argument(
        "--version", action="version", version=f"aiotrain {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run_backtest = commands.add_parser("backtest", help="run a strategy over history")
    _add_common_options(run_backtest)
    run_backtest.add_argument(
        "--refill",
        choices=["wall", "simulated"],
        default="wall",
        help="what refills the quota: real (wall) time, as LEAN does, or simulated time",
    )
    run_backtest.add_argument(
        "--warm-up",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="feed the first N bars to history() only, so training at start has data",
    )

    run_live = commands.add_parser("live", help="run a strategy on a live replay")
    _add_common_options(run_live)
    run_live.add_argument(
        "--replay", action="store_true", help="replay the history as a live feed"
    )
    run_live.add_argument(
        "--speed",
        type=float,
        default=86_400.0,
        help="clock seconds per real second (default: a day a second); training time is scaled too",
    )
    _simulate_cli.add_parser(commands)
    return parser


def _non_negative_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number (got {text!r})"
        ) from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (got {number})")

    return number


def _add_common_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "strategy", type=Path, help="a Python file with one Algorithm subclass"
    )
    command.add_argument(
        "--data",
        type=Path,
        help="a LEAN data folder; default: the embedded S&P 500 history",
    )
    command.add_argument(
        "--symbol", help="the symbol to read (default SPY with --data, SPX without)"
    )
    command.add_argument(
        "--resolution",
        choices=["daily", "hour", "minute"],
        default="daily",
        help="bar size to read with --data (default daily)",
    )
    command.add_argument("--start", type=_parse_date, help="first date, YYYY-MM-DD")
    command.add_argument("--end", type=_parse_date, help="last date, YYYY-MM-DD")
    command.add_argument(
        "--config", type=Path, help="a LEAN config.json with the quota keys"
    )
    command.add_argument(
        "--plot", type=Path, help="draw price, training and quota to this PNG file"
    )
    command.add_argument(
        "--traceback", action="store_true", help="show the traceback of an error"
    )


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"dates are YYYY-MM-DD (got {text!r})"
        ) from None


# --- loading ---------------------------------------------------------------------


def load_strategy(path: Path) -> type[Algorithm]:
    """The one :class:`Algorithm` subclass defined in the file at ``path``.

    Raises:
        UsageError: The file is missing, does not compile or raises when
            imported, or defines no subclass or several.
    """
    module = _import_file(path)
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Algorithm)
        and value.__module__ == module.__name__
    ]
    if not found:
        raise UsageError(f"strategy file {str(path)!r} defines no Algorithm subclass")
    if len(found) > 1:
        names = ", ".join(sorted(cls.__name__ for cls in found))
        raise UsageError(
            f"strategy file {str(path)!r} defines several Algorithm subclasses ({names}); keep one per file"
        )

    return found[0]


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise UsageError(f"strategy file {str(path)!r} does not exist")

    name = f"aiotrain_strategy_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise UsageError(
            f"strategy file {str(path)!r} has a syntax error at line {error.lineno}: {error.msg}"
        ) from error
    except Exception as error:
        raise UsageError(
            f"strategy file {str(path)!r} raised on import: {type(error).__name__}: {error}"
        ) from error

    return module


def _quota(arguments: argparse.Namespace) -> QuotaConfig:
    if arguments.config is None:
        return QuotaConfig()

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            config = QuotaConfig.from_lean_config(arguments.config)
    except AiotrainError as error:
        raise UsageError(str(error)) from error

    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return config


def _bars(arguments: argparse.Namespace) -> Iterator[Any]:
    if arguments.start and arguments.end and arguments.start > arguments.end:
        raise UsageError(f"--start {arguments.start} is after --end {arguments.end}")
    if arguments.data is None:
        return _embedded_bars(arguments)

    symbol = arguments.symbol or "SPY"
    try:
        return read_lean(
            arguments.data,
            symbol,
            arguments.resolution,
            start=arguments.start,
            end=arguments.end,
        )
    except AiotrainError as error:
        raise UsageError(str(error)) from error


def _embedded_bars(arguments: argparse.Namespace) -> Iterator[Any]:
    if arguments.symbol not in (None, EMBEDDED_SYMBOL):
        raise UsageError(
            f"the embedded history holds only {EMBEDDED_SYMBOL} (got --symbol {arguments.symbol}); use --data for other symbols"
        )
    if arguments.resolution != "daily":
        raise UsageError(
            f"the embedded history is daily (got --resolution {arguments.resolution}); use --data for other resolutions"
        )

    try:
        return sp500_daily(start=arguments.start, end=arguments.end)
    except ModuleNotFoundError as error:
        raise UsageError(str(error)) from error


@attrs.define(eq=False)
class _Prices:
    """Remembers the close of one symbol per slice, for the plot."""

    symbol: str | None
    keep: bool
    points: list[tuple[datetime, float]] = attrs.field(factory=list)

    def watch(self, slices: Iterator[Slice]) -> Iterator[Slice]:
        for data_slice in slices:
            self._note(data_slice)
            yield data_slice

    def _note(self, data_slice: Slice) -> None:
        if not self.keep:
            return

        self.symbol = self.symbol or next(iter(data_slice))
        bar = data_slice.get(self.symbol)
        if bar is not None:
            self.points.append((data_slice.time, bar.close))


@attrs.define(eq=False)
class _Plan:
    """Everything a run needs, checked before it starts."""

    strategy: type[Algorithm]
    quota: QuotaConfig
    first: Slice
    last_time: datetime
    slices: Iterator[Slice]
    prices: _Prices


def _plan(arguments: argparse.Namespace) -> _Plan:
    strategy = load_strategy(arguments.strategy)
    quota = _quota(arguments)
    if arguments.plot is not None:
        require_matplotlib()

    first, last_time = _first_and_last(arguments)
    rest = itertools.islice(merge_slices(_bars(arguments)), 1, None)
    prices = _Prices(arguments.symbol, keep=arguments.plot is not None)
    slices = prices.watch(itertools.chain([first], rest))
    return _Plan(strategy, quota, first, last_time, slices, prices)


def _first_and_last(arguments: argparse.Namespace) -> tuple[Slice, datetime]:
    """The first slice and the last slice's time, from a quick pass over the data."""
    first: Slice | None = None
    last: Slice | None = None
    try:
        for data_slice in merge_slices(_bars(arguments)):
            first = first or data_slice
            last = data_slice
    except AiotrainError as error:
        raise RunFailed(str(error)) from error

    if first is None or last is None:
        raise UsageError(_empty_message(arguments))

    return first, last.time


def _empty_message(arguments: argparse.Namespace) -> str:
    source = "the embedded history" if arguments.data is None else str(arguments.data)
    span = f"from {arguments.start or 'the start'} to {arguments.end or 'the end'}"
    return f"no bars in {source} {span}"


# --- running ---------------------------------------------------------------------


def _run_command(arguments: argparse.Namespace, console: Console) -> int:
    if arguments.command == "quota":
        return _simulate_cli.run(arguments, console)

    plan = _plan(arguments)
    algorithm = plan.strategy()
    if hasattr(algorithm, "symbol") and plan.prices.symbol is not None:
        algorithm.symbol = plan.prices.symbol

    if arguments.command == "backtest":
        result, interrupted = _run_backtest(arguments, plan, algorithm, console)
    else:
        result, interrupted = _run_live(arguments, plan, algorithm, console)

    print_summary(console, result, arguments)
    if arguments.plot is not None:
        plot_run(arguments.plot, result, plan.prices.points)
        console.print(f"plot written to {arguments.plot}")

    return INTERRUPTED if interrupted else 0


def _failing(error: BaseException) -> RunFailed:
    return RunFailed(
        f"{type(error).__name__}: {error}"
        if not isinstance(error, AiotrainError)
        else str(error)
    )


def _run_backtest(
    arguments: argparse.Namespace, plan: _Plan, algorithm: Algorithm, console: Console
) -> tuple[RunResult, bool]:
    with _ProgressBar(console, plan.first.time, plan.last_time) as show:
        try:
            result = asyncio.run(
                backtest(
                    algorithm,
                    plan.slices,
                    quota=plan.quota,
                    refill=arguments.refill,
                    progress=show,
                    warm_up=arguments.warm_up,
                )
            )
        except KeyboardInterrupt:
            raise RunFailed("stopped by Ctrl-C before the backtest finished") from None
        except Exception as error:
            raise _failing(error) from error

    return result, False


def _run_live(
    arguments: argparse.Namespace, plan: _Plan, algorithm: Algorithm, console: Console
) -> tuple[RunResult, bool]:
    if not arguments.replay:
        raise UsageError(
            "live mode needs a feed: only --replay (of the history) is available"
        )
    if not arguments.speed > 0:
        raise UsageError(f"--speed must be positive (got {arguments.speed:g})")

    stopper = _Stopper()
    with _ProgressBar(console, plan.first.time, plan.last_time) as show:
        try:
            result = asyncio.run(
                _live_session(plan, algorithm, arguments.speed, stopper, show)
            )
        except Exception as error:
            raise _failing(error) from error

    if stopper.requested:
        console.print("stopped by Ctrl-C")
    return result, stopper.requested


async def _live_session(
    plan: _Plan, algorithm: Algorithm, speed: float, stopper: _Stopper, show: Any
) -> RunResult:
    clock = RealClock(plan.first.time, speed=speed)
    stopper.install()
    try:
        feed = stopper.feed(_counted(replay(plan.slices, clock), show))
        real = RealClock()
        return await live(
            algorithm, feed, clock=clock, real_clock=real, quota=plan.quota
        )
    finally:
        stopper.uninstall()


async def _counted(feed: AsyncIterable[Slice], show: Any) -> AsyncIterator[Slice]:
    number = 0
    async for data_slice in feed:
        number += 1
        show(number, data_slice.time)
        yield data_slice


@attrs.define(eq=False)
class _Stopper:
    """Turns the first Ctrl-C into the end of the feed; a second one interrupts."""

    requested: bool = False
    _scope: anyio.CancelScope | None = None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.request)

    def uninstall(self) -> None:
        if threading.current_thread() is threading.main_thread():
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)

    def request(self) -> None:
        if self.requested:
            self.uninstall()
            signal.raise_signal(signal.SIGINT)
            return

        self.requested = True
        if self._scope is not None:
            self._scope.cancel()

    async def feed(self, slices: AsyncIterator[Slice]) -> AsyncIterator[Slice]:
        """Pass ``slices`` on until the feed ends or a stop is requested."""
        while not self.requested:
            with anyio.CancelScope() as self._scope:
                data_slice = await anext(slices, None)
            self._scope = None
            if data_slice is None or self.requested:
                break

            yield data_slice

        await slices.aclose()  # type: ignore[attr-defined]


class _ProgressBar:
    """A rich progress bar over algorithm time, shown only on a terminal."""

    def __init__(self, console: Console, start: datetime, end: datetime) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._start = start
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[when]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        total = max((end - start).total_seconds(), 1.0)
        self._task = self._progress.add_task("running", total=total, when="")

    def __enter__(self) -> Any:
        self._progress.start()
        return self.show

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def show(self, slices: int, when: datetime) -> None:
        done = (when - self._start).total_seconds()
        label = f"{when:%Y-%m-%d} · {slices:,} slices"
        self._progress.update(self._task, completed=done, when=label)


def _exit_leaving_threads(code: int, console: Console) -> int:
    """Exit at once if an abandoned training thread still runs.

    Python joins worker threads at exit, which would wait for a training
    that was already given up on.
    """
    for thread in _worker_threads():
        thread.join(timeout=THREAD_EXIT_WAIT)
    if not any(thread.is_alive() for thread in _worker_threads()):
        return code

    console.print(
        f"a training thread is still running; leaving it behind (exit code {code})"
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _worker_threads() -> list[threading.Thread]:
    return [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon
    ]
