"""The time-loop guard: one time slice may not run too long.

The work of a slice (its scheduled events and ``on_data``) must finish
within the time-loop maximum plus the minutes that training drew from the
quota during the slice. Marking a slice costs two attribute writes and one
clock read; a single watchdog task checks the mark, so no cancel scope is
opened per slice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, final

import attrs

from ._clock import Clock
from ._errors import TimeLoopExceeded

__all__ = ["TimeLoopGuard"]

MINUTE = 60.0


@final
@attrs.define(eq=False, init=False)
class TimeLoopGuard:
    """Watches the slice in progress against the time-loop maximum.

    Args:
        maximum: Seconds one slice may take before drawing on the quota.
        clock: The real-time clock slices are measured on.
        tokens_drawn: Returns how many quota tokens training has drawn so
            far; each token drawn during a slice extends it by a minute.
    """

    maximum: float
    clock: Clock
    tokens_drawn: Callable[[], int]
    _started: float | None
    _tokens_at_start: int

    def __init__(
        self,
        maximum: float,
        *,
        clock: Clock,
        tokens_drawn: Callable[[], int] = lambda: 0,
    ) -> None:
        if not maximum > 0:
            raise ValueError(f"`maximum` must be positive (got {maximum!r})")

        self.maximum = maximum
        self.clock = clock
        self.tokens_drawn = tokens_drawn
        self._started = None
        self._tokens_at_start = 0

    def begin_slice(self) -> None:
        """Mark the start of a slice's work."""
        self._tokens_at_start = self.tokens_drawn()
        self._started = self.clock.monotonic()

    def end_slice(self) -> None:
        """Mark the end of a slice's work."""
        self._started = None

    def deadline(self) -> float | None:
        """When the current slice runs out of time, or ``None`` between slices."""
        started = self._started
        if started is None:
            return None

        drawn = self.tokens_drawn() - self._tokens_at_start
        return started + self.maximum + drawn * MINUTE

    async def watch(self) -> NoReturn:
        """Run forever; raise :class:`TimeLoopExceeded` when a slice overruns.

        Run it in the task group that processes slices, so the error
        cancels the slice's work and reaches the group's owner.
        """
        while True:
            deadline = self.deadline()
            now = self.clock.monotonic()
            if deadline is None:
                await self.clock.sleep_until(now + self.maximum)
            elif now >= deadline:
                raise self._exceeded(now)
            else:
                await self.clock.sleep_until(deadline)

    def _exceeded(self, now: float) -> TimeLoopExceeded:
        assert self._started is not None
        elapsed = (now - self._started) / MINUTE
        drawn = self.tokens_drawn() - self._tokens_at_start
        return TimeLoopExceeded(
            f"Algorithm took longer than {self.maximum / MINUTE:g} minutes on a single time loop. "
            f"CurrentTimeStepElapsed: {elapsed:.1f} minutes "
            f"(including {drawn} minutes drawn from the training quota)"
        )
