"""aiotrain: train models on a schedule, under a quota, in async strategies."""

from ._algorithm import Algorithm, Mode
from ._bars import Slice, TradeBar
from ._clock import Clock, ManualClock, RealClock, TimerHandle, wait_all_tasks_blocked
from ._config import LEAN_KEYS, QuotaConfig
from ._csv_reader import read_csv
from ._date_rules import (
    FRIDAY,
    MONDAY,
    SATURDAY,
    SUNDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    DateRules,
    Weekday,
    date_rules,
)
from ._embedded import sp500_daily
from ._errors import (
    AiotrainError,
    ClockError,
    ConfigError,
    DataError,
    ModelNotReady,
    QuotaExhausted,
    QuotaStoreError,
    ScheduleError,
    StrategyError,
    TimeLoopExceeded,
    TrainingFailed,
)
from ._events import EventKind, EventLog, RunEvent
from ._guard import TimeLoopGuard
from ._lean_reader import Resolution, read_lean
from ._markets import Market
from ._merge import merge_slices
from ._quota import BucketStatistics, LeakyBucket
from ._readiness import ModelSlot
from ._rule_base import DateRule, TimeRule
from ._runner import RunResult, backtest, live, replay
from ._scheduler import (
    MissedRunPolicy,
    NoticeKind,
    Occurrence,
    OverlapPolicy,
    ScheduledEvent,
    ScheduleNotice,
    Scheduler,
)
from ._simulator import QuotaSimulation, SimulatedRun, simulate_quota
from ._store import MemoryStore, QuotaLedger, QuotaStore, SqliteStore
from ._time_rules import TimeRules, time_rules
from ._training import RunRecord, RunStatus, Trainer, TrainingRun, check_cancelled

__all__ = [
    "FRIDAY",
    "LEAN_KEYS",
    "MONDAY",
    "SATURDAY",
    "SUNDAY",
    "THURSDAY",
    "TUESDAY",
    "WEDNESDAY",
    "AiotrainError",
    "Algorithm",
    "BucketStatistics",
    "Clock",
    "ClockError",
    "ConfigError",
    "DataError",
    "DateRule",
    "DateRules",
    "EventKind",
    "EventLog",
    "LeakyBucket",
    "ManualClock",
    "Market",
    "MemoryStore",
    "MissedRunPolicy",
    "Mode",
    "ModelNotReady",
    "ModelSlot",
    "NoticeKind",
    "Occurrence",
    "OverlapPolicy",
    "QuotaConfig",
    "QuotaExhausted",
    "QuotaLedger",
    "QuotaSimulation",
    "QuotaStore",
    "QuotaStoreError",
    "RealClock",
    "Resolution",
    "RunEvent",
    "RunRecord",
    "RunResult",
    "RunStatus",
    "ScheduleError",
    "ScheduleNotice",
    "ScheduledEvent",
    "Scheduler",
    "SimulatedRun",
    "Slice",
    "SqliteStore",
    "StrategyError",
    "TimeLoopExceeded",
    "TimeLoopGuard",
    "TimeRule",
    "TimeRules",
    "TimerHandle",
    "TradeBar",
    "Trainer",
    "TrainingFailed",
    "TrainingRun",
    "Weekday",
    "backtest",
    "check_cancelled",
    "date_rules",
    "live",
    "merge_slices",
    "read_csv",
    "read_lean",
    "replay",
    "simulate_quota",
    "sp500_daily",
    "time_rules",
    "wait_all_tasks_blocked",
]

__version__ = "0.1.0"

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("aiotrain."):
        _obj.__module__ = "aiotrain"
