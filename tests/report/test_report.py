"""The report holds the analysis's numbers, never its own: every export shows the same statistic.

A :class:`~simroi.report.types.Report` is what the slides, charts and tables lay out; these tests
hold each of its numbers to the analysis function that computes it (and so to ``simroi run``,
``compare`` and ``sweep``), on synthetic results that need no simulation.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pptx import Presentation
from rich.console import Console

from simroi.analysis.comparison import compare_result_set, compare_results
from simroi.analysis.summary import (
    ROI_UNDEFINED_NOTE,
    listed_lines,
    objective_met,
    objective_outcomes,
    payback_threshold,
    pays_back_within,
    summarize,
)
from simroi.analysis.sweep import summarize_sweep
from simroi.cli.render import render_run_summary
from simroi.errors import ResultFileError
from simroi.estimates import probability
from simroi.execution.result import ResultSet, RunResult
from simroi.exports.charts import chart_figure
from simroi.exports.deck import build_deck
from simroi.exports.tables import summary_csv, summary_json
from simroi.formatting import PAYBACK_LABEL, PCT_DIGITS, chance, fmt
from simroi.report.alternatives import differences
from simroi.report.builders import build_report


def test_a_run_report_shows_the_intervals_and_probabilities_of_the_run_summary(
    synthetic_run: RunResult,
) -> None:
    report = build_report(synthetic_run)
    summary = summarize(synthetic_run)
    assert report.kind == "run" and len(report.runs) == 1
    shown = report.main
    for key, interval in (("roi", summary.roi), ("npv", summary.npv)):
        stat = shown.stat(key)
        got = (stat.mean, stat.p05, stat.p50, stat.p95)
        assert got == (interval.mean, interval.p05, interval.p50, interval.p95)
    roi = shown.stat("roi")
    assert (roi.probability, roi.probability_mcse) == tuple(summary.prob_roi_positive)
    listed = listed_lines(synthetic_run.samples)  # a line zero in every trial is not a row
    assert set(listed) < set(summary.lines)
    for line in listed:
        assert shown.stat(f"pv.{line}").p50 == summary.lines[line].p50
    assert [(o.label, o.probability) for o in shown.objectives] == [
        (o.label, o.probability) for o in objective_outcomes(synthetic_run)
    ]


def test_a_comparison_report_takes_its_differences_from_the_comparison(
    synthetic_compare: ResultSet,
) -> None:
    report = build_report(synthetic_compare)
    comparison = compare_result_set(synthetic_compare)
    assert report.comparison is not None
    npv = comparison.metric("npv")
    rows = [s for s in report.differences if s.key == "diff.npv"]
    assert len(rows) == len(synthetic_compare.runs) - 1
    for row, difference in zip(rows, npv.differences[1:], strict=True):
        assert difference is not None
        assert (row.p05, row.p50, row.p95) == (difference.p05, difference.p50, difference.p95)
        assert row.probability == difference.prob_better
    # By hand: the paired difference of the last scenario against the first, trial by trial.
    first = synthetic_compare.runs[0].samples["npv"]
    last = synthetic_compare.runs[-1].samples["npv"]
    assert rows[-1].probability == float(np.mean(last > first))
    assert math.isclose(rows[-1].p50, float(np.percentile(last - first, 50)), rel_tol=1e-12)


def test_a_sweep_report_marks_the_points_the_sweep_summary_marks(
    synthetic_sweep: ResultSet,
) -> None:
    report = build_report(synthetic_sweep)
    summary = summarize_sweep(synthetic_sweep)
    assert report.sweep is not None
    assert report.sweep.best_npv == summary.best_npv
    assert report.sweep.recommended == summary.recommended
    assert [r.name for r in report.runs] == [p.label for p in summary.points]


def _some_never_pay_back(run: RunResult) -> RunResult:
    """``run`` with the payback of its worst 40% of trials (by NPV) never reached."""
    payback = run.samples["payback_months"].copy()
    worst = np.argsort(run.samples["npv"])[: int(0.4 * run.trials)]
    payback[worst] = np.nan
    return replace(run, samples={**run.samples, "payback_months": payback})


def test_one_median_payback_in_every_output_when_some_trials_never_pay_back(
    synthetic_run: RunResult, tmp_path: Path
) -> None:
    # b2b-software once said "median payback in month 23" on the deck and the chart (trials that
    # never pay back counted as infinity) and P50 = 22 in the table, CSV, JSON and terminal
    # (trials that pay back). One definition: the interval's P50, of the trials that pay back.
    run = _some_never_pay_back(synthetic_run)
    months = run.samples["payback_months"]
    p50 = summarize(run).payback_months.p50
    counting_never = np.percentile(np.where(np.isnan(months), np.inf, months), 50, method="lower")
    assert math.isfinite(p50) and p50 != counting_never  # the two definitions differ here
    report = build_report(run)
    shown = report.main
    assert shown.median_payback == p50 == shown.stat("payback_months").p50
    text = f"month {fmt(p50, 'months')}"
    assert shown.payback_text() == f"median payback in {text} (trials that pay back)"
    assert shown.payback_within.value == 1 - summarize(run).prob_no_payback.value
    # The JSON and the CSV hold the same P50.
    data = summary_json(report)["runs"][0]["summary"]["payback_months"]
    assert data["p50"] == p50
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(summary_csv(report)))}
    assert float(rows["payback_months"]["p50"]) == p50
    # The cash-flow chart marks it, and the cash-flow slide and side-by-side table say it.
    fig = chart_figure(report, "cashflow")
    marks = [t.get_text() for t in fig.texts + fig.axes[0].texts]
    assert any(text in t for t in marks)
    share = chance(float(np.isfinite(months).mean()))  # by the horizon, as the median is
    assert any(f"(the {share} of\ntrials that pay back)" in t for t in marks), marks
    deck = Presentation(io.BytesIO(build_deck(report)))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert any(t.startswith("Cumulative net cash flow") and text in t for t in titles)
    # A terminal table shows the same P50 (with its table's decimals).
    console = Console(record=True, width=200, color_system=None)
    render_run_summary(summarize(run), console)
    payback_row = next(line for line in console.export_text().splitlines() if PAYBACK_LABEL in line)
    assert f"{p50:.1f}" in payback_row


def test_a_run_that_never_pays_back_says_so_everywhere(synthetic_run: RunResult) -> None:
    months = np.full(synthetic_run.trials, np.nan)
    run = replace(synthetic_run, samples={**synthetic_run.samples, "payback_months": months})
    shown = build_report(run).main
    assert math.isnan(shown.median_payback)
    assert shown.payback_text() == "no trial pays back within 36 months"
    assert shown.payback_within.value == 0.0


def test_pays_back_within_is_the_payback_objective_rule(synthetic_run: RunResult) -> None:
    run = _some_never_pay_back(synthetic_run)
    assert payback_threshold(run) == 36  # without a payback objective: the horizon
    objective = {"label": "Pays back in two years", "metric": "payback_months", "op": "<="}
    objectives = [*run.meta["objectives"], {**objective, "bound": 24}]
    run = replace(run, meta={**run.meta, "objectives": objectives})
    months = run.samples["payback_months"]
    assert payback_threshold(run) == 24  # the payback objective's bound
    within = pays_back_within(run, 24)
    assert within.tolist() == [bool(m <= 24) for m in np.nan_to_num(months, nan=np.inf)]
    assert within.tolist() == objective_met(run, objectives[-1]).tolist()
    # Within the horizon it is the complement of P(no payback).
    assert (~pays_back_within(run, 36)).tolist() == np.isnan(months).tolist()
    assert build_report(run).main.payback_within == probability(within)


def test_the_roi_note_is_written_once(synthetic_run: RunResult) -> None:
    roi = synthetic_run.samples["roi"].copy()
    roi[:3] = np.nan
    run = replace(synthetic_run, samples={**synthetic_run.samples, "roi": roi})
    assert summarize(run).roi_note == ROI_UNDEFINED_NOTE
    assert f"{ROI_UNDEFINED_NOTE}." in build_report(run).details


def test_a_comparison_report_gives_every_difference_compare_prints(
    synthetic_compare: ResultSet,
) -> None:
    """Not only NPV and ROI: payback, PV of benefits and costs and every KPI, each with the
    P(better) ``simroi compare`` prints beside it (the exports had NPV and ROI only)."""
    report = build_report(synthetic_compare)
    comparison = compare_result_set(synthetic_compare)
    rows = {(s.run, s.key): s for s in report.differences}
    names = comparison.labels
    assert [s.key for s in report.differences[:2]] == ["diff.npv", "diff.roi"]  # money first
    assert len(rows) == len(report.differences) == len(comparison.metrics) * (len(names) - 1)
    for metric in comparison.metrics:
        for name, d in zip(names[1:], metric.differences[1:], strict=True):
            assert d is not None
            row = rows[(name, f"diff.{metric.key}")]
            assert (row.mean, row.p05, row.p50, row.p95) == (d.mean, d.p05, d.p50, d.p95)
            if metric.better is None:
                assert math.isnan(row.probability) and row.probability_of == ""
            else:
                assert (row.probability, row.probability_mcse) == (
                    d.prob_better,
                    d.prob_better_mcse,
                )
                # Where trials tie, P(better) alone misleads (6 % better, 0 % worse): the
                # row says how often it is worse and tied.
                tied = 1 - d.prob_better - (d.prob_worse or 0.0)
                assert (f"worse in {chance(d.prob_worse)}" in row.probability_of) == (tied > 1e-12)
            assert row.unit == ("pp" if metric.kind == "pct" else metric.kind)
    # Payback is defined only in the trials that pay back: the row says over how many.
    payback = comparison.metric("payback_months").differences[1]
    assert payback is not None and 0 < payback.defined < 1
    both = round(payback.defined * comparison.trials)
    row = rows[(names[1], "diff.payback_months")]
    assert row.label == (
        f"Payback month: {names[1]} − {names[0]} (over the {both} trials in which both pay back)"
    )
    assert row.probability_of.startswith(f"{names[1]} pays back sooner")


def test_a_difference_without_a_direction_or_without_trials_both_define_is_shown_so(
    synthetic_compare: ResultSet,
) -> None:
    """Occupancy (an objective here) has no better direction: no P(better), a dash on the
    slide; a first scenario that never pays back leaves no trial both define its payback."""
    objective = {"label": "Social occupancy at most 90%", "metric": "social.occupancy",
                 "op": "<=", "bound": 0.9}  # fmt: skip
    runs = [
        replace(
            r,
            samples={**r.samples, "payback_months": np.full(r.trials, np.nan)}
            if i == 0
            else r.samples,
            meta={**r.meta, "objectives": [*r.meta["objectives"], objective]},
        )
        for i, r in enumerate(synthetic_compare.runs)
    ]
    result = ResultSet("compare", runs, synthetic_compare.meta)
    report = build_report(result)
    rows = {(s.run, s.key): s for s in report.differences}
    occupancy = rows[("two-agents", "diff.kpi.program.social.occupancy")]
    assert occupancy.label == "social: Occupancy: two-agents − one-agent"
    assert math.isnan(occupancy.probability) and occupancy.probability_of == ""
    payback = rows[("two-agents", "diff.payback_months")]
    assert payback.label.endswith("(no trial in which both pay back)")
    assert math.isnan(payback.p50) and payback.probability > 0  # it pays back, the first never
    written = {(r["run"], r["key"]): r for r in csv.DictReader(io.StringIO(summary_csv(report)))}
    assert written[("two-agents", "diff.kpi.program.social.occupancy")]["probability"] == ""
    assert written[("two-agents", "diff.payback_months")]["p50"] == ""
    deck = Presentation(io.BytesIO(build_deck(report)))
    shown = [
        [c.text for c in r.cells]
        for slide in deck.slides
        if slide.shapes.title is not None
        and slide.shapes.title.text.startswith("Every paired difference: two-agents")
        for shape in slide.shapes
        if shape.has_table
        for r in list(shape.table.rows)[1:]
    ]
    by_label = {cells[0]: cells for cells in shown}
    assert by_label["social: Occupancy"][3:] == ["—", "—"]
    no_trial = by_label["Payback month (no trial in which both pay back)"]
    assert no_trial[1:3] == ["—", "—"] and no_trial[3] == chance(payback.probability)


def test_every_table_gives_each_runs_chance_of_the_highest_npv(
    synthetic_compare: ResultSet, synthetic_sweep: ResultSet
) -> None:
    """P(best) as ``simroi compare`` and ``simroi sweep`` print it, in the CSV (and so the
    workbook's summary) and on the deck's summary table."""
    comparison = compare_result_set(synthetic_compare)
    sweep = summarize_sweep(synthetic_sweep)
    expected = [
        (
            synthetic_compare,
            list(zip(comparison.prob_best, comparison.prob_best_mcse, strict=True)),
        ),
        (synthetic_sweep, [(p.prob_best, p.prob_best_mcse) for p in sweep.points]),
    ]
    for result, chances in expected:
        report = build_report(result)
        assert report.best_chances == chances
        rows = csv.DictReader(io.StringIO(summary_csv(report)))
        best = [r for r in rows if r["key"] == "prob_best"]
        assert [r["run"] for r in best] == [r.name for r in report.runs]
        assert [(float(r["probability"]), float(r["probability_mcse"])) for r in best] == chances
        deck = Presentation(io.BytesIO(build_deck(report)))
        tables = [
            shape.table
            for slide in deck.slides
            for shape in slide.shapes
            if shape.has_table
            and shape.table.cell(0, len(shape.table.columns) - 1).text == "P(highest NPV)"
        ]
        assert len(tables) == 1
        shown = [tables[0].cell(i + 1, 6).text for i in range(len(chances))]
        assert shown == [chance(p, PCT_DIGITS) for p, _ in chances]
    assert build_report(synthetic_compare.runs[0]).best_stats == []  # a run has no P(best)


def test_a_comparison_without_paired_differences_is_a_result_file_error(
    synthetic_compare: ResultSet,
) -> None:
    empty = [
        replace(r, samples={k: v[:0] for k, v in r.samples.items()}) for r in synthetic_compare.runs
    ]
    comparison = compare_results(empty)
    with pytest.raises(ResultFileError, match=r"cmp\.npz: no paired NPV difference"):
        differences(comparison, "cmp.npz")


def test_a_wrongly_shaped_sample_is_the_one_named(synthetic_run: RunResult) -> None:
    """Judged against the provenance's trials: a short roi is named, not the first array that
    differs from it."""
    for key in ("roi", "npv"):
        short = {**synthetic_run.samples, key: synthetic_run.samples[key][:-1]}
        with pytest.raises(ResultFileError, match=rf"samples '{key}' have shape"):
            build_report(replace(synthetic_run, samples=short), "r.npz")
    trials = synthetic_run.provenance.trials
    edited = replace(synthetic_run.provenance, trials=trials + 1)
    with pytest.raises(ResultFileError, match=rf"provenance trials is {trials + 1} but the"):
        build_report(replace(synthetic_run, provenance=edited), "r.npz")


def test_the_headline_says_payback_counts_cash_undiscounted(synthetic_run: RunResult) -> None:
    """Beside "17 % chance ROI > 0", "18 % chance it pays back" read as a contradiction: a
    trial may pay back in cash as it comes and still have a discounted ROI below 0."""
    report = build_report(synthetic_run)
    within = chance(report.main.payback_within.value)
    assert report.sentence.endswith(
        f"{within} chance it pays back within 36 months (cumulative cash, undiscounted)."
    )


def test_inputs_with_the_same_bars_are_named_as_one_lever() -> None:
    """Inputs [[orderings]] draw from one random number have the same ranks in every trial,
    hence the same bars: the tornado listed them as separate drivers, as if they added up."""
    from simroi.report.types import moving_together

    rows = [
        ("churn ignored", -0.50, -0.30, 0.16),
        ("margin", -0.47, -0.15, 0.24),
        ("churn unresolved", -0.50, -0.30, 0.16),
        ("swing a", -0.5, -0.3, None),  # a swing row: no coefficient, never tied
        ("swing b", -0.5, -0.3, None),
    ]
    assert moving_together(rows).endswith("a single lever: churn ignored = churn unresolved")
    assert moving_together(rows[:2]) == ""


def test_the_stored_tornado_s_method_names_its_tied_inputs(
    synthetic_run_with_sensitivity: RunResult,
) -> None:
    meta = synthetic_run_with_sensitivity.meta
    first, second = meta["sensitivity"]["rows"][:2]
    tied = {
        **second,
        "low": first["low"],
        "high": first["high"],
        "coefficient": first["coefficient"],
    }
    rows = [first, tied, *meta["sensitivity"]["rows"][2:]]
    run = replace(
        synthetic_run_with_sensitivity,
        meta={**meta, "sensitivity": {**meta["sensitivity"], "rows": rows}},
    )
    sampling, swing = build_report(run).main.sensitivity
    assert f"a single lever: {first['label']} = {second['label']}" in sampling.method
    assert "single lever" not in swing.method


def test_the_payback_line_s_share_is_by_the_horizon_whatever_the_objective(
    synthetic_run: RunResult,
) -> None:
    """A payback objective sets the months of "chance it pays back" (18 months in b2b-software),
    but the median payback the chart marks is over every trial that pays back by the horizon:
    its share must be that one (all 60 trials paid back; the line said 83 %)."""
    run = _some_never_pay_back(synthetic_run)
    months = run.samples["payback_months"]
    bound = float(np.nanpercentile(months, 30))
    objective = {"label": "Pays back early", "metric": "payback_months", "op": "<=", "bound": bound}
    run = replace(run, meta={**run.meta, "objectives": [*run.meta["objectives"], objective]})
    report = build_report(run)
    by_horizon = float(np.isfinite(months).mean())
    assert report.main.payback_within.value < by_horizon  # the objective's months are fewer
    marks = [t.get_text() for t in chart_figure(report, "cashflow").axes[0].texts]
    assert any(f"(the {chance(by_horizon)} of\ntrials that pay back)" in t for t in marks), marks


def test_a_comparison_headline_says_when_no_scenario_makes_money(
    synthetic_compare: ResultSet,
) -> None:
    report = build_report(synthetic_compare)
    assert report.sentence.startswith("one-agent has the highest median NPV")
    assert "positive" not in report.sentence  # its medians are positive
    losing = ResultSet(
        "compare",
        [
            replace(r, samples={**r.samples, "npv": r.samples["npv"] - 2e6})
            for r in synthetic_compare.runs
        ],
        synthetic_compare.meta,
    )
    assert build_report(losing).sentence.endswith(" No scenario's median NPV is positive.")
