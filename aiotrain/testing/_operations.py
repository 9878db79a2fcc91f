"""Bucket operations as values, so hypothesis can generate sequences of them."""

from __future__ import annotations

from typing import final

import attrs

from .._clock import ManualClock
from .._quota import LeakyBucket

__all__ = ["Advance", "BucketOperation", "TryConsume"]


@final
@attrs.frozen
class TryConsume:
    """Ask the bucket for ``tokens`` at once, with :meth:`LeakyBucket.try_consume`.

    Attributes:
        tokens: How many tokens to ask for.
    """

    tokens: int

    def apply(self, bucket: LeakyBucket, clock: ManualClock) -> bool:
        """Ask ``bucket`` for the tokens; return whether they were granted.

        Raises:
            ValueError: ``tokens`` is not positive or exceeds the capacity.
        """
        return bucket.try_consume(self.tokens)


@final
@attrs.frozen
class Advance:
    """Move the bucket's manual clock forward.

    Attributes:
        seconds: How far to move it.
    """

    seconds: float

    def apply(self, bucket: LeakyBucket, clock: ManualClock) -> None:
        """Advance ``clock`` by ``seconds``, running the timers that come due.

        Raises:
            ClockError: ``seconds`` is negative or not a number.
        """
        clock.advance(self.seconds)


#: One step of a sequence that :func:`aiotrain.testing.strategies.bucket_operations` makes.
BucketOperation = TryConsume | Advance
