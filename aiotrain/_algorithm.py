"""The algorithm base class: what a strategy sees of the engine."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo

import anyio

from ._bars import Slice, TradeBar
from ._date_rules import DateRules
from ._errors import AiotrainError, StrategyError
from ._quota import LeakyBucket
from ._readiness import ModelSlot
from ._rule_base import DateRule, TimeRule, as_zone
from ._scheduler import Occurrence, ScheduledEvent
from ._time_rules import TimeRules
from ._training import Executor, TrainingRun

if TYPE_CHECKING:
    from ._runtime import Runtime

__all__ = ["Algorithm", "Mode"]

NEW_YORK = ZoneInfo("America/New_York")


class Mode(enum.Enum):
    """Which runner drives the algorithm."""

    BACKTEST = "backtest"
    LIVE = "live"


class Algorithm:
    """Subclass this to write a strategy; a runner drives it.

    Override :meth:`initialize`, :meth:`on_data` and optionally
    :meth:`on_end` and :meth:`report`. Inside them, :attr:`time` is the
    algorithm's time in its zone (America/New_York unless
    :meth:`set_time_zone` changes it), and :meth:`train` and
    :meth:`schedule` add work. An algorithm object runs once.

    Class attributes:
        history_size: How many bars per symbol :meth:`history` keeps.
    """

    history_size: int = 5000

    _runtime: Runtime | None = None
    _time_zone: tzinfo = NEW_YORK
    _history: dict[str, deque[TradeBar]]

    async def initialize(self) -> None:
        """Set up the strategy: schedule training, train at once, set state."""

    async def on_data(self, data: Slice) -> None:
        """Handle one slice of market data."""

    async def on_end(self) -> None:
        """Called once after the last slice (or when live mode stops)."""

    def report(self) -> Mapping[str, object]:
        """The strategy's own figures for the run summary (name to value)."""
        return {}

    @property
    def mode(self) -> Mode:
        """Backtest or live."""
        return self._require_runtime().mode

    @property
    def time(self) -> datetime:
        """The algorithm's current time, in its time zone."""
        return self._require_runtime().algorithm_clock.now().astimezone(self._time_zone)

    @property
    def time_zone(self) -> tzinfo:
        """The zone of :attr:`time` and of the default rules."""
        return self._time_zone

    def set_time_zone(self, time_zone: tzinfo | str) -> None:
        """Change the algorithm's time zone (for :attr:`time` and the rules).

        Raises:
            ScheduleError: ``time_zone`` is not a known zone.
        """
        self._time_zone = as_zone(time_zone)

    @property
    def date_rules(self) -> DateRules:
        """Date rules counted in the algorithm's time zone."""
        return DateRules(self._time_zone)

    @property
    def time_rules(self) -> TimeRules:
        """Time rules in the algorithm's time zone."""
        return TimeRules(self._time_zone)

    @property
    def quota(self) -> LeakyBucket | None:
        """The training quota, or ``None`` if it is unlimited."""
        return self._require_runtime().trainer.bucket

    def history(self, symbol: str, count: int) -> list[TradeBar]:
        """The last ``count`` bars of ``symbol`` delivered so far, oldest first.

        Only bars of slices already passed to :meth:`on_data` are here, so
        training never sees the slice it runs before.

        Raises:
            ValueError: ``count`` is not positive.
        """
        if count <= 0:
            raise ValueError(f"`count` must be positive (got {count})")

        bars = self._bars_of(symbol)
        return list(bars)[-count:]

    @overload
    async def train(
        self,
        function: Callable[[], Any],
        /,
        *,
        name: str | None = ...,
        slot: ModelSlot[Any] | None = ...,
        executor: Executor = ...,
    ) -> TrainingRun: ...

    @overload
    async def train(
        self,
        date_rule: DateRule,
        time_rule: TimeRule,
        function: Callable[[], Any],
        /,
        *,
        name: str | None = ...,
        slot: ModelSlot[Any] | None = ...,
        executor: Executor = ...,
    ) -> ScheduledEvent: ...

    async def train(
        self,
        *arguments: Any,
        name: str | None = None,
        slot: ModelSlot[Any] | None = None,
        executor: Executor = "thread",
    ) -> TrainingRun | ScheduledEvent:
        """Train now, ``train(fn)``, or on a schedule, ``train(date_rule, time_rule, fn)``.

        ``fn`` is an async function, or a sync one that runs in a worker
        thread (``executor="process"`` for a process). Its return value is
        published into ``slot`` if given.

        Backtest: ``await train(fn)`` returns when the run has finished, and
        simulated time does not move meanwhile. Live: it starts the run
        beside the data loop and returns its handle at once; ``await`` the
        handle for the result.

        Raises:
            TypeError: The arguments are neither form, or ``fn`` is not callable.
            TrainingFailed: Backtest only: the run raised.
        """
        runtime = self._require_runtime()
        if len(arguments) == 1:
            return await runtime.train_now(
                arguments[0], name=name, slot=slot, executor=executor
            )
        if (
            len(arguments) == 3
            and isinstance(arguments[0], DateRule)
            and isinstance(arguments[1], TimeRule)
        ):
            date_rule, time_rule, function = arguments
            return runtime.train_on_schedule(
                date_rule, time_rule, function, name=name, slot=slot, executor=executor
            )

        raise TypeError(
            f"train() takes (fn) or (date_rule, time_rule, fn) (got {arguments!r})"
        )

    def schedule(
        self,
        date_rule: DateRule,
        time_rule: TimeRule,
        action: Callable[[], Awaitable[object]],
        *,
        name: str | None = None,
    ) -> ScheduledEvent:
        """Call ``await action()`` at the instants of the two rules.

        An error the action raises stops the run as a :class:`StrategyError`
        naming the event and its time.
        """
        runtime = self._require_runtime()

        async def fire(occurrence: Occurrence) -> None:
            try:
                await action()
            except (AiotrainError, anyio.get_cancelled_exc_class()):
                raise
            except Exception as error:
                when = f"{occurrence.time.astimezone(self._time_zone):%Y-%m-%d %H:%M:%S %Z}"
                raise StrategyError(
                    f"scheduled event {occurrence.name!r} at {when} raised {type(error).__name__}: {error}"
                ) from error

        return runtime.scheduler.add(date_rule, time_rule, fire, name=name)

    def _attach(self, runtime: Runtime) -> None:
        if self._runtime is not None:
            raise AiotrainError(
                f"{type(self).__name__} is already running; make a new algorithm object per run"
            )

        self._runtime = runtime
        self._history = {}

    def _remember(self, data: Slice) -> None:
        history = self._history
        for symbol, bar in data.bars.items():
            bars = history.get(symbol)
            if bars is None:
                bars = self._bars_of(symbol)
            bars.append(bar)

    def _bars_of(self, symbol: str) -> deque[TradeBar]:
        bars = self._history.get(symbol)
        if bars is None:
            bars = self._history[symbol] = deque(maxlen=self.history_size)

        return bars

    def _require_runtime(self) -> Runtime:
        if self._runtime is None:
            raise AiotrainError(
                f"{type(self).__name__} is not running; start it with aiotrain.backtest() or aiotrain.live()"
            )

        return self._runtime
