"""Tests for training runs: metering, stopping, executors and the run handle."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from datetime import UTC, datetime

import anyio
import anyio.to_thread
import pytest

from aiotrain import (
    LeakyBucket,
    ManualClock,
    ModelSlot,
    QuotaConfig,
    QuotaExhausted,
    RealClock,
    RunStatus,
    Trainer,
    TrainingFailed,
)

MINUTE = 60.0


def manual_trainer(
    capacity: float = 120, refill: float = 0
) -> tuple[Trainer, ManualClock]:
    clock = ManualClock()
    bucket = LeakyBucket(capacity, refill, 1440 * MINUTE, clock=clock)
    return Trainer(bucket, clock=clock), clock


def sleeper(clock: ManualClock, seconds: float) -> object:
    async def fit() -> str:
        await clock.sleep_until(clock.monotonic() + seconds)
        return f"trained for {seconds} s"

    return fit


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("seconds", "tokens"), [(45, 0), (59.4, 0), (60, 1), (180, 3), (181, 3)]
)
async def test_first_minute_free_then_one_token_per_whole_minute(
    seconds: float, tokens: int
) -> None:
    """Runs of 45 s and 59.4 s draw 0 tokens, 60 s draws 1, 180 s draws 3."""
    trainer, clock = manual_trainer()

    async with clock.autojump():
        run = await trainer.run(sleeper(clock, seconds), name="fit")  # type: ignore[arg-type]

    assert run.status is RunStatus.SUCCEEDED
    assert run.tokens_drawn == tokens
    assert trainer.bucket is not None and trainer.bucket.available == 120 - tokens
    assert run.duration == seconds
    assert await run == f"trained for {seconds} s"


@pytest.mark.asyncio
async def test_run_stopped_at_the_minute_its_token_is_refused() -> None:
    """Capacity 1, no refill: a 2.5-minute run draws 1 at 1 min and is stopped at 2 min."""
    trainer, clock = manual_trainer(capacity=1)

    async with clock.autojump():
        run = await trainer.run(sleeper(clock, 2.5 * MINUTE), name="fit")  # type: ignore[arg-type]

    assert run.status is RunStatus.QUOTA_EXHAUSTED
    assert run.tokens_drawn == 1
    assert run.ended == 2 * MINUTE
    assert isinstance(run.exception, QuotaExhausted)
    assert str(run.exception) == (
        "training run 'fit' ran out of quota after 2.0 minutes: it drew 1 minutes, "
        "and the 1-minute bucket is empty (the first minute of a run is free)"
    )
    with pytest.raises(QuotaExhausted):
        await run


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("minutes", "status", "lasted"),
    [(120.99, RunStatus.SUCCEEDED, 120.99), (200, RunStatus.QUOTA_EXHAUSTED, 121)],
)
async def test_full_default_bucket_allows_121_minutes_not_122(
    minutes: float, status: RunStatus, lasted: float
) -> None:
    """With LEAN's defaults and a full bucket a run lasts up to 121 minutes."""
    clock = ManualClock()
    trainer = Trainer(QuotaConfig().make_bucket(clock), clock=clock)

    async with clock.autojump():
        run = await trainer.run(sleeper(clock, minutes * MINUTE))  # type: ignore[arg-type]

    assert (run.status, run.tokens_drawn) == (status, 120)
    assert run.duration == pytest.approx(lasted * MINUTE, abs=1e-9)


@pytest.mark.asyncio
async def test_failing_run_stops_its_meter() -> None:
    """A run that raises is FAILED, keeps its exception, and leaves no timer behind."""
    trainer, clock = manual_trainer()

    async def fit() -> None:
        await clock.sleep_until(90)
        raise ValueError("bad features")

    async with clock.autojump():
        run = await trainer.run(fit)

    assert run.status is RunStatus.FAILED
    assert run.tokens_drawn == 1
    assert isinstance(run.exception, ValueError)
    assert clock.next_deadline() is None
    assert trainer.records[-1].error == "ValueError: bad features"


@pytest.mark.asyncio
async def test_cancelled_run_stops_its_meter() -> None:
    """Cancelling the caller cancels the run, which stops charging."""
    trainer, clock = manual_trainer()
    runs = []

    async def start() -> None:
        runs.append(await trainer.run(sleeper(clock, 10 * MINUTE)))  # type: ignore[arg-type]

    async with anyio.create_task_group() as group:
        group.start_soon(start)
        await clock.run_for(150)
        group.cancel_scope.cancel()

    assert runs == []
    assert trainer.records[-1].status is RunStatus.CANCELLED
    assert trainer.records[-1].tokens_drawn == 2
    assert clock.next_deadline() is None


@pytest.mark.asyncio
async def test_result_is_published_to_the_slot() -> None:
    """With a slot, the function's return value becomes the slot's new version."""
    trainer, clock = manual_trainer()
    slot: ModelSlot[str] = ModelSlot("model")

    async with clock.autojump():
        await trainer.run(sleeper(clock, 30), slot=slot)  # type: ignore[arg-type]

    assert (slot.version, slot.current) == (1, "trained for 30 s")


@pytest.mark.asyncio
async def test_sync_function_runs_in_a_thread() -> None:
    """A sync function runs in a worker thread and its result is returned."""
    trainer, _ = manual_trainer()
    main_thread = threading.get_ident()

    run = await trainer.run(lambda: threading.get_ident(), name="ident")

    assert run.status is RunStatus.SUCCEEDED
    assert run.result != main_thread


def double_in_a_process() -> int:
    return 21 * 2


@pytest.mark.asyncio
@pytest.mark.slow
async def test_process_executor() -> None:
    """executor='process' runs a picklable function in a worker process."""
    trainer, _ = manual_trainer()

    run = await trainer.run(double_in_a_process, executor="process")

    assert (run.status, run.result) == (RunStatus.SUCCEEDED, 42)


@pytest.mark.asyncio
async def test_not_callable_is_a_clear_error() -> None:
    """A training function that is not callable is refused with its value."""
    trainer, _ = manual_trainer()

    with pytest.raises(TypeError, match=r"must be callable \(got 42\)"):
        await trainer.run(42)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_result_of_a_failed_run_is_an_error() -> None:
    """Reading .result of a failed run says how it ended."""
    trainer, _ = manual_trainer()

    def fit() -> None:
        raise RuntimeError("boom")

    run = await trainer.run(fit, name="fit")

    with pytest.raises(
        RuntimeError, match="training run 'fit' has no result: it is failed"
    ):
        _ = run.result


@pytest.mark.asyncio
async def test_spawned_failure_is_recorded_and_previous_model_serves() -> None:
    """Live: a failing spawned run is recorded and logged; the slot keeps version 1."""
    trainer, _clock = manual_trainer()
    slot: ModelSlot[str] = ModelSlot()
    slot.publish("v1")

    def fit() -> str:
        raise ValueError("diverged")

    async with anyio.create_task_group() as group:
        run = trainer.spawn(group, fit, name="Sunday: 8", slot=slot)
        assert run.status is RunStatus.PENDING

    assert run.status is RunStatus.FAILED
    assert (slot.version, slot.current) == (1, "v1")
    assert trainer.records[-1].name == "Sunday: 8"


@pytest.mark.asyncio
async def test_spawned_failure_can_stop_the_group() -> None:
    """stop_on_failure raises TrainingFailed with the run's name and time."""
    trainer, _ = manual_trainer()
    when = datetime(2013, 10, 13, 12, 0, tzinfo=UTC)

    def fit() -> None:
        raise ValueError("diverged")

    with pytest.raises(ExceptionGroup) as caught:
        async with anyio.create_task_group() as group:
            trainer.spawn(
                group, fit, name="Sunday: 8", scheduled_time=when, stop_on_failure=True
            )

    error = caught.value.exceptions[0]
    assert isinstance(error, TrainingFailed)
    assert (
        str(error)
        == "training run 'Sunday: 8' at 2013-10-13 12:00:00 UTC failed: ValueError: diverged"
    )


@pytest.mark.asyncio
async def test_c4_stopping_abandons_a_sync_thread_and_keeps_charging() -> None:
    """C4: stop while a sync training runs: returns after the grace, run abandoned, charged while the thread runs."""
    clock = ManualClock()
    bucket = LeakyBucket(120, 0, 1440 * MINUTE, clock=clock)
    trainer = Trainer(bucket, clock=clock, grace_period=0.05)
    started, release = threading.Event(), threading.Event()
    run_holder = []

    def fit() -> None:
        started.set()
        release.wait(timeout=10)

    async with anyio.create_task_group() as group:
        run_holder.append(trainer.spawn(group, fit, name="fit"))
        await anyio.to_thread.run_sync(started.wait)
        clock.advance(3 * MINUTE)
        stop_started = time.monotonic()
        group.cancel_scope.cancel()

    stop_took = time.monotonic() - stop_started
    run = run_holder[0]
    assert run.status is RunStatus.ABANDONED
    assert stop_took < 2.0
    assert run.tokens_drawn == 3

    clock.advance(2 * MINUTE)
    assert run.tokens_drawn == 5

    release.set()
    for _ in range(200):
        await anyio.sleep(0.005)
        if clock.next_deadline() is None:
            break
    clock.advance(10 * MINUTE)
    assert run.tokens_drawn == 5
    assert bucket.available == 115


@pytest.mark.asyncio
async def test_cooperative_sync_training_ends_within_the_grace_period() -> None:
    """A sync training that calls check_cancelled ends cleanly when stopped."""
    from aiotrain import check_cancelled

    trainer, _clock = manual_trainer()
    trainer.grace_period = 5.0
    ended = threading.Event()

    def fit() -> None:
        try:
            while True:
                time.sleep(0.002)
                check_cancelled()
        finally:
            ended.set()

    async with anyio.create_task_group() as group:
        run = trainer.spawn(group, fit)
        await anyio.sleep(0.02)
        group.cancel_scope.cancel()

    assert ended.is_set()
    assert run.status is RunStatus.CANCELLED


@pytest.mark.asyncio
async def test_l1_ten_thousand_runs_keep_memory_flat() -> None:
    """L1: 10,000 short runs spawned and finished in one group grow memory < 5 MB."""
    clock = ManualClock()
    trainer = Trainer(LeakyBucket(120, 0, 1.0, clock=clock), clock=clock, history=1000)

    async def fit() -> int:
        return 1

    async def spawn_batch() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(1000):
                trainer.spawn(group, fit)

    await spawn_batch()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(10):
        await spawn_batch()
    gc.collect()
    growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()

    assert trainer.runs_started == 11_000
    assert len(trainer.records) == 1000
    assert growth < 5 * 1024 * 1024


@pytest.mark.asyncio
async def test_l2_failures_release_their_memory_and_record_the_error() -> None:
    """L2: a run that raises while holding a large array frees it; the error is recorded."""
    trainer, _clock = manual_trainer()
    when = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

    def fit() -> None:
        features = bytearray(20 * 1024 * 1024)
        raise MemoryError(f"could not fit {len(features)} bytes")

    tracemalloc.start()
    for minute in range(5):
        async with anyio.create_task_group() as group:
            trainer.spawn(
                group,
                fit,
                name="every minute",
                scheduled_time=when.replace(minute=minute),
            )
        gc.collect()
        assert tracemalloc.get_traced_memory()[0] < 5 * 1024 * 1024
    tracemalloc.stop()

    last = trainer.records[-1]
    assert (last.name, last.scheduled_time, last.status) == (
        "every minute",
        when.replace(minute=4),
        RunStatus.FAILED,
    )
    assert last.error == "MemoryError: could not fit 20971520 bytes"


@pytest.mark.asyncio
@pytest.mark.realtime
async def test_stop_lands_within_20_ms_of_the_boundary_on_a_scaled_clock() -> None:
    """Real time: one minute = 50 ms; capacity 1; the stop at 2 min lands within 20 ms."""
    clock = RealClock(speed=MINUTE / 0.05)
    trainer = Trainer(LeakyBucket(1, 0, 1e9, clock=clock), clock=clock)

    async def fit() -> None:
        await anyio.sleep_forever()

    started = time.monotonic()
    run = await trainer.run(fit)
    late_by = time.monotonic() - started - 0.1

    assert run.status is RunStatus.QUOTA_EXHAUSTED
    assert run.tokens_drawn == 1
    assert -0.001 <= late_by < 0.020


@pytest.mark.asyncio
@pytest.mark.realtime
@pytest.mark.slow
async def test_c3_sync_cpu_training_leaves_the_loop_responsive() -> None:
    """C3: a sync training spins the CPU for 2 s; a 10 ms heartbeat lags under 50 ms."""
    trainer = Trainer(LeakyBucket(120, 0, 1e9), clock=RealClock())
    lags: list[float] = []

    def spin() -> int:
        deadline = time.monotonic() + 2.0
        count = 0
        while time.monotonic() < deadline:
            count += 1
        return count

    async def heartbeat() -> None:
        while True:
            expected = time.monotonic() + 0.010
            await anyio.sleep(0.010)
            lags.append(time.monotonic() - expected)

    async with anyio.create_task_group() as group:
        group.start_soon(heartbeat)
        run = await trainer.run(spin)
        group.cancel_scope.cancel()

    assert run.status is RunStatus.SUCCEEDED
    assert len(lags) > 50
    assert max(lags) < 0.050


@pytest.mark.asyncio
@pytest.mark.realtime
async def test_meter_catches_up_on_minutes_passed_while_the_loop_was_busy() -> None:
    """A loop blocked for 10 scaled minutes still charges all 10 when it wakes."""
    clock = RealClock(speed=6000)
    trainer = Trainer(LeakyBucket(120, 0, 1e9, clock=clock), clock=clock)
    charged: list[tuple[int, int]] = []

    async def fit() -> None:
        started = clock.monotonic()
        time.sleep(0.105)
        await anyio.sleep(0.001)
        whole_minutes = int((clock.monotonic() - started) // 60)
        charged.append((trainer.tokens_drawn, whole_minutes))

    run = await trainer.run(fit)

    assert run.status is RunStatus.SUCCEEDED
    drawn, whole_minutes = charged[0]
    assert drawn >= 10
    assert drawn in (whole_minutes - 1, whole_minutes)


@pytest.mark.asyncio
async def test_slot_remembers_the_last_failed_training_until_a_publish() -> None:
    """A failed training leaves the old version and says why in last_failure; a publish clears it."""
    trainer, _ = manual_trainer()
    slot: ModelSlot[str] = ModelSlot()
    slot.publish("v1")

    def fit() -> str:
        raise ValueError("too few rows")

    await trainer.run(fit, name="weekly", slot=slot)

    failure = slot.last_failure
    assert slot.current == "v1"
    assert failure is not None
    assert (failure.name, failure.status, failure.error) == (
        "weekly",
        RunStatus.FAILED,
        "ValueError: too few rows",
    )

    slot.publish("v2")
    assert slot.last_failure is None
