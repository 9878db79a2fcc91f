"""Where a bucket keeps its level: in memory, or in an SQLite file.

A store holds one :class:`QuotaLedger`: the bucket's settings, its refill
anchor and its level, with times as wall-clock epoch microseconds (never
monotonic values, which restart with the machine). A bucket changes the
ledger only through :meth:`QuotaStore.update`, one atomic read-change-write,
so several buckets, in one process or several, can share one quota.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import Protocol, TypeVar, final, runtime_checkable

import attrs

from ._errors import QuotaStoreError

__all__ = ["MemoryStore", "QuotaLedger", "QuotaStore", "SqliteStore"]

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

#: Written into the SQLite header ("aiQt") so a foreign database is recognised.
APPLICATION_ID = 0x61695174
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE quota (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    capacity            REAL    NOT NULL,
    refill_amount       REAL    NOT NULL,
    refill_interval_us  INTEGER NOT NULL,
    anchor_us           INTEGER NOT NULL,
    level               REAL    NOT NULL,
    refills_applied     INTEGER NOT NULL
)
"""

_COLUMNS = (
    "capacity, refill_amount, refill_interval_us, anchor_us, level, refills_applied"
)


def epoch_microseconds(when: datetime) -> int:
    """Whole microseconds from the Unix epoch to the aware datetime ``when``."""
    return (when - _EPOCH) // _MICROSECOND


@final
@attrs.frozen
class QuotaLedger:
    """Everything a store keeps about one bucket.

    Refill follows the bucket's rule in integer microseconds: refill number
    ``k`` falls at ``anchor_us + k * refill_interval_us`` and adds
    ``refill_amount`` tokens, up to ``capacity``.

    Attributes:
        capacity: The most tokens the bucket holds.
        refill_amount: Tokens returned at each interval boundary.
        refill_interval_us: Microseconds between refills.
        anchor_us: Wall-clock epoch microseconds when the bucket was first
            made; refills are counted from here.
        level: Tokens in the bucket after ``refills_applied`` refills.
        refills_applied: How many interval boundaries have been applied.
    """

    capacity: float
    refill_amount: float
    refill_interval_us: int
    anchor_us: int
    level: float
    refills_applied: int = 0

    def refilled(self, now_us: int) -> QuotaLedger:
        """This ledger with every boundary up to ``now_us`` applied."""
        due = max(0, (now_us - self.anchor_us) // self.refill_interval_us)
        if self.refill_amount == 0 or due <= self.refills_applied:
            return self

        gained = (due - self.refills_applied) * self.refill_amount
        level = min(self.capacity, self.level + gained)
        return attrs.evolve(self, level=level, refills_applied=due)

    def settings_differ(self, other: QuotaLedger) -> bool:
        """Whether capacity, refill amount or interval differ from ``other``'s."""
        return (self.capacity, self.refill_amount, self.refill_interval_us) != (
            other.capacity,
            other.refill_amount,
            other.refill_interval_us,
        )

    def describe_settings(self) -> str:
        """The settings in words, for error messages."""
        return (
            f"capacity {self.capacity:g}, refill {self.refill_amount:g} "
            f"every {self.refill_interval_us / 1e6:g} s"
        )


def _mismatch(where: str, stored: QuotaLedger, wanted: QuotaLedger) -> QuotaStoreError:
    return QuotaStoreError(
        f"{where} holds a bucket with {stored.describe_settings()}, "
        f"not {wanted.describe_settings()}; use the stored settings or a new file"
    )


@runtime_checkable
class QuotaStore(Protocol):
    """Where a :class:`~aiotrain.LeakyBucket` keeps its ledger.

    Both methods are synchronous: a bucket calls them from the event loop,
    so they must be quick. Implementations make :meth:`update` atomic with
    respect to every other bucket sharing the store.
    """

    def open(self, fresh: QuotaLedger) -> QuotaLedger:
        """Return the stored ledger, first storing ``fresh`` if there is none.

        Raises:
            QuotaStoreError: The store holds a ledger with other settings,
                or cannot be read.
        """

    def update(
        self, change: Callable[[QuotaLedger], tuple[QuotaLedger, T]]
    ) -> tuple[QuotaLedger, T]:
        """Atomically read the ledger, apply ``change``, store the result.

        Returns the ledger as stored and the second item ``change`` returned.
        ``change`` must not have side effects: act on its result only after
        ``update`` returns, when the change is committed.

        Raises:
            QuotaStoreError: The store cannot be read or written.
        """


@final
@attrs.define(eq=False)
class MemoryStore:
    """A ledger in this process's memory, shareable by buckets of the process.

    A bucket made without a store keeps the same state in its own fields,
    which is faster; pass one ``MemoryStore`` to several buckets to make
    them share one quota within a process. Nothing survives the process.
    """

    _ledger: QuotaLedger | None = attrs.field(default=None, init=False)

    def open(self, fresh: QuotaLedger) -> QuotaLedger:
        """Return the ledger, storing ``fresh`` first if the store is new.

        Raises:
            QuotaStoreError: The store already holds a bucket with other
                settings.
        """
        if self._ledger is None:
            self._ledger = fresh
        elif self._ledger.settings_differ(fresh):
            raise _mismatch("the memory store", self._ledger, fresh)

        return self._ledger

    def update(
        self, change: Callable[[QuotaLedger], tuple[QuotaLedger, T]]
    ) -> tuple[QuotaLedger, T]:
        """Apply ``change`` to the ledger; atomic because it never yields.

        Raises:
            QuotaStoreError: The store was never opened.
        """
        if self._ledger is None:
            raise QuotaStoreError("the memory store is used before it was opened")

        self._ledger, result = change(self._ledger)
        return self._ledger, result


@final
@attrs.define(eq=False, init=False)
class SqliteStore:
    """A ledger in an SQLite file, shared by every process that opens it.

    Each call opens the file, runs one ``BEGIN IMMEDIATE`` transaction and
    closes it again, so every change is committed (and synced to disk) before
    the call returns, no connection outlives a call, and a forked process
    can use the store freely. A process killed at any moment loses at most
    the change it had not yet committed.

    Each call blocks the calling thread, and so the event loop, for one
    transaction: about a millisecond on a local disk, and up to ``timeout``
    seconds while another process holds the file's write lock.

    Args:
        path: The database file; made, with its table, if it does not exist
            or is empty.
        timeout: Seconds to wait for another process's write lock before
            failing.

    Raises:
        ValueError: ``timeout`` is negative or not a number.
    """

    path: Path
    timeout: float

    def __init__(self, path: str | PathLike[str], *, timeout: float = 5.0) -> None:
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not timeout >= 0
        ):
            raise ValueError(
                f"`timeout` must be a non-negative number (got {timeout!r})"
            )

        self.path = Path(path)
        self.timeout = float(timeout)

    def open(self, fresh: QuotaLedger) -> QuotaLedger:
        """Return the file's ledger, creating the file's table from ``fresh``.

        Blocks for one transaction, as described above.

        Raises:
            QuotaStoreError: The file is not an SQLite database, is another
                program's database, was written by another schema version,
                holds a bucket with other settings, is locked for longer
                than ``timeout``, or cannot be opened. The message names
                the file.
        """
        return self._transaction(lambda connection: self._open_in(connection, fresh))

    def update(
        self, change: Callable[[QuotaLedger], tuple[QuotaLedger, T]]
    ) -> tuple[QuotaLedger, T]:
        """Apply ``change`` in one committed transaction.

        Blocks for one transaction, as described above; the file is written
        only when ``change`` altered the ledger.

        Raises:
            QuotaStoreError: As for :meth:`open`, or the file's table has
                gone.
        """
        return self._transaction(lambda connection: self._update_in(connection, change))

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` on a fresh connection."""
        try:
            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None
            )
        except sqlite3.Error as error:
            raise self._error(error) from error

        with closing(connection):
            try:
                connection.execute("BEGIN IMMEDIATE")
                result = body(connection)
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                raise self._error(error) from error
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")

        return result

    def _open_in(
        self, connection: sqlite3.Connection, fresh: QuotaLedger
    ) -> QuotaLedger:
        if _is_empty(connection):
            _create(connection, fresh)
            return fresh

        self._check_schema(connection)
        stored = self._read(connection)
        if stored.settings_differ(fresh):
            raise _mismatch(f"quota file {str(self.path)!r}", stored, fresh)

        return stored

    def _update_in(
        self,
        connection: sqlite3.Connection,
        change: Callable[[QuotaLedger], tuple[QuotaLedger, T]],
    ) -> tuple[QuotaLedger, T]:
        self._check_schema(connection)
        stored = self._read(connection)
        changed, result = change(stored)
        if changed != stored:
            _write(connection, changed)

        return changed, result

    def _check_schema(self, connection: sqlite3.Connection) -> None:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if application_id != APPLICATION_ID:
            tables = ", ".join(_table_names(connection)) or "none"
            raise QuotaStoreError(
                f"quota file {str(self.path)!r} is an SQLite database of another "
                f"program (application_id {application_id}, tables: {tables})"
            )
        if version != SCHEMA_VERSION:
            raise QuotaStoreError(
                f"quota file {str(self.path)!r} has schema version {version}; "
                f"this aiotrain reads version {SCHEMA_VERSION}"
            )

    def _read(self, connection: sqlite3.Connection) -> QuotaLedger:
        row = connection.execute(
            f"SELECT {_COLUMNS} FROM quota WHERE id = 1"
        ).fetchone()
        if row is None:
            raise QuotaStoreError(f"quota file {str(self.path)!r} holds no quota row")

        if not _row_is_sound(row):
            raise QuotaStoreError(
                f"quota file {str(self.path)!r} holds impossible values {row!r}"
            )

        return QuotaLedger(*row)

    def _error(self, error: sqlite3.Error) -> QuotaStoreError:
        if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY":
            reason = f"it stayed locked by another process for {self.timeout:g} s"
        elif getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
            reason = "it is not an SQLite database"
        else:
            reason = str(error)

        return QuotaStoreError(f"cannot use quota file {str(self.path)!r}: {reason}")


def _is_empty(connection: sqlite3.Connection) -> bool:
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    return application_id == 0 and not _table_names(connection)


def _table_names(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
    ).fetchall()
    return [name for (name,) in rows]


def _create(connection: sqlite3.Connection, ledger: QuotaLedger) -> None:
    connection.execute(_SCHEMA)
    connection.execute(
        f"INSERT INTO quota (id, {_COLUMNS}) VALUES (1, ?, ?, ?, ?, ?, ?)",
        _values(ledger),
    )
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _write(connection: sqlite3.Connection, ledger: QuotaLedger) -> None:
    connection.execute(
        "UPDATE quota SET level = ?, refills_applied = ? WHERE id = 1",
        (ledger.level, ledger.refills_applied),
    )


def _row_is_sound(row: tuple[object, ...]) -> bool:
    capacity, refill_amount, interval_us, anchor_us, level, refills_applied = row
    reals = (capacity, refill_amount, level)
    return (
        all(isinstance(value, int | float) for value in reals)
        and 0 <= level <= capacity  # type: ignore[operator]
        and isinstance(anchor_us, int)
        and isinstance(interval_us, int)
        and interval_us > 0
        and isinstance(refills_applied, int)
        and refills_applied >= 0
    )


def _values(ledger: QuotaLedger) -> tuple[float, float, int, int, float, int]:
    return (
        ledger.capacity,
        ledger.refill_amount,
        ledger.refill_interval_us,
        ledger.anchor_us,
        ledger.level,
        ledger.refills_applied,
    )
