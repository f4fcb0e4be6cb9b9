"""Reports on alternatives: a comparison of scenarios and a sweep of settings.

A comparison's runs share their random numbers, so trial *t* is the same possible world in each;
the paired differences against the first scenario (NPV and ROI, trial by trial) are far tighter
than the difference of two intervals. A sweep's curve and recommendation are read from the result
file as ``simroi sweep`` stored them (the cheapest point meeting every objective in the same trial
with the stated confidence; the point with the highest mean NPV); nothing is re-decided here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simroi.analysis.summary import probability as event_probability
from simroi.errors import ResultFileError
from simroi.formatting import fmt, pct
from simroi.report.run import run_details, stat
from simroi.report.types import Stat, SweepCurve

if TYPE_CHECKING:
    from simroi.report.types import Report, RunReport

__all__ = [
    "SweepCurve",
    "compare_report",
    "differences",
    "point_label",
    "sweep_curve",
    "sweep_report",
]


def differences(runs: list[RunReport]) -> list[Stat]:
    first = runs[0]
    ref_npv = first.result.samples["npv"]
    ref_roi = first.result.samples["roi"]
    out = []
    for r in runs[1:]:
        npv = r.result.samples["npv"]
        roi = r.result.samples["roi"]
        if npv.shape != ref_npv.shape:
            raise ResultFileError(
                f"runs {first.name!r} and {r.name!r} have different trial counts "
                f"({ref_npv.size} and {npv.size}): paired differences need common random numbers"
            )
        section = f"Paired difference vs {first.name}"
        with np.errstate(invalid="ignore"):
            out.append(
                stat(
                    r.name,
                    section,
                    "diff.npv",
                    f"NPV: {r.name} − {first.name}",
                    "money",
                    npv - ref_npv,
                    event_probability(npv > ref_npv),
                    f"{r.name} has the higher NPV",
                )
            )
            out.append(
                stat(
                    r.name,
                    section,
                    "diff.roi",
                    f"ROI: {r.name} − {first.name}",
                    "pp",
                    roi - ref_roi,
                    event_probability(roi > ref_roi),
                    f"{r.name} has the higher ROI",
                )
            )
    return out


def point_label(keys: list[str], point: list[Any], named: bool = False) -> str:
    def short(key: str) -> str:
        return ".".join(key.split(".")[-2:])

    def value(v: Any) -> str:
        return f"{v:g}" if isinstance(v, int | float) else str(v)

    if len(keys) == 1 and not named:
        return value(point[0])
    return ", ".join(f"{short(k)}={value(v)}" for k, v in zip(keys, point, strict=False))


def sweep_curve(meta: dict[str, Any], runs: int, where: str) -> SweepCurve:
    keys = [str(k) for k in meta.get("keys", [])]
    points = [list(p) if isinstance(p, list | tuple) else [p] for p in meta.get("points", [])]
    if len(points) != runs:
        raise ResultFileError(f"{where}: sweep has {len(points)} grid points for {runs} runs")
    rec = meta.get("recommendation") or {}

    def index(name: str) -> int | None:
        i = rec.get(name)
        return int(i) if isinstance(i, int) and 0 <= i < runs else None

    numeric = None
    if len(keys) == 1 and all(isinstance(p[0], int | float) for p in points):
        numeric = [float(p[0]) for p in points]
    confidence = rec.get("confidence", meta.get("confidence"))
    return SweepCurve(
        keys,
        points,
        [point_label(keys, p) for p in points],
        numeric,
        index("best_npv"),
        index("cheapest_meeting_objectives"),
        None if confidence is None else float(confidence),
    )


def compare_report(runs: list[RunReport]) -> Report:
    paired = differences(runs)
    cur = runs[0].currency
    best = max(range(len(runs)), key=lambda i: runs[i].stat("npv").p50)
    b = runs[best]
    if best > 0:
        diff = next(d for d in paired if d.run == b.name and d.key == "diff.npv")
        sentence = (
            f"{b.name} has the highest median NPV ({fmt(b.stat('npv').p50, 'money', cur)}); "
            f"it beats {runs[0].name} in {pct(diff.probability)} of paired trials "
            f"(difference {fmt(diff.p50, 'money', cur)}, 90% interval "
            f"{fmt(diff.p05, 'money', cur)} to {fmt(diff.p95, 'money', cur)})."
        )
    else:
        sentence = (
            f"{runs[0].name} keeps the highest median NPV "
            f"({fmt(runs[0].stat('npv').p50, 'money', cur)}); no alternative beats it on median."
        )
    details = [
        f"{r.name}: ROI median {pct(r.stat('roi').p50)} ({pct(r.stat('roi').p05)} to "
        f"{pct(r.stat('roi').p95)}), {pct(r.stat('roi').probability)} chance ROI > 0."
        for r in runs
    ]
    details.append(
        "Each scenario ran on the same random numbers, so differences are paired trial by trial."
    )
    title = "Comparison: " + ", ".join(r.name for r in runs)
    from simroi.report.types import Report

    return Report("compare", runs, title, sentence, details, paired)


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
    from simroi.report.types import Report

    return Report("sweep", runs, title, sentence, details, sweep=curve, focus=focus)
