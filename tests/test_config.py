"""Tests for QuotaConfig: LEAN's defaults, its config file, and bad values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from aiotrain import ConfigError, ManualClock, QuotaConfig


def write_config(tmp_path: Path, settings: object) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(settings))
    return path


def test_defaults_are_leans() -> None:
    """Capacity 120, refill ceil(120 / 7) = 18, every 1440 minutes, loop max 10."""
    config = QuotaConfig()

    assert (config.capacity, config.refill_amount) == (120, 18)
    assert (config.refill_interval_minutes, config.time_loop_maximum_minutes) == (
        1440,
        10,
    )
    assert config.time_loop_maximum == 600.0


def test_default_refill_follows_capacity() -> None:
    """The refill default is ceil(capacity / 7): 2 for capacity 10."""
    assert QuotaConfig(capacity=10).refill_amount == 2


def test_make_bucket_counts_minutes_on_the_clock() -> None:
    """A bucket from the config holds minutes and refills on minute intervals."""
    clock = ManualClock()
    bucket = QuotaConfig(
        capacity=10, refill_amount=3, refill_interval_minutes=2
    ).make_bucket(clock)
    assert bucket.try_consume(10)

    clock.advance(119)
    assert bucket.available == 0

    clock.advance(1)
    assert bucket.available == 3


def test_unlimited_quota() -> None:
    """The unlimited quota never runs dry."""
    config = QuotaConfig.unlimited()
    bucket = config.make_bucket(ManualClock())

    assert config.is_unlimited
    assert bucket.try_consume(10**9)
    assert math.isinf(bucket.available)


def test_q8_reads_numbers_given_as_strings(tmp_path: Path) -> None:
    """Q8: string numbers are read; other keys are ignored."""
    path = write_config(
        tmp_path,
        {
            "scheduled-event-leaky-bucket-capacity": "60",
            "scheduled-event-leaky-bucket-time-interval-minutes": "720",
            "scheduled-event-leaky-bucket-refill-amount": "5",
            "algorithm-manager-time-loop-maximum": 20,
            "environment": "backtesting",
            "data-folder": "../../../Data/",
        },
    )

    assert QuotaConfig.from_lean_config(path) == QuotaConfig(60, 5, 720, 20)


def test_q8_missing_keys_take_defaults(tmp_path: Path) -> None:
    """Q8: missing keys take defaults; the refill default follows the capacity read."""
    path = write_config(tmp_path, {"scheduled-event-leaky-bucket-capacity": 70})

    assert QuotaConfig.from_lean_config(path) == QuotaConfig(70, 10, 1440, 10)


def test_q8_negative_value_names_the_key(tmp_path: Path) -> None:
    """Q8: -5 is an error naming the key and the value."""
    path = write_config(tmp_path, {"scheduled-event-leaky-bucket-refill-amount": -5})

    with pytest.raises(
        ConfigError,
        match=r"'scheduled-event-leaky-bucket-refill-amount' must be non-negative \(got -5\)",
    ):
        QuotaConfig.from_lean_config(path)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"scheduled-event-leaky-bucket-capacity": "lots"},
            r"'scheduled-event-leaky-bucket-capacity' must be a number \(got 'lots'\)",
        ),
        (
            {"scheduled-event-leaky-bucket-capacity": True},
            r"must be a number \(got True\)",
        ),
        (
            {"scheduled-event-leaky-bucket-capacity": [1]},
            r"must be a number \(got \[1\]\)",
        ),
        (
            {"scheduled-event-leaky-bucket-time-interval-minutes": 0},
            r"'scheduled-event-leaky-bucket-time-interval-minutes' must be positive \(got 0\)",
        ),
        (
            {"algorithm-manager-time-loop-maximum": "-1"},
            r"'algorithm-manager-time-loop-maximum' must be non-negative \(got '-1'\)",
        ),
    ],
)
def test_bad_config_values_name_key_and_value(
    settings: dict[str, object], message: str
) -> None:
    """Each bad value is a ConfigError (also a ValueError) naming key and value."""
    with pytest.raises(ValueError, match=message) as caught:
        QuotaConfig.from_lean_config(settings)

    assert isinstance(caught.value, ConfigError)


def test_config_file_that_is_not_json(tmp_path: Path) -> None:
    """A file that is not JSON is an error naming the file and the position."""
    path = tmp_path / "config.json"
    path.write_text('{\n  "scheduled-event-leaky-bucket-capacity": 10,\n  oops\n}')

    with pytest.raises(
        ConfigError, match=r"config\.json' is not valid JSON \(.* at line 3, column 3\)"
    ):
        QuotaConfig.from_lean_config(path)


def test_config_file_that_is_not_an_object(tmp_path: Path) -> None:
    """A JSON list is refused with its type."""
    path = write_config(tmp_path, [1, 2])

    with pytest.raises(ConfigError, match=r"must hold a JSON object \(got list\)"):
        QuotaConfig.from_lean_config(path)


def test_missing_config_file_names_the_path(tmp_path: Path) -> None:
    """A missing file is an error naming the path."""
    with pytest.raises(ConfigError, match=r"cannot read config file '.*nope\.json'"):
        QuotaConfig.from_lean_config(tmp_path / "nope.json")


def test_leans_own_comments_are_allowed(tmp_path: Path) -> None:
    """LEAN's config.json has // comments; they are skipped, URLs in strings kept."""
    path = tmp_path / "config.json"
    path.write_text(
        '{\n  // the quota\n  "scheduled-event-leaky-bucket-capacity": 30, // minutes\n'
        '  "api-url": "https://example.invalid/api/v2/"\n}'
    )

    assert QuotaConfig.from_lean_config(path).capacity == 30


def test_near_miss_key_warns_with_both_names() -> None:
    """A typo of a quota key warns, naming the typo and the real key."""
    with pytest.warns(
        UserWarning,
        match=r"'scheduled-event-leaky-bucket-capasity' is not read; did you mean 'scheduled-event-leaky-bucket-capacity'\?",
    ):
        config = QuotaConfig.from_lean_config(
            {"scheduled-event-leaky-bucket-capasity": 5}
        )

    assert config.capacity == 120


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"capacity": -1}, r"`capacity` must be positive \(got -1\)"),
        ({"capacity": "120"}, r"`capacity` must be a number \(got '120'\)"),
        (
            {"refill_interval_minutes": 0},
            r"`refill_interval_minutes` must be positive \(got 0\)",
        ),
        ({"refill_amount": math.nan}, r"`refill_amount` must be a number \(got nan\)"),
    ],
)
def test_bad_constructor_arguments(arguments: dict[str, object], message: str) -> None:
    """Direct construction checks each value and names the argument."""
    with pytest.raises(ConfigError, match=message):
        QuotaConfig(**arguments)  # type: ignore[arg-type]
