"""Testing helpers for strategies and quotas: virtual-time backtests, fake training.

The pytest plugin (:mod:`aiotrain.testing.plugin`) loads itself when
aiotrain is installed and offers the fixtures ``aiotrain_clocks``,
``aiotrain_quota_config``, ``aiotrain_quota`` and ``aiotrain_backtest``.
Hypothesis strategies live in :mod:`aiotrain.testing.strategies`, which is
imported on its own so that this package does not need hypothesis.
"""

from ._harness import (
    DEFAULT_START,
    BacktestHarness,
    ClockPair,
    synthetic_slices,
    training_that_takes,
)
from ._operations import Advance, BucketOperation, TryConsume

__all__ = [
    "DEFAULT_START",
    "Advance",
    "BacktestHarness",
    "BucketOperation",
    "ClockPair",
    "TryConsume",
    "synthetic_slices",
    "training_that_takes",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("aiotrain.testing."):
        _obj.__module__ = "aiotrain.testing"
