"""The lifetime view and the month-by-month bands in a run's summary and its JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simroi.analysis.monthly import monthly_bands, monthly_percentiles
from simroi.analysis.summary import summarize
from simroi.execution.result import RunResult


def test_monthly_percentiles_leave_undefined_trials_out() -> None:
    values = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan], [np.nan, np.nan]])
    bands = monthly_percentiles(values)
    np.testing.assert_allclose(
        [bands["p05"][0], bands["p50"][0], bands["p95"][0]], np.percentile([1, 2, 3], [5, 50, 95])
    )
    assert all(np.isnan(bands[k][1]) for k in bands)  # no trial defined: no percentile


def test_run_json_has_monthly_bands_of_horizon_months_values(synthetic_run: RunResult) -> None:
    data = summarize(synthetic_run).to_dict()
    horizon = synthetic_run.meta["horizon_months"]
    monthly = data["monthly"]
    assert monthly["months"] == list(range(1, horizon + 1))
    assert set(synthetic_run.monthly) == set(monthly) - {"months"}
    for metric, values in synthetic_run.monthly.items():
        band = monthly[metric]
        assert set(band) == {"p05", "p50", "p95"}
        assert all(len(band[k]) == horizon for k in band)
        np.testing.assert_allclose(
            band["p50"], np.percentile(values.astype(float), 50, axis=0), rtol=1e-12
        )
    cumulative = np.cumsum(synthetic_run.net_by_month, axis=1)[:, 1:]
    np.testing.assert_allclose(
        monthly["cumulative_net_cash_flow"]["p95"],
        np.percentile(cumulative, 95, axis=0),
        rtol=1e-6,
    )
    json.dumps(data, allow_nan=False)


def test_lifetime_has_the_statistics_of_the_top_level(synthetic_run: RunResult) -> None:
    summary = summarize(synthetic_run)
    data = summary.to_dict()
    life = data["lifetime"]
    assert set(life["roi"]) == set(data["roi"]) and set(life["npv"]) == set(data["npv"])
    npv = synthetic_run.samples["lifetime.npv"]
    assert [life["npv"][k] for k in ("mean", "p05", "p50", "p95")] == pytest.approx(
        [npv.mean(), *np.percentile(npv, [5, 50, 95])], rel=1e-12
    )
    assert life["roi"]["prob_positive"] == float(np.mean(synthetic_run.samples["lifetime.roi"] > 0))
    assert "Headline: the 36-month (TEI) view" in life["note"]


def test_a_result_without_lifetime_or_monthly_has_neither_in_json(
    synthetic_run: RunResult,
) -> None:
    samples = {k: v for k, v in synthetic_run.samples.items() if not k.startswith("lifetime.")}
    run = synthetic_run
    old = RunResult(run.provenance, samples, run.net_by_month, run.meta)
    data = summarize(old).to_dict()
    assert "lifetime" not in data and "monthly" not in data
    assert monthly_bands(old) is None
