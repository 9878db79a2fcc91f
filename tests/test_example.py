"""The weekly retrain example, end to end on the embedded and the LEAN data."""

from __future__ import annotations

import importlib.util
import sys
import time
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aiotrain import (
    QuotaConfig,
    RealClock,
    RunStatus,
    backtest,
    live,
    merge_slices,
    read_lean,
    replay,
    sp500_daily,
)

EXAMPLE = Path(__file__).parents[1] / "examples" / "weekly_retrain.py"
LEAN = Path(__file__).parents[2] / "shared" / "data" / "lean"
NEW_YORK = ZoneInfo("America/New_York")

needs_lean = pytest.mark.skipif(
    not (LEAN / "equity" / "usa" / "daily" / "spy.zip").is_file(),
    reason="LEAN sample data (shared/data/lean) is not next to the project",
)


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("weekly_retrain", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["weekly_retrain"] = module
    spec.loader.exec_module(module)
    return module


example = _load_example()


def _new_york(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=NEW_YORK)


@pytest.mark.asyncio
async def test_backtest_on_the_embedded_history() -> None:
    """2005 on the S&P 500: a run at start, one per Sunday, exact figures."""
    bars = sp500_daily(start=date(2005, 1, 1), end=date(2005, 12, 31))

    result = await backtest(example.WeeklyRetrain(), merge_slices(bars))

    assert result.slices == 252
    assert len(result.runs) == 52
    assert [run.scheduled_time for run in result.runs[:2]] == [
        _new_york(2005, 1, 3),
        _new_york(2005, 1, 9, 8),
    ]
    assert result.runs[-1].scheduled_time == _new_york(2005, 12, 25, 8)
    assert result.runs[1].name == "Sunday: 8"
    assert {run.status for run in result.runs} == {RunStatus.SUCCEEDED}
    assert result.report == {
        "predictions": 184,
        "hit rate": "56.5%",
        "signal return": "+5.7%",
        "buy-and-hold return": "+5.7%",
    }


@needs_lean
@pytest.mark.asyncio
async def test_backtest_on_lean_spy() -> None:
    """2013 on LEAN's SPY daily file: 53 runs, 181 scored predictions."""
    bars = read_lean(LEAN, "SPY", start=date(2013, 1, 1), end=date(2013, 12, 31))

    result = await backtest(example.WeeklyRetrain(), merge_slices(bars))

    assert result.slices == 252
    assert len(result.runs) == 53
    assert result.runs[0].scheduled_time == _new_york(2013, 1, 2)
    assert result.runs[-1].scheduled_time == _new_york(2013, 12, 29, 8)
    assert result.report["predictions"] == 181
    assert result.report["hit rate"] == "55.8%"


def test_rows_pair_past_returns_with_the_next_one() -> None:
    """A feature row holds earlier returns only; its label is the next return's sign."""
    returns = [0.01, -0.02, 0.03, 0.04, -0.05, 0.06, -0.07]

    rows, labels = example.training_rows(returns, 5)

    assert rows == [[0.01, -0.02, 0.03, 0.04, -0.05], [-0.02, 0.03, 0.04, -0.05, 0.06]]
    assert labels == [1, 0]


def test_a_prediction_is_scored_against_the_next_close() -> None:
    """The prediction at day t's close earns day t+1's return, never day t's."""
    board = example._Scoreboard()

    board.add(True, 0.10)
    board.add(False, 0.05)
    board.add(True, -0.10)

    assert board.summary() == {
        "predictions": 3,
        "hit rate": "33.3%",
        "signal return": "-1.0%",
        "buy-and-hold return": "+4.0%",
    }


def test_too_little_history_gives_a_model_that_abstains() -> None:
    """With fewer rows than the minimum, the model publishes but predicts nothing."""
    model = example.fit_direction_model([100.0, 101.0, 102.0], 5, 60)

    assert model.classifier is None
    assert model.predict_up([0.01] * 5) is None


class _SlowRetrain(example.WeeklyRetrain):  # type: ignore[name-defined,misc]
    """Training that takes a measurable while, so bars arrive meanwhile."""

    minimum_rows = 20

    def fit(self) -> Any:
        time.sleep(0.05)
        return super().fit()


@needs_lean
@pytest.mark.realtime
@pytest.mark.asyncio
async def test_live_replay_keeps_processing_bars_while_training() -> None:
    """Live: bars keep arriving and being handled while a training run is going."""
    slices = list(
        merge_slices(
            read_lean(LEAN, "SPY", start=date(2013, 1, 1), end=date(2013, 4, 30))
        )
    )
    clock = RealClock(slices[0].time, speed=8_000_000)

    result = await live(
        _SlowRetrain(),
        replay(slices, clock),
        clock=clock,
        quota=QuotaConfig.unlimited(),
    )

    assert result.slices == len(slices) == 82
    assert result.slices_while_training > 0
    predictions = result.report["predictions"]
    assert isinstance(predictions, int)
    assert predictions > 0
    assert len(result.runs) >= 10
