"""Model readiness: a slot that holds the current version of a model."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, TypeVar, cast, final

import attrs

from ._errors import AiotrainError, ModelNotReady

if TYPE_CHECKING:
    from ._runs import RunRecord

__all__ = ["ModelSlot"]

ModelT = TypeVar("ModelT")

_EMPTY = object()


@final
@attrs.define(eq=False, init=False)
class ModelSlot(Generic[ModelT]):
    """The current version of a model, published atomically.

    A training run publishes each new model with :meth:`publish`; the
    strategy reads :attr:`current`, which is always a complete, published
    version: while a new version trains, the previous one keeps serving.
    ``ready``, ``version`` and ``is_training`` answer at once.

    :meth:`publish` may be called from any thread. Waiting with
    :meth:`wait_ready` or :meth:`wait_version` ties the slot to the running
    event loop; a slot is free until then, and moves on by itself once that
    loop is closed. Waiting from a second loop while the first still runs
    is an error.

    Args:
        name: A label used in messages.
    """

    name: str
    _model: object
    _version: int
    _training: int
    _lock: threading.Lock
    _loop: asyncio.AbstractEventLoop | None
    _published: asyncio.Event | None
    _last_failure: RunRecord | None

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self._model = _EMPTY
        self._version = 0
        self._training = 0
        self._lock = threading.Lock()
        self._loop = None
        self._published = None
        self._last_failure = None

    @property
    def ready(self) -> bool:
        """Whether a version has been published."""
        return self._version > 0

    @property
    def version(self) -> int:
        """How many versions were published; 0 before the first."""
        return self._version

    @property
    def is_training(self) -> bool:
        """Whether a training run is producing a new version right now."""
        return self._training > 0

    @property
    def current(self) -> ModelT:
        """The last published version.

        Raises:
            ModelNotReady: Nothing has been published yet.
        """
        model = self._model
        if model is _EMPTY:
            state = (
                "a first version is training"
                if self.is_training
                else "nothing is training"
            )
            raise ModelNotReady(
                f"model slot {self.name!r} has no published version yet ({state})"
            )

        return cast(ModelT, model)

    def publish(self, model: ModelT) -> int:
        """Install ``model`` as the current version; returns its version number.

        Safe from any thread; tasks waiting for a version wake at once.
        """
        with self._lock:
            self._model = model
            self._last_failure = None
            self._version += 1
            version = self._version
            published, loop = self._published, self._loop
            self._published = None

        if published is not None and loop is not None:
            _set_event_from_any_thread(published, loop)

        return version

    @property
    def last_failure(self) -> RunRecord | None:
        """The record of the last training into this slot that failed or ran
        out of quota since the last publish; ``None`` if there is none.

        A failed run publishes nothing, so the previous version keeps
        serving; this tells a strategy that a newer one is not coming.
        """
        return self._last_failure

    def note_failure(self, record: RunRecord) -> None:
        """Remember that a training into this slot failed (the engine calls this)."""
        self._last_failure = record

    @contextmanager
    def training(self) -> Iterator[None]:
        """Mark the slot as training for the duration of the block."""
        with self._lock:
            self._training += 1
        try:
            yield
        finally:
            with self._lock:
                self._training -= 1

    async def wait_ready(self) -> ModelT:
        """Wait until a version is published and return it.

        Returns at once (without yielding) if one already is. Cancelling the
        wait has no effect on the slot.
        """
        await self.wait_version(1)
        return self.current

    async def wait_version(self, version: int) -> ModelT:
        """Wait until at least ``version`` versions are published; return the current.

        Raises:
            ValueError: ``version`` is below 1.
            AiotrainError: The slot is in use by another, running event loop.
        """
        if version < 1:
            raise ValueError(f"`version` must be at least 1 (got {version})")

        while self._version < version:
            await self._next_publication()

        return self.current

    async def _next_publication(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            self._bind(loop)
            if self._published is None:
                self._published = asyncio.Event()
            published = self._published

        await published.wait()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return

        if (
            self._loop is not None
            and not self._loop.is_closed()
            and self._published is not None
        ):
            raise AiotrainError(
                f"model slot {self.name!r} is waited on from two event loops; use one slot per loop"
            )

        self._loop = loop
        self._published = None


def _set_event_from_any_thread(
    event: asyncio.Event, loop: asyncio.AbstractEventLoop
) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None

    if running is loop:
        event.set()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(event.set)
