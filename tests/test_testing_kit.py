"""Tests for the testing kit: the pytest plugin, its fixtures, the harness and the strategies."""

from __future__ import annotations

import importlib.metadata
import itertools
import math
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiotrain import (
    SUNDAY,
    Algorithm,
    ConfigError,
    DateRule,
    LeakyBucket,
    ManualClock,
    QuotaConfig,
    TimeRule,
)
from aiotrain._rule_base import fire_times
from aiotrain.testing import (
    DEFAULT_START,
    Advance,
    BacktestHarness,
    BucketOperation,
    ClockPair,
    TryConsume,
    synthetic_slices,
    training_that_takes,
)
from aiotrain.testing import strategies as ats

pytest_plugins = ["pytester"]

DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2025, 1, 6, tzinfo=NEW_YORK)


def test_the_plugin_is_registered_through_its_entry_point(
    pytestconfig: pytest.Config,
) -> None:
    """The ``pytest11`` entry point names the plugin module, and pytest loaded it."""
    entry_points = importlib.metadata.entry_points(group="pytest11", name="aiotrain")

    assert [entry.value for entry in entry_points] == ["aiotrain.testing.plugin"]
    assert pytestconfig.pluginmanager.has_plugin("aiotrain")


def test_clocks_fixture_gives_two_fresh_manual_clocks(
    aiotrain_clocks: ClockPair,
) -> None:
    """Both clocks start at DEFAULT_START; advance() moves both."""
    assert aiotrain_clocks.simulated is not aiotrain_clocks.real
    assert (
        aiotrain_clocks.simulated.now() == aiotrain_clocks.real.now() == DEFAULT_START
    )

    aiotrain_clocks.advance(90)

    assert (
        aiotrain_clocks.simulated.monotonic(),
        aiotrain_clocks.real.monotonic(),
    ) == (
        90.0,
        90.0,
    )


def test_quota_fixture_is_a_full_default_bucket_on_the_real_clock(
    aiotrain_quota: LeakyBucket, aiotrain_clocks: ClockPair
) -> None:
    """120 tokens; the simulated clock does not refill it, a real day gives 18 back."""
    assert aiotrain_quota.try_consume(120)

    aiotrain_clocks.simulated.advance(3 * 24 * 3600)
    assert aiotrain_quota.available == 0

    aiotrain_clocks.real.advance(24 * 3600)
    assert aiotrain_quota.available == 18


class TestOverriddenQuotaConfig:
    """A fixture named ``aiotrain_quota_config`` nearer the test, as a user's conftest would add."""

    @pytest.fixture
    def aiotrain_quota_config(self) -> QuotaConfig:
        """Ten minutes, one back a minute."""
        return QuotaConfig(capacity=10, refill_amount=1, refill_interval_minutes=1)

    def test_it_changes_the_bucket(self, aiotrain_quota: LeakyBucket) -> None:
        """The bucket fixture is built from the overriding settings."""
        assert (aiotrain_quota.capacity, aiotrain_quota.refill_amount) == (10, 1)
        assert aiotrain_quota.refill_interval == 60.0


class WeeklyTwenty(Algorithm):
    """Trains 20 minutes every Sunday at 08:00 (the L3 case)."""

    def __init__(self, real: ManualClock) -> None:
        self.fit = training_that_takes(real, 20)

    async def initialize(self) -> None:
        await self.train(
            self.date_rules.every(SUNDAY), self.time_rules.at(8, 0), self.fit
        )


@pytest.mark.asyncio
async def test_backtest_harness_runs_in_virtual_time(
    aiotrain_backtest: BacktestHarness,
) -> None:
    """Ten weeks of weekly 20-minute runs: simulated refill never runs dry; wall refill does at run 7."""
    days = list(synthetic_slices(datetime(2025, 1, 6, 16, tzinfo=NEW_YORK), 70))

    simulated = await aiotrain_backtest(WeeklyTwenty, days, refill="simulated")
    wall = await aiotrain_backtest(WeeklyTwenty, days)

    assert len(simulated.runs) == len(wall.runs) == 10
    assert (simulated.tokens_drawn, simulated.exhausted_runs) == (200, ())
    assert wall.runs.index(wall.exhausted_runs[0]) == 6
    assert [run.tokens_drawn for run in wall.runs[5:8]] == [20, 0, 0]
    assert [run.duration for run in simulated.runs] == [1200.0] * 10


@pytest.mark.asyncio
async def test_backtest_harness_takes_a_quota_per_call() -> None:
    """A harness's own quota applies unless the call gives one."""
    harness = BacktestHarness(quota=QuotaConfig(capacity=15), refill="simulated")
    days = list(synthetic_slices(datetime(2025, 1, 6, 16, tzinfo=NEW_YORK), 7))

    small = await harness(WeeklyTwenty, days)
    default = await harness(WeeklyTwenty, days, quota=QuotaConfig())

    assert [(run.tokens_drawn, run.duration) for run in small.runs] == [(15, 960.0)]
    assert [(run.tokens_drawn, run.duration) for run in default.runs] == [(20, 1200.0)]


def test_synthetic_slices_are_flat_and_evenly_spaced() -> None:
    """Three hourly slices of one flat bar each; bad counts and steps are errors."""
    first = datetime(2025, 1, 6, 10, tzinfo=NEW_YORK)

    slices = list(synthetic_slices(first, 3, every=timedelta(hours=1), price=5.0))

    assert [data.time for data in slices] == [
        first + timedelta(hours=n) for n in range(3)
    ]
    assert [data["TEST"].close for data in slices] == [5.0] * 3
    with pytest.raises(ValueError, match=r"`count` must be non-negative \(got -1\)"):
        list(synthetic_slices(first, -1))
    with pytest.raises(ValueError, match=r"`every` must be positive"):
        list(synthetic_slices(first, 1, every=timedelta(0)))


@pytest.mark.asyncio
async def test_training_that_takes_sleeps_on_the_given_clock() -> None:
    """It sleeps its minutes on the clock and returns them; lengths are checked when drawn."""
    clock = ManualClock()
    train = training_that_takes(clock, 2.5)
    broken = training_that_takes(clock, lambda generator: -1.0)

    async with clock.autojump():
        assert await train() == 2.5

    assert clock.monotonic() == 150.0
    with pytest.raises(ValueError, match=r"\(got -1.0\)"):
        await broken()


def test_bucket_operations_apply_to_a_bucket() -> None:
    """TryConsume asks the bucket; Advance moves the clock."""
    clock = ManualClock()
    bucket = LeakyBucket(3, 1, 60, clock=clock)

    outcomes = [
        operation.apply(bucket, clock)
        for operation in (TryConsume(3), TryConsume(1), Advance(60.0), TryConsume(1))
    ]

    assert outcomes == [True, False, None, True]
    assert clock.monotonic() == 60.0


def extract_test_file(page: str) -> tuple[str, str]:
    """The file name and code of the block after a ``<!-- test-file: NAME -->`` line."""
    match = re.search(
        r"^<!-- test-file: (?P<name>\S+) -->\n```python\n(?P<code>.*?)^```$",
        page,
        re.MULTILINE | re.DOTALL,
    )
    assert match is not None, "docs/testing.md has no test-file block"
    return match["name"], match["code"]


@pytest.mark.slow
def test_the_documented_property_test_passes(pytester: pytest.Pytester) -> None:
    """The complete example of docs/testing.md runs as a test file, through the plugin: 5 pass."""
    name, code = extract_test_file(DOCS_PAGE.read_text(encoding="utf-8"))
    pytester.makepyfile(**{name.removesuffix(".py"): code})
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")

    result.assert_outcomes(passed=5)


@given(ats.quota_configs())
def test_quota_configs_are_valid(config: QuotaConfig) -> None:
    """Every drawn config makes a full bucket of at least one minute."""
    bucket = config.make_bucket(ManualClock())

    assert bucket.available == config.capacity >= 1
    assert config.refill_amount <= config.capacity or config.refill_amount == math.ceil(
        config.capacity / 7
    )


@given(ats.lean_configs())
def test_lean_configs_are_read(settings_: dict[str, object]) -> None:
    """Every drawn LEAN config is read, and the values in it are the ones taken."""
    config = QuotaConfig.from_lean_config(settings_)

    capacity = settings_.get("scheduled-event-leaky-bucket-capacity", 120)
    assert config.capacity == float(str(capacity))


@given(ats.invalid_lean_configs())
def test_invalid_lean_configs_are_refused(settings_: dict[str, object]) -> None:
    """Every drawn bad config is a ConfigError naming its key."""
    (key,) = settings_

    with pytest.raises(ConfigError, match=re.escape(repr(key))):
        QuotaConfig.from_lean_config(settings_)


@given(ats.invalid_quota_arguments())
def test_invalid_quota_arguments_are_refused(arguments: dict[str, object]) -> None:
    """Every drawn bad keyword argument is a ConfigError naming the setting."""
    (field,) = arguments

    with pytest.raises(ConfigError, match=f"`{field}`"):
        QuotaConfig(**arguments)  # type: ignore[arg-type]


@given(st.data(), st.floats(0, 300))
def test_training_minutes_are_whole_milliseconds_in_range(
    data: st.DataObject, max_minutes: float
) -> None:
    """Lengths lie in [0, max_minutes] and are whole milliseconds."""
    minutes = data.draw(ats.training_minutes(max_minutes=max_minutes))

    assert 0 <= minutes <= max_minutes
    assert minutes * 60_000 == pytest.approx(round(minutes * 60_000), abs=1e-6)


@settings(max_examples=50)
@given(ats.date_rules(), ats.time_rules(min_interval=timedelta(minutes=30)))
def test_drawn_rules_fire_in_strictly_increasing_order(
    date_rule: DateRule, time_rule: TimeRule
) -> None:
    """Any drawn pair of rules gives strictly increasing instants from the start on."""
    times = fire_times(date_rule, time_rule, START)
    first_ten = [when for _, when in zip(range(10), times, strict=False)]

    assert all(earlier < later for earlier, later in itertools.pairwise(first_ten))
    assert all(when >= START for when in first_ten)


@given(
    st.integers(1, 200).flatmap(
        lambda capacity: st.tuples(st.just(capacity), ats.bucket_operations(capacity))
    )
)
def test_bucket_operations_fit_their_bucket(
    drawn: tuple[int, list[BucketOperation]],
) -> None:
    """Requests are 1 to capacity tokens and clock moves are non-negative: none raises."""
    capacity, operations = drawn
    clock = ManualClock()
    bucket = LeakyBucket(capacity, 1, 60, clock=clock)

    for operation in operations:
        operation.apply(bucket, clock)

    assert 0 <= bucket.available <= capacity
