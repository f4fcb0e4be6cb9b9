"""What every export shows, computed once from a result file's per-trial arrays.

A :class:`Report` gathers the numbers that the slides, charts and tables of ``simroi export``
present: the intervals of ROI, NPV, payback, each benefit and cost line and each KPI; the
probability of each objective; the ROI histogram; the cumulative cash-flow bands; paired
differences of a comparison; a sweep's curve and recommendation; the tornado a sensitivity
analysis stored; the assumptions and the provenance. The deck, the charts and the tables all
read the same :class:`Report`, so a number on a slide is the number in the CSV.

Nothing is simulated here, and no statistic is invented: intervals come from
:func:`simroi.analysis.summary.interval` (P5/P50/P95 of the defined trials), probabilities from
:mod:`simroi.estimates`, a comparison's paired differences, P(better) and P(best) from
:func:`simroi.analysis.comparison.compare_results`, the tornado from ``meta["sensitivity"]`` as
stored.
"""

from __future__ import annotations

from simroi.analysis.sweep import summarize_sweep
from simroi.errors import ResultFileError
from simroi.execution.result import ResultSet, RunResult
from simroi.report.alternatives import compare_report, point_label, sweep_curve, sweep_report
from simroi.report.run import run_details, run_report
from simroi.report.types import Report

__all__ = ["build_report"]


def build_report(result: RunResult | ResultSet, where: str = "result") -> Report:
    """Derive everything an export shows from a loaded result file.

    Parameters
    ----------
    result : a run (``run --out``), a comparison (``compare --out``) or a sweep (``sweep --out``)
    where : the file name, for error messages
    """
    if isinstance(result, RunResult):
        r = run_report(result, where=where)
        title = str(
            result.meta.get("description") or f"{r.name} against {result.provenance.baseline_name}"
        )
        return Report("run", [r], title, r.sentence, run_details(r))
    if not result.runs:
        raise ResultFileError(f"{where}: the {result.kind} result holds no runs")
    if result.kind == "sweep":
        curve = sweep_curve(result.meta, summarize_sweep(result), where)
        names = [str(x) for x in result.meta.get("labels", [])]
        if len(names) != len(result.runs):
            names = [point_label(curve.keys, p, named=True) for p in curve.points]
        runs = [run_report(run, name, where) for run, name in zip(result.runs, names, strict=True)]
        return sweep_report(runs, curve)
    names = [str(n) for n in result.meta.get("labels") or result.meta.get("names", [])]
    if len(names) != len(result.runs):
        names = [run.provenance.scenario_name for run in result.runs]
    runs = [run_report(run, name, where) for run, name in zip(result.runs, names, strict=True)]
    return compare_report(runs, where)
