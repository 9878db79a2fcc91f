"""aiotrain: train models on a schedule, under a quota, in async strategies."""

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
    "ScheduleError",
    "TimeLoopExceeded",
    "TimerHandle",
    "TrainingFailed",
    "wait_all_tasks_blocked",
]

__version__ = "0.1.0"

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("aiotrain."):
        _obj.__module__ = "aiotrain"
