"""Regression tests for bad input that once lost state or escaped unexplained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aiotrain import (
    Algorithm,
    DataError,
    LeakyBucket,
    ManualClock,
    RunStatus,
    Slice,
    TradeBar,
    Trainer,
    backtest,
)

MINUTE = 60.0
DAY = timedelta(days=1)


@pytest.mark.asyncio
@pytest.mark.parametrize("error_type", [KeyboardInterrupt, SystemExit])
async def test_training_that_raises_a_base_exception_stops_its_meter(
    error_type: type[BaseException],
) -> None:
    """A run raising KeyboardInterrupt or SystemExit ends, is recorded, and is
    never charged afterwards: ten idle minutes later the bucket still holds 120."""
    clock = ManualClock()
    bucket = LeakyBucket(120, 0, 1440 * MINUTE, clock=clock)
    trainer = Trainer(bucket, clock=clock)

    async def fit() -> None:
        raise error_type("stop")

    with pytest.raises(error_type):
        await trainer.run(fit, name="fit")

    clock.advance(10 * MINUTE)
    assert bucket.available == 120
    assert trainer.tokens_drawn == 0
    assert trainer.running == 0
    assert [(record.name, record.status) for record in trainer.records] == [
        ("fit", RunStatus.FAILED)
    ]
    assert trainer.records[0].error == f"{error_type.__name__}: stop"


def _slice(when: datetime) -> Slice:
    bar = TradeBar("X", when - DAY, when, 1, 2, 0.5, 1.5, 10, DAY)
    return Slice(when, {"X": bar})


class _Recorder(Algorithm):
    def __init__(self) -> None:
        self.seen: list[datetime] = []

    async def on_data(self, data: Slice) -> None:
        self.seen.append(data.time)


CLOSE = datetime(2024, 1, 2, 21, tzinfo=UTC)


@pytest.mark.asyncio
async def test_backtest_refuses_a_slice_older_than_the_algorithm_time() -> None:
    """A slice five days older than the one before it is a DataError naming
    both times; on_data never sees it (no silent look-ahead)."""
    algorithm = _Recorder()
    data = [_slice(CLOSE), _slice(CLOSE - 5 * DAY)]

    with pytest.raises(DataError) as caught:
        await backtest(algorithm, data, real_clock=ManualClock())

    assert str(caught.value) == (
        "slice 2 at 2023-12-28 21:00:00+00:00 is before the algorithm's time "
        "2024-01-02 21:00:00+00:00: slices must be in time order"
    )
    assert algorithm.seen == [CLOSE]


@pytest.mark.asyncio
async def test_backtest_refuses_data_that_ends_before_the_start() -> None:
    """A start three days after the only slice is a DataError, not an on_data
    call whose data lies in the algorithm's past."""
    algorithm = _Recorder()

    with pytest.raises(DataError, match=r"^slice 1 at 2024-01-02 21:00:00\+00:00"):
        await backtest(
            algorithm, [_slice(CLOSE)], start=CLOSE + 3 * DAY, real_clock=ManualClock()
        )

    assert algorithm.seen == []
