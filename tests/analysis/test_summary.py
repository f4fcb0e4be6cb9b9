"""`simroi.analysis.summary`: intervals, objectives, the TEI view and a run's summary object."""

from __future__ import annotations

import doctest
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import simroi.analysis.summary as summary_module
from simroi.analysis.comparison import paired_difference
from simroi.analysis.summary import (
    Interval,
    RunSummary,
    all_objectives_met,
    interval,
    objective_met,
    objective_outcomes,
    require_baseline,
    summarize,
    tei_view,
)
from simroi.errors import ScenarioError
from simroi.execution.result import RunResult
from simroi.scenario.load import bundled_scenarios, load_scenario


def _run_with(synthetic_run: RunResult, **samples: np.ndarray) -> RunResult:
    n = next(iter(samples.values())).size
    base = {k: v[:n] for k, v in synthetic_run.samples.items()}
    return replace(synthetic_run, samples={**base, **samples}, net_by_month=None)


# --- intervals -----------------------------------------------------------------------------------


def test_interval_of_one_to_five_matches_hand_computed_values() -> None:
    # Defined trials 1..5 (one undefined): mean 3; NumPy's linear percentiles put P5 at
    # 1 + 0.05·4 = 1.2 and P95 at 1 + 0.95·4 = 4.8; sd = sqrt(2.5), so s.e. = sqrt(2.5/5).
    iv = interval(np.array([5.0, 1.0, np.nan, 3.0, 2.0, 4.0]))
    assert iv.mean == 3.0 and iv.p50 == 3.0
    assert iv.p05 == pytest.approx(1.2, rel=1e-15)
    assert iv.p95 == pytest.approx(4.8, rel=1e-15)
    assert iv.mcse == pytest.approx(math.sqrt(0.5), rel=1e-15)
    assert iv.defined == 5 / 6


def test_interval_of_one_trial_has_no_error_estimate_and_of_none_is_undefined() -> None:
    # One defined trial has no spread to estimate a standard error from: null, as for a paired
    # difference of one trial and the queue study of one day (one estimates.mean_estimate).
    one = interval(np.array([7.0, np.nan]))
    assert (one.mean, one.p05, one.p95, one.defined) == (7.0, 7.0, 7.0, 0.5)
    assert math.isnan(one.mcse) and one.to_dict()["mcse"] is None
    none = interval(np.array([np.nan, np.nan]))
    assert none.defined == 0.0 and all(math.isnan(x) for x in (none.mean, none.p50, none.mcse))
    assert none.to_dict() == {
        "mean": None,
        "p05": None,
        "p50": None,
        "p95": None,
        "mcse": None,
        "defined": 0.0,
    }


def test_payback_percentiles_are_months_a_trial_pays_back_in(synthetic_run: RunResult) -> None:
    # "Payback month P5 6.8" (b2b-software) and a median of 23.5 are no months: the
    # percentiles of a sample counted in whole months are values it takes (inverse of the
    # empirical CDF). Months 1..5: P5 is 1 (F(1) = 0.2 ≥ 0.05), P50 3, P95 5; linear gave 1.2
    # and 4.8. Their difference of two runs, too.
    months = np.array([5.0, 1.0, np.nan, 3.0, 2.0, 4.0])
    iv = interval(months, "payback_months")
    assert (iv.p05, iv.p50, iv.p95, iv.mean) == (1.0, 3.0, 5.0, 3.0)
    assert interval(np.array([12.0, 13.0]), "payback_months").p50 == 12.0
    assert interval(months).p05 == pytest.approx(1.2, rel=1e-15)  # other samples: linear
    rng = np.random.default_rng(1)
    paybacks = rng.integers(1, 36, synthetic_run.trials).astype(float)
    run = _run_with(synthetic_run, payback_months=paybacks)
    shown = summarize(run).payback_months
    assert all(x == round(x) for x in (shown.p05, shown.p50, shown.p95))
    diff = paired_difference(paybacks, paybacks[::-1].copy(), better="lower", key="payback_months")
    assert all(x == round(x) for x in (diff.p05, diff.p50, diff.p95))


# --- objectives ----------------------------------------------------------------------------------


def test_an_objective_is_met_at_its_bound_and_never_where_the_metric_is_undefined(
    synthetic_run: RunResult,
) -> None:
    roi = np.array([0.0, 0.5, -0.1, np.nan])
    sl = np.array([0.8, 0.79, 0.95, 0.81])
    ab = np.array([0.08, 0.02, 0.09, 0.01])
    run = _run_with(
        synthetic_run,
        roi=roi,
        **{"kpi.program.social.service_level": sl, "kpi.program.phone.abandonment": ab},
    )
    objectives = run.meta["objectives"]  # SL ≥ 0.8, abandonment ≤ 0.08, ROI ≥ 0
    assert objective_met(run, objectives[0]).tolist() == [True, False, True, True]
    assert objective_met(run, objectives[1]).tolist() == [True, True, False, True]
    assert objective_met(run, objectives[2]).tolist() == [True, True, False, False]
    met_all = all_objectives_met(run)
    assert met_all is not None and met_all.tolist() == [True, False, False, False]
    outcomes = objective_outcomes(run)
    assert [o.probability for o in outcomes] == [0.75, 0.75, 0.5]
    assert outcomes[2].mcse == pytest.approx(math.sqrt(0.5 * 0.5 / 4), rel=1e-15)
    assert all_objectives_met(replace(run, meta={**run.meta, "objectives": []})) is None


# --- TEI view ------------------------------------------------------------------------------------


def test_tei_view_takes_benefits_at_p10_and_costs_at_p90_by_hand(synthetic_run: RunResult) -> None:
    # 11 defined trials: benefits 0, 10, …, 100; costs 100, 110, …, 200; a twelfth trial
    # undefined in both, left out. Linear percentiles over 11 values sit at index q/100 · 10:
    # P10 of the benefits is the second value, 10; P90 of the costs the tenth, 190.
    # NPV = 10 − 190 = −180; ROI = −180/190.
    benefits = np.append(np.arange(0.0, 101.0, 10.0), np.nan)
    costs = np.append(np.arange(100.0, 201.0, 10.0), np.nan)
    tei = tei_view(_run_with(synthetic_run, pv_benefits=benefits, pv_costs=costs))
    assert (tei.benefit_percentile, tei.cost_percentile) == (10.0, 90.0)
    assert tei.pv_benefits == pytest.approx(10.0, rel=1e-12)
    assert tei.pv_costs == pytest.approx(190.0, rel=1e-12)
    assert tei.npv == pytest.approx(-180.0, rel=1e-12)
    assert tei.roi == pytest.approx(-180.0 / 190.0, rel=1e-12)
    # Other percentiles: P50 of benefits is 50 (the median of 0…100), P50 of costs 150.
    median = tei_view(
        _run_with(synthetic_run, pv_benefits=benefits, pv_costs=costs),
        benefit_percentile=50,
        cost_percentile=50,
    )
    assert (median.pv_benefits, median.pv_costs, median.npv) == (50.0, 150.0, -100.0)


def test_tei_roi_is_undefined_without_costs(synthetic_run: RunResult) -> None:
    tei = tei_view(_run_with(synthetic_run, pv_benefits=np.ones(5), pv_costs=np.zeros(5)))
    assert tei.npv == 1.0 and math.isnan(tei.roi)
    assert tei.to_dict()["roi"] is None


# --- the summary object --------------------------------------------------------------------------


def test_the_summary_is_a_frozen_object_whose_dict_is_the_run_json(
    synthetic_run: RunResult,
) -> None:
    summary = summarize(synthetic_run)
    assert isinstance(summary, RunSummary) and isinstance(summary.roi, Interval)
    with pytest.raises(AttributeError):
        summary.roi = summary.npv  # type: ignore[misc]
    assert summary.samples is synthetic_run.samples
    data = summary.to_dict()
    assert list(data)[:3] == ["trials", "seed", "scenario"]
    assert data["roi"]["p50"] == summary.roi.p50
    assert data["roi"]["prob_positive"] == float(np.mean(synthetic_run.samples["roi"] > 0))
    assert data["tei"]["benefit_percentile"] == 10.0
    assert data["objectives"] == {o.label: o.probability for o in summary.objectives}
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_undefined_roi_is_noted_and_never_counted_as_positive(synthetic_run: RunResult) -> None:
    roi = synthetic_run.samples["roi"].copy()
    roi[::4] = np.nan
    summary = summarize(_run_with(synthetic_run, roi=roi))
    defined = roi[np.isfinite(roi)]
    assert summary.prob_roi_positive.value == float((defined > 0).sum() / roi.size)
    assert summary.roi.defined == 0.75
    assert summary.to_dict()["roi"]["note"].startswith("ROI is undefined")


def test_repr_and_html_show_the_headline_in_a_few_lines(synthetic_run: RunResult) -> None:
    summary = summarize(synthetic_run)
    text = repr(summary)
    lines = text.splitlines()
    assert lines[0].startswith("RunSummary: social-care against no-social-care: 400 trials")
    assert 4 <= len(lines) <= 6
    assert any(line.strip().startswith("ROI") and "P50" in line for line in lines)
    assert "P(ROI > 0)" in text and "NPV" in text
    assert "array(" not in text  # the samples stay out of the repr
    page = summary._repr_html_()
    assert page.startswith("<div><table>") and page.count("<tr>") == 4
    assert "P(ROI &gt; 0)" in page


def test_to_frame_gives_one_row_per_trial_and_one_column_per_sample(
    synthetic_run: RunResult,
) -> None:
    pd = pytest.importorskip("pandas")
    frame = summarize(synthetic_run).to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (400, len(synthetic_run.samples))
    assert frame.index.name == "trial"
    assert list(frame.columns[:2]) == ["roi", "npv"]
    np.testing.assert_array_equal(frame["npv"].to_numpy(), synthetic_run.samples["npv"])


def test_to_frame_without_pandas_names_the_extra_to_install(
    synthetic_run: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "simroi\[notebook\]"'):
        summarize(synthetic_run).to_frame()


# --- baseline and the documented example ----------------------------------------------------


def test_a_scenario_without_baseline_is_refused_naming_the_key(tmp_path: Path) -> None:
    text = bundled_scenarios()["default"].read_text()
    path = tmp_path / "nobase.toml"
    path.write_text(text[: text.index("[baseline]")])
    with pytest.raises(ScenarioError, match=r"nobase\.toml: scenario\.baseline: ROI is measured"):
        require_baseline(load_scenario(str(path)))
    require_baseline(load_scenario("default"))  # has one: no error


def test_the_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(summary_module)
    assert tried > 0 and failures == 0
