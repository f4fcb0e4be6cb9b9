"""`simroi compare`: paired differences under common random numbers, P(better), P(best)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simroi.analysis.comparison import (
    ComparisonError,
    compare_result_set,
    compare_results,
    paired_difference,
    prob_best,
    run_comparison,
)
from simroi.cli.app import main
from simroi.execution.result import ResultSet, RunResult
from simroi.execution.runner import RunOptions
from simroi.scenario.load import bundled_scenarios

# Short horizons and one sampled day a month keep the tests fast; the model is the same.
FAST = ("scenario.horizon_months=3", "simulation.sampled_days_per_month=1")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, list(args))
    return result.exit_code, result.output


# --- pure functions ----------------------------------------------------------------------------


def test_paired_difference_of_a_shifted_copy_is_the_shift_with_no_error() -> None:
    a = np.random.default_rng(1).normal(10.0, 3.0, 500)
    d = paired_difference(a, a + 2.0, better="higher")
    assert d.mean == pytest.approx(2.0)
    assert d.p05 == pytest.approx(2.0) and d.p95 == pytest.approx(2.0)
    assert d.mcse == pytest.approx(0.0, abs=1e-12)
    # Independent runs of the same spread would know the mean difference to √2·sd/√n only.
    assert d.unpaired_mcse == pytest.approx(math.sqrt(2 * a.var(ddof=1) / a.size))
    assert (d.prob_better, d.prob_worse) == (1.0, 0.0)


def test_undefined_trials_count_as_worst_and_are_left_out_of_the_interval() -> None:
    # Payback: lower is better; NaN is "no payback within the horizon".
    a = np.array([10.0, np.nan, 12.0, np.nan])
    b = np.array([8.0, 20.0, np.nan, np.nan])
    d = paired_difference(a, b, better="lower")
    assert d.defined == 0.25 and d.mean == -2.0
    assert d.prob_better == 0.5  # trial 0 (8 < 10) and trial 1 (20 < never)
    assert d.prob_worse == 0.25  # trial 2 (never > 12); trial 3 is a tie
    assert paired_difference(a, b, better=None).prob_better is None


def test_prob_best_shares_ties_and_sums_to_one() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([0.0, 1.0, 5.0, np.nan])
    p, se = prob_best([a, b, a])
    assert p == pytest.approx((0.375, 0.25, 0.375))
    assert sum(p) == pytest.approx(1.0)
    assert all(s >= 0 for s in se)
    assert prob_best([a, a])[0] == (0.5, 0.5)


def test_runs_with_different_seeds_are_not_compared(synthetic_run: RunResult) -> None:
    other = replace(synthetic_run, provenance=replace(synthetic_run.provenance, seed=1))
    with pytest.raises(ComparisonError, match="same seed, trials and block size"):
        compare_results([synthetic_run, other])


# --- whole runs --------------------------------------------------------------------------------


def test_comparing_a_scenario_with_itself_gives_exactly_zero_difference() -> None:
    result_set = run_comparison(
        ["default", "default"], RunOptions(trials=100, seed=5, workers=1), overrides=FAST
    )
    assert result_set.meta["labels"] == ["default", "default (2)"]
    comparison = compare_result_set(result_set)
    assert len(comparison.metrics) >= 6
    for metric in comparison.metrics:
        d = metric.differences[1]
        assert d is not None
        if d.defined == 0:
            continue  # e.g. payback, never reached in three months
        assert (d.mean, d.p05, d.p50, d.p95, d.mcse) == (0.0, 0.0, 0.0, 0.0, 0.0), metric.key
        if metric.better is not None:
            assert (d.prob_better, d.prob_worse) == (0.0, 0.0), metric.key
    assert comparison.prob_best == (0.5, 0.5)


@pytest.mark.skipif(
    not {"social-team-2", "social-team-3"} <= set(bundled_scenarios()),
    reason="the bundled staffing variants are not there",
)
def test_paired_interval_is_narrower_than_unpaired_on_the_staffing_variants() -> None:
    result_set = run_comparison(
        ["social-team-2", "social-team-3"],
        RunOptions(trials=200, seed=11, workers=1),
        overrides=("scenario.horizon_months=6", "simulation.sampled_days_per_month=1"),
    )
    comparison = compare_result_set(result_set)
    by_key = {m.key: m for m in comparison.metrics}
    for key in ("roi", "npv", "pv_costs", "kpi.program.social.service_level"):
        d = by_key[key].differences[1]
        assert d is not None
        # sd(b − a)² = var a + var b − 2 cov(a, b): common random numbers make cov large.
        assert d.mcse < 0.8 * d.unpaired_mcse, key
        assert d.ci95_high - d.ci95_low < 0.8 * (d.unpaired_ci95_high - d.unpaired_ci95_low)
    # The third agent costs money in every trial: the paired difference says so for certain.
    costs = by_key["pv_costs"].differences[1]
    assert costs is not None and costs.p05 > 0 and costs.prob_worse == 1.0


def test_compare_cli_prints_json_and_writes_a_result_that_replays(tmp_path: Path) -> None:
    out = tmp_path / "cmp.npz"
    sets = [arg for s in FAST for arg in ("--set", s)]
    code, text = invoke(
        "compare",
        "default",
        "default",
        "--set",
        "channels.social.agents=2",
        "--trials",
        "60",
        "--seed",
        "9",
        "--workers",
        "2",
        *sets,
        "--json",
        "--out",
        str(out),
    )
    assert code == 0, text
    data = json.loads(text)
    assert data["seed"] == "9" and data["trials"] == 60 and data["reference"] == "default"
    npv = data["metrics"]["npv"]
    assert npv["differences"][0] is None
    assert {"mean", "p05", "p95", "ci95_low", "ci95_high", "unpaired_ci95_low", "prob_better"} <= (
        set(npv["differences"][1])
    )
    assert [s["prob_best"] for s in data["scenarios"]] == [0.5, 0.5]
    # The file holds the runs; the comparison recomputed from it is the one printed.
    saved = ResultSet.load(out)
    assert saved.kind == "compare" and len(saved.runs) == 2
    assert saved.runs[0].provenance.overrides == ("channels.social.agents=2", *FAST)
    assert compare_result_set(saved).to_dict() == data
    # Two worker processes (whole runs) give the same trials as one process.
    again = run_comparison(
        ["default"] * 2,
        RunOptions(trials=60, seed=9, workers=1),
        overrides=("channels.social.agents=2", *FAST),
    )
    assert np.array_equal(again.runs[1].samples["npv"], saved.runs[1].samples["npv"])


def test_compare_cli_table_names_the_pairing_and_the_seed() -> None:
    code, text = invoke(
        "compare",
        "default",
        "default",
        "--trials",
        "30",
        "--seed",
        "4",
        "--workers",
        "1",
        "--set",
        FAST[0],
        "--set",
        FAST[1],
        "--quiet",
    )
    assert code == 0, text
    assert "common random numbers (seed 4)" in text
    assert "P(highest NPV)" in text and "paired difference against default" in text
    assert "simroi compare default default --seed 4 --trials 30" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "default"], "compare needs at least two scenarios (got 1)"),
        (["compare", "default", "nope.toml"], "nope.toml: file not found"),
        (["compare", "default", "default", "--out", "/no/such/dir/x.npz"], "does not exist"),
    ],
)
def test_compare_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, text = invoke(*args)
    assert code == 2
    assert message in text
    assert text.count("\n") == 1 and "Traceback" not in text
