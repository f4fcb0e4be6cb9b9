"""Month-by-month bands: P5/P50/P95 of each monthly KPI, month by month.

A run keeps its month-by-month KPIs as (trials, horizon) arrays
(:attr:`~simroi.execution.result.RunResult.monthly`); :func:`monthly_bands` summarizes each
month across the trials, the way :func:`~simroi.analysis.summary.interval` summarizes a
per-trial scalar: NumPy's default linear interpolation between the trials where the value is
defined (a month without contacts has no service level). The JSON of ``simroi run``, the
``monthly.csv`` export, the ramp-up chart and slide all read these bands.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from simroi.execution.result import RunResult
from simroi.formatting import json_ready

__all__ = ["MONTHLY_PERCENTILES", "MonthlyBands", "monthly_bands", "monthly_percentiles"]

#: The percentiles of each month, with their names in JSON and CSV.
MONTHLY_PERCENTILES = {"p05": 5.0, "p50": 50.0, "p95": 95.0}


def monthly_percentiles(values: np.ndarray) -> dict[str, np.ndarray]:
    """P5, P50 and P95 of each column of ``values`` (trials, months), NaN trials left out.

    Returns (months,) float64 arrays under ``p05``, ``p50`` and ``p95``; NaN for a month with
    no defined trial.
    """
    data = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN month is NaN, as intended
        bands = np.nanpercentile(data, list(MONTHLY_PERCENTILES.values()), axis=0)
    return {name: bands[i] for i, name in enumerate(MONTHLY_PERCENTILES)}


@dataclass(frozen=True)
class MonthlyBands:
    """The month-by-month KPIs of a run summarized: per metric, P5/P50/P95 by month.

    ``months`` are 1 … horizon; ``bands[metric][name]`` is a (months,) array for ``name`` in
    :data:`MONTHLY_PERCENTILES`. Metrics are named ``<world>.<channel>.<kpi>``,
    ``<world>.customers``, ``customers_kept`` (program − baseline), ``net_cash_flow`` and
    ``cumulative_net_cash_flow`` (incremental, undiscounted, without t0's one-off costs in the
    former and with them in the latter).
    """

    months: np.ndarray
    bands: Mapping[str, Mapping[str, np.ndarray]]

    def to_dict(self) -> dict[str, Any]:
        """``{"months": [1, …], metric: {"p05": [...], "p50": [...], "p95": [...]}, …}``,
        JSON-ready (NaN becomes null)."""
        out: dict[str, Any] = {"months": [int(m) for m in self.months]}
        for metric, band in self.bands.items():
            out[metric] = {name: [float(v) for v in band[name]] for name in MONTHLY_PERCENTILES}
        return json_ready(out)


def monthly_bands(result: RunResult) -> MonthlyBands | None:
    """Each monthly KPI of ``result`` summarized by month; None when the result keeps none."""
    if not result.monthly:
        return None
    months = next(iter(result.monthly.values())).shape[1]
    return MonthlyBands(
        np.arange(1, months + 1),
        {metric: monthly_percentiles(values) for metric, values in result.monthly.items()},
    )
