"""The public API: the export list is pinned, documented and free of pandas."""

from __future__ import annotations

import subprocess
import sys

import aiotrain

EXPORTED = {
    "FRIDAY", "LEAN_KEYS", "MONDAY", "SATURDAY", "SUNDAY", "THURSDAY", "TUESDAY",
    "WEDNESDAY", "AiotrainError", "Algorithm", "BucketStatistics", "Clock",
    "ClockError", "ConfigError", "DataError", "DateRule", "DateRules", "EventKind",
    "EventLog", "LeakyBucket", "ManualClock", "Market", "MemoryStore",
    "MissedRunPolicy", "Mode", "ModelNotReady", "ModelSlot", "NoticeKind",
    "Occurrence", "OverlapPolicy", "QuotaConfig", "QuotaExhausted", "QuotaLedger",
    "QuotaSimulation", "QuotaStore", "QuotaStoreError", "RealClock", "Resolution",
    "RunEvent", "RunRecord", "RunResult", "RunStatus", "ScheduleError",
    "ScheduleNotice", "ScheduledEvent", "Scheduler", "SimulatedRun", "Slice",
    "SqliteStore", "StrategyError", "TimeLoopExceeded", "TimeLoopGuard", "TimeRule",
    "TimeRules", "TimerHandle", "TradeBar", "Trainer", "TrainingFailed",
    "TrainingRun", "Weekday", "backtest", "check_cancelled", "date_rules", "live",
    "merge_slices", "read_csv", "read_lean", "replay", "simulate_quota",
    "sp500_daily", "time_rules", "wait_all_tasks_blocked",
}  # fmt: skip


def test_export_list_is_pinned() -> None:
    """__all__ holds exactly the public names, each importable."""
    assert set(aiotrain.__all__) == EXPORTED
    assert len(aiotrain.__all__) == len(EXPORTED)
    assert all(hasattr(aiotrain, name) for name in EXPORTED)


def test_public_names_show_the_public_module() -> None:
    """Tracebacks and reprs show aiotrain, not the private module a name lives in."""
    own = [getattr(aiotrain, name) for name in EXPORTED if name != "check_cancelled"]
    modules = {
        getattr(obj, "__module__", "aiotrain") for obj in own if isinstance(obj, type)
    }

    assert modules == {"aiotrain"}


def test_every_public_name_has_a_docstring() -> None:
    """Every exported name is documented."""
    undocumented = [
        name for name in EXPORTED if not (getattr(aiotrain, name).__doc__ or "").strip()
    ]

    assert undocumented == []


def test_errors_share_one_root_and_config_errors_are_value_errors() -> None:
    """Every error derives from AiotrainError; bad-value errors are also ValueErrors."""
    errors = [
        getattr(aiotrain, name)
        for name in EXPORTED
        if name.endswith(("Error", "Exhausted", "Exceeded", "NotReady", "Failed"))
    ]

    assert all(issubclass(error, aiotrain.AiotrainError) for error in errors)
    assert all(
        issubclass(error, ValueError)
        for error in (
            aiotrain.ConfigError,
            aiotrain.ClockError,
            aiotrain.ScheduleError,
            aiotrain.DataError,
        )
    )


def test_import_does_not_load_heavy_libraries() -> None:
    """import aiotrain loads neither pandas, exchange_calendars, sklearn, rich nor matplotlib."""
    heavy = ["pandas", "exchange_calendars", "sklearn", "rich", "matplotlib", "numpy"]
    code = f"import sys, aiotrain; print([m for m in {heavy!r} if m in sys.modules])"

    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert output.stdout.strip() == "[]"
