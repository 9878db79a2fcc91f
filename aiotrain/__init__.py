"""aiotrain: train models on a schedule, under a quota, in async strategies."""

from ._bars import Slice, TradeBar
from ._clock import Clock, ManualClock, RealClock, TimerHandle, wait_all_tasks_blocked
from ._errors import (
    AiotrainError,
    ClockError,
    ConfigError,
    DataError,
    ModelNotReady,
    QuotaExhausted,
    ScheduleError,
    TimeLoopExceeded,
    TrainingFailed,
)
from ._readers import Resolution, merge_slices, read_csv, read_lean, sp500_daily

__all__ = [
    "AiotrainError",
    "Clock",
    "ClockError",
    "ConfigError",
    "DataError",
    "ManualClock",
    "ModelNotReady",
    "QuotaExhausted",
    "RealClock",
    "Resolution",
    "ScheduleError",
    "Slice",
    "TimeLoopExceeded",
    "TimerHandle",
    "TradeBar",
    "TrainingFailed",
    "merge_slices",
    "read_csv",
    "read_lean",
    "sp500_daily",
    "wait_all_tasks_blocked",
]

__version__ = "0.1.0"

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("aiotrain."):
        _obj.__module__ = "aiotrain"
