"""Month-by-month KPIs and the lifetime view through the runner: kept in trial order, saved,
loaded and dropped beyond their limit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simroi.execution.runner
from simroi.execution.result import ResultSet, RunResult
from simroi.execution.runner import RunOptions, run
from simroi.model.block import simulate_block
from simroi.scenario.load import LoadedScenario, load_scenario

HORIZON = 3
FAST = [f"scenario.horizon_months={HORIZON}", "simulation.sampled_days_per_month=1"]


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(overrides=FAST)


@pytest.fixture(scope="module")
def result(loaded: LoadedScenario) -> RunResult:
    return run(loaded, RunOptions(trials=25, seed=5, workers=1, block_size=10))


def test_monthly_kpis_are_the_blocks_arrays_in_trial_order(
    loaded: LoadedScenario, result: RunResult
) -> None:
    assert result.monthly["net_cash_flow"].shape == (25, HORIZON)
    assert all(v.dtype == np.float32 for v in result.monthly.values())
    assert {"program.phone.service_level", "baseline.social.agents", "customers_kept"} <= set(
        result.monthly
    )
    last = simulate_block(loaded, entropy=5, block=2, trials=5)  # trials 20-24
    for key, values in last.monthly.items():
        np.testing.assert_array_equal(result.monthly[key][20:], values, err_msg=key)
    np.testing.assert_array_equal(result.samples["lifetime.npv"][20:], last.lifetime["npv"])
    np.testing.assert_allclose(
        result.monthly["net_cash_flow"], result.net_by_month[:, 1:], rtol=1e-6
    )


def test_lifetime_samples_are_per_trial_scalars(result: RunResult) -> None:
    for key in ("lifetime.npv", "lifetime.roi"):
        assert result.samples[key].shape == (25,) and result.samples[key].dtype == np.float64
    roi = result.samples["lifetime.npv"] / result.samples["pv_costs"]
    np.testing.assert_allclose(result.samples["lifetime.roi"], roi, rtol=1e-12)


def test_a_result_file_keeps_the_monthly_kpis(result: RunResult, tmp_path: Path) -> None:
    back = RunResult.load(result.save(tmp_path / "r.npz"))
    assert back.monthly.keys() == result.monthly.keys()
    for key, values in result.monthly.items():
        np.testing.assert_array_equal(back.monthly[key], values, err_msg=key, strict=True)
    both = ResultSet("compare", [result, result], {"names": ["a", "b"]})
    again = ResultSet.load(both.save(tmp_path / "c.npz"))
    for run_back in again.runs:
        np.testing.assert_array_equal(
            run_back.monthly["customers_kept"], result.monthly["customers_kept"], strict=True
        )


def test_monthly_kpis_are_dropped_beyond_their_limit(
    loaded: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simroi.execution.runner, "MONTHLY_KPIS_LIMIT", 20)
    small = run(loaded, RunOptions(trials=20, seed=5, workers=1, block_size=10))
    large = run(loaded, RunOptions(trials=30, seed=5, workers=1, block_size=10))
    assert small.monthly["customers_kept"].shape == (20, HORIZON)
    assert large.monthly == {} and large.net_by_month is not None
    np.testing.assert_array_equal(small.samples["lifetime.npv"], large.samples["lifetime.npv"][:20])


def test_an_auto_run_that_grows_past_the_limit_drops_them(
    loaded: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simroi.execution.runner, "AUTO_MIN_TRIALS", 20)
    monkeypatch.setattr(simroi.execution.runner, "AUTO_MAX_TRIALS", 40)
    monkeypatch.setattr(simroi.execution.runner, "MONTHLY_KPIS_LIMIT", 25)
    grown = run(loaded, RunOptions(trials="auto", seed=5, workers=1, block_size=10))
    assert grown.trials > 25 and grown.monthly == {}
