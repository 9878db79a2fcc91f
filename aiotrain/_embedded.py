"""The daily S&P 500 history that ships inside the ``arch`` package.

It lets examples and tests run without a data download; ``arch`` itself is
never imported, only its data file is read.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from ._bars import TradeBar
from ._csv_reader import read_csv

__all__ = ["sp500_daily"]


def _arch_sp500_path() -> Path:
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            'the embedded S&P 500 history ships with the `arch` package: pip install "aiotrain[example]"',
            name="arch",
        )

    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return package_dir / "data" / "sp500" / "sp500.csv.gz"


def sp500_daily(
    *, start: date | datetime | None = None, end: date | datetime | None = None
) -> Iterator[TradeBar]:
    """Stream the daily S&P 500 index history embedded with ``arch``.

    5,031 daily bars of the S&P 500 index, 1999-01-04 to 2018-12-31, read
    straight from the file inside the installed ``arch`` package (which is
    not imported). Bars carry the symbol ``"SPX"``, start at midnight New
    York time and are released at the NYSE close of their date. Prices are
    index points, not adjusted (the index pays no dividends); volume is the
    file's share volume.

    Args:
        start: Keep bars starting at or after this instant or date.
        end: Keep bars starting at or before this instant or date.

    Returns:
        An iterator of bars in time order.

    Raises:
        ModuleNotFoundError: ``arch`` is not installed; install it with
            ``pip install "aiotrain[example]"``.
    """
    path = _arch_sp500_path()
    return read_csv(path, "SPX", date_format="%m/%d/%Y", start=start, end=end)
