"""The pytest plugin of aiotrain: fixtures for testing strategies and quotas.

Registered through the ``pytest11`` entry point, so installing aiotrain is
enough. Every fixture is synchronous and function-scoped except
``aiotrain_backtest``, a stateless helper shared by the session (so it can
be used in hypothesis tests without a health-check warning). No fixture
holds a task group: the backtest helper opens its own inside each call.

Fixtures:
    aiotrain_clocks: A fresh :class:`~aiotrain.testing.ClockPair`
        (simulated and real time, both manual).
    aiotrain_quota_config: The quota settings of ``aiotrain_quota``; LEAN's
        defaults. Override it in a ``conftest.py`` to test other settings.
    aiotrain_quota: A full :class:`~aiotrain.LeakyBucket` made from
        ``aiotrain_quota_config``, refilling on ``aiotrain_clocks.real``.
    aiotrain_backtest: A :class:`~aiotrain.testing.BacktestHarness`:
        ``await aiotrain_backtest(Strategy, slices)`` runs a backtest in
        virtual time and returns its :class:`~aiotrain.RunResult`.
"""

from __future__ import annotations

import pytest

from .._config import QuotaConfig
from .._quota import LeakyBucket
from ._harness import BacktestHarness, ClockPair

__all__ = [
    "aiotrain_backtest",
    "aiotrain_clocks",
    "aiotrain_quota",
    "aiotrain_quota_config",
]


@pytest.fixture
def aiotrain_clocks() -> ClockPair:
    """A fresh pair of manual clocks: ``.simulated`` and ``.real``."""
    return ClockPair()


@pytest.fixture
def aiotrain_quota_config() -> QuotaConfig:
    """LEAN's default quota: 120 minutes, 18 back a day, 10-minute time loop."""
    return QuotaConfig()


@pytest.fixture
def aiotrain_quota(
    aiotrain_quota_config: QuotaConfig, aiotrain_clocks: ClockPair
) -> LeakyBucket:
    """A full bucket of ``aiotrain_quota_config`` on the real manual clock."""
    return aiotrain_quota_config.make_bucket(aiotrain_clocks.real)


@pytest.fixture(scope="session")
def aiotrain_backtest() -> BacktestHarness:
    """A harness that backtests a strategy in virtual time; see :class:`BacktestHarness`."""
    return BacktestHarness()
