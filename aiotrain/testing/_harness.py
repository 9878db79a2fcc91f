"""Helpers for testing strategies in virtual time: clocks, bars, fake training."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal, final

import attrs

from .._algorithm import Algorithm
from .._bars import Slice, TradeBar
from .._clock import ManualClock
from .._config import QuotaConfig
from .._meter import MINUTE
from .._runner import RunResult, backtest
from .._simulator import TrainingMinutes, minutes_drawer

__all__ = [
    "DEFAULT_START",
    "BacktestHarness",
    "ClockPair",
    "synthetic_slices",
    "training_that_takes",
]

#: Where the clocks of :class:`ClockPair` start unless told otherwise.
DEFAULT_START = datetime(2024, 1, 1, tzinfo=UTC)

Refill = Literal["wall", "simulated"]


@final
@attrs.frozen
class ClockPair:
    """A backtest's two time axes as manual clocks.

    Attributes:
        simulated: The algorithm's time: rules, ``Algorithm.time``, and the
            quota's refill when a backtest refills on simulated time.
        real: How long training really takes: what the quota charges and
            the time-loop guard limits.

    Example:
        >>> clocks = ClockPair()
        >>> clocks.advance(90)
        >>> clocks.simulated.monotonic(), clocks.real.monotonic()
        (90.0, 90.0)
    """

    simulated: ManualClock = attrs.field(factory=lambda: ManualClock(DEFAULT_START))
    real: ManualClock = attrs.field(factory=lambda: ManualClock(DEFAULT_START))

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds``, running due timers.

        Raises:
            ClockError: ``seconds`` is negative or not a number.
        """
        self.simulated.advance(seconds)
        self.real.advance(seconds)


def training_that_takes(
    clock: ManualClock, minutes: TrainingMinutes, *, seed: int = 0
) -> Callable[[], Awaitable[float]]:
    """An async training function that takes ``minutes`` on ``clock`` and returns them.

    Give it the backtest's real clock (the one passed as ``real_clock``) so
    the quota charges the run as if it trained that long. ``minutes`` is a
    number, or a function of a seeded :class:`random.Random`, drawn once per
    call in the same order as :func:`aiotrain.simulate_quota` draws them.

    Raises:
        ValueError: When called, if a drawn length is negative or not finite.
    """
    draw = minutes_drawer(minutes, seed)

    async def train() -> float:
        length = draw()
        await clock.sleep_until(clock.monotonic() + length * MINUTE)
        return length

    return train


def synthetic_slices(
    first: datetime,
    count: int,
    *,
    every: timedelta = timedelta(days=1),
    symbol: str = "TEST",
    price: float = 100.0,
) -> Iterator[Slice]:
    """``count`` slices of one flat bar each, the first at ``first``, then one per ``every``.

    Enough market data to drive a backtest whose point is its schedule and
    quota, not its prices.

    Raises:
        ValueError: ``count`` is negative or ``every`` is not positive.
    """
    if count < 0:
        raise ValueError(f"`count` must be non-negative (got {count})")
    if every <= timedelta(0):
        raise ValueError(f"`every` must be positive (got {every!r})")

    for number in range(count):
        end = first + number * every
        bar = TradeBar(symbol, end - every, end, price, price, price, price, 0.0, every)
        yield Slice(end, {symbol: bar})


@final
@attrs.frozen
class BacktestHarness:
    """Runs a strategy's backtest in virtual time, as the ``aiotrain_backtest`` fixture.

    Each call makes a fresh real-time :class:`ManualClock`, builds the
    strategy with it, and runs :func:`aiotrain.backtest` on it inside
    :meth:`ManualClock.autojump`, so a training that "takes" 45 minutes
    takes 45 minutes of virtual time and no real time. The harness holds no
    state between calls, so one harness serves many hypothesis examples.

    Attributes:
        quota: The quota settings used when a call gives none.
        refill: What refills the bucket when a call does not say:
            ``"wall"`` (the real clock, LEAN's behaviour and the engine's
            default) or ``"simulated"`` (the algorithm's time, as live).

    Example:
        A strategy whose ``__init__`` takes the real clock can be passed as
        its class; others as ``lambda clock: MyStrategy()``::

            result = await aiotrain_backtest(WeeklyFit, slices, refill="simulated")
            assert result.exhausted_runs == ()
    """

    quota: QuotaConfig = attrs.field(factory=QuotaConfig)
    refill: Refill = "wall"

    async def __call__(
        self,
        strategy: Callable[[ManualClock], Algorithm],
        data: Iterable[Slice],
        *,
        start: datetime | None = None,
        quota: QuotaConfig | None = None,
        refill: Refill | None = None,
    ) -> RunResult:
        """Build ``strategy(real_clock)`` and backtest it over ``data``.

        Opens and closes its task groups inside the call, so it is safe in
        any async test (unlike a task group held by an async fixture).

        Args:
            strategy: Called with the real-time clock; returns a fresh
                algorithm.
            data: Slices in time order, e.g. :func:`synthetic_slices`.
            start: The algorithm's start; default midnight (New York)
                before the first slice.
            quota: Default: the harness's.
            refill: Default: the harness's.

        Returns:
            The backtest's :class:`~aiotrain.RunResult`.

        Raises:
            Whatever :func:`aiotrain.backtest` raises.
        """
        real = ManualClock(DEFAULT_START)
        algorithm = strategy(real)
        async with real.autojump():
            return await backtest(
                algorithm,
                data,
                start=start,
                quota=quota or self.quota,
                refill=refill or self.refill,
                real_clock=real,
            )
