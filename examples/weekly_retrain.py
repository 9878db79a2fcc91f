"""Retrain a next-day direction classifier at start and every Sunday at 08:00.

The strategy learns, from the last few daily returns, whether tomorrow's
close will be above today's. It trains once at start and then every Sunday
at 08:00 New York time (while the market is closed) on trailing history,
and predicts in ``on_data`` through a :class:`~aiotrain.ModelSlot`.

A prediction made at day t's close is scored against the return from t's
close to t+1's close, so nothing of the future is used. The signal holds the
symbol for the next day when the model says "up" and stays flat otherwise;
it is compared with buy-and-hold over the same scored days.

Run it with the CLI on the embedded S&P 500 history::

    aiotrain backtest examples/weekly_retrain.py

or on a LEAN data folder::

    aiotrain backtest examples/weekly_retrain.py --data DATA --symbol SPY

numpy and scikit-learn are imported when training first runs (they are the
``example`` extra).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiotrain import SUNDAY, Algorithm, ModelSlot, Slice


@dataclass(frozen=True)
class DirectionModel:
    """A fitted classifier and what it was trained on.

    Predicting uses the fitted coefficients directly: one dot product,
    which keeps ``on_data`` fast (scikit-learn's ``predict`` validates its
    input at a cost of about 0.4 ms a call).

    Attributes:
        classifier: The scikit-learn classifier, or ``None`` when there was
            too little history to fit one (the model then abstains).
        lookback: How many trailing returns make one feature row.
        samples: How many rows it was trained on.
    """

    classifier: Any
    lookback: int
    samples: int

    def predict_up(self, recent_returns: Sequence[float]) -> bool | None:
        """Whether the next return is predicted positive; ``None`` to abstain."""
        if self.classifier is None or len(recent_returns) < self.lookback:
            return None

        weights = self.classifier.coef_[0]
        features = recent_returns[-self.lookback :]
        score = float(self.classifier.intercept_[0])
        score += sum(float(w) * x for w, x in zip(weights, features, strict=True))
        return score > 0.0


def daily_returns(closes: Sequence[float]) -> list[float]:
    """Close-to-close simple returns, one fewer than ``closes``."""
    return [after / before - 1.0 for before, after in itertools.pairwise(closes)]


def training_rows(
    returns: Sequence[float], lookback: int
) -> tuple[list[list[float]], list[int]]:
    """Feature rows (``lookback`` returns) and labels (1 if the next one is up)."""
    rows = [list(returns[i - lookback : i]) for i in range(lookback, len(returns))]
    labels = [int(returns[i] > 0) for i in range(lookback, len(returns))]
    return rows, labels


def fit_direction_model(
    closes: Sequence[float], lookback: int, minimum_rows: int
) -> DirectionModel:
    """Fit a logistic regression of next-day direction on trailing returns.

    With fewer than ``minimum_rows`` rows, or a single class among the
    labels, the model abstains instead.
    """
    rows, labels = training_rows(daily_returns(closes), lookback)
    if len(rows) < minimum_rows or len(set(labels)) < 2:
        return DirectionModel(None, lookback, len(rows))

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=1.0, max_iter=200)
    classifier.fit(np.asarray(rows), np.asarray(labels))
    return DirectionModel(classifier, lookback, len(rows))


class WeeklyRetrain(Algorithm):
    """Predict next-day direction with a classifier retrained every Sunday.

    Class attributes (a subclass or the CLI may change them):
        symbol: The symbol to trade; ``None`` takes the first one seen.
        lookback: Trailing daily returns per feature row.
        training_window: How many recent bars training looks at.
        minimum_rows: The fewest rows worth fitting a classifier on.
    """

    symbol: str | None = None
    lookback: int = 5
    training_window: int = 750
    minimum_rows: int = 60

    async def initialize(self) -> None:
        """Train at once, then every Sunday at 08:00."""
        self.model: ModelSlot[DirectionModel] = ModelSlot("direction")
        self.traded: str | None = self.symbol
        self.pending_up: bool | None = None
        self.last_close: float | None = None
        self.scores = _Scoreboard()

        await self.train(self.fit, slot=self.model)
        await self.train(
            self.date_rules.every(SUNDAY),
            self.time_rules.at(8, 0),
            self.fit,
            slot=self.model,
        )

    def fit(self) -> DirectionModel:
        """Fit on the trailing history (runs in a worker thread)."""
        closes = self.trailing_closes(self.training_window)
        return fit_direction_model(closes, self.lookback, self.minimum_rows)

    def trailing_closes(self, count: int) -> list[float]:
        """The last ``count`` closes of the traded symbol, oldest first."""
        if self.traded is None:
            return []

        return [bar.close for bar in self.history(self.traded, count)]

    async def on_data(self, data: Slice) -> None:
        """Score yesterday's prediction, then predict tomorrow's direction."""
        self.traded = self.traded or next(iter(data))
        bar = data.get(self.traded)
        if bar is None:
            return

        self.score_pending(bar.close)
        self.last_close = bar.close
        self.pending_up = self.predict()

    def score_pending(self, close: float) -> None:
        """Score the prediction made at the previous close against this close."""
        if self.pending_up is not None and self.last_close is not None:
            self.scores.add(self.pending_up, close / self.last_close - 1.0)

    def predict(self) -> bool | None:
        """Today's prediction for tomorrow, or ``None`` if there is none yet."""
        if not self.model.ready:
            return None

        recent = daily_returns(self.trailing_closes(self.lookback + 1))
        return self.model.current.predict_up(recent)

    def report(self) -> Mapping[str, object]:
        """Hit rate and returns of the signal against buy-and-hold."""
        return self.scores.summary()


class _Scoreboard:
    """Running tallies of scored predictions."""

    def __init__(self) -> None:
        self.predictions = 0
        self.hits = 0
        self.signal_growth = 1.0
        self.market_growth = 1.0

    def add(self, predicted_up: bool, next_return: float) -> None:
        self.predictions += 1
        self.hits += int(predicted_up == (next_return > 0))
        self.signal_growth *= 1.0 + (next_return if predicted_up else 0.0)
        self.market_growth *= 1.0 + next_return

    def summary(self) -> dict[str, object]:
        hit_rate = f"{self.hits / self.predictions:.1%}" if self.predictions else "n/a"
        return {
            "predictions": self.predictions,
            "hit rate": hit_rate,
            "signal return": f"{self.signal_growth - 1.0:+.1%}",
            "buy-and-hold return": f"{self.market_growth - 1.0:+.1%}",
        }
