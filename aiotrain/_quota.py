"""The training quota: an async leaky bucket of tokens (minutes).

The bucket starts full. Every ``refill_interval`` seconds after it was made,
``refill_amount`` tokens come back, up to ``capacity``; tokens above capacity
are discarded. Refill happens in whole steps at interval boundaries, so the
level is a pure function of the clock and the grants made.
"""

from __future__ import annotations

import math
from collections import deque
from typing import final

import anyio
import attrs

from ._clock import Clock, RealClock, TimerHandle

__all__ = ["BucketStatistics", "LeakyBucket"]


@final
@attrs.frozen
class BucketStatistics:
    """A snapshot of a bucket, taken by :meth:`LeakyBucket.statistics`.

    Attributes:
        capacity: The most tokens the bucket holds.
        available: Tokens available now, after refilling.
        waiting: Tasks waiting in :meth:`LeakyBucket.consume`.
        next_refill: The clock's monotonic time of the next refill, or
            ``None`` when the bucket never refills.
    """

    capacity: float
    available: float
    waiting: int
    next_refill: float | None


@attrs.define(eq=False)
class _Waiter:
    tokens: int
    granted: anyio.Event = attrs.field(factory=anyio.Event)


def _check_tokens(tokens: object, capacity: float) -> int:
    if isinstance(tokens, bool) or not isinstance(tokens, int):
        raise TypeError(f"`tokens` must be an int (got {tokens!r})")
    if tokens <= 0:
        raise ValueError(f"`tokens` must be positive (got {tokens})")
    if tokens > capacity:
        raise ValueError(
            f"`tokens` must be at most the capacity {capacity:g} (got {tokens})"
        )

    return tokens


def _check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or math.isnan(value)
    ):
        raise ValueError(f"`{name}` must be a number (got {value!r})")
    if value < 0 or (value == 0 and not allow_zero):
        constraint = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must be {constraint} (got {value!r})")

    return value


@final
@attrs.define(eq=False, init=False)
class LeakyBucket:
    """An async token bucket with LEAN's refill rule and fair waiting.

    Args:
        capacity: The most tokens the bucket holds; it starts full.
            ``math.inf`` makes an unlimited bucket.
        refill_amount: Tokens returned at each interval boundary; ``0``
            means the bucket never refills.
        refill_interval: Seconds between refills, on ``clock``'s monotonic
            time, counted from the bucket's creation.
        clock: The clock that drives refills; default :class:`RealClock`.

    Raises:
        ValueError: An argument is negative, not a number, or the interval
            is zero.

    Waiters are served first come, first served: a task asking for many
    tokens is never overtaken by later, smaller requests, and
    :meth:`try_consume` fails while anyone waits. No task polls: one clock
    timer is set for the refill that can serve the head of the queue.
    """

    capacity: float
    refill_amount: float
    refill_interval: float
    clock: Clock
    _level: float
    _origin: float
    _refills_applied: int
    _waiters: deque[_Waiter]
    _timer: TimerHandle | None
    _timer_deadline: float | None

    def __init__(
        self,
        capacity: float,
        refill_amount: float,
        refill_interval: float,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.capacity = _check_positive(capacity, "capacity")
        self.refill_amount = _check_positive(
            refill_amount, "refill_amount", allow_zero=True
        )
        self.refill_interval = _check_positive(refill_interval, "refill_interval")
        self.clock = RealClock() if clock is None else clock
        self._level = self.capacity
        self._origin = self.clock.monotonic()
        self._refills_applied = 0
        self._waiters = deque()
        self._timer = None
        self._timer_deadline = None

    @property
    def available(self) -> float:
        """Tokens available now; refills (and serves waiters) before answering."""
        self._serve_waiters()
        return self._level

    def statistics(self) -> BucketStatistics:
        """A frozen snapshot: capacity, available, waiting and next refill."""
        available = self.available
        return BucketStatistics(
            capacity=self.capacity,
            available=available,
            waiting=len(self._waiters),
            next_refill=self._next_refill_time(),
        )

    def try_consume(self, tokens: int = 1) -> bool:
        """Take ``tokens`` at once if they are there and nobody is waiting.

        All or nothing; never waits and never yields to the event loop.

        Raises:
            ValueError: ``tokens`` is not positive or exceeds the capacity.
        """
        tokens = _check_tokens(tokens, self.capacity)
        if self._waiters:
            self._serve_waiters()
            return False

        self._refill()
        if self._level < tokens:
            return False

        self._level -= tokens
        return True

    async def consume(self, tokens: int = 1) -> None:
        """Wait until ``tokens`` are available, then take them.

        When the tokens are there and nobody waits, this returns without
        yielding to the event loop (like anyio's ``fast_acquire``), so an
        uncontended call costs no more than a function call. Otherwise the
        task joins the back of the queue. Cancelling a waiter takes nothing
        from the bucket and lets the next waiter move up; a timeout composes
        from outside with ``anyio.fail_after``.

        Raises:
            ValueError: ``tokens`` is not positive or exceeds the capacity.
        """
        if self.try_consume(tokens):
            return

        waiter = _Waiter(tokens)
        self._waiters.append(waiter)
        self._reschedule_timer()
        try:
            await waiter.granted.wait()
        except BaseException:
            self._withdraw(waiter)
            raise

    def _withdraw(self, waiter: _Waiter) -> None:
        """Undo a waiter that was cancelled, whether or not it was granted."""
        if waiter.granted.is_set():
            self._level = min(self.capacity, self._level + waiter.tokens)
        else:
            self._waiters.remove(waiter)

        self._serve_waiters()

    def _refill(self) -> None:
        if self.refill_amount == 0:
            return

        due = self._refills_due(self.clock.monotonic())
        if due > self._refills_applied:
            gained = (due - self._refills_applied) * self.refill_amount
            self._level = min(self.capacity, self._level + gained)
            self._refills_applied = due

    def _refills_due(self, now: float) -> int:
        """How many interval boundaries lie at or before ``now``.

        The float estimate is corrected against :meth:`_boundary`, the same
        formula the timer uses, so a timer firing at a boundary always sees it.
        """
        due = math.floor((now - self._origin) / self.refill_interval)
        while self._boundary(due + 1) <= now:
            due += 1
        while due > 0 and self._boundary(due) > now:
            due -= 1

        return max(due, 0)

    def _boundary(self, refill_number: int) -> float:
        return self._origin + refill_number * self.refill_interval

    def _serve_waiters(self) -> None:
        """Refill, grant the head of the queue while it fits, reset the timer."""
        self._refill()
        while self._waiters and self._waiters[0].tokens <= self._level:
            waiter = self._waiters.popleft()
            self._level -= waiter.tokens
            waiter.granted.set()

        self._reschedule_timer()

    def _reschedule_timer(self) -> None:
        """Keep exactly one timer, set for the refill that serves the head."""
        deadline = None
        if self._waiters and self.refill_amount > 0:
            deadline = self._refill_time_for(self._waiters[0].tokens)
        if deadline == self._timer_deadline:
            return

        if self._timer is not None:
            self._timer.cancel()
        self._timer = (
            None if deadline is None else self.clock.call_at(deadline, self._on_timer)
        )
        self._timer_deadline = deadline

    def _on_timer(self) -> None:
        self._timer = self._timer_deadline = None
        self._serve_waiters()

    def _refill_time_for(self, tokens: int) -> float:
        """The monotonic time of the refill that brings the level to ``tokens``."""
        missing = tokens - self._level
        refills_needed = max(1, math.ceil(missing / self.refill_amount))
        boundary = self._refills_applied + refills_needed
        return self._boundary(boundary)

    def _next_refill_time(self) -> float | None:
        if self.refill_amount == 0 or math.isinf(self.capacity):
            return None

        return self._boundary(self._refills_applied + 1)
