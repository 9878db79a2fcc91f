"""The training quota: an async leaky bucket of tokens (minutes).

The bucket starts full. Every ``refill_interval`` seconds after it was made,
``refill_amount`` tokens come back, up to ``capacity``; tokens above capacity
are discarded. Refill happens in whole steps at interval boundaries, so the
level is a pure function of the clock and the grants made.

By default the bucket keeps its level in its own fields and counts time on
the clock's monotonic axis. Given a :class:`~aiotrain.QuotaStore`, it keeps
the level in the store instead and counts refills on the clock's wall time
(``clock.now()``), so the quota can outlive the process and be shared.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from collections.abc import Callable
from typing import TypeVar, final

import anyio
import attrs

from ._clock import Clock, RealClock, TimerHandle
from ._errors import QuotaStoreError
from ._store import QuotaLedger, QuotaStore, epoch_microseconds

T = TypeVar("T")

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
    failure: QuotaStoreError | None = None


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


def integer_digits_beyond_float(value: object) -> int | None:
    """The digits of an int too large to become a float, or ``None`` if it fits."""
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        return len(str(abs(value)))

    return None


def _check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    if (digits := integer_digits_beyond_float(value)) is not None:
        raise ValueError(
            f"`{name}` must be a number in float range (got an integer of {digits} digits)"
        )
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
        store: Where the level is kept; default: in this object. With a
            store (such as :class:`~aiotrain.SqliteStore`) the bucket opens
            the stored ledger, or starts it full at ``clock.now()``, and
            refills on the clock's wall time, to the microsecond.

    Raises:
        ValueError: An argument is negative, not a number, or the interval
            is zero.
        QuotaStoreError: The store is unusable or holds a bucket with other
            settings.

    Waiters are served first come, first served: a task asking for many
    tokens is never overtaken by later, smaller requests, and
    :meth:`try_consume` fails while anyone waits. No task polls: one clock
    timer is set for the refill that can serve the head of the queue.

    With a store shared by other processes, every call runs one store
    transaction (see the store for how long it blocks). Waiters are served
    in order within this process, not across processes: a waiter sleeps
    until the refill that could serve it, then tries again, and another
    process may have taken those tokens first. Tokens another process gives
    back are seen at this bucket's next call or refill.
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
    _store: QuotaStore | None

    def __init__(
        self,
        capacity: float,
        refill_amount: float,
        refill_interval: float,
        *,
        clock: Clock | None = None,
        store: QuotaStore | None = None,
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
        self._store = store
        if store is not None:
            self._open_store(store)

    def _open_store(self, store: QuotaStore) -> None:
        """Adopt the stored ledger, storing a full one if there is none."""
        if math.isinf(self.refill_interval):
            raise ValueError("`refill_interval` must be finite with a store (got inf)")

        now_us = epoch_microseconds(self.clock.now())
        fresh = QuotaLedger(
            capacity=self.capacity,
            refill_amount=self.refill_amount,
            refill_interval_us=max(1, round(self.refill_interval * 1e6)),
            anchor_us=now_us,
            level=self.capacity,
        )
        ledger = store.open(fresh)

        self.refill_interval = ledger.refill_interval_us / 1e6
        self._adopt(ledger, now_us, self.clock.monotonic())

    def _adopt(self, ledger: QuotaLedger, now_us: int, monotonic: float) -> None:
        """Mirror a stored ledger, mapping its wall-clock anchor to monotonic time."""
        self._level = ledger.level
        self._refills_applied = ledger.refills_applied
        self._origin = monotonic - (now_us - ledger.anchor_us) / 1e6

    def _in_store(self, change: Callable[[QuotaLedger], tuple[QuotaLedger, T]]) -> T:
        """Refill and apply ``change`` in one store transaction; mirror the result."""
        assert self._store is not None
        now_us = epoch_microseconds(self.clock.now())
        monotonic = self.clock.monotonic()

        ledger, result = self._store.update(
            lambda stored: change(stored.refilled(now_us))
        )

        self._adopt(ledger, now_us, monotonic)
        return result

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
        if self._store is not None:
            return self._take_from_store(tokens)

        self._refill()
        if self._level < tokens:
            return False

        self._level -= tokens
        return True

    def _take_from_store(self, tokens: int) -> bool:
        return self._in_store(lambda ledger: _take(ledger, tokens))

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
            QuotaStoreError: The bucket's store failed, when asked or at a
                refill while this task waited; nothing was taken, and every
                waiter of this bucket gets the error.
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

        if waiter.failure is not None:
            raise QuotaStoreError(str(waiter.failure)) from waiter.failure

    def _withdraw(self, waiter: _Waiter) -> None:
        """Undo a waiter that was cancelled, whether or not it was granted."""
        if waiter.failure is not None:
            return

        if not waiter.granted.is_set():
            self._waiters.remove(waiter)
        elif self._store is not None:
            self._in_store(lambda ledger: (_give_back(ledger, waiter.tokens), None))
        else:
            self._level = min(self.capacity, self._level + waiter.tokens)

        self._serve_waiters()

    def _refill(self) -> None:
        if self.refill_amount == 0:
            return

        now = self.clock.monotonic()
        if now < self._boundary(self._refills_applied + 1):
            return  # the common case: no boundary passed since the last refill

        due = self._refills_due(now)
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
        if self._store is not None:
            self._serve_waiters_from_store()
            return

        self._refill()
        while self._waiters and self._waiters[0].tokens <= self._level:
            waiter = self._waiters.popleft()
            self._level -= waiter.tokens
            waiter.granted.set()

        self._reschedule_timer()

    def _serve_waiters_from_store(self) -> None:
        """Grant the head waiters that fit in one transaction, then wake them."""
        wanted = [waiter.tokens for waiter in self._waiters]
        served = self._in_store(lambda ledger: _grant_in_order(ledger, wanted))

        for _ in range(served):
            self._waiters.popleft().granted.set()

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
        try:
            self._serve_waiters()
        except QuotaStoreError as error:
            self._fail_waiters(error)

    def _fail_waiters(self, error: QuotaStoreError) -> None:
        """Wake every waiter with the store's error; none of them was granted."""
        while self._waiters:
            waiter = self._waiters.popleft()
            waiter.failure = error
            waiter.granted.set()

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


def _take(ledger: QuotaLedger, tokens: int) -> tuple[QuotaLedger, bool]:
    if ledger.level < tokens:
        return ledger, False

    return attrs.evolve(ledger, level=ledger.level - tokens), True


def _give_back(ledger: QuotaLedger, tokens: int) -> QuotaLedger:
    return attrs.evolve(ledger, level=min(ledger.capacity, ledger.level + tokens))


def _grant_in_order(ledger: QuotaLedger, wanted: list[int]) -> tuple[QuotaLedger, int]:
    """Take tokens for the first requests that fit, in order; count them."""
    level = ledger.level
    served = 0
    for tokens in wanted:
        if tokens > level:
            break
        level -= tokens
        served += 1

    return attrs.evolve(ledger, level=level), served
