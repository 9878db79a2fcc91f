"""The run record as a stream: every training run and skipped occurrence."""

from __future__ import annotations

import enum
from collections import deque
from datetime import datetime
from typing import final

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._scheduler import NoticeKind, ScheduleNotice
from ._training import RunRecord, RunStatus

__all__ = ["EventKind", "EventLog", "RunEvent"]


class EventKind(enum.Enum):
    """What a :class:`RunEvent` reports."""

    TRAINING_SUCCEEDED = "training succeeded"
    TRAINING_FAILED = "training failed"
    QUOTA_EXHAUSTED = "quota exhausted"
    TRAINING_CANCELLED = "training cancelled"
    TRAINING_ABANDONED = "training abandoned"
    OCCURRENCE_SKIPPED = "occurrence skipped"
    OCCURRENCE_MISSED = "occurrence missed"
    OCCURRENCES_COALESCED = "occurrences coalesced"


_RUN_KINDS = {
    RunStatus.SUCCEEDED: EventKind.TRAINING_SUCCEEDED,
    RunStatus.FAILED: EventKind.TRAINING_FAILED,
    RunStatus.QUOTA_EXHAUSTED: EventKind.QUOTA_EXHAUSTED,
    RunStatus.CANCELLED: EventKind.TRAINING_CANCELLED,
    RunStatus.ABANDONED: EventKind.TRAINING_ABANDONED,
}

_NOTICE_KINDS = {
    NoticeKind.SKIPPED: EventKind.OCCURRENCE_SKIPPED,
    NoticeKind.MISSED: EventKind.OCCURRENCE_MISSED,
    NoticeKind.COALESCED: EventKind.OCCURRENCES_COALESCED,
}


@final
@attrs.frozen
class RunEvent:
    """One entry of the run record.

    Attributes:
        kind: What happened.
        name: The training run's or scheduled event's name.
        time: When it was due, on the algorithm's clock (``None`` for a run
            started outside the scheduler without a time).
        message: One line a person can read.
        record: The run's record, for training events.
        notice: The scheduler's notice, for occurrence events.
    """

    kind: EventKind
    name: str
    time: datetime | None
    message: str
    record: RunRecord | None = None
    notice: ScheduleNotice | None = None

    @classmethod
    def from_record(cls, record: RunRecord) -> RunEvent:
        """The event for a finished training run."""
        tokens = f"{record.tokens_drawn} quota minutes, {record.duration:.1f} s"
        outcome = record.error or record.status.value
        message = f"training {record.name!r}: {outcome} ({tokens})"
        return cls(
            _RUN_KINDS[record.status],
            record.name,
            record.scheduled_time,
            message,
            record=record,
        )

    @classmethod
    def from_notice(cls, notice: ScheduleNotice) -> RunEvent:
        """The event for skipped, missed or coalesced occurrences."""
        return cls(
            _NOTICE_KINDS[notice.kind],
            notice.name,
            notice.first_time,
            str(notice),
            notice=notice,
        )


@final
@attrs.define(eq=False, init=False)
class EventLog:
    """Keeps run events and hands them to async subscribers.

    ``emit`` never blocks: a subscriber whose buffer is full misses the
    event, and ``dropped`` counts it. Closing the log ends every
    subscriber's ``async for`` loop.

    Args:
        keep: How many events to keep in :attr:`events` (``None``: all).
    """

    events: deque[RunEvent]
    dropped: int
    _subscribers: list[MemoryObjectSendStream[RunEvent]]
    _closed: bool

    def __init__(self, keep: int | None = None) -> None:
        self.events = deque(maxlen=keep)
        self.dropped = 0
        self._subscribers = []
        self._closed = False

    def subscribe(self, max_buffer: int = 1000) -> MemoryObjectReceiveStream[RunEvent]:
        """A stream of every event emitted from now on; use ``async for`` on it.

        After :meth:`close` the stream is already at its end.
        """
        send, receive = anyio.create_memory_object_stream[RunEvent](max_buffer)
        if self._closed:
            send.close()
        else:
            self._subscribers.append(send)
        return receive

    def emit(self, event: RunEvent) -> None:
        """Keep ``event`` and pass it to every subscriber, without waiting."""
        self.events.append(event)
        for send in list(self._subscribers):
            self._deliver(send, event)

    def record(self, record: RunRecord) -> None:
        """Emit the event for a finished training run."""
        self.emit(RunEvent.from_record(record))

    def notice(self, notice: ScheduleNotice) -> None:
        """Emit the event for a scheduler notice."""
        self.emit(RunEvent.from_notice(notice))

    def close(self) -> None:
        """End every subscription, and any made later."""
        self._closed = True
        for send in self._subscribers:
            send.close()
        self._subscribers.clear()

    def _deliver(self, send: MemoryObjectSendStream[RunEvent], event: RunEvent) -> None:
        try:
            send.send_nowait(event)
        except anyio.WouldBlock:
            self.dropped += 1
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._subscribers.remove(send)
            send.close()
