"""Break-even values ("what would have to be true") against closed forms.

The search is checked twice: as a pure function on callbacks whose roots are known exactly, and
end to end on a scenario whose NPV is exactly linear in its setup cost
(:mod:`breakeven_scenario`), where the break-evens are order statistics of the trials' NPV at a
setup cost of zero.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from breakeven_scenario import write_linear_scenario
from hypothesis import given
from hypothesis import strategies as st

from simroi.analysis.breakeven import (
    TOLERANCE_SHARE,
    BreakevenResult,
    BreakevenRow,
    Evaluation,
    evaluation_of,
    find_breakeven,
    fixing_overrides,
    input_range,
    run_breakeven,
)
from simroi.analysis.sensitivity import run_sensitivity, summarize_sensitivity
from simroi.estimates import prob_positive
from simroi.execution.runner import RunOptions, run
from simroi.scenario.load import load_scenario
from simroi.scenario.rules import input_limits

SETUP = "program.setup_cost"
SEED = 11
TRIALS = 200


def _linear(npv_root: float, roi_root: float) -> Any:
    """A callback whose median NPV is ``npv_root − v`` and median ROI ``(roi_root − v)/100``,
    counting its calls."""
    calls: list[float] = []

    def evaluate(v: float) -> Evaluation:
        calls.append(v)
        return Evaluation(v, npv_root - v, math.nan, (roi_root - v) / 100.0)

    evaluate.calls = calls  # type: ignore[attr-defined]
    return evaluate


def _find(evaluate: Any, low: float = 0.0, high: float = 200.0, **kw: Any) -> BreakevenRow:
    limits = kw.pop("limits", (0.0, 1e15))
    return find_breakeven(
        "program.setup_cost",
        "setup cost",
        current_median=(low + high) / 2,
        value_range=(low, high, "support"),
        limits=limits,
        evaluate=evaluate,
        **kw,
    )


def test_a_linear_target_is_found_in_range_within_the_tolerance_and_runs_are_shared() -> None:
    evaluate = _linear(npv_root=123.4, roi_root=61.0)
    row = _find(evaluate)
    xtol = TOLERANCE_SHARE * 200.0
    assert row.npv.value == pytest.approx(123.4, abs=xtol)
    assert row.prob_roi_positive.value == pytest.approx(61.0, abs=xtol)
    for point in (row.npv, row.prob_roi_positive):
        assert (point.status, point.in_range, point.met_when) == ("in_range", True, "below")
        assert point.converged
    # The range is split at the assumed median (100): each root is bracketed in its half.
    assert (row.npv.bracket, row.prob_roi_positive.bracket) == ((100.0, 200.0), (0.0, 100.0))
    # Both ends and the median are run once for both targets; each value at most once.
    assert evaluate.calls[:3] == [0.0, 100.0, 200.0]
    assert len(evaluate.calls) == len(set(evaluate.calls)) == row.evaluations
    assert row.evaluations <= 10
    assert row.npv.text() == "≤ 123.4"


def test_a_break_even_beyond_the_range_is_found_outward_and_marked_with_its_side() -> None:
    above = _find(_linear(npv_root=730.0, roi_root=730.0))  # range 0–200, doubling upward
    assert above.npv.status == "above_range" and not above.npv.in_range
    assert above.npv.value == pytest.approx(730.0, abs=TOLERANCE_SHARE * 200.0)
    assert above.npv.searched[1] >= 730.0 and above.npv.bracket is not None
    assert above.npv.bracket[0] < 730.0 < above.npv.bracket[1]
    assert above.npv.text().endswith("(above range)")
    below = _find(_linear(npv_root=-50.0, roi_root=-50.0), low=100.0, limits=(-1e15, 1e15))
    assert below.npv.status == "below_range" and below.npv.met_when == "below"
    assert below.npv.value == pytest.approx(-50.0, abs=TOLERANCE_SHARE * 100.0)


def test_no_break_even_within_the_limits_is_never_with_the_side_it_stays_on() -> None:
    # The median NPV is negative at every setup cost ≥ 0 (its root, −50, is below the limit 0).
    row = _find(_linear(npv_root=-50.0, roi_root=-50.0))
    assert row.npv.status == "never" and math.isnan(row.npv.value)
    assert (row.npv.met_when, row.npv.searched, row.npv.bracket) == ("nowhere", (0.0, 200.0), None)
    assert row.npv.text() == "never: not met from 0 to 200"
    # An input with no effect: the target holds throughout, nothing to extrapolate.
    flat = _find(lambda v: Evaluation(v, 5.0, 1.0, 0.5))
    assert (flat.npv.status, flat.npv.met_when, flat.evaluations) == ("never", "always", 3)
    assert flat.npv.flat and not row.npv.flat
    assert flat.npv.text() == "never: no effect, met from 0 to 200"
    # Outward search stops at the values the scenario refuses, and after MAX_EXTENSIONS steps.
    refused = _find(lambda v: None if v > 300 else _linear(730.0, 730.0)(v))
    assert refused.npv.status == "never" and refused.npv.searched == (0.0, 200.0)
    far = _find(_linear(npv_root=1e9, roi_root=1e9), max_extensions=3)
    assert far.npv.status == "never" and far.npv.searched == (0.0, 200.0 + 200.0 * 7)


def test_an_optimum_inside_the_range_is_not_taken_for_no_break_even() -> None:
    # Median NPV 900 − (v − 100)², positive on (70, 130): negative at both ends of 0–200.
    def evaluate(v: float) -> Evaluation:
        npv = 900.0 - (v - 100.0) ** 2
        return Evaluation(v, npv, math.nan, npv)

    row = _find(evaluate)
    assert row.npv.status == "in_range" and row.npv.met_when == "above"
    assert row.npv.value == pytest.approx(70.0, abs=TOLERANCE_SHARE * 200.0)


def test_a_spent_run_budget_is_reported_not_hidden() -> None:
    # Both ends, the median and one secant step, exact for the linear NPV; none left for
    # P(ROI > 0), whose estimate is the midpoint of its bracket (0, 100).
    row = _find(_linear(npv_root=123.4, roi_root=61.0), max_evaluations=4)
    assert row.evaluations == 4
    assert row.npv.converged and row.npv.value == pytest.approx(123.4)
    assert not row.prob_roi_positive.converged
    assert row.prob_roi_positive.text() == "≤ 50 (approx.)"


@given(st.lists(st.one_of(st.floats(-5, 5), st.just(math.nan)), min_size=1, max_size=40))
def test_the_trial_median_roi_is_positive_exactly_when_p_roi_positive_is_half_or_more(
    roi: list[float],
) -> None:
    samples = {"roi": np.array(roi), "npv": np.zeros(len(roi))}
    e = evaluation_of(0.0, SimpleNamespace(samples=samples))  # type: ignore[arg-type]
    assert e.prob_roi_positive == prob_positive(np.array(roi)).value
    assert (e.median_roi > 0) == (e.prob_roi_positive >= 0.5)


def test_results_read_back_from_their_json_exactly() -> None:
    row = _find(_linear(npv_root=730.0, roi_root=61.0))
    result = BreakevenResult("method", TRIALS, TOLERANCE_SHARE, (row,))
    again = BreakevenResult.from_dict(result.to_dict())
    assert again == result
    assert again.to_dict()["rows"][0]["npv"]["in_range"] is False


def test_a_fixed_input_leaves_its_orderings_and_correlations_and_the_scenario_still_loads() -> None:
    loaded = load_scenario("default")
    key = "experience.churn_multiplier_unresolved"
    extra = fixing_overrides(loaded.program, key)
    assert extra and all(not e.startswith("correlations") for e in extra)
    # Above the ignored multiplier's whole range: refused while ordered, fine once fixed alone.
    high = float(loaded.program.uncertain_inputs()["experience.churn_multiplier_ignored"].ppf(1.0))
    fixed = load_scenario("default", overrides=[*extra, f"{key}={high * 1.5!r}"])
    kept = [o.inputs for o in fixed.program.orderings]
    assert kept == [o.inputs for o in loaded.program.orderings if key not in o.inputs]
    assert fixing_overrides(loaded.program, "customers.monthly_churn") == []


def test_correlation_groups_lose_the_fixed_input_row_and_column(tmp_path: Path) -> None:
    path = write_linear_scenario(tmp_path)
    text = Path(path).read_text().replace("cost_per_agent_hour = 35", COST)
    text = text.replace("[baseline]\n", f"{PROSPECTS}\n{CORRELATED}\n[baseline]\n")
    Path(path).write_text(text)
    loaded = load_scenario(path)
    churn, cost, prospects = loaded.program.correlations[0].inputs
    extra = fixing_overrides(loaded.program, churn)
    group = f'inputs = ["{cost}", "{prospects}"], matrix = [[1.0, 0.3], [0.3, 1.0]]'
    assert extra == [f"correlations=[{{ {group} }}]"]
    fixed = load_scenario(path, overrides=[*extra, f"{churn}=0.02"])
    assert [(c.inputs, c.matrix) for c in fixed.program.correlations] == [
        ([cost, prospects], [[1.0, 0.3], [0.3, 1.0]])
    ]
    assert fixing_overrides(loaded.program, SETUP) == []


COST = 'cost_per_agent_hour = { dist = "uniform", low = 30, high = 40 }'
PROSPECTS = '[customers.prospects]\ndist = "uniform"\nlow = 0\nhigh = 1000\n'
CORRELATED = """[[correlations]]
inputs = ["customers.monthly_churn", "channels.social.cost_per_agent_hour", "customers.prospects"]
matrix = [[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]]
"""


def test_input_ranges_and_limits() -> None:
    inputs = load_scenario("default").program.uncertain_inputs()
    churn = input_range(inputs["customers.monthly_churn"])
    assert churn[2] == "support" and 0 < churn[0] < churn[1] < 1
    assert input_limits("customers.monthly_churn") == (0.0, 1.0)
    assert input_limits("channels.social.fcr") == (0.0, 1.0)
    assert input_limits("program.setup_cost") == (0.0, 1e15)
    assert input_limits("customers.monthly_margin_per_customer") == (-1e15, 1e15)


def _npv_at_zero_setup(path: str) -> np.ndarray:
    """The trials' NPV with the setup cost fixed at 0, on the break-even runs' random numbers."""
    loaded = load_scenario(path, overrides=[f"{SETUP}=0.0"])
    result = run(loaded, RunOptions(trials=TRIALS, seed=SEED, workers=1))
    return np.asarray(result.samples["npv"], dtype=float)


def _breakeven(path: str) -> BreakevenRow:
    options = RunOptions(trials=TRIALS, seed=SEED, workers=1, block_size=100)
    found = run_breakeven(path, [SETUP], {SETUP: "setup cost"}, options)
    assert found.trials == TRIALS and len(found.rows) == 1
    return found.rows[0]


@pytest.mark.slow
def test_break_even_of_a_setup_cost_matches_the_closed_form(tmp_path: Path) -> None:
    path = write_linear_scenario(tmp_path, setup_high=100_000)
    npv0 = _npv_at_zero_setup(path)
    # The precondition of the closed form: NPV is exactly linear in the setup cost, trial by trial.
    at = run(
        load_scenario(path, overrides=[f"{SETUP}=25000.0"]),
        RunOptions(trials=TRIALS, seed=SEED, workers=1),
    )
    np.testing.assert_allclose(at.samples["npv"], npv0 - 25_000.0, rtol=1e-12, atol=1e-6)
    row = _breakeven(path)
    xtol = TOLERANCE_SHARE * 100_000
    assert 0 < np.median(npv0) < 100_000  # in range, so the test is about the bisection
    assert row.npv.value == pytest.approx(float(np.median(npv0)), abs=xtol)
    assert row.prob_roi_positive.value == pytest.approx(float(np.sort(npv0)[TRIALS // 2]), abs=xtol)
    for point in (row.npv, row.prob_roi_positive):
        assert (point.status, point.met_when, point.converged) == ("in_range", "below", True)
    assert (row.current_median, row.range_low, row.range_high) == (50_000.0, 0.0, 100_000.0)
    assert row.evaluations <= 15


@pytest.mark.slow
def test_a_break_even_above_the_range_is_marked_and_still_exact(tmp_path: Path) -> None:
    path = write_linear_scenario(tmp_path, setup_high=10_000)
    npv0 = _npv_at_zero_setup(path)
    row = _breakeven(path)
    assert np.median(npv0) > 10_000
    assert row.npv.status == "above_range" and not row.npv.in_range
    assert row.npv.value == pytest.approx(float(np.median(npv0)), abs=TOLERANCE_SHARE * 10_000)
    assert row.npv.searched[0] == 0.0 and row.npv.searched[1] >= row.npv.value


@pytest.mark.slow
def test_a_program_that_never_breaks_even_says_so(tmp_path: Path) -> None:
    path = write_linear_scenario(tmp_path, margin=20)
    assert np.median(_npv_at_zero_setup(path)) < 0  # negative even with no setup cost
    result = run_sensitivity(
        path, RunOptions(trials=TRIALS, seed=SEED, workers=1), swing=False, breakeven=True
    )
    summary = summarize_sensitivity(result)
    assert summary.breakeven is not None
    rows = {r.input: r for r in summary.breakeven.rows}
    assert [r.input for r in summary.breakeven.rows] == [r.input for r in summary.sampling.rows]
    setup = rows[SETUP]
    assert (setup.npv.status, setup.npv.met_when) == ("never", "nowhere")
    assert setup.npv.searched == (0.0, 100_000.0)  # the limit 0 stops the search downward
    data = summary.to_dict()
    assert data["breakeven"] == [r.to_dict() for r in summary.breakeven.rows]
    assert data["breakeven_method"].startswith("each input fixed at a value in every trial")


def test_a_baseline_in_its_own_file_is_named_in_the_method(tmp_path: Path) -> None:
    text = Path(write_linear_scenario(tmp_path)).read_text()
    program, _, _ = text.partition("[baseline]")
    base = program.replace('name = "linear-setup"', 'name = "linear-base"')
    base = base.replace("agents = 1", "agents = 0").replace("monthly_tools_cost = 1_500", "")
    base = base.replace('setup_cost = { dist = "uniform", low = 0, high = 100000.0 }', "")
    (tmp_path / "base.toml").write_text(base)
    path = tmp_path / "program.toml"
    path.write_text(program.replace("[simulation]", 'baseline = "base.toml"\n\n[simulation]'))
    options = RunOptions(trials=20, seed=SEED, workers=1, block_size=100)
    found = run_breakeven(str(path), [SETUP], {}, options)
    assert found.method.endswith("(an input it shares is fixed in the program only)")
    assert found.rows[0].label == SETUP  # no label given: the key
