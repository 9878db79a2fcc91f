"""The ``aiotrain quota simulate`` command, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiotrain._cli import main

START = ["--start", "2025-01-06"]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every table row on one line, so rows can be read back."""
    monkeypatch.setenv("COLUMNS", "200")


def cells(out: str) -> dict[str, str]:
    """The name-to-value rows of the output's two-column tables."""
    rows = {}
    for line in out.splitlines():
        parts = [part.strip() for part in line.split("│")]
        if len(parts) == 4:
            rows[parts[1]] = parts[2]

    return rows


def simulate(
    capsys: pytest.CaptureFixture[str], *arguments: str
) -> tuple[int, str, str]:
    """Run the command; return its exit code, stdout and stderr."""
    code = main(["quota", "simulate", *arguments])
    out, err = capsys.readouterr()
    return code, out, err


def test_weekly_45_minutes_with_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's command with LEAN's defaults: 52 runs, none stopped, lowest 75."""
    code, out, _ = simulate(
        capsys,
        "--every",
        "sunday",
        "--at",
        "08:00",
        "--minutes",
        "45",
        "--days",
        "365",
        *START,
    )

    rows = cells(out)
    assert code == 0
    assert rows["capacity"] == "120"
    assert rows["refill"] == "18 every 1440 min"
    assert rows["period"] == "2025-01-06 00:00 to 2026-01-06 00:00"
    assert rows["runs started"] == "52"
    assert rows["runs stopped by the quota"] == "0"
    assert rows["minutes drawn"] == "2,340"
    assert rows["lowest level"] == "75 at 2025-01-12 08:45"
    assert rows["first run stopped"] == "none"
    assert rows["level at the end"] == "111"


def test_daily_45_minutes_first_runs_dry_on_the_fourth_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Daily: the run of 2025-01-09 is stopped after 40 minutes, having drawn 39."""
    code, out, _ = simulate(capsys, "--every", "day", "--minutes", "45", *START)

    rows = cells(out)
    assert code == 0
    assert (
        rows["first run stopped"] == "2025-01-09 08:00, after 40 of 45 min (39 drawn)"
    )
    assert rows["runs stopped by the quota"] == "362"
    assert rows["minutes drawn"] == "6,672"


def test_config_file_and_several_weekdays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A LEAN config of 60 minutes, 30 back a day, and training Monday and Thursday for 50."""
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "scheduled-event-leaky-bucket-capacity": "60",
                "scheduled-event-leaky-bucket-refill-amount": 30,
                "data-folder": "../Data/",
            }
        )
    )

    code, out, _ = simulate(
        capsys,
        "--config",
        str(config),
        "--every",
        "mon,thu",
        "--minutes",
        "50",
        "--days",
        "14",
        *START,
    )

    rows = cells(out)
    assert code == 0
    assert rows["capacity"] == "60"
    assert rows["every"] == "Monday, Thursday"
    assert rows["runs started"] == "4"
    # Mon 6: 60 -> 10. Thu 9: 10 + 3 * 30 = 60 (capped) -> 10. Same each half-week.
    assert rows["runs stopped by the quota"] == "0"
    assert rows["lowest level"] == "10 at 2025-01-06 08:50"


def test_a_range_of_minutes_is_drawn_from_the_seed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--minutes 30-90`` draws lengths with ``--seed``: the same seed prints the same."""
    arguments = ["--every", "sunday", "--minutes", "30-90", "--days", "60", *START]

    first = simulate(capsys, *arguments, "--seed", "5")
    again = simulate(capsys, *arguments, "--seed", "5")
    other = simulate(capsys, *arguments, "--seed", "6")

    assert first == again
    assert cells(first[1])["training"] == "30 to 90 min (seed 5)"
    assert cells(first[1])["minutes drawn"] != cells(other[1])["minutes drawn"]


def test_plot_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--plot`` writes a PNG of the bucket level and says where."""
    plot = tmp_path / "quota.png"

    code, out, _ = simulate(
        capsys,
        "--every",
        "day",
        "--minutes",
        "45",
        "--days",
        "30",
        "--plot",
        str(plot),
        *START,
    )

    assert code == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot written to {plot}" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--every", "funday", "--minutes", "5"], "unknown day 'funday'"),
        (["--at", "25:00", "--minutes", "5"], "times are HH:MM (got '25:00')"),
        (["--minutes", "90-30"], "minutes must be finite, non-negative and low-high"),
        (["--minutes", "soon"], "minutes are a number or a range like 30-60"),
        (["--minutes", "5", "--days", "0"], "days must be a positive number (got '0')"),
        (
            ["--minutes", "5", "--tz", "Mars/Olympus"],
            "unknown time zone 'Mars/Olympus'",
        ),
        ([], "the following arguments are required: --minutes"),
    ],
)
def test_bad_arguments_exit_2_naming_the_problem(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad argument is refused by the parser with exit code 2 and a clear message."""
    code, _, err = simulate(capsys, *arguments)

    assert code == 2
    assert message in err


def test_bad_config_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A config whose capacity is -5 is an error naming the key and the value."""
    config = tmp_path / "config.json"
    config.write_text('{"scheduled-event-leaky-bucket-capacity": -5}')

    code, _, err = simulate(capsys, "--config", str(config), "--minutes", "5")

    assert code == 2
    assert (
        "error: config key 'scheduled-event-leaky-bucket-capacity' must be non-negative (got -5)"
        in err
    )


def test_quota_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """``aiotrain quota`` alone is a usage error."""
    code = main(["quota"])

    assert code == 2
    assert "required: quota_command" in capsys.readouterr().err
