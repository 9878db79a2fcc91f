"""The ``aiotrain quota simulate`` command: will a training schedule run the quota dry?

Example::

    aiotrain quota simulate --config config.json --every sunday --at 08:00 \\
        --minutes 45 --days 365 --plot quota.png

``--minutes`` is a fixed length (``45``) or a range (``30-60``) drawn
uniformly with ``--seed``. The quota refills on simulated time, as in live
trading.
"""

from __future__ import annotations

import argparse
import math
import random
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._cli_output import (
    UsageError,
    headless_pyplot,
    pairs_table,
    require_matplotlib,
    save_plot,
)
from ._config import QuotaConfig
from ._date_rules import DateRules, Weekday
from ._errors import AiotrainError
from ._rule_base import DateRule, TimeRule
from ._simulator import QuotaSimulation, TrainingMinutes, simulate_quota
from ._time_rules import TimeRules

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["add_parser", "run"]

_WEEKDAYS = {day.name.lower(): day for day in Weekday} | {
    day.name.lower()[:3]: day for day in Weekday
}
_EVERY_DAY = {"day", "daily", "everyday"}


def add_parser(commands: Any) -> None:
    """Add ``quota simulate`` to the ``aiotrain`` command's subparsers."""
    quota = commands.add_parser("quota", help="look at a training quota")
    quota_commands = quota.add_subparsers(dest="quota_command", required=True)
    simulate = quota_commands.add_parser(
        "simulate",
        help="simulate a training schedule against the quota",
        description="Simulate a training schedule against the quota, in virtual time.",
    )
    _add_schedule_options(simulate)
    _add_output_options(simulate)


def _add_schedule_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--config", type=Path, help="a LEAN config.json with the quota keys"
    )
    command.add_argument(
        "--every",
        type=_parse_every,
        default=(Weekday.SUNDAY,),
        help="the days: a weekday, several (mon,thu), or 'day' (default: sunday)",
    )
    command.add_argument(
        "--at", type=_parse_time, default=time(8, 0), help="HH:MM (default 08:00)"
    )
    command.add_argument(
        "--minutes",
        type=_parse_minutes,
        required=True,
        help="each run's length: a number (45) or a range drawn uniformly (30-60)",
    )
    command.add_argument(
        "--days", type=_parse_days, default=365, help="the period (default 365)"
    )
    command.add_argument(
        "--start", type=_parse_date, help="the first day, YYYY-MM-DD (default today)"
    )
    command.add_argument(
        "--tz",
        type=_parse_zone,
        default=ZoneInfo("America/New_York"),
        help="the schedule's time zone (default America/New_York)",
    )
    command.add_argument(
        "--seed", type=int, default=0, help="seed of a --minutes range (default 0)"
    )


def _add_output_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--plot", type=Path, help="draw the bucket level over time to this PNG file"
    )
    command.add_argument(
        "--traceback", action="store_true", help="show the traceback of an error"
    )


def _parse_every(text: str) -> tuple[Weekday, ...] | None:
    names = [name.strip().lower() for name in text.split(",")]
    if names == [] or any(not name for name in names):
        raise argparse.ArgumentTypeError(
            f"give days like sunday or mon,thu (got {text!r})"
        )
    if len(names) == 1 and names[0] in _EVERY_DAY:
        return None

    unknown = [name for name in names if name not in _WEEKDAYS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown day {unknown[0]!r}: use monday to sunday, mon to sun, or day"
        )

    return tuple(_WEEKDAYS[name] for name in names)


def _parse_time(text: str) -> time:
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return time(hour, minute)
    except ValueError:
        raise argparse.ArgumentTypeError(f"times are HH:MM (got {text!r})") from None


def _parse_minutes(text: str) -> tuple[float, float]:
    low, separator, high = text.partition("-")
    try:
        bounds = (float(low), float(high if separator else low))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"minutes are a number or a range like 30-60 (got {text!r})"
        ) from None

    if not 0 <= bounds[0] <= bounds[1] < float("inf"):
        raise argparse.ArgumentTypeError(
            f"minutes must be finite, non-negative and low-high (got {text!r})"
        )

    return bounds


def _parse_days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 < days < float("inf"):
        raise argparse.ArgumentTypeError(
            f"days must be a positive number (got {text!r})"
        )

    return days


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"dates are YYYY-MM-DD (got {text!r})"
        ) from None


def _parse_zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {text!r}") from None


def run(arguments: argparse.Namespace, console: Console) -> int:
    """Run ``quota simulate``: print the findings, draw the plot; return 0.

    Raises:
        UsageError: The config file is bad or the plot cannot be written.
    """
    config = _quota(arguments.config)
    if arguments.plot is not None:
        require_matplotlib()

    date_rule, time_rule = _rules(arguments)
    report = simulate_quota(
        config,
        date_rule,
        time_rule,
        training_minutes=_lengths(arguments.minutes),
        start=_start(arguments),
        days=arguments.days,
        seed=arguments.seed,
    )

    _print_report(console, report, arguments)
    if arguments.plot is not None:
        plot_levels(arguments.plot, report)
        console.print(f"plot written to {arguments.plot}")

    return 0


def _quota(path: Path | None) -> QuotaConfig:
    if path is None:
        return QuotaConfig()

    try:
        config = QuotaConfig.from_lean_config(path)
    except AiotrainError as error:
        raise UsageError(str(error)) from error

    if config.capacity < 1:
        raise UsageError(
            f"the quota capacity must be at least 1 minute to charge a training run (got {config.capacity:g})"
        )

    return config


def _rules(arguments: argparse.Namespace) -> tuple[DateRule, TimeRule]:
    days, times = DateRules(arguments.tz), TimeRules(arguments.tz)
    date_rule = (
        days.every_day() if arguments.every is None else days.every(*arguments.every)
    )
    return date_rule, times.at(arguments.at.hour, arguments.at.minute)


def _lengths(bounds: tuple[float, float]) -> TrainingMinutes:
    low, high = bounds
    if low == high:
        return low

    def draw(generator: random.Random) -> float:
        return generator.uniform(low, high)

    return draw


def _start(arguments: argparse.Namespace) -> datetime:
    day = arguments.start or datetime.now(arguments.tz).date()
    return datetime.combine(day, time(0, 0), tzinfo=arguments.tz)


# --- output ----------------------------------------------------------------------


def _print_report(
    console: Console, report: QuotaSimulation, arguments: argparse.Namespace
) -> None:
    console.print(pairs_table("Quota (minutes)", _quota_rows(report.config)))
    console.print(pairs_table("Schedule", _schedule_rows(report, arguments)))
    console.print(pairs_table("Simulation", _finding_rows(report)))


def _quota_rows(config: QuotaConfig) -> list[tuple[str, str]]:
    if config.is_unlimited:
        return [("capacity", "unlimited")]

    return [
        ("capacity", f"{config.capacity:g}"),
        (
            "refill",
            f"{config.refill_amount:g} every {config.refill_interval_minutes:g} min",
        ),
        ("refilled by", "simulated time"),
    ]


def _schedule_rows(
    report: QuotaSimulation, arguments: argparse.Namespace
) -> list[tuple[str, str]]:
    low, high = arguments.minutes
    length = (
        f"{low:g} min"
        if low == high
        else f"{low:g} to {high:g} min (seed {arguments.seed})"
    )
    return [
        (
            "every",
            "day" if arguments.every is None else ", ".join(map(str, arguments.every)),
        ),
        ("at", f"{arguments.at:%H:%M} {arguments.tz}"),
        ("training", length),
        ("period", f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M}"),
    ]


def _finding_rows(report: QuotaSimulation) -> list[tuple[str, str]]:
    return [
        ("runs started", f"{report.runs_started:,}"),
        ("runs stopped by the quota", f"{report.runs_exhausted:,}"),
        ("skipped (previous run still going)", f"{len(report.skipped):,}"),
        ("minutes drawn", f"{report.tokens_drawn:,}"),
        (
            "lowest level",
            f"{report.lowest_level:g} at {report.lowest_level_at:%Y-%m-%d %H:%M}",
        ),
        ("first run stopped", _first_exhaustion(report)),
        ("level at the end", f"{report.final_level:g}"),
    ]


def _first_exhaustion(report: QuotaSimulation) -> str:
    run = report.first_exhaustion
    if run is None:
        return "none"

    return (
        f"{run.scheduled_time:%Y-%m-%d %H:%M}, after {run.minutes:.4g} of {run.planned_minutes:.4g} min"
        f" ({run.tokens_drawn} drawn)"
    )


def plot_levels(path: Path, report: QuotaSimulation) -> None:
    """Draw the bucket level over the period, marking runs the quota stopped.

    Raises:
        UsageError: The file cannot be written.
    """
    figure, axes = headless_pyplot().subplots(figsize=(10, 4))
    _draw_levels(axes, report)
    save_plot(figure, path)


def _draw_levels(axes: Any, report: QuotaSimulation) -> None:
    points = [
        (when, level)
        for when, level in [*report.levels, (report.end, report.final_level)]
        if math.isfinite(level)
    ]
    axes.plot(
        [when for when, _ in points],
        [level for _, level in points],
        color="tab:blue",
        linewidth=0.9,
        drawstyle="steps-post",
        label="bucket level (minutes)",
    )
    stopped = report.exhausted_runs
    axes.scatter(
        [run.ended_at for run in stopped],
        [run.level_after for run in stopped],
        color="tab:red",
        marker="x",
        label=f"run stopped by the quota ({len(stopped)})",
    )
    axes.set_ylabel("minutes")
    axes.set_ylim(bottom=0)
    axes.set_title("Training quota, simulated")
    axes.legend(loc="best")
