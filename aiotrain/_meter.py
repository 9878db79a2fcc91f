"""The meter: one quota token per whole minute of a training run."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ._clock import Clock, TimerHandle
from ._quota import LeakyBucket
from ._runs import TrainingRun

__all__ = ["MINUTE", "Meter"]

MINUTE = 60.0


@attrs.define(eq=False)
class Meter:
    """Draws one token per whole minute of a run; reports a refusal.

    The first minute is free: the first token is drawn at minute 1. The
    draws are clock timers at the exact boundaries, and a late timer
    catches up on every boundary it passed.
    """

    bucket: LeakyBucket
    clock: Clock
    run: TrainingRun
    on_token: Callable[[], None]
    on_refused: Callable[[], None]
    _timer: TimerHandle | None = None

    def start(self) -> None:
        self._schedule(1)

    def detach(self) -> None:
        """Keep charging after the run has ended, but never cancel anything."""
        self.on_refused = _do_nothing

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self, minute: int) -> None:
        self._timer = self.clock.call_at(self._boundary(minute), self._draw)

    def _boundary(self, minute: int) -> float:
        assert self.run.started is not None
        return self.run.started + minute * MINUTE

    def _draw(self) -> None:
        """Draw one token for each whole minute passed, catching up if late."""
        self._timer = None
        while self._boundary(self.run.tokens_drawn + 1) <= self.clock.monotonic():
            if not self.bucket.try_consume(1):
                self.on_refused()
                return

            self.run.tokens_drawn += 1
            self.on_token()

        self._schedule(self.run.tokens_drawn + 1)


def _do_nothing() -> None:
    return None
