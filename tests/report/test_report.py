"""The report holds the analysis's numbers, never its own: every export shows the same statistic.

A :class:`~simroi.report.types.Report` is what the slides, charts and tables lay out; these tests
hold each of its numbers to the analysis function that computes it (and so to ``simroi run``,
``compare`` and ``sweep``), on synthetic results that need no simulation.
"""

from __future__ import annotations

import math

import numpy as np

from simroi.analysis.comparison import compare_result_set
from simroi.analysis.summary import objective_outcomes, summarize
from simroi.analysis.sweep import summarize_sweep
from simroi.execution.result import ResultSet, RunResult
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
    for line, interval in summary.lines.items():
        assert shown.stat(f"pv.{line}").p50 == interval.p50
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
