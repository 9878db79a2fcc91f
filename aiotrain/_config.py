"""Quota settings, with LEAN's defaults and LEAN's ``config.json`` keys."""

from __future__ import annotations

import difflib
import json
import math
import re
import warnings
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any, final

import attrs

from ._clock import Clock
from ._errors import ConfigError
from ._quota import LeakyBucket, integer_digits_beyond_float
from ._store import QuotaStore

__all__ = ["LEAN_KEYS", "QuotaConfig"]

CAPACITY_KEY = "scheduled-event-leaky-bucket-capacity"
INTERVAL_KEY = "scheduled-event-leaky-bucket-time-interval-minutes"
REFILL_KEY = "scheduled-event-leaky-bucket-refill-amount"
TIME_LOOP_KEY = "algorithm-manager-time-loop-maximum"

LEAN_KEYS = {
    "capacity": CAPACITY_KEY,
    "refill_amount": REFILL_KEY,
    "refill_interval_minutes": INTERVAL_KEY,
    "time_loop_maximum_minutes": TIME_LOOP_KEY,
}
"""The LEAN ``config.json`` keys that :meth:`QuotaConfig.from_lean_config` reads, by field."""

_COMMENT_OR_STRING = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*')


def _check_float_range(value: object, name: str) -> None:
    if (digits := integer_digits_beyond_float(value)) is not None:
        raise ConfigError(
            f"{name} must be a number in float range (got an integer of {digits} digits)"
        )


def _to_number(value: object, name: str) -> float:
    """Read a number, or a string holding one, as LEAN's config allows."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a number (got {value!r})") from None

    _check_float_range(value, name)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or math.isnan(value)
    ):
        raise ConfigError(f"{name} must be a number (got {value!r})")

    return int(value) if float(value).is_integer() and not math.isinf(value) else value


def _check_minutes(name: str, *, allow_zero: bool) -> Any:
    def check(
        instance: object, attribute: attrs.Attribute[float], value: float
    ) -> None:
        _check_float_range(value, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or math.isnan(value)
        ):
            raise ConfigError(f"{name} must be a number (got {value!r})")
        if value < 0 or (value == 0 and not allow_zero):
            constraint = "non-negative" if allow_zero else "positive"
            raise ConfigError(f"{name} must be {constraint} (got {value!r})")

    return check


def _default_refill(capacity: object) -> float:
    """LEAN's default refill, ceil(capacity / 7); the capacity's own check runs later."""
    if (
        not isinstance(capacity, int | float)
        or integer_digits_beyond_float(capacity) is not None
        or not math.isfinite(capacity)
    ):
        return 0

    return math.ceil(capacity / 7)


@final
@attrs.frozen
class QuotaConfig:
    """The training quota's settings, in minutes, with LEAN's defaults.

    Args:
        capacity: Minutes the bucket holds when full (LEAN: 120).
        refill_amount: Minutes returned per interval; default
            ``ceil(capacity / 7)`` (18 for 120).
        refill_interval_minutes: Minutes between refills (LEAN: 1440).
        time_loop_maximum_minutes: The longest one time slice's work may
            take; each quota minute drawn during the slice extends it by a
            minute (QuantConnect cloud: 10; LEAN's code: 20 when the key is
            missing).

    Raises:
        ConfigError: A value is not a number, is negative, or an interval or
            capacity is zero. The message names the setting and the value.
    """

    capacity: float = attrs.field(
        default=120, validator=_check_minutes("`capacity`", allow_zero=False)
    )
    refill_amount: float = attrs.field(
        default=attrs.Factory(
            lambda self: _default_refill(self.capacity), takes_self=True
        ),
        validator=_check_minutes("`refill_amount`", allow_zero=True),
    )
    refill_interval_minutes: float = attrs.field(
        default=1440,
        validator=_check_minutes("`refill_interval_minutes`", allow_zero=False),
    )
    time_loop_maximum_minutes: float = attrs.field(
        default=10,
        validator=_check_minutes("`time_loop_maximum_minutes`", allow_zero=False),
    )

    @classmethod
    def unlimited(cls, *, time_loop_maximum_minutes: float = 10) -> QuotaConfig:
        """A quota that never runs out; the time-loop guard still applies."""
        return cls(math.inf, 0, 1440, time_loop_maximum_minutes)

    @property
    def is_unlimited(self) -> bool:
        """Whether the bucket can never run dry."""
        return math.isinf(self.capacity)

    @property
    def time_loop_maximum(self) -> float:
        """The time-loop maximum in seconds."""
        return self.time_loop_maximum_minutes * 60.0

    def make_bucket(
        self, clock: Clock | None = None, *, store: QuotaStore | None = None
    ) -> LeakyBucket:
        """A :class:`LeakyBucket` of minute tokens that refills on ``clock``.

        Without ``store`` the bucket starts full and lives in memory; with
        one (such as :class:`~aiotrain.SqliteStore`) it continues the stored
        quota, or starts it full if the store is new.

        Raises:
            QuotaStoreError: The store is unusable or holds a bucket with
                other settings.
        """
        interval_seconds = self.refill_interval_minutes * 60.0
        return LeakyBucket(
            self.capacity,
            self.refill_amount,
            interval_seconds,
            clock=clock,
            store=store,
        )

    @classmethod
    def from_lean_config(
        cls, source: str | PathLike[str] | Mapping[str, object]
    ) -> QuotaConfig:
        """Read the quota keys of a LEAN ``config.json`` (a path or a mapping).

        Reads ``scheduled-event-leaky-bucket-capacity``,
        ``scheduled-event-leaky-bucket-refill-amount``,
        ``scheduled-event-leaky-bucket-time-interval-minutes`` and
        ``algorithm-manager-time-loop-maximum``; numbers may be JSON numbers or
        strings of numbers, and missing keys take the defaults. Other keys
        are ignored, but a near miss of one of the four warns with both names.
        ``//`` comments, which LEAN's own config file uses, and a UTF-8
        byte-order mark are allowed.

        Raises:
            ConfigError: The file is missing, not UTF-8 or not a JSON
                object, or a value is bad; the message names the file or key
                and the value.
        """
        settings = (
            source if isinstance(source, Mapping) else _read_json_object(Path(source))
        )
        _warn_near_misses(settings)
        values = {field: _lean_value(settings, key) for field, key in LEAN_KEYS.items()}
        return cls(
            **{field: value for field, value in values.items() if value is not None}
        )


def _lean_value(settings: Mapping[str, object], key: str) -> float | None:
    if key not in settings or settings[key] is None:
        return None

    number = _to_number(settings[key], f"config key {key!r}")
    if number < 0:
        raise ConfigError(
            f"config key {key!r} must be non-negative (got {settings[key]!r})"
        )
    if number == 0 and key != REFILL_KEY:
        raise ConfigError(
            f"config key {key!r} must be positive (got {settings[key]!r})"
        )

    return number


def _read_json_object(path: Path) -> Mapping[str, object]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(
            f"cannot read config file {str(path)!r}: {error.strerror}"
        ) from error
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        raise ConfigError(
            f"config file {str(path)!r} is not UTF-8 text "
            f"(byte {byte:#04x} at position {error.start} is not valid)"
        ) from error

    try:
        settings = json.loads(
            _COMMENT_OR_STRING.sub(lambda match: match.group(1) or "", text)
        )
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ConfigError(
            f"config file {str(path)!r} is not valid JSON ({error.msg} at {where})"
        ) from error

    if not isinstance(settings, dict):
        raise ConfigError(
            f"config file {str(path)!r} must hold a JSON object (got {type(settings).__name__})"
        )

    return settings


def _warn_near_misses(settings: Mapping[str, object]) -> None:
    known = list(LEAN_KEYS.values())
    for key in settings:
        if not isinstance(key, str) or key in known:
            continue

        matches = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if matches:
            warnings.warn(
                f"config key {key!r} is not read; did you mean {matches[0]!r}?",
                UserWarning,
                stacklevel=3,
            )
