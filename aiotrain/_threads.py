"""The link between the event loop and a sync training's worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Literal

import attrs

__all__ = ["ThreadLink"]


@attrs.define(eq=False)
class ThreadLink:
    """What the event loop and a training thread tell each other.

    The thread may not have started when the run is stopped; then it is
    told never to start. Once it runs, the loop can ask to be called back
    when it ends.
    """

    loop: asyncio.AbstractEventLoop = attrs.field(factory=asyncio.get_running_loop)
    _state: Literal["waiting", "running", "ended", "skipped"] = "waiting"
    _on_end: list[Callable[[], None]] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def thread_starts(self) -> bool:
        """From the thread: whether to run at all."""
        with self._lock:
            if self._state == "skipped":
                return False

            self._state = "running"
            return True

    def thread_ends(self) -> None:
        """From the thread: run the end callbacks on the loop."""
        with self._lock:
            self._state = "ended"
            callbacks = list(self._on_end)

        for callback in callbacks:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(callback)

    def abandon(self, on_end: Callable[[], None]) -> bool:
        """From the loop: call ``on_end`` when the thread ends.

        Returns ``False`` (and calls nothing) if the thread never started;
        it never will.
        """
        with self._lock:
            if self._state == "waiting":
                self._state = "skipped"
                return False
            if self._state == "running":
                self._on_end.append(on_end)
                return True

        on_end()
        return True
