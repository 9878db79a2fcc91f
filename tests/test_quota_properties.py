"""Stateful property tests: the bucket against a plain reference model.

Hypothesis drives a real :class:`LeakyBucket` on a manual clock through any
sequence of try_consume, waiting consume, cancellation and clock advances,
and checks after every step that it agrees with a few lines of arithmetic
and that no invariant breaks.
"""

from __future__ import annotations

import asyncio
from collections import deque

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from aiotrain import LeakyBucket, ManualClock, wait_all_tasks_blocked


@attrs.define
class ReferenceBucket:
    """The bucket's rules written as plainly as possible."""

    capacity: int
    refill_amount: int
    interval: float
    level: int
    refills_applied: int = 0
    queue: deque[tuple[int, int]] = attrs.field(factory=deque)
    granted: list[int] = attrs.field(factory=list)

    def refill(self, now: float) -> None:
        """Apply each boundary passed, serving waiters at each, as time would."""
        due = int(now // self.interval)
        while self.refills_applied < due:
            self.refills_applied += 1
            self.level = min(self.capacity, self.level + self.refill_amount)
            self.serve()

    def serve(self) -> None:
        while self.queue and self.queue[0][1] <= self.level:
            waiter_id, tokens = self.queue.popleft()
            self.level -= tokens
            self.granted.append(waiter_id)


class BucketMachine(RuleBasedStateMachine):
    """Random operations on a bucket, checked step by step."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock()
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.granted_order: list[int] = []
        self.tokens_granted = 0

    @initialize(
        capacity=st.integers(1, 8),
        refill_amount=st.integers(0, 3),
        interval=st.sampled_from([0.5, 1.0, 3.0]),
    )
    def make_bucket(self, capacity: int, refill_amount: int, interval: float) -> None:
        self.bucket = LeakyBucket(capacity, refill_amount, interval, clock=self.clock)
        self.model = ReferenceBucket(capacity, refill_amount, interval, capacity)

    def settle(self) -> None:
        self.loop.run_until_complete(wait_all_tasks_blocked())

    @rule(data=st.data())
    def try_consume(self, data: st.DataObject) -> None:
        tokens = data.draw(st.integers(1, self.bucket.capacity))  # type: ignore[arg-type]
        self.model.refill(self.clock.monotonic())
        self.model.serve()
        expected = not self.model.queue and self.model.level >= tokens
        if expected:
            self.model.level -= tokens
            self.tokens_granted += tokens

        assert self.bucket.try_consume(tokens) is expected

    @rule(data=st.data())
    def start_waiter(self, data: st.DataObject) -> None:
        tokens = data.draw(st.integers(1, self.bucket.capacity))  # type: ignore[arg-type]
        waiter_id = len(self.tasks)
        self.tasks[waiter_id] = self.loop.create_task(self.take(waiter_id, tokens))
        self.model.refill(self.clock.monotonic())
        self.model.queue.append((waiter_id, tokens))
        self.model.serve()
        self.settle()

    async def take(self, waiter_id: int, tokens: int) -> None:
        await self.bucket.consume(tokens)
        self.granted_order.append(waiter_id)
        self.tokens_granted += tokens

    @precondition(lambda self: any(not task.done() for task in self.tasks.values()))
    @rule(data=st.data())
    def cancel_waiter(self, data: st.DataObject) -> None:
        pending = [
            waiter_id for waiter_id, task in self.tasks.items() if not task.done()
        ]
        waiter_id = data.draw(st.sampled_from(pending))
        self.tasks[waiter_id].cancel()
        self.settle()
        self.model.queue = deque(
            entry for entry in self.model.queue if entry[0] != waiter_id
        )
        self.model.refill(self.clock.monotonic())
        self.model.serve()

    @rule(seconds=st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.5, 7.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()
        self.model.refill(self.clock.monotonic())
        self.model.serve()

    @invariant()
    def agrees_with_the_model(self) -> None:
        if not hasattr(self, "bucket"):
            return

        assert self.bucket.available == self.model.level
        assert self.granted_order == self.model.granted
        assert self.bucket.statistics().waiting == len(self.model.queue)

    @invariant()
    def never_over_grants(self) -> None:
        if not hasattr(self, "bucket"):
            return

        refilled = self.model.refills_applied * self.model.refill_amount
        assert self.tokens_granted <= self.model.capacity + refilled
        assert 0 <= self.bucket.available <= self.bucket.capacity

    @invariant()
    def waiters_are_served_in_arrival_order(self) -> None:
        assert self.granted_order == sorted(self.granted_order)

    def teardown(self) -> None:
        for task in self.tasks.values():
            task.cancel()

        async def finish_all() -> None:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)

        self.loop.run_until_complete(finish_all())
        self.loop.close()


BucketMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
TestBucketProperties = BucketMachine.TestCase
