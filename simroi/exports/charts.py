"""Print-quality charts of a result (PNG, SVG) with matplotlib, readable when pasted on a slide.

Each chart is drawn on a standalone :class:`matplotlib.figure.Figure` with the Agg canvas: no
pyplot, no global state, no backend switch at import. Style settings apply only inside
:func:`matplotlib.rc_context`. Figures are 12 × 6.4 in, the size of a 16:9 slide's content
area, with text at 12 pt or more at that size. Every chart says what it shows in its title,
gives its key numbers in a subtitle, and carries the provenance line (simroi version, seed,
trials, scenario hash) so a figure can be traced back to the run that made it. The numbers are
the :class:`~simroi.report.types.Report`'s, the same as on the slides and in the tables.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator

from simroi.exports import CHART_NAMES
from simroi.exports.figure import (
    BLUE,
    GREEN,
    GREY,
    NAVY,
    ORANGE,
    PNG_DPI,
    RED,
    STYLE,
    axis_format,
    mark_x,
    note,
    titled_figure,
    wrap,
)
from simroi.exports.ramp import has_ramp, ramp_figure
from simroi.formatting import PCT_DIGITS, chance, counted, fmt, pct
from simroi.report.run import footer
from simroi.report.types import Report, Sensitivity, Stat

__all__ = ["available_charts", "chart_figure", "default_chart", "render_chart"]


def available_charts(report: Report) -> list[str]:
    """The chart names that have data in this report, headline chart first."""
    main = report.main
    detail = [
        "roi" if main.histogram.counts.sum() else "",
        "cashflow" if main.cash is not None else "",
        "lines",
        "objectives" if main.objectives else "",
        "ramp" if has_ramp(main) else "",
    ]
    if report.kind == "run":
        names = [*detail, *("tornado", "tornado-swing")[: len(main.sensitivity)]]
    elif report.kind == "compare":
        names = [
            "compare",
            "differences",
            "cashflow" if all(r.cash is not None for r in report.runs) else "",
        ]
    else:
        names = ["sweep", "sweep-probability", *detail]
    return [n for n in names if n]


def default_chart(report: Report) -> str:
    """The headline chart: the ROI distribution, the comparison or the sweep curve."""
    return available_charts(report)[0]


def _roi(report: Report) -> Figure:
    r = report.main
    roi = r.stat("roi")
    h = r.histogram
    where = f" ({r.name})" if len(report.runs) > 1 else ""
    subtitle = (
        f"median {pct(roi.p50)}, 90% interval {pct(roi.p05)} to {pct(roi.p95)} · "
        f"P(ROI > 0) = {chance(roi.probability)} · {counted(r.result.trials, 'trial')}\n"
        "blue bars: trials inside the 90% interval; grey: the 5% tails"
    )
    notes = []
    if h.below or h.above:
        beyond = h.below + h.above
        notes.append(f"{counted(beyond, 'extreme trial')} {'lies' if beyond == 1 else 'lie'} "
                     "beyond the axis")  # fmt: skip
    if h.undefined:
        notes.append(f"ROI is undefined in {counted(h.undefined, 'trial')} (no incremental cost)")
    subtitle += "".join(f"; {text}" for text in notes)
    fig, ax = titled_figure(
        report, f"ROI distribution{where}, incremental to the baseline", subtitle
    )
    centers = (h.edges[:-1] + h.edges[1:]) / 2
    inside = (centers > roi.p05) & (centers < roi.p95)
    ax.bar(
        centers,
        h.counts,
        width=np.diff(h.edges) * 0.92,
        color=np.where(inside, BLUE, GREY).tolist(),
    )
    top = max(int(h.counts.max()), 1) * 1.32
    ax.set_ylim(0, top)
    span = (
        h.edges[0] - (h.edges[-1] - h.edges[0]) * 0.03,
        h.edges[-1] + (h.edges[-1] - h.edges[0]) * 0.03,
    )
    ax.set_xlim(*span)
    for name, x, y, ha in (
        ("P5", roi.p05, 0.86, "right"),
        ("P50", roi.p50, 0.97, "center"),
        ("P95", roi.p95, 0.86, "left"),
    ):
        ax.axvline(
            x, color=NAVY, lw=2.4 if name == "P50" else 1.6, ls="-" if name == "P50" else "--"
        )
        share = (x - span[0]) / (span[1] - span[0])
        if ha == "right" and share < 0.15:
            ha = "left"
        elif ha == "left" and share > 0.85:
            ha = "right"
        offset = {"right": (-6, 0), "left": (6, 0), "center": (0, 0)}[ha]
        box = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9}
        mark_x(
            ax,
            x,
            y,
            f"{name} {pct(x)}",
            NAVY,
            xytext=offset,
            ha=ha,
            fontsize=15,
            fontweight="bold",
            bbox=box,
        )
    if h.edges[0] < 0 < h.edges[-1]:
        ax.axvline(0, color=RED, lw=1.6, ls=":")
        box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
        mark_x(
            ax,
            0,
            0.6,
            "break-even",
            RED,
            xytext=(-4, 0),
            rotation=90,
            ha="right",
            va="center",
            bbox=box,
        )
    axis_format(ax, "pct", r.currency)
    ax.set_xlabel("ROI = (PV of benefits − PV of costs) / PV of costs")
    ax.set_ylabel("trials")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _cashflow(report: Report) -> Figure:
    cur = report.main.currency
    if report.kind == "compare":
        fig, ax = titled_figure(
            report,
            "Cumulative net cash flow by scenario (median)",
            "undiscounted, incremental to the baseline; each line is one scenario's median "
            "in each month (over its trials, month by month: no single trial's path)",
        )
        colors = [BLUE, ORANGE, GREEN, NAVY, RED, GREY]
        for i, r in enumerate(report.runs):
            assert r.cash is not None
            ax.plot(
                r.cash.months,
                r.cash.percentiles[50],
                lw=2.6,
                label=r.name,
                color=colors[i % len(colors)],
            )
        ax.legend(frameon=False, loc="upper left")
    else:
        r = report.main
        assert r.cash is not None
        c = r.cash
        pay = r.stat("payback_months")
        where = f" ({r.name})" if len(report.runs) > 1 else ""
        fig, ax = titled_figure(
            report,
            f"Cumulative net cash flow{where}: median and bands",
            f"undiscounted, incremental to the baseline · {r.payback_text()} · "
            f"{chance(r.payback_within[0])} chance it {pay.probability_of}",
        )
        for lo, hi, alpha in ((5, 95, 0.18), (25, 75, 0.35)):
            band = f"{hi - lo}% band (P{lo}–P{hi})"
            ax.fill_between(
                c.months,
                c.percentiles[lo],
                c.percentiles[hi],
                color=BLUE,
                alpha=alpha,
                lw=0,
                label=band,
            )
        ax.plot(c.months, c.percentiles[50], color=NAVY, lw=2.8, label="median (P50)")
        median = r.median_payback
        if math.isfinite(median):
            ax.axvline(median, color=GREEN, lw=1.6, ls="--")
            # Of the trials that pay back: the median path may never cross zero.
            share = chance(1.0 - r.no_payback.value)
            month = fmt(median, "months")
            label = f"median payback\nmonth {month}\n(the {share} of\ntrials that pay back)"
            mark_x(ax, median, 0.95, label, GREEN)
        # The bands fan out towards the end; the start is free above a rising curve and
        # below a falling one.
        rising = c.percentiles[50][-1] >= c.percentiles[50][0]
        if rising:
            ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(0.0, 0.82))
        else:
            ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0.0, 0.02))
        if c.includes_terminal_value:
            note(
                ax,
                "the step in the last month is the terminal value\n(CLV of the "
                "customers kept, at the horizon)",
                1.0,
                0.02,
                va="bottom",
            )
    ax.axhline(0, color="#333333", lw=1)
    axis_format(ax, "money", cur, "y")
    ax.set_xlabel("month (0 = start, one-off costs)")
    ax.set_ylabel(f"cumulative net cash flow ({cur})")
    ax.set_xlim(0, max(report.main.horizon_months, 1))
    if report.main.horizon_months >= 12:
        ax.xaxis.set_major_locator(MultipleLocator(6))
    return fig


def _intervals(
    ax: Axes,
    rows: list[Stat],
    colors: list[str],
    labels: list[str],
    right: list[str],
    unit: str,
    cur: str,
    bars: bool = True,
) -> None:
    """Horizontal P50 bars (or dots) with P5–P95 whiskers, a text column on the right."""
    y = np.arange(len(rows))[::-1]
    p50 = np.array([s.p50 for s in rows])
    lo = np.array([s.p50 - s.p05 for s in rows])
    hi = np.array([s.p95 - s.p50 for s in rows])
    if bars:
        ax.barh(y, p50, color=colors, height=0.62)
    else:
        ax.scatter(p50, y, color=colors, s=110, zorder=3)
    whiskers: dict[str, Any] = {"fmt": "none", "ecolor": "#222222", "elinewidth": 1.8, "capsize": 6}
    ax.errorbar(p50, y, xerr=np.vstack([lo, hi]), zorder=4, **whiskers)
    if len(rows) < 4:  # keep a few rows together instead of spread over the full height
        ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.axvline(0, color="#333333", lw=1)
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    axis_format(ax, unit, cur)
    for yi, text in zip(y, right, strict=True):
        where: dict[str, Any] = {"xycoords": ("axes fraction", "data"), "annotation_clip": False}
        ax.annotate(text, (1.01, yi), va="center", fontsize=13, **where)


def _lines(report: Report) -> Figure:
    r = report.main
    cur = r.currency
    rows = [*r.section("Benefits"), *r.section("Costs"), r.stat("npv")]
    where = f" ({r.name})" if len(report.runs) > 1 else ""
    fig, ax = titled_figure(
        report,
        f"Benefits and costs by line{where} (present value)",
        "bar: median (P50); whisker: 90% interval (P5–P95); costs shown as positive amounts",
    )
    colors = [
        BLUE if s.section == "Benefits" else ORANGE if s.section == "Costs" else NAVY for s in rows
    ]
    labels = [wrap(s.label.split(" (")[0], 28) if s.key != "npv" else "NPV (net)" for s in rows]
    right = [s.interval_text(cur) for s in rows]
    _intervals(ax, rows, colors, labels, right, "money", cur)
    handles = [
        matplotlib.patches.Patch(color=c, label=lab)
        for c, lab in ((BLUE, "benefit"), (ORANGE, "cost"), (NAVY, "net"))
    ]
    ax.legend(handles=handles, frameon=False, loc="lower right")
    ax.set_xlabel(f"present value ({cur})")
    return fig


def _objectives(report: Report) -> Figure:
    r = report.main
    where = f" ({r.name})" if len(report.runs) > 1 else ""
    together = (
        f" · all {len(r.objectives)} together: {chance(r.objectives_all[0], PCT_DIGITS)}"
        if r.objectives_all
        else ""
    )
    fig, ax = titled_figure(
        report,
        f"Return on objectives{where}: chance each is met",
        f"share of trials meeting the objective{together}; green: ≥ {pct(report.confidence)}",
    )
    y = np.arange(len(r.objectives))[::-1]
    probs = [o.probability for o in r.objectives]
    # Green where met with the confidence a sweep requires, as the deck counts them.
    colors = [GREEN if p >= report.confidence else ORANGE if p >= 0.5 else RED for p in probs]
    ax.barh(y, probs, color=colors, height=0.6)
    for yi, o in zip(y, r.objectives, strict=True):
        text = f"{chance(o.probability, PCT_DIGITS)} (± {pct(o.mcse, PCT_DIGITS)})"
        ax.annotate(
            text,
            (min(o.probability, 1.0), yi),
            xytext=(6, 0),
            va="center",
            textcoords="offset points",
            fontsize=14,
        )
    ax.set_yticks(y, [wrap(o.label, 40) for o in r.objectives])
    ax.set_xlim(0, 1.18)
    ax.set_xticks(np.linspace(0, 1, 6))
    axis_format(ax, "pct", r.currency)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("probability of meeting the objective (± Monte Carlo s.e.)")
    return fig


def _tornado(report: Report, which: int) -> Figure:
    r = report.main
    sens: Sensitivity = r.sensitivity[which]
    rows = sens.shown
    base = sens.base if sens.base is not None else 0.0
    more = f" (top {len(rows)} of {len(sens.rows)})" if len(sens.rows) > len(rows) else ""
    fig, ax = titled_figure(
        report, f"What drives {sens.output_label}: {sens.kind}{more}", "method: " + sens.method
    )
    y = np.arange(len(rows))[::-1]
    low = np.array([row["low"] for row in rows]) - base
    high = np.array([row["high"] for row in rows]) - base
    ax.barh(y, low, left=base, color=ORANGE, height=0.62, label="input at its low end")
    ax.barh(y, high, left=base, color=BLUE, height=0.62, label="input at its high end")
    ax.axvline(base, color="#333333", lw=1.2)
    ax.set_yticks(y, [wrap(row["label"], 30) for row in rows])
    ax.grid(axis="y", visible=False)
    axis_format(ax, sens.unit, r.currency)
    ax.legend(frameon=False, loc="lower right")
    what = (
        f"{sens.output_label} (bars start at {sens.base_words}: {fmt(base, sens.unit, r.currency)})"
        if sens.base is not None
        else f"effect on {sens.output_label}"
    )
    ax.set_xlabel(what)
    return fig


def _compare(report: Report) -> Figure:
    cur = report.main.currency
    rows = [r.stat("roi") for r in report.runs]
    fig, ax = titled_figure(
        report,
        "ROI by scenario",
        "dot: median (P50); whisker: 90% interval (P5–P95); same random numbers in every scenario",
    )
    right = [f"{s.interval_text(cur)} · P(ROI > 0) {chance(s.probability)}" for s in rows]
    _intervals(
        ax,
        rows,
        [BLUE] * len(rows),
        [wrap(r.name, 22) for r in report.runs],
        right,
        "pct",
        cur,
        bars=False,
    )
    ax.set_xlabel("ROI, incremental to each scenario's baseline")
    return fig


def _differences(report: Report) -> Figure:
    cur = report.main.currency
    rows = [d for d in report.differences if d.key == "diff.npv"]
    first = report.runs[0].name
    fig, ax = titled_figure(
        report,
        f"Paired NPV differences against {first}",
        "trial by trial on common random numbers · dot: median; whisker: 90% interval",
    )
    right = [f"{fmt(s.p50, 'money', cur)} · P(higher NPV) {chance(s.probability)}" for s in rows]
    colors = [GREEN if s.p50 > 0 else RED for s in rows]
    _intervals(ax, rows, colors, [wrap(s.run, 22) for s in rows], right, "money", cur, bars=False)
    ax.set_xlabel(f"NPV of the scenario − NPV of {first} ({cur})")
    return fig


def _sweep_x(report: Report) -> tuple[np.ndarray, str]:
    curve = report.sweep
    assert curve is not None
    axis = ", ".join(curve.keys) or "grid point"
    if curve.numeric_x is not None:
        return np.array(curve.numeric_x), axis
    return np.arange(len(curve.labels), dtype=float), axis


def _mark(ax: Axes, report: Report, x: np.ndarray, y: np.ndarray, best: bool) -> None:
    """Point labels on the x axis; the recommendation (and the highest mean NPV) marked."""
    curve = report.sweep
    assert curve is not None
    if curve.numeric_x is None:
        ax.set_xticks(x, [wrap(lab, 16) for lab in curve.labels])
    elif len(x) <= 16:
        ax.set_xticks(x, curve.labels)
    if best and curve.best_npv is not None:
        i = curve.best_npv
        ax.scatter(
            [x[i]],
            [y[i]],
            marker="*",
            s=420,
            color=ORANGE,
            zorder=5,
            label=f"highest mean NPV: {curve.labels[i]}",
        )
    if curve.recommended is not None:
        i = curve.recommended
        ax.axvline(x[i], color=GREEN, lw=1.6, ls="--", zorder=1)
        ax.scatter(
            [x[i]],
            [y[i]],
            s=260,
            facecolor="none",
            edgecolor=GREEN,
            lw=3,
            zorder=6,
            label=f"recommended: {curve.labels[i]}",
        )


def _sweep(report: Report) -> Figure:
    cur = report.main.currency
    x, axis = _sweep_x(report)
    npv = [r.stat("npv") for r in report.runs]
    fig, ax = titled_figure(report, f"NPV across {axis}", report.sentence)
    p50 = np.array([s.p50 for s in npv])
    ax.fill_between(
        x,
        [s.p05 for s in npv],
        [s.p95 for s in npv],
        color=BLUE,
        alpha=0.2,
        lw=0,
        label="90% interval (P5–P95)",
    )
    ax.plot(x, p50, color=NAVY, lw=2.6, marker="o", label="median NPV")
    ax.axhline(0, color="#333333", lw=1)
    _mark(ax, report, x, p50, best=True)
    axis_format(ax, "money", cur, "y")
    ax.set_xlabel(axis)
    ax.set_ylabel(f"NPV ({cur})")
    ax.legend(frameon=False, loc="best")
    return fig


def _sweep_probability(report: Report) -> Figure:
    curve = report.sweep
    assert curve is not None
    x, axis = _sweep_x(report)
    fig, ax = titled_figure(
        report,
        f"Chance of success across {axis}",
        "share of trials; objectives count only when all are met in the same trial",
    )
    roi = np.array([r.stat("roi").probability for r in report.runs])
    ax.plot(x, roi, color=BLUE, lw=2.6, marker="o", label="P(ROI > 0)")
    y = roi
    if all(r.objectives_all is not None for r in report.runs):
        together = np.array([r.objectives_all[0] for r in report.runs if r.objectives_all])
        ax.plot(x, together, color=GREEN, lw=2.6, marker="s", label="P(all objectives met)")
        y = together
    if curve.confidence is not None:
        label = f"required confidence {pct(curve.confidence)}"
        ax.axhline(curve.confidence, color=GREY, lw=1.6, ls="--", label=label)
    _mark(ax, report, x, y, best=False)
    ax.set_ylim(-0.02, 1.05)
    axis_format(ax, "pct", report.main.currency, "y")
    ax.set_xlabel(axis)
    ax.set_ylabel("probability")
    ax.legend(frameon=False, loc="best")
    return fig


#: How each chart of :data:`CHART_NAMES` is drawn.
_DRAW: dict[str, Callable[[Report], Figure]] = {
    "roi": _roi,
    "cashflow": _cashflow,
    "lines": _lines,
    "objectives": _objectives,
    "ramp": ramp_figure,
    "tornado": lambda rep: _tornado(rep, 0),
    "tornado-swing": lambda rep: _tornado(rep, 1),
    "compare": _compare,
    "differences": _differences,
    "sweep": _sweep,
    "sweep-probability": _sweep_probability,
}


def chart_figure(report: Report, name: str) -> Figure:
    """Draw chart ``name`` (one of :func:`available_charts`) on a new Agg figure."""
    if name not in CHART_NAMES:
        raise ValueError(f"chart {name!r}: no such chart (charts: {', '.join(CHART_NAMES)})")
    if name not in available_charts(report):
        raise ValueError(f"chart {name!r} is not available for this result")
    with matplotlib.rc_context(cast(Any, STYLE)):
        return _DRAW[name](report)


def render_chart(report: Report, name: str, file_format: str) -> bytes:
    """The chart as ``png`` (200 dpi) or ``svg`` bytes, with provenance in the file metadata."""
    prov = report.main.result.provenance
    metadata = {"Title": name, "Description": footer(report.main.result, len(report.runs))}
    if file_format == "png":
        metadata["Software"] = f"simroi {prov.simroi_version}"
    else:
        metadata.update(Date=prov.created_utc, Creator=f"simroi {prov.simroi_version}")
    buffer = io.BytesIO()
    with matplotlib.rc_context(cast(Any, STYLE)):
        fig = chart_figure(report, name)
        fig.savefig(buffer, format=file_format, dpi=PNG_DPI, metadata=metadata)
    return buffer.getvalue()
