"""What the ``aiotrain`` command shows: the run summary (rich) and the plot (matplotlib)."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._algorithm import Mode
from ._runner import RunResult
from ._training import RunRecord

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = [
    "UsageError",
    "headless_pyplot",
    "pairs_table",
    "plot_run",
    "print_summary",
    "require_matplotlib",
    "save_plot",
]

#: With more runs than this, the runs table shows the first and last few.
RUNS_SHOWN = 10


class UsageError(Exception):
    """Bad input from the command line: exit code 2."""


def print_summary(
    console: Console, result: RunResult, arguments: argparse.Namespace
) -> None:
    """Print the run, its training runs, the quota and the strategy's report."""
    console.print(_run_table(result, arguments))
    console.print(_runs_table(result.runs))
    console.print(_quota_table(result, arguments))
    if result.report:
        console.print(pairs_table("Strategy", _report_rows(result)))


def pairs_table(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    """A two-column table of names and values, with no header row."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    for name, value in rows:
        table.add_row(name, value)

    return table


def _run_table(result: RunResult, arguments: argparse.Namespace) -> Table:
    rows = [
        ("mode", result.mode.value),
        ("strategy", str(arguments.strategy)),
        ("period", f"{result.start:%Y-%m-%d %H:%M} to {result.end:%Y-%m-%d %H:%M}"),
        ("slices", f"{result.slices:,}"),
    ]
    if result.mode is Mode.LIVE:
        rows.append(
            ("slices processed while training", f"{result.slices_while_training:,}")
        )
    rows.append(("wall time", _seconds(result.wall_seconds)))
    return pairs_table("Run", rows)


def _runs_table(runs: Sequence[RunRecord]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"Training runs ({len(runs):,})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("#", justify="right")
    table.add_column("scheduled", no_wrap=True)
    table.add_column("name", max_width=17, overflow="ellipsis", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    table.add_column("tokens", justify="right", no_wrap=True, min_width=6)
    table.add_column("outcome", no_wrap=True)
    for number, run in _shown_runs(runs):
        if run is None:
            table.add_row("…", f"{number:,} more", "", "", "", "")
        else:
            table.add_row(*_run_row(number, run))

    return table


def _shown_runs(runs: Sequence[RunRecord]) -> list[tuple[int, RunRecord | None]]:
    numbered: list[tuple[int, RunRecord | None]] = list(enumerate(runs, start=1))
    if len(runs) <= RUNS_SHOWN:
        return numbered

    half = RUNS_SHOWN // 2
    hidden = len(runs) - 2 * half
    return [*numbered[:half], (hidden, None), *numbered[-half:]]


def _run_row(number: int, run: RunRecord) -> tuple[str, ...]:
    scheduled = (
        "-" if run.scheduled_time is None else f"{run.scheduled_time:%Y-%m-%d %H:%M}"
    )
    return (
        str(number),
        scheduled,
        run.name,
        _seconds(run.duration),
        str(run.tokens_drawn),
        run.status.value,
    )


def _quota_table(result: RunResult, arguments: argparse.Namespace) -> Table:
    rows = _quota_rows(result, arguments)
    rows.append(("exhausted runs", str(len(result.exhausted_runs))))
    rows.append(("notices", _notices(result)))
    return pairs_table("Quota (minutes)", rows)


def _quota_rows(
    result: RunResult, arguments: argparse.Namespace
) -> list[tuple[str, str]]:
    if result.quota is None:
        return [("capacity", "unlimited"), ("used", str(result.tokens_drawn))]

    lowest = min(
        (level for _, level in result.quota_levels), default=result.quota.available
    )
    return [
        ("capacity", f"{result.quota.capacity:g}"),
        ("used", str(result.tokens_drawn)),
        ("left", f"{result.quota.available:g}"),
        ("lowest level", f"{lowest:g}"),
        ("refilled by", _refill_label(result, arguments)),
    ]


def _refill_label(result: RunResult, arguments: argparse.Namespace) -> str:
    if result.mode is Mode.LIVE:
        return "the replay clock"

    return "simulated time" if arguments.refill == "simulated" else "wall time"


def _notices(result: RunResult) -> str:
    counts: Counter[str] = Counter()
    for notice in result.notices:
        counts[notice.kind.value] += notice.count

    return (
        ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "none"
    )


def _report_rows(result: RunResult) -> list[tuple[str, str]]:
    return [(str(name), str(value)) for name, value in result.report.items()]


def _seconds(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60.0:
        return f"{seconds:.1f} s"

    return f"{seconds / 60.0:.1f} min"


# --- the plot --------------------------------------------------------------------


def require_matplotlib() -> None:
    """Check that matplotlib can be imported.

    Raises:
        UsageError: It is not installed; the message names the extra.
    """
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        raise UsageError(
            'the --plot option needs matplotlib: pip install "aiotrain[plot]"'
        ) from None


def plot_run(
    path: Path, result: RunResult, prices: Sequence[tuple[datetime, float]]
) -> None:
    """Draw the price, the training times and the quota level into ``path``.

    Raises:
        UsageError: The file cannot be written.
    """
    figure, (price_axes, quota_axes) = headless_pyplot().subplots(
        2, 1, sharex=True, figsize=(10, 6), height_ratios=(2, 1)
    )
    _draw_prices(price_axes, result, prices)
    _draw_quota(quota_axes, result)
    save_plot(figure, path)


def headless_pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, which needs no display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def save_plot(figure: Any, path: Path) -> None:
    """Lay out ``figure``, write it to ``path`` and close it.

    Raises:
        UsageError: The file cannot be written.
    """
    import matplotlib.pyplot as pyplot

    figure.tight_layout()
    try:
        figure.savefig(path, dpi=100)
    except OSError as error:
        raise UsageError(
            f"cannot write the plot to {str(path)!r}: {error.strerror}"
        ) from error
    finally:
        pyplot.close(figure)


def _draw_prices(
    axes: Any, result: RunResult, prices: Sequence[tuple[datetime, float]]
) -> None:
    times = [when for when, _ in prices]
    axes.plot(
        times,
        [close for _, close in prices],
        color="black",
        linewidth=0.8,
        label="close",
    )
    trained = [
        run.scheduled_time for run in result.runs if run.scheduled_time is not None
    ]
    for number, when in enumerate(trained):
        axes.axvline(
            when,
            color="tab:blue",
            alpha=0.25,
            linewidth=0.6,
            label="training" if number == 0 else None,
        )
    axes.set_ylabel("price")
    axes.legend(loc="upper left")


def _draw_quota(axes: Any, result: RunResult) -> None:
    levels = list(result.quota_levels)
    if levels:
        levels.append((result.end, levels[-1][1]))
        axes.step(
            [when for when, _ in levels],
            [level for _, level in levels],
            where="post",
            color="tab:orange",
        )
    axes.set_ylabel("quota left (min)")
    axes.set_ylim(bottom=0)
