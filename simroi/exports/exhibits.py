"""The exhibits of one run as slides: the ROI distribution with P5/P50/P95 marked, the
cumulative cash flow, benefits and costs by line with intervals, the tornado, the objectives and
the KPIs, each a native, editable PowerPoint chart or table with the answer in its title.

:mod:`simroi.exports.deck` puts them in order after the headline; :mod:`simroi.exports.slides` has
the building blocks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pptx.enum.dml import MSO_THEME_COLOR
from pptx.slide import Slide
from pptx.util import Inches, Pt

from simroi.analysis.summary import unlisted_lines_note
from simroi.exports.slides import (
    ACCENT,
    ACCENT2,
    ACCENT3,
    DARK,
    GREY,
    MUTED,
    Box,
    SlideDeck,
    error_bars,
    fill,
    line_style,
    nice_scale,
    number_format,
)
from simroi.formatting import PCT_DIGITS, chance, counted, fmt, interval_cells, interval_text, pct
from simroi.report.types import RunReport, Stat

__all__ = [
    "cash_slide",
    "interval_chart",
    "kpi_slides",
    "lines_slide",
    "objectives_slide",
    "roi_slide",
    "tornado_slides",
]


def _short(label: str) -> str:
    return label.split(" (")[0]


def roi_slide(d: SlideDeck, r: RunReport) -> None:
    roi = r.stat("roi")
    h = r.histogram
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    slide, (x, y, w, hh) = d.slide(
        f"ROI distribution{name}: median {pct(roi.p50)}, 90% of trials between "
        f"{pct(roi.p05)} and {pct(roi.p95)}",
        "Bars count trials by ROI. Blue bars lie inside the 90% interval (P5 to P95); the dark "
        "bar holds the median; grey bars are the 5% tails on each side.",
    )
    centers = (h.edges[:-1] + h.edges[1:]) / 2
    median_bin = min(
        max(int(np.searchsorted(h.edges, roi.p50, side="right")) - 1, 0), len(centers) - 1
    )
    inside = (centers > roi.p05) & (centers < roi.p95)
    series = [
        (
            "Trials outside the 90% interval",
            [c if not inside[i] else 0 for i, c in enumerate(h.counts)],
        ),
        (
            "Trials within P5–P95",
            [c if inside[i] and i != median_bin else 0 for i, c in enumerate(h.counts)],
        ),
        (
            f"Bin holding the median (P50 {pct(roi.p50)})",
            [c if i == median_bin else 0 for i, c in enumerate(h.counts)],
        ),
    ]
    chart_w = int(w * 0.74)
    # Every k-th bin is labelled: renderers differ in honouring "skip labels" settings.
    every = -(-len(centers) // 11)
    labels = [pct(c) if i % every == 0 else "" for i, c in enumerate(centers)]
    chart = d.bar_chart(
        slide,
        (x, y, chart_w, hh),
        labels,
        series,
        "0",
        f"ROI over {counted(r.result.trials, 'trial')} (count of trials per bar)",
        horizontal=False,
        stacked=True,
    )
    chart.plots[0].gap_width = 8
    for s, (theme, bright) in zip(
        chart.plots[0].series, ((GREY, 0.6), (ACCENT, 0.0), (DARK, 0.0)), strict=True
    ):
        fill(s, theme, bright)
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "trials"
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "ROI (bin centre)"
    items = [
        (pct(roi.p50), "median ROI (P50)"),
        (interval_text(pct(roi.p05), pct(roi.p95)), "90% interval (P5 to P95)"),
        (chance(roi.probability), "chance that ROI > 0"),
    ]
    if h.below or h.above or h.undefined:
        off = h.below + h.above + h.undefined
        items.append(
            (f"{off:,}", f"{'trial' if off == 1 else 'trials'} off the chart (extreme tails or "
             "undefined ROI)")
        )  # fmt: skip
    d.panel(
        slide,
        (x + chart_w + int(Inches(0.2)), y + int(Inches(0.3)), w - chart_w - int(Inches(0.2)), hh),
        items,
    )


def cash_slide(d: SlideDeck, runs: Sequence[RunReport]) -> None:
    cur = d.cur
    r = runs[0]
    assert r.cash is not None
    months = [float(m) for m in r.cash.months]
    panel: list[tuple[str, str]] = []
    if len(runs) > 1:
        series = [
            (x.name, months, list(x.cash.percentiles[50])) for x in runs if x.cash is not None
        ]
        title = "Cumulative net cash flow by scenario (median in each month)"
    else:
        pay = r.stat("payback_months")
        bands = r.cash.percentiles
        series = [
            ("P95 (optimistic)", months, list(bands[95])),
            ("P50 (median)", months, list(bands[50])),
            ("P5 (pessimistic)", months, list(bands[5])),
        ]
        title = (
            f"Cumulative net cash flow: {r.payback_text()}; "
            f"{chance(r.payback_within[0])} chance it {pay.probability_of}"
        )
        panel = [
            (fmt(bands[50][-1], "money", cur), f"median cumulative net at month {int(months[-1])}"),
            (
                interval_text(*interval_cells([bands[5][-1], bands[95][-1]], "money", cur)),
                "90% band at the horizon",
            ),
        ]
        median = r.median_payback
        if math.isfinite(median):  # the median payback month as a vertical two-point line
            low, high = float(min(bands[5])), float(max(bands[95]))
            series.append(
                (f"Median payback (month {fmt(median, 'months')})", [median, median], [low, high])
            )
    slide, (x, y, w, hh) = d.slide(
        title,
        "Undiscounted incremental cash flow, summed month by "
        "month; month 0 holds the one-off costs (TEI convention).",
    )
    chart_w = int(w * (0.74 if panel else 1.0))
    values = [v for _, _, vals in series for v in vals]
    chart = d.xy_chart(
        slide,
        (x, y, chart_w, hh),
        series,
        number_format("money", values, cur),
        f"Cumulative net cash flow ({cur}), incremental to the baseline",
        "month (0 = start: one-off costs)",
        6 if len(months) > 13 else 1,
    )
    if len(runs) == 1:
        styles = (
            (ACCENT, 1.75, True),
            (DARK, 3.5, False),
            (ACCENT2, 1.75, True),
            (ACCENT3, 2.0, True),
        )
        for s, (theme, width, dash) in zip(chart.plots[0].series, styles, strict=False):
            line_style(s, theme, width, dash)
    if panel:
        side = (
            x + chart_w + int(Inches(0.2)),
            y + int(Inches(0.3)),
            w - chart_w - int(Inches(0.2)),
            hh,
        )
        d.panel(slide, side, panel)
        if r.cash.includes_terminal_value:
            d.text(
                slide,
                (side[0], y + hh - int(Inches(1.2)), side[2], int(Inches(1.2))),
                [
                    (
                        "The step in the last month is the terminal value: the lifetime value of "
                        "the customers kept, counted at the horizon.",
                        13,
                        False,
                    )
                ],
                color=MUTED,
            )


def interval_chart(
    d: SlideDeck,
    slide: Slide,
    box: Box,
    rows: Sequence[Stat],
    labels: list[str],
    unit: str,
    title: str,
    colors: Sequence[MSO_THEME_COLOR],
) -> None:
    values = [s.p50 for s in rows]
    spread = [v for s in rows for v in (s.p05, s.p95)]
    chart = d.bar_chart(
        slide,
        box,
        labels,
        [("Median (P50), whisker P5 to P95", values)],
        number_format(unit, spread, d.cur),
        title,
    )
    chart.has_legend = False
    series = chart.plots[0].series[0]
    for i, theme in enumerate(colors):
        fill(series.points[i], theme)
    error_bars(series, [s.p50 - s.p05 for s in rows], [s.p95 - s.p50 for s in rows])
    finite = [v for v in spread if v == v]
    if finite:
        nice_scale(chart.value_axis, min(finite), max(finite))


def lines_slide(d: SlideDeck, r: RunReport) -> None:
    rows = [*r.section("Benefits"), *r.section("Costs"), r.stat("npv")]
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    npv = r.stat("npv")
    slide, (x, y, w, hh) = d.slide(
        f"Benefits and costs by line{name}: median NPV {fmt(npv.p50, 'money', d.cur)}",
        " ".join(
            (
                "Present values over the horizon, incremental to the baseline. Bars are medians, "
                "whiskers the 90% interval. Costs are shown as positive amounts.",
                unlisted_lines_note(r.result.samples),
            )
        ).strip(),
    )
    colors = [
        ACCENT if s.section == "Benefits" else ACCENT2 if s.section == "Costs" else DARK
        for s in rows
    ]
    labels = [_short(s.label) if s.key != "npv" else "NPV (net)" for s in rows]
    chart_w = int(w * 0.56)
    interval_chart(
        d,
        slide,
        (x, y, chart_w, hh),
        rows,
        labels,
        "money",
        "Present value: median (bar) and 90% interval (whisker)",
        colors,
    )
    table_rows = [
        [
            lab,
            s.fmt(s.p50, d.cur),
            interval_text(s.fmt(s.p05, d.cur), s.fmt(s.p95, d.cur)),
        ]
        for lab, s in zip(labels, rows, strict=True)
    ]
    d.table(
        slide,
        (x + chart_w + int(Inches(0.2)), y + int(Inches(0.2)), w - chart_w - int(Inches(0.2)), hh),
        ["Line", "Median", "90% interval"],
        table_rows,
        [2.2, 1.1, 2.0],
        size=12,
        bold_rows=[len(rows) - 1],
        numeric=[1, 2],
    )


def tornado_slides(d: SlideDeck, r: RunReport) -> None:
    for sens in r.sensitivity:
        rows = sens.shown
        base = sens.base if sens.base is not None else 0.0
        kind = sens.kind
        out = sens.output_label
        slide, (x, y, w, hh) = d.slide(
            f"What drives {out} ({kind}): {rows[0]['label'] if rows else 'no inputs'} matters most",
            f"Method: {sens.method}",
        )
        low = [row["low"] - base for row in rows]
        high = [row["high"] - base for row in rows]
        axis = (
            f"change in {out} from {sens.base_words} ({fmt(base, sens.unit, d.cur)})"
            if sens.base is not None
            else f"effect on {out}"
        )
        chart = d.bar_chart(
            slide,
            (x, y, w, hh - int(Inches(0.55))),
            [row["label"] for row in rows],
            [("Input at its low end", low), ("Input at its high end", high)],
            number_format(sens.unit, low + high, d.cur),
            axis,
        )
        fill(chart.plots[0].series[0], ACCENT2)
        fill(chart.plots[0].series[1], ACCENT)
        more = (
            f" Top {len(rows)} of {len(sens.rows)} inputs shown."
            if len(sens.rows) > len(rows)
            else ""
        )
        d.text(
            slide,
            (x, y + hh - int(Inches(0.5)), w, int(Inches(0.5))),
            [(f"Method: {sens.method}.{more}", 13, False)],
            color=MUTED,
        )


def objectives_slide(d: SlideDeck, r: RunReport) -> None:
    if not r.objectives:
        return
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    confidence = d.report.confidence  # as a sweep judges an objective met
    met = sum(o.probability >= confidence for o in r.objectives)
    slide, (x, y, w, hh) = d.slide(
        f"Return on objectives{name}: {met} of {len(r.objectives)} met with ≥ "
        f"{pct(confidence)} probability",
        "Each bar is the share of trials in which the objective holds; bars in the third "
        f"accent colour reach {pct(confidence)}, "
        + (
            "the confidence this sweep requires."
            if d.report.sweep is not None and d.report.sweep.confidence is not None
            else "simroi sweep's default confidence."
        ),
    )
    chart_w = int(w * 0.72)
    chart = d.bar_chart(
        slide,
        (x, y, chart_w, hh),
        [o.label for o in r.objectives],
        [("P(met)", [o.probability for o in r.objectives])],
        "0%",
        "Probability of meeting each objective",
    )
    chart.has_legend = False
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0.0, 1.0
    chart.value_axis.major_unit = 0.2
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format, plot.data_labels.number_format_is_linked = "0%", False
    plot.data_labels.font.size = Pt(14)
    for i, o in enumerate(r.objectives):
        fill(plot.series[0].points[i], ACCENT3 if o.probability >= confidence else ACCENT2)
    items = [
        (f"{chance(o.probability, PCT_DIGITS)} ± {pct(o.mcse, PCT_DIGITS)}", _short(o.label))
        for o in r.objectives[:3]
    ]
    if r.objectives_all is not None:
        items.insert(
            0, (chance(r.objectives_all[0], PCT_DIGITS), "all objectives met in the same trial")
        )
    d.panel(
        slide,
        (x + chart_w + int(Inches(0.2)), y + int(Inches(0.2)), w - chart_w - int(Inches(0.2)), hh),
        items[:4],
    )


def kpi_slides(d: SlideDeck, r: RunReport) -> None:
    rows = r.kpi_rows()
    count = -(-len(rows) // 16)
    per = -(-len(rows) // max(count, 1))
    pages = [rows[i : i + per] for i in range(0, len(rows), per)]
    for n, page in enumerate(pages, 1):
        part = f" ({n}/{len(pages)})" if len(pages) > 1 else ""
        slide, box = d.slide(
            f"KPIs: program against baseline{part}", "Medians with 90% intervals over the horizon."
        )
        d.table(
            slide,
            box,
            ["KPI", "Program: median (90% interval)", "Baseline: median (90% interval)"],
            page,
            [2.4, 2.0, 2.0],
            numeric=[1, 2],
        )
