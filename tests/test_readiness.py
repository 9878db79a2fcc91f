"""Tests for ModelSlot: versions, waiting, threads and event loops."""

from __future__ import annotations

import asyncio
import threading
import time

import anyio
import pytest

from aiotrain import AiotrainError, ModelNotReady, ModelSlot, wait_all_tasks_blocked


def test_empty_slot_is_not_ready() -> None:
    """Before the first publish, current raises ModelNotReady with the slot's name."""
    slot: ModelSlot[str] = ModelSlot("direction")

    assert (slot.ready, slot.version, slot.is_training) == (False, 0, False)
    with pytest.raises(
        ModelNotReady, match="model slot 'direction' has no published version yet"
    ):
        _ = slot.current


def test_publish_installs_versions_in_order() -> None:
    """Each publish returns the next version and becomes current."""
    slot: ModelSlot[str] = ModelSlot()

    assert slot.publish("a") == 1
    assert slot.publish("b") == 2
    assert (slot.current, slot.version, slot.ready) == ("b", 2, True)


def test_training_flag_while_previous_version_serves() -> None:
    """While training, the previous version keeps serving and is_training is set."""
    slot: ModelSlot[str] = ModelSlot()
    slot.publish("v1")

    with slot.training():
        assert (slot.is_training, slot.current) == (True, "v1")

    assert slot.is_training is False


@pytest.mark.asyncio
async def test_wait_version_wakes_on_the_right_publication() -> None:
    """wait_version(2) returns the second version, not the first."""
    slot: ModelSlot[str] = ModelSlot()
    got: list[str] = []

    async def waiter() -> None:
        got.append(await slot.wait_version(2))

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await wait_all_tasks_blocked()
        slot.publish("v1")
        await wait_all_tasks_blocked()
        assert got == []
        slot.publish("v2")

    assert got == ["v2"]


@pytest.mark.asyncio
async def test_wait_ready_returns_at_once_when_ready() -> None:
    """wait_ready on a ready slot returns its current model."""
    slot: ModelSlot[int] = ModelSlot()
    slot.publish(7)

    assert await slot.wait_ready() == 7


@pytest.mark.asyncio
async def test_bad_version_number() -> None:
    """wait_version(0) is a ValueError naming the value."""
    with pytest.raises(ValueError, match=r"`version` must be at least 1 \(got 0\)"):
        await ModelSlot().wait_version(0)


@pytest.mark.asyncio
@pytest.mark.realtime
async def test_c2_publish_from_a_worker_thread_wakes_the_waiter_quickly() -> None:
    """C2: publish from a thread wakes a wait_ready() task within 50 ms of real time."""
    slot: ModelSlot[str] = ModelSlot()
    published_at: list[float] = []

    def publish_later() -> None:
        time.sleep(0.05)
        published_at.append(time.monotonic())
        slot.publish("from thread")

    thread = threading.Thread(target=publish_later)
    thread.start()
    model = await slot.wait_ready()
    woke_at = time.monotonic()
    thread.join()

    assert model == "from thread"
    assert woke_at - published_at[0] < 0.05


def test_slot_moves_to_a_new_loop_once_the_old_one_is_closed() -> None:
    """A slot waited on in one asyncio.run can be waited on in the next."""
    slot: ModelSlot[int] = ModelSlot()

    async def wait_for(version: int) -> int:
        async with anyio.create_task_group() as group:
            group.start_soon(slot.wait_version, version)
            await wait_all_tasks_blocked()
            slot.publish(version)
        return slot.current

    assert asyncio.run(wait_for(1)) == 1
    assert asyncio.run(wait_for(2)) == 2


def test_waiting_from_two_running_loops_is_a_clear_error() -> None:
    """Two loops waiting on one slot at once get an error naming the slot."""
    slot: ModelSlot[int] = ModelSlot("shared")
    first_waiting = threading.Event()
    errors: list[BaseException] = []

    async def wait_in_first_loop() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(slot.wait_ready)
            await wait_all_tasks_blocked()
            first_waiting.set()

    def first_loop() -> None:
        asyncio.run(wait_in_first_loop())

    thread = threading.Thread(target=first_loop)
    thread.start()
    first_waiting.wait(5)
    try:
        asyncio.run(slot.wait_ready())
    except AiotrainError as error:
        errors.append(error)
    finally:
        slot.publish(1)
        thread.join(5)

    assert len(errors) == 1
    assert "model slot 'shared' is waited on from two event loops" in str(errors[0])
