"""Regression tests for bad input that once lost state or escaped unexplained."""

from __future__ import annotations

import pytest

from aiotrain import LeakyBucket, ManualClock, RunStatus, Trainer

MINUTE = 60.0


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
