"""`simroi compare`: paired differences under common random numbers, P(better), P(best)."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simroi.analysis.comparison import (
    ComparisonError,
    better_trials,
    compare_result_set,
    compare_results,
    paired_difference,
    prob_best,
    run_comparison,
)
from simroi.cli.app import main
from simroi.estimates import ci95, mean_estimate, probability
from simroi.execution.result import ResultSet, RunResult
from simroi.execution.runner import RunOptions

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


def test_an_undefined_value_is_never_better_the_example_of_issue_13() -> None:
    # Trial 0: a undefined, b defined → b better; 1: .2 > .1 better; 2: .1 < .2 worse;
    # 3: .4 > .3 better. A plain `b > a` would say 0.50 (NaN compares false).
    a = np.array([np.nan, 0.1, 0.2, 0.3])
    b = np.array([0.5, 0.2, 0.1, 0.4])
    better, worse = better_trials(a, b, better="higher")
    assert better.tolist() == [True, True, False, True]
    assert worse.tolist() == [False, False, True, False]
    d = paired_difference(a, b, better="higher")
    assert (d.prob_better, d.prob_worse) == (0.75, 0.25)
    assert d.prob_better_mcse == pytest.approx(math.sqrt(0.75 * 0.25 / 4), rel=1e-15)
    # Seen from b, a's undefined trial is worse, never better.
    assert paired_difference(b, a, better="higher").prob_better == 0.25


def test_two_undefined_values_tie_in_p_better_and_share_p_best() -> None:
    a = np.array([np.nan, np.nan, 1.0])
    b = np.array([np.nan, 2.0, np.nan])
    better, worse = better_trials(a, b, better="higher")
    assert better.tolist() == [False, True, False]
    assert worse.tolist() == [False, False, True]
    p, se = prob_best([a, b])
    # Trial 0: both undefined, shared; trial 1: b; trial 2: a → (0.5 + 0 + 1)/3, (0.5 + 1 + 0)/3.
    assert p == pytest.approx((0.5, 0.5)) and sum(p) == pytest.approx(1.0)
    assert p[0] == pytest.approx(1.5 / 3)
    assert se[0] == pytest.approx(math.sqrt(0.5 * 0.5 / 3))


def test_prob_best_shares_ties_and_sums_to_one() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([0.0, 1.0, 5.0, np.nan])
    p, se = prob_best([a, b, a])
    assert p == pytest.approx((0.375, 0.25, 0.375))
    assert sum(p) == pytest.approx(1.0)
    assert all(s >= 0 for s in se)
    assert prob_best([a, a])[0] == (0.5, 0.5)


def test_every_interval_and_probability_of_a_difference_is_the_estimates_one() -> None:
    # mean ± z·s.e. and P(better), P(worse), P(best) each come from one function.
    rng = np.random.default_rng(5)
    a = rng.normal(10.0, 2.0, 50)
    b = a + rng.normal(0.5, 1.0, 50)
    b[:4] = np.nan
    d = paired_difference(a, b, better="higher")
    both = np.isfinite(a) & np.isfinite(b)
    estimate = mean_estimate(b[both] - a[both])
    assert (d.mean, d.mcse) == tuple(estimate)
    assert (d.ci95_low, d.ci95_high) == estimate.ci95
    unpaired = math.sqrt((a[both].var(ddof=1) + b[both].var(ddof=1)) / both.sum())
    assert (d.unpaired_ci95_low, d.unpaired_ci95_high) == ci95(d.mean, unpaired)
    wins, losses = better_trials(a, b, better="higher")
    assert (d.prob_better, d.prob_better_mcse) == tuple(probability(wins))
    assert d.prob_worse == probability(losses).value
    shares, errors = prob_best([a, b, a])
    tied = np.where(np.nan_to_num(b, nan=-np.inf) > a, 1.0, 0.0)  # a ties with its copy
    assert shares[1] == probability(tied).value and errors[1] == probability(tied).mcse
    assert shares[0] == probability((1.0 - tied) / 2).value


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
    defined = 0
    for metric in comparison.metrics:
        d = metric.differences[1]
        assert d is not None
        if metric.better is not None:  # identical runs tie in every trial, defined or not
            assert (d.prob_better, d.prob_worse) == (0.0, 0.0), metric.key
        if d.defined > 0:
            assert (d.mean, d.p05, d.p50, d.p95, d.mcse) == (0.0, 0.0, 0.0, 0.0, 0.0), metric.key
            defined += 1
        else:  # e.g. payback, never reached in three months: undefined in both runs
            assert metric.values[0].defined == metric.values[1].defined == 0.0, metric.key
            assert math.isnan(d.mean) and math.isnan(d.mcse), metric.key
    assert defined >= 6  # the money and KPI rows were compared, not skipped
    assert comparison.prob_best == (0.5, 0.5)


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
    assert data.pop("replay") == saved.runs[0].provenance.command  # the JSON replays itself
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


# --- the result object ---------------------------------------------------------------------------


def test_comparison_result_shows_itself_and_keeps_its_samples(synthetic_compare: ResultSet) -> None:
    comparison = compare_result_set(synthetic_compare)
    lines = repr(comparison).splitlines()
    assert lines[0].startswith("ComparisonResult: 3 scenarios on common random numbers: 400")
    assert len(lines) == 2 + 3  # title, header, one line per scenario
    assert [line.split()[0] for line in lines[2:]] == list(comparison.labels)
    assert "P(best)" in lines[1] and "array(" not in repr(comparison)
    page = comparison._repr_html_()
    assert page.count("<tr>") == 4 and "three-agents" in page
    assert comparison.samples["two-agents"] is synthetic_compare.runs[1].samples
    assert comparison.to_dict()["prob_best_metric"] == "npv"


def test_comparison_to_frame_stacks_the_scenarios(
    synthetic_compare: ResultSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pandas")
    comparison = compare_result_set(synthetic_compare)
    frame = comparison.to_frame()
    assert list(frame.index.names) == ["scenario", "trial"]
    assert frame.shape[0] == 3 * 400
    np.testing.assert_array_equal(
        frame.loc["three-agents", "npv"].to_numpy(), synthetic_compare.runs[2].samples["npv"]
    )
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"simroi\[notebook\]"):
        comparison.to_frame()
