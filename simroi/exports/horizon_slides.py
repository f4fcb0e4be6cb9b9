"""Slides about time: the two views of the return (the horizon's and the lifetime's) and the
ramp-up month by month.

The *views* slide puts the three-year (TEI) view — the headline — beside the lifetime view in
one table, with the sentence that says which is the headline and why
(:func:`simroi.analysis.summary.views_note`). The *ramp-up* slide shows, as native editable XY
charts, the customers the program keeps and its net cash flow, month by month, each as P5, P50
and P95 lines. Numbers come from the :class:`~simroi.report.types.RunReport` (its rows
``roi``, ``npv``, ``lifetime.roi``, ``lifetime.npv`` and its monthly bands), as in the tables.
"""

from __future__ import annotations

from pptx.util import Inches

from simroi.analysis.summary import views_note
from simroi.exports.ramp import RAMP_METRICS, has_ramp, ramp_points
from simroi.exports.slides import ACCENT, ACCENT2, DARK, SlideDeck, line_style, number_format
from simroi.formatting import chance, counted, fmt
from simroi.report.types import RunReport, Stat

__all__ = ["ramp_slide", "views_slide"]


def _cell(s: Stat, currency: str) -> str:
    return s.interval_text(currency)


def views_slide(d: SlideDeck, r: RunReport) -> None:
    """The three-year (TEI) and lifetime views side by side; nothing without the lifetime view."""
    if not r.has_lifetime:
        return
    cur = r.currency
    roi, npv = r.stat("roi"), r.stat("npv")
    life_roi, life_npv = r.stat("lifetime.roi"), r.stat("lifetime.npv")
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    slide, (x, y, w, hh) = d.slide(
        f"Two views of the return{name}: {counted(r.horizon_months, 'month')} (headline) and "
        "lifetime",
        "The headline counts cash flows up to the horizon only. The lifetime view adds the "
        "value at the horizon of the customers the program keeps: their lifetime value "
        "(margin, churn and discount rate of the trial), net of the extra churn already "
        "scheduled; when the scenario includes a terminal value, it is replaced, not added.",
    )
    header = ["", f"{r.horizon_months}-month view (TEI, headline)", "lifetime view"]
    rows = [
        ["ROI: median [P5–P95]", _cell(roi, cur), _cell(life_roi, cur)],
        ["NPV: median [P5–P95]", _cell(npv, cur), _cell(life_npv, cur)],
        ["P(ROI > 0)", chance(roi.probability), chance(life_roi.probability)],
        ["P(NPV > 0)", chance(npv.probability), chance(life_npv.probability)],
    ]
    d.table(slide, (x, y, w, hh), header, rows, [1.3, 1.6, 1.6], size=16, numeric=[1, 2])
    note_top = y + int(Inches(0.32)) * (len(rows) + 1) + int(Inches(0.5))
    d.text(
        slide,
        (x, note_top, w, int(Inches(1.4))),
        [(views_note(r.horizon_months), 16, False)],
    )


def ramp_slide(d: SlideDeck, r: RunReport) -> None:
    """Customers kept and net cash flow by month, P5/P50/P95; nothing without monthly KPIs."""
    if not has_ramp(r):
        return
    assert r.monthly is not None
    cur = r.currency
    months = [float(m) for m in r.monthly.months]
    kept = r.monthly.bands["customers_kept"]
    flow = r.monthly.bands["net_cash_flow"]
    last = len(months)
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    slide, (x, y, w, hh) = d.slide(
        f"Ramp-up{name}: {fmt(kept['p50'][last - 1], 'num', cur)} customers kept by month "
        f"{last}, {fmt(flow['p50'][last - 1], 'money', cur)} net in that month (medians)",
        "Month by month, across the trials: the customers the program keeps (program minus "
        "baseline customers at each month's end) and the incremental net cash flow of each "
        "month, undiscounted, without the one-off costs at t0. Lines: P95, median, P5. "
        + "; ".join(
            f"month {m}: {fmt(kept['p50'][m - 1], 'num', cur)} kept, "
            f"{fmt(flow['p50'][m - 1], 'money', cur)} net"
            for m in ramp_points(r.monthly, last)
        ),
    )
    gap = int(Inches(0.3))
    half = (w - gap) // 2
    for i, (metric, title, unit) in enumerate(RAMP_METRICS):
        band = r.monthly.bands[metric]
        series = [
            ("P95", months, [float(v) for v in band["p95"]]),
            ("P50 (median)", months, [float(v) for v in band["p50"]]),
            ("P5", months, [float(v) for v in band["p05"]]),
        ]
        values = [v for _, _, vals in series for v in vals]
        chart = d.xy_chart(
            slide,
            (x + i * (half + gap), y, half, hh - int(Inches(0.1))),
            series,
            number_format(unit, values, cur) if unit == "money" else "#,##0",
            title + (f" ({cur})" if unit == "money" else ""),
            "month",
            6 if last > 13 else 1,
        )
        styles = ((ACCENT, 1.75, True), (DARK, 3.5, False), (ACCENT2, 1.75, True))
        for s, (theme, width, dash) in zip(chart.plots[0].series, styles, strict=True):
            line_style(s, theme, width, dash)
