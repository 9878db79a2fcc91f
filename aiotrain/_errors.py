"""The exceptions aiotrain raises.

All of them derive from one root, so ``except AiotrainError`` catches every
error the library makes on purpose::

    AiotrainError
    ├── ConfigError (also ValueError)       bad quota settings or config files
    ├── ClockError (also ValueError)        a manual clock asked to go backwards
    ├── QuotaExhausted                      a training run ran out of quota
    ├── QuotaStoreError                     a quota file is unusable or mismatched
    ├── TimeLoopExceeded                    one time slice took too long
    ├── ModelNotReady (also LookupError)    no model version published yet
    ├── TrainingFailed                      a training run raised
    ├── ScheduleError (also ValueError)     an impossible rule or offset
    ├── StrategyError                       a strategy's method raised
    └── DataError (also ValueError)         a corrupt or malformed data file
"""

from __future__ import annotations


class AiotrainError(Exception):
    """The root of every error aiotrain raises on purpose."""


class ConfigError(AiotrainError, ValueError):
    """A quota setting or configuration file holds a bad value."""


class ClockError(AiotrainError, ValueError):
    """A clock was asked to do something impossible, such as go backwards."""


class QuotaExhausted(AiotrainError):
    """A training run needed a quota token and none was left."""


class QuotaStoreError(AiotrainError):
    """A quota store is corrupt, foreign, locked too long, or set up differently."""


class TimeLoopExceeded(AiotrainError):
    """The work of one time slice took longer than the time-loop maximum."""


class ModelNotReady(AiotrainError, LookupError):
    """A model slot was read before any version was published."""


class TrainingFailed(AiotrainError):
    """A training run raised; the original error is its ``__cause__``."""


class ScheduleError(AiotrainError, ValueError):
    """A date or time rule was given impossible arguments."""


class StrategyError(AiotrainError):
    """A strategy's own method raised; the original error is its ``__cause__``."""


class DataError(AiotrainError, ValueError):
    """A market-data file is corrupt, truncated or malformed."""
