"""Reports on alternatives: a comparison of scenarios and a sweep of settings.

A comparison's runs share their random numbers, so trial *t* is the same possible world in each;
the paired differences against the first scenario (NPV and ROI, trial by trial) are far tighter
than the difference of two intervals. They, P(better) and P(best) come from
:func:`simroi.analysis.comparison.compare_results`, the computation ``simroi compare`` prints,
so an export of a comparison shows the numbers the command showed. A sweep's curve and
recommendation are read from the result file as ``simroi sweep`` stored them (the cheapest point
meeting every objective in the same trial with the stated confidence; the point with the highest
mean NPV); nothing is re-decided here. Likewise the break-evens of a sensitivity analysis
(:mod:`simroi.analysis.breakeven`) are read as ``simroi sensitivity --breakeven`` stored them.
"""

from __future__ import annotations

import math
from typing import Any

from simroi.analysis.breakeven import BreakevenResult
from simroi.analysis.comparison import (
    ComparisonResult,
    MetricComparison,
    PairedDifference,
    compare_results,
)
from simroi.analysis.sweep import SweepResult
from simroi.errors import ResultFileError
from simroi.formatting import chance, counted, fmt, pct, short_key, significant
from simroi.report.run import run_details
from simroi.report.types import Report, RunReport, Stat, SweepCurve

__all__ = [
    "BREAKEVEN_HEADER",
    "LEADING",
    "breakeven_cells",
    "breakeven_sentence",
    "compare_report",
    "difference_label",
    "differences",
    "over_trials",
    "point_label",
    "stored_breakeven",
    "sweep_curve",
    "sweep_report",
    "worse_words",
]

#: The paired differences every export leads with (metric key, label): the money that decides.
LEADING = ("npv", "roi")


def differences(comparison: ComparisonResult, where: str = "result") -> list[Stat]:
    """Every paired difference of each scenario against the first, as table rows: NPV and ROI
    first, then every other metric ``simroi compare`` shows a difference for (payback, PV of
    benefits and costs, KPIs), in its order.

    ``probability`` is P(better) (:func:`simroi.analysis.comparison.better_trials`: an
    undefined value is never better), NaN for a metric with no better direction (occupancy,
    volumes). A metric some trials leave undefined (payback beyond the horizon) says over how
    many trials its difference is taken, as the terminal does; P(better) is over all trials.

    Raises
    ------
    ResultFileError
        When NPV or ROI has no P(better): runs without trials (``where`` names the file).
    """
    first = comparison.labels[0]
    metrics = sorted(
        comparison.metrics,
        key=lambda m: LEADING.index(m.key) if m.key in LEADING else len(LEADING),
    )
    out = []
    for i, name in enumerate(comparison.labels[1:], start=1):
        for metric in metrics:
            d = metric.differences[i]
            if metric.key in LEADING and (d is None or d.prob_better is None):
                raise ResultFileError(
                    f"{where}: no paired {metric.label} difference of {name!r} against "
                    f"{first!r} (the runs hold no trials)"
                )
            if d is None:
                continue
            label = difference_label(metric, d, comparison.trials, f"{name} − {first}")
            p, p_mcse, p_worse, words = math.nan, math.nan, math.nan, ""
            if metric.better is not None and d.prob_better is not None:
                p = d.prob_better
                p_mcse = math.nan if d.prob_better_mcse is None else d.prob_better_mcse
                p_worse = math.nan if d.prob_worse is None else d.prob_worse
                words = _better_words(metric.key, metric.label, metric.better, name)
                worse = worse_words(d)
                words += f" ({worse})" if worse else ""
            out.append(
                Stat(
                    name,
                    f"Paired difference vs {first}",
                    f"diff.{metric.key}",
                    label,
                    "pp" if metric.kind == "pct" else metric.kind,
                    d.mean,
                    d.p05,
                    d.p50,
                    d.p95,
                    d.mcse,
                    p,
                    p_mcse,
                    words,
                    p_worse,
                )
            )
    return out


def _better_words(key: str, label: str, better: str, name: str) -> str:
    """What P(better) is the chance of: "B has the higher NPV", "B pays back sooner", "B costs
    less", "B does better on phone: Abandoned / ignored"."""
    if key == "payback_months":
        return f"{name} pays back sooner"
    if key == "pv_costs":
        return f"{name} costs less"
    if key in ("npv", "roi", "pv_benefits"):
        return f"{name} has the {better} {label}"
    return f"{name} does better on {label}"


def over_trials(key: str, difference: PairedDifference, trials: int) -> str:
    """What a paired difference of metric ``key`` is taken over, when some of ``trials`` leave
    it undefined (payback beyond the horizon): "over the 4 trials in which both pay back", "no
    trial in which both pay back"; "" when every trial defines it. As every output words it."""
    if difference.defined >= 1:
        return ""
    both = difference.both_defined(trials)
    which = "both pay back" if key == "payback_months" else "both define it"
    return (
        f"over the {counted(both, 'trial')} in which {which}"
        if both
        else f"no trial in which {which}"
    )


def difference_label(
    metric: MetricComparison, difference: PairedDifference, trials: int, pair: str = ""
) -> str:
    """A paired difference's row label: the metric, the ``pair`` differenced ("B − A") and
    the trials it is over when some leave it undefined ("Payback month: B − A (over the 4
    trials in which both pay back)"), as every export labels it."""
    over = over_trials(metric.key, difference, trials)
    # PAYBACK_LABEL's own "(trials that pay back)" is what ``over`` says, with the count.
    name = "Payback month" if metric.key == "payback_months" and over else metric.label
    head = f"{name}: {pair}" if pair else name
    return f"{head} ({over})" if over else head


def worse_words(difference: PairedDifference, digits: int = 0) -> str:
    """P(worse) and the ties, when some trials tie (where P(better) alone misleads: 6 % better
    may be 0 % worse, not 94 %): "worse in 0%, tied in 94%"; "" when no trial ties."""
    tied = difference.prob_tied
    if tied is None or difference.prob_worse is None or tied < 1e-12:
        return ""
    return f"worse in {chance(difference.prob_worse, digits)}, tied in {chance(tied, digits)}"


def point_label(keys: list[str], point: list[Any], named: bool = False) -> str:
    def value(v: Any) -> str:
        return f"{v:g}" if isinstance(v, int | float) else str(v)

    if len(keys) == 1 and not named:
        return value(point[0])
    return ", ".join(f"{short_key(k)}={value(v)}" for k, v in zip(keys, point, strict=False))


def sweep_curve(meta: dict[str, Any], sweep: SweepResult, where: str) -> SweepCurve:
    """The grid of a sweep file (``meta``) with its marks as :func:`summarize_sweep` computes them
    (the best expected NPV; the cheapest point meeting every objective), as ``simroi sweep``
    prints them."""
    keys = [str(k) for k in meta.get("keys", [])]
    points = [list(p) if isinstance(p, list | tuple) else [p] for p in meta.get("points", [])]
    if len(points) != len(sweep.points):
        raise ResultFileError(
            f"{where}: sweep has {len(points)} grid points for {len(sweep.points)} runs"
        )
    numeric = None
    if len(keys) == 1 and all(isinstance(p[0], int | float) for p in points):
        numeric = [float(p[0]) for p in points]
    return SweepCurve(
        keys,
        points,
        [point_label(keys, p) for p in points],
        numeric,
        sweep.best_npv,
        sweep.recommended,
        sweep.confidence,
        [p.prob_best for p in sweep.points],
        [p.prob_best_mcse for p in sweep.points],
    )


def compare_report(runs: list[RunReport], where: str = "result") -> Report:
    """The report of a comparison: each run, the paired differences, P(better) and P(best).

    ``where`` names the result file in error messages.
    """
    reference = runs[0].result.samples["npv"]
    for r in runs[1:]:
        if r.result.samples["npv"].shape != reference.shape:
            raise ResultFileError(
                f"{where}: runs {runs[0].name!r} and {r.name!r} have different trial counts "
                f"({reference.size} and {r.result.samples['npv'].size}): paired differences need "
                "common random numbers"
            )
    comparison = compare_results([r.result for r in runs], [r.name for r in runs])
    paired = differences(comparison, where)
    cur = runs[0].currency
    best = max(range(len(runs)), key=lambda i: runs[i].stat("npv").p50)
    b = runs[best]
    if best > 0:
        diff = next(d for d in paired if d.run == b.name and d.key == "diff.npv")
        sentence = (
            f"{b.name} has the highest median NPV ({fmt(b.stat('npv').p50, 'money', cur)}); "
            f"it beats {runs[0].name} in {chance(diff.probability)} of paired trials "
            f"(difference {fmt(diff.p50, 'money', cur)}, 90% interval "
            f"{fmt(diff.p05, 'money', cur)} to {fmt(diff.p95, 'money', cur)})."
        )
    else:
        sentence = (
            f"{runs[0].name} has the highest median NPV "
            f"({fmt(runs[0].stat('npv').p50, 'money', cur)}); no alternative beats it on median."
        )
    if all(r.stat("npv").p50 < 0 for r in runs):  # the best of them still loses money
        sentence += " No scenario's median NPV is positive."
    details = [
        f"{r.name}: ROI median {pct(r.stat('roi').p50)} ({pct(r.stat('roi').p05)} to "
        f"{pct(r.stat('roi').p95)}), {chance(r.stat('roi').probability)} chance ROI > 0."
        for r in runs
    ]
    details.append(
        "Each scenario ran on the same random numbers, so differences are paired trial by trial."
    )
    chances = zip(comparison.labels, comparison.prob_best, strict=True)
    details.append(
        "Chance of the highest NPV, trial by trial: "
        + ", ".join(f"{name} {chance(p)}" for name, p in chances)
        + "."
    )
    title = "Comparison: " + ", ".join(r.name for r in runs)
    return Report("compare", runs, title, sentence, details, paired, comparison=comparison)


def sweep_report(runs: list[RunReport], curve: SweepCurve) -> Report:
    cur = runs[0].currency
    axis = ", ".join(curve.keys) or "grid point"
    best = curve.best_npv
    if best is None:
        best = max(range(len(runs)), key=lambda i: runs[i].stat("npv").mean)
    rec = curve.recommended
    conf = f" with ≥ {pct(curve.confidence)} probability" if curve.confidence else ""
    best_npv = runs[best].stat("npv")
    best_text = (
        f"Highest mean NPV: {runs[best].name} (mean {fmt(best_npv.mean, 'money', cur)}, "
        f"median {fmt(best_npv.p50, 'money', cur)}, 90% interval "
        f"{fmt(best_npv.p05, 'money', cur)} to {fmt(best_npv.p95, 'money', cur)})."
    )
    if rec is not None:
        sentence = (
            f"Recommended: {runs[rec].name}, the cheapest setting that meets every objective{conf}."
        )
    else:
        sentence = f"No setting meets every objective{conf}; {best_text[0].lower()}{best_text[1:]}"
    focus = rec if rec is not None else best
    details = [best_text] if rec is not None else []
    details += [f"The detail slides show {runs[focus].name}.", *run_details(runs[focus])[:2]]
    title = f"Sweep of {axis}: {len(runs)} settings"
    return Report("sweep", runs, title, sentence, details, sweep=curve, focus=focus)


def stored_breakeven(r: RunReport, where: str = "result") -> BreakevenResult | None:
    """The break-evens ``simroi sensitivity --breakeven`` stored with run ``r``, or None.

    Raises
    ------
    ResultFileError
        When the stored table is malformed (``where`` names the file).
    """
    stored = r.result.meta.get("sensitivity")
    table = stored.get("breakeven") if isinstance(stored, dict) else None
    if not isinstance(table, dict):
        return None
    try:
        return BreakevenResult.from_dict(table)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ResultFileError(f"{where}: malformed break-even table ({exc!r})") from None


def breakeven_sentence(breakeven: BreakevenResult) -> str:
    """The headline of the break-evens: the biggest driver whose break-even for the median NPV
    lies within its range, e.g. ``median NPV > 0 when setup cost ≤ 32,822 (median assumed
    50,000)``; or that no single driver gets there within its range."""
    for row in breakeven.rows:
        if row.npv.in_range:
            return (
                f"median NPV > 0 when {row.label} {row.npv.text()} "
                f"(median assumed {significant(row.current_median)})"
            )
    return "no top driver alone turns the median NPV positive within its range"


#: The columns of every table of break-evens (slide, Markdown).
BREAKEVEN_HEADER = (
    "Input",
    "Median assumed",
    "Range",
    "Median NPV > 0 when",
    "P(ROI > 0) ≥ 50% when",
)


def breakeven_cells(breakeven: BreakevenResult) -> list[list[str]]:
    """One row of text per driver under :data:`BREAKEVEN_HEADER`: the input, its assumed
    median, its range, and each break-even (``≤ 32,822``, ``≥ 15.5 (above range)``, ``never:
    not met from 0 to 44``)."""
    return [
        [
            row.label,
            significant(row.current_median),
            f"{significant(row.range_low)} – {significant(row.range_high)}",
            row.npv.text(),
            row.prob_roi_positive.text(),
        ]
        for row in breakeven.rows
    ]
