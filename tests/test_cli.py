"""The aiotrain command, run in-process on LEAN's SPY daily file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from aiotrain import __version__
from aiotrain._cli import main

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "weekly_retrain.py"
LEAN = Path(__file__).parents[2] / "shared" / "data" / "lean"

pytestmark = pytest.mark.skipif(
    not (LEAN / "equity" / "usa" / "daily" / "spy.zip").is_file(),
    reason="LEAN sample data (shared/data/lean) is not next to the project",
)

SPY_Q4_2013 = ["--data", str(LEAN), "--start", "2013-10-01", "--end", "2013-12-31"]

QUIET_STRATEGY = """
from aiotrain import Algorithm

class Quiet(Algorithm):
    async def initialize(self):
        await self.train(self.fit)

    def fit(self):
        return 1
"""


def _cells(out: str) -> dict[str, str]:
    """The name-to-value rows of the summary's two-column tables."""
    rows = {}
    for line in out.splitlines():
        parts = [part.strip() for part in line.split("│")]
        if len(parts) == 4:
            rows[parts[1]] = parts[2]

    return rows


def _strategy(tmp_path: Path, source: str, name: str = "strategy.py") -> str:
    path = tmp_path / name
    path.write_text(source)
    return str(path)


def test_backtest_prints_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """A backtest of the example prints run, training, quota and strategy tables."""
    code = main(["backtest", str(EXAMPLE), *SPY_Q4_2013])

    out = capsys.readouterr().out
    assert code == 0
    assert "2013-10-01 00:00 to 2013-12-31 16:00" in out
    cells = _cells(out)
    assert cells["slices"] == "64"
    assert "Training runs (14)" in out
    assert "2013-10-06 08:00   Sunday: 8" in out
    assert "2013-12-29 08:00   Sunday: 8" in out
    assert cells["capacity"] == "120"
    assert cells["used"] == "0"
    assert cells["exhausted runs"] == "0"
    assert cells["notices"] == "none"
    assert cells["predictions"] == "0"
    assert cells["hit rate"] == "n/a"
    assert max(len(line) for line in out.splitlines()) <= 80


def test_many_runs_show_the_first_and_last_few(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With 27 runs, the table shows five at each end and counts the rest."""
    code = main(
        [
            "backtest",
            str(EXAMPLE),
            "--data",
            str(LEAN),
            "--start",
            "2013-07-01",
            "--end",
            "2013-12-31",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "Training runs (27)" in out
    assert "…   17 more" in out


def test_simulated_refill_and_config_are_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--config sets the capacity and --refill simulated is reported."""
    config = tmp_path / "config.json"
    config.write_text('{"scheduled-event-leaky-bucket-capacity": 30}')

    code = main(
        [
            "backtest",
            str(EXAMPLE),
            *SPY_Q4_2013,
            "--config",
            str(config),
            "--refill",
            "simulated",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert _cells(out)["capacity"] == "30"
    assert _cells(out)["refilled by"] == "simulated time"


def test_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--plot draws a PNG file."""
    plot = tmp_path / "quota.png"

    code = main(["backtest", str(EXAMPLE), *SPY_Q4_2013, "--plot", str(plot)])

    assert code == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot written to {plot}" in capsys.readouterr().out


def test_plot_without_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without matplotlib, --plot fails at once and says which extra to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)

    code = main(["backtest", str(EXAMPLE), *SPY_Q4_2013, "--plot", "x.png"])

    assert code == 2
    assert 'pip install "aiotrain[plot]"' in capsys.readouterr().err


@pytest.mark.realtime
def test_live_replay_prints_slices_while_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Live replay runs the example and reports slices processed while training."""
    config = tmp_path / "config.json"
    config.write_text('{"scheduled-event-leaky-bucket-capacity": 1000000}')

    code = main(
        [
            "live",
            str(EXAMPLE),
            "--replay",
            *SPY_Q4_2013,
            "--speed",
            "20000000",
            "--config",
            str(config),
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    cells = _cells(out)
    assert cells["mode"] == "live"
    assert cells["slices"] == "64"
    assert int(cells["slices processed while training"].replace(",", "")) >= 0


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the package version."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"aiotrain {__version__}\n"


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err.strip()


def test_missing_strategy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing strategy file is a usage error naming it."""
    missing = tmp_path / "nope.py"

    assert main(["backtest", str(missing)]) == 2
    assert _error(capsys) == f"error: strategy file {str(missing)!r} does not exist"


def test_syntax_error_in_strategy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A strategy that does not compile is a usage error with the line."""
    path = _strategy(tmp_path, "x = 1\nclass (:\n")

    assert main(["backtest", path]) == 2
    assert _error(capsys) == (
        f"error: strategy file {path!r} has a syntax error at line 2: invalid syntax"
    )


def test_strategy_without_algorithm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file without an Algorithm subclass is a usage error naming the file."""
    path = _strategy(tmp_path, "x = 1\n")

    assert main(["backtest", path]) == 2
    assert (
        _error(capsys) == f"error: strategy file {path!r} defines no Algorithm subclass"
    )


def test_strategy_with_two_algorithms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two Algorithm subclasses in one file are a usage error naming both."""
    source = "from aiotrain import Algorithm\nclass B(Algorithm): pass\nclass A(Algorithm): pass\n"
    path = _strategy(tmp_path, source)

    assert main(["backtest", path]) == 2
    assert _error(capsys) == (
        f"error: strategy file {path!r} defines several Algorithm subclasses (A, B); keep one per file"
    )


def test_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    """A date that is not YYYY-MM-DD is a usage error naming the value."""
    assert main(["backtest", str(EXAMPLE), "--start", "2013-13-01"]) == 2
    assert "argument --start: dates are YYYY-MM-DD (got '2013-13-01')" in _error(capsys)


def test_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad quota value in the config is a usage error naming key and value."""
    config = tmp_path / "config.json"
    config.write_text('{"scheduled-event-leaky-bucket-capacity": -5}')

    assert main(["backtest", str(EXAMPLE), *SPY_Q4_2013, "--config", str(config)]) == 2
    assert _error(capsys) == (
        "error: config key 'scheduled-event-leaky-bucket-capacity' must be non-negative (got -5)"
    )


def test_config_key_typo_is_a_one_line_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A near-miss config key warns on one line, naming both keys, and the run goes on."""
    config = tmp_path / "config.json"
    config.write_text('{"scheduled-event-leaky-bucket-refil-amount": 5}')

    code = main(["backtest", str(EXAMPLE), *SPY_Q4_2013, "--config", str(config)])

    err = capsys.readouterr().err
    assert code == 0
    assert err.splitlines()[0] == (
        "warning: config key 'scheduled-event-leaky-bucket-refil-amount' is not read; "
        "did you mean 'scheduled-event-leaky-bucket-refill-amount'?"
    )


def test_warm_up_starts_the_algorithm_after_its_bars(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--warm-up 20 takes SPY's first 20 bars of Q4 2013 as history only."""
    code = main(["backtest", str(EXAMPLE), *SPY_Q4_2013, "--warm-up", "20"])

    out = capsys.readouterr().out
    assert code == 0
    assert _cells(out)["slices"] == "44"


def test_negative_warm_up_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--warm-up -3 is refused with its value."""
    assert main(["backtest", str(EXAMPLE), "--warm-up", "-3"]) == 2
    assert "argument --warm-up: must be >= 0 (got -3)" in capsys.readouterr().err


def test_missing_data_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A symbol with no LEAN file is a usage error naming the file."""
    assert (
        main(["backtest", str(EXAMPLE), "--data", str(LEAN), "--symbol", "NOPE"]) == 2
    )
    message = _error(capsys)
    assert message.startswith("error: ")
    assert "nope.zip" in message


def test_corrupt_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A corrupt data file fails the run (exit 1) naming the file and row."""
    daily = tmp_path / "equity" / "usa" / "daily"
    daily.mkdir(parents=True)
    with zipfile.ZipFile(daily / "spy.zip", "w") as archive:
        archive.writestr(
            "spy.csv", "20130102 00:00,1,2,1,1,100\n20130103 00:00,x,2,1,1,100\n"
        )

    assert main(["backtest", str(EXAMPLE), "--data", str(tmp_path)]) == 1
    message = _error(capsys)
    assert message.startswith("error: ")
    assert "spy.zip" in message
    assert "line 2" in message


def test_strategy_that_raises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A strategy raising in on_data fails the run (exit 1) with one line."""
    source = (
        QUIET_STRATEGY
        + "\n    async def on_data(self, data):\n        raise KeyError('boom')\n"
    )
    path = _strategy(tmp_path, source)

    assert main(["backtest", path, *SPY_Q4_2013]) == 1
    assert _error(capsys) == (
        "error: on_data() raised at 2013-10-01 16:00:00 EDT: KeyError: 'boom'"
    )


def test_traceback_flag_shows_the_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--traceback adds the traceback before the error line."""
    source = (
        QUIET_STRATEGY
        + "\n    async def on_data(self, data):\n        raise KeyError('boom')\n"
    )
    path = _strategy(tmp_path, source)

    assert main(["backtest", path, *SPY_Q4_2013, "--traceback"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "KeyError" in err


def test_live_needs_replay(capsys: pytest.CaptureFixture[str]) -> None:
    """Live mode without --replay is a usage error."""
    assert main(["live", str(EXAMPLE), *SPY_Q4_2013]) == 2
    assert _error(capsys) == (
        "error: live mode needs a feed: only --replay (of the history) is available"
    )


def test_embedded_data_holds_only_spx(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --data, a symbol other than SPX is a usage error."""
    assert main(["backtest", str(EXAMPLE), "--symbol", "SPY"]) == 2
    assert "the embedded history holds only SPX (got --symbol SPY)" in _error(capsys)


STUCK_STRATEGY = """
import os, signal, time
from aiotrain import Algorithm

class Stuck(Algorithm):
    async def initialize(self):
        self.seen = 0
        await self.train(self.fit)

    def fit(self):
        time.sleep(60)

    async def on_data(self, data):
        self.seen += 1
        if self.seen == 5:
            os.kill(os.getpid(), signal.SIGINT)
"""


@pytest.mark.realtime
def test_ctrl_c_stops_live_mode_while_training(tmp_path: Path) -> None:
    """Ctrl-C during a 60 s sync training stops within seconds, with the summary."""
    path = _strategy(tmp_path, STUCK_STRATEGY)
    config = tmp_path / "config.json"
    config.write_text('{"scheduled-event-leaky-bucket-capacity": 1000000}')
    options = [*SPY_Q4_2013, "--config", str(config)]
    command = [sys.executable, "-m", "aiotrain", "live", path, "--replay", *options]
    began = time.monotonic()

    finished = subprocess.run(
        [*command, "--speed", "1000000"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "80"},
    )

    assert time.monotonic() - began < 10
    assert finished.returncode == 130
    assert "stopped by Ctrl-C" in finished.stdout
    assert _cells(finished.stdout)["slices"] == "5"
    assert _cells(finished.stdout)["refilled by"] == "the replay clock"
    assert "abandoned" in finished.stdout
    assert "a training thread is still running; leaving it behind" in finished.stdout
