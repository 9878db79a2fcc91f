"""Hypothesis strategies for quota settings, training lengths, rules and bucket use.

Import this module on its own; it needs hypothesis (``pip install
hypothesis``). Every strategy draws values that aiotrain accepts, except the
``invalid_*`` ones, which draw values it must refuse with a
:class:`~aiotrain.ConfigError`.

Example:
    A property that holds for every valid quota::

        from hypothesis import given
        from aiotrain.testing import strategies as ats

        @given(ats.quota_configs())
        def test_a_fresh_bucket_is_full(config):
            assert config.make_bucket().available == config.capacity
"""

from __future__ import annotations

import math
from datetime import date, timedelta, tzinfo
from typing import Any

from hypothesis import strategies as st

from .._config import LEAN_KEYS, QuotaConfig
from .._date_rules import DateRules, Weekday
from .._rule_base import DateRule, TimeRule
from .._time_rules import TimeRules
from ._operations import Advance, BucketOperation, TryConsume

__all__ = [
    "bucket_operations",
    "date_rules",
    "invalid_lean_configs",
    "invalid_quota_arguments",
    "lean_configs",
    "quota_configs",
    "time_rules",
    "training_minutes",
]

NEW_YORK = "America/New_York"

#: Refill intervals that real configs use, in minutes: hour, day, week.
COMMON_INTERVALS = (60, 1440, 10080)

#: Keys a LEAN config holds besides the quota's; they are never near misses.
UNRELATED_LEAN_KEYS = ("data-folder", "debug-mode", "job-queue-handler")


def quota_configs(
    *, max_capacity: int = 1440, max_interval_minutes: int = 10080
) -> st.SearchStrategy[QuotaConfig]:
    """Valid quota settings in whole minutes.

    Capacity is at least one minute (so a run can be charged); the refill
    is between 0 and the capacity, or LEAN's default ``ceil(capacity / 7)``;
    the interval is a common one (an hour, a day, a week) or any up to
    ``max_interval_minutes``.

    Example:
        >>> from aiotrain.testing import strategies as ats
        >>> config = ats.quota_configs(max_capacity=10).example()  # doctest: +SKIP
        >>> 1 <= config.capacity <= 10  # doctest: +SKIP
        True
    """
    return st.integers(1, max_capacity).flatmap(
        lambda capacity: st.builds(
            _config,
            capacity=st.just(capacity),
            refill_amount=st.none() | st.integers(0, capacity),
            refill_interval_minutes=st.sampled_from(COMMON_INTERVALS)
            | st.integers(1, max_interval_minutes),
            time_loop_maximum_minutes=st.integers(1, 60),
        )
    )


def _config(
    capacity: int,
    refill_amount: int | None,
    refill_interval_minutes: int,
    time_loop_maximum_minutes: int,
) -> QuotaConfig:
    if refill_amount is None:
        return QuotaConfig(
            capacity,
            refill_interval_minutes=refill_interval_minutes,
            time_loop_maximum_minutes=time_loop_maximum_minutes,
        )

    return QuotaConfig(
        capacity, refill_amount, refill_interval_minutes, time_loop_maximum_minutes
    )


def lean_configs() -> st.SearchStrategy[dict[str, object]]:
    """LEAN ``config.json`` contents that :meth:`QuotaConfig.from_lean_config` accepts.

    Each of the four quota keys is missing, a JSON number, or a string of
    a number, as LEAN's own files write them; a few unrelated keys are
    mixed in.

    Example:
        ``{"scheduled-event-leaky-bucket-capacity": "90", "debug-mode": False}``
    """
    values = {
        "capacity": st.integers(1, 1440),
        "refill_amount": st.integers(0, 200),
        "refill_interval_minutes": st.integers(1, 10080),
        "time_loop_maximum_minutes": st.integers(1, 60),
    }
    entries = {
        LEAN_KEYS[field]: _number_or_string(strategy)
        for field, strategy in values.items()
    }
    unrelated = {
        key: st.booleans() | st.sampled_from(["", "../Data/", "Lean.Engine"])
        for key in UNRELATED_LEAN_KEYS
    }
    return st.fixed_dictionaries({}, optional={**entries, **unrelated})


def _number_or_string(numbers: st.SearchStrategy[int]) -> st.SearchStrategy[object]:
    return numbers | numbers.map(str) | numbers.map(float)


def invalid_lean_configs() -> st.SearchStrategy[dict[str, object]]:
    """LEAN config contents with one bad quota value; reading them must fail.

    The bad value is negative, zero where zero is meaningless, not a
    number, or a string that holds no number.

    Example:
        ``{"scheduled-event-leaky-bucket-capacity": -5}``
    """
    return st.sampled_from(sorted(LEAN_KEYS.values())).flatmap(
        lambda key: st.builds(
            lambda value: {key: value},
            _bad_value(allow_zero=key == LEAN_KEYS["refill_amount"]),
        )
    )


def _bad_value(*, allow_zero: bool) -> st.SearchStrategy[Any]:
    bad: st.SearchStrategy[Any] = st.one_of(
        st.integers(max_value=-1),
        st.floats(max_value=-1e-9, allow_nan=False),
        st.just(math.nan),
        st.just("nan"),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.text(alphabet="abcxyz-/", min_size=1, max_size=6),
    )
    return bad if allow_zero else bad | st.sampled_from([0, 0.0, "0"])


def invalid_quota_arguments() -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments of :class:`~aiotrain.QuotaConfig` with one bad value.

    Example:
        ``{"refill_interval_minutes": 0}``; ``QuotaConfig(**arguments)`` raises.
    """
    fields = sorted(LEAN_KEYS)
    return st.sampled_from(fields).flatmap(
        lambda field: st.builds(
            lambda value: {field: value},
            _bad_value(allow_zero=field == "refill_amount"),
        )
    )


def training_minutes(
    *, max_minutes: float = 240.0, whole_minutes: bool = False
) -> st.SearchStrategy[float]:
    """Lengths of training runs, in minutes, from 0 to ``max_minutes``, to the millisecond.

    Whole minutes and the instants either side of them are drawn often,
    since that is where the meter draws a token (a run of exactly ``n``
    minutes draws ``n`` tokens; one a millisecond shorter draws ``n - 1``).
    Lengths are whole milliseconds so that a length below a minute boundary
    stays below it in the clock's float arithmetic.

    Example:
        ``45.0``, ``44.99998333`` (a millisecond short of 45), ``0.5``.
    """
    last_minute = math.floor(max_minutes)
    whole = st.integers(0, last_minute).map(float)
    if whole_minutes:
        return whole

    anywhere = st.integers(0, math.floor(max_minutes * 60_000)).map(_from_ms)
    if last_minute < 1:
        return st.one_of(whole, anywhere)

    near_boundary = st.tuples(st.integers(1, last_minute), st.sampled_from([-1, 1]))
    beside_a_minute = near_boundary.map(
        lambda pair: _from_ms(pair[0] * 60_000 + pair[1])
    ).filter(lambda minutes: minutes <= max_minutes)
    return st.one_of(whole, beside_a_minute, anywhere)


def _from_ms(milliseconds: int) -> float:
    return milliseconds / 60_000


def date_rules(
    time_zone: tzinfo | str = NEW_YORK,
) -> st.SearchStrategy[DateRule]:
    """Date rules that need no market calendar, in ``time_zone``.

    Every day, some weekdays, week start or end with an offset, month start
    or end with an offset, or a handful of dates in 2020 to 2030.

    Example:
        ``date_rules.every(SUNDAY)``, ``date_rules.month_end(2)``.
    """
    rules = DateRules(time_zone)
    weekdays = st.lists(st.sampled_from(list(Weekday)), min_size=1, unique=True)
    dates = st.lists(
        st.dates(date(2020, 1, 1), date(2030, 12, 31)), min_size=1, max_size=5
    )
    return st.one_of(
        st.just(rules.every_day()),
        weekdays.map(lambda days: rules.every(*days)),
        st.integers(0, 6).map(lambda offset: rules.week_start(None, offset)),
        st.integers(0, 6).map(lambda offset: rules.week_end(None, offset)),
        st.integers(0, 30).map(lambda offset: rules.month_start(None, offset)),
        st.integers(0, 30).map(lambda offset: rules.month_end(None, offset)),
        dates.map(lambda days: rules.on(*days)),
    )


def time_rules(
    time_zone: tzinfo | str = NEW_YORK,
    *,
    min_interval: timedelta = timedelta(hours=1),
) -> st.SearchStrategy[TimeRule]:
    """Time rules that need no market calendar, in ``time_zone``.

    A wall time of day (to the minute), midnight, noon, or every
    ``min_interval`` or more (whole minutes, up to a day).

    Example:
        ``time_rules.at(8, 0)``, ``time_rules.every(timedelta(hours=6))``.
    """
    rules = TimeRules(time_zone)
    shortest = max(1, math.ceil(min_interval / timedelta(minutes=1)))
    intervals = st.integers(shortest, max(shortest, 1440)).map(
        lambda minutes: timedelta(minutes=minutes)
    )
    return st.one_of(
        st.builds(rules.at, st.integers(0, 23), st.integers(0, 59)),
        st.just(rules.midnight),
        st.just(rules.noon),
        intervals.map(rules.every),
    )


def bucket_operations(
    capacity: int, *, max_advance: float = 7200.0, max_size: int = 50
) -> st.SearchStrategy[list[BucketOperation]]:
    """Sequences of :class:`TryConsume` and :class:`Advance` for a bucket of ``capacity``.

    Requests are between 1 and ``capacity`` tokens; clock moves between 0
    and ``max_advance`` seconds, including exact multiples of a minute.
    Apply each with ``operation.apply(bucket, clock)``.

    Example:
        ``[TryConsume(3), Advance(60.0), TryConsume(1)]``
    """
    advances = st.one_of(
        st.floats(0, max_advance, allow_nan=False, allow_infinity=False),
        st.integers(0, max(0, int(max_advance // 60))).map(lambda n: n * 60.0),
    ).map(Advance)
    consumes = st.integers(1, max(1, capacity)).map(TryConsume)
    operation: st.SearchStrategy[BucketOperation] = st.one_of(consumes, advances)
    return st.lists(operation, max_size=max_size)
