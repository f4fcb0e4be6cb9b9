"""The deck a result tells, slide by slide, as a 16:9 PowerPoint file with native charts.

The deck opens with the answer in one sentence, then shows: for a comparison, each scenario's ROI
with its interval and the paired differences; for a sweep, the curve with its band and the
recommendation marked; the ROI distribution with P5/P50/P95 marked; the cumulative cash flow;
benefits and costs by line with intervals; the tornado when the result holds a sensitivity
analysis; objectives and KPIs with probabilities; the assumptions table; and the provenance that
reproduces every figure (also at the foot of every slide). The building blocks (native charts,
tables, theme colours, templates) are in :mod:`simroi.slides`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from pptx.enum.dml import MSO_THEME_COLOR
from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from pptx.util import Inches, Pt

from simroi.render import KPI_LABELS
from simroi.report import Report, RunReport, Stat, fmt, pct
from simroi.slides import (
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
    load_template,
    money_format,
    nice_scale,
    number_format,
)

__all__ = ["build_deck", "load_template"]

TABLE_ROWS = 11


def _short(label: str) -> str:
    return label.split(" (")[0]


# ---------------------------------------------------------------- slides


def _cover(d: SlideDeck) -> None:
    r = d.report
    slide = d.prs.slides.add_slide(d.cover)
    margin = int(Inches(0.6))
    placeholders = {ph.placeholder_format.idx: ph for ph in slide.placeholders}
    for idx, ph in list(placeholders.items()):
        if idx not in (0,):
            ph._element.getparent().remove(ph._element)
    title = placeholders.get(0)
    if title is not None:
        title.text = r.title
        title.text_frame.word_wrap = True
        if not d.templated:
            title.left, title.top = margin, int(Inches(0.45))
            title.width, title.height = d.w - 2 * margin, int(Inches(1.3))
            for p in title.text_frame.paragraphs:
                p.alignment = PP_ALIGN.LEFT
                for run in p.runs:
                    run.font.size, run.font.bold = Pt(28), True
        else:
            title.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    top = int(Inches(2.0))
    width = d.w - 2 * margin
    size = 30 if len(r.sentence) <= 120 else 24 if len(r.sentence) <= 200 else 20
    # Lines the sentence takes: bold DejaVu/Calibri averages about 0.55 em per character.
    per_line = max(int(width / 914400 * 72 / (size * 0.58)), 20)
    height = int(Pt(size * 1.25)) * (-(-len(r.sentence) // per_line)) + int(Inches(0.3))
    d.text(slide, (margin, top, width, height), [(r.sentence, size, True)])
    d.text(slide, (margin, top + height, width, d.h - top - height - int(Inches(0.6))),
           [(f"• {line}", 17, False) for line in r.details], space_pt=8)
    d.text(slide, (margin, d.h - int(Inches(0.42)), d.w - 2 * margin, int(Inches(0.3))),
           [(d.footer, 10, False)], color=MUTED)
    slide.notes_slide.notes_text_frame.text = (
        "Every number is a distribution over the simulated trials: the median (P50) and the "
        "90% interval (P5 to P95). ROI = (PV of benefits − PV of costs) / PV of costs, "
        "incremental to the baseline.")


def _roi_slide(d: SlideDeck, r: RunReport) -> None:
    roi = r.stat("roi")
    h = r.histogram
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    slide, (x, y, w, hh) = d.slide(
        f"ROI distribution{name}: median {pct(roi.p50)}, 90% of trials between "
        f"{pct(roi.p05)} and {pct(roi.p95)}",
        "Bars count trials by ROI. Blue bars lie inside the 90% interval (P5 to P95); the dark "
        "bar holds the median; grey bars are the 5% tails on each side.")
    centers = (h.edges[:-1] + h.edges[1:]) / 2
    median_bin = min(max(int(np.searchsorted(h.edges, roi.p50, side="right")) - 1, 0),
                     len(centers) - 1)
    inside = (centers > roi.p05) & (centers < roi.p95)
    series = [
        ("Trials outside the 90% interval", [c if not inside[i] else 0 for i, c in
                                             enumerate(h.counts)]),
        ("Trials within P5–P95", [c if inside[i] and i != median_bin else 0 for i, c in
                                  enumerate(h.counts)]),
        (f"Bin holding the median (P50 {pct(roi.p50)})",
         [c if i == median_bin else 0 for i, c in enumerate(h.counts)]),
    ]
    chart_w = int(w * 0.74)
    # Every k-th bin is labelled: renderers differ in honouring "skip labels" settings.
    every = -(-len(centers) // 11)
    labels = [pct(c) if i % every == 0 else "" for i, c in enumerate(centers)]
    chart = d.bar_chart(slide, (x, y, chart_w, hh), labels, series, "0",
                        f"ROI over {r.result.trials:,} trials (count of trials per bar)",
                        horizontal=False, stacked=True)
    chart.plots[0].gap_width = 8
    for s, (theme, bright) in zip(chart.plots[0].series, ((GREY, 0.6), (ACCENT, 0.0),
                                                          (DARK, 0.0)), strict=True):
        fill(s, theme, bright)
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "trials"
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "ROI (bin centre)"
    items = [(pct(roi.p50), "median ROI (P50)"),
             (f"{pct(roi.p05)} to {pct(roi.p95)}", "90% interval (P5 to P95)"),
             (pct(roi.probability), "chance that ROI > 0")]
    if h.below or h.above or h.undefined:
        items.append((f"{h.below + h.above + h.undefined}",
                      "trials off the chart (extreme tails or undefined ROI)"))
    d.panel(slide, (x + chart_w + int(Inches(0.2)), y + int(Inches(0.3)),
                    w - chart_w - int(Inches(0.2)), hh), items)


def _cash_slide(d: SlideDeck, runs: Sequence[RunReport]) -> None:
    cur = d.cur
    r = runs[0]
    assert r.cash is not None
    months = [float(m) for m in r.cash.months]
    panel: list[tuple[str, str]] = []
    if len(runs) > 1:
        series = [(x.name, months, list(x.cash.percentiles[50])) for x in runs
                  if x.cash is not None]
        title = "Cumulative net cash flow by scenario (median trial path)"
    else:
        pay = r.stat("payback_months")
        bands = r.cash.percentiles
        series = [("P95 (optimistic)", months, list(bands[95])),
                  ("P50 (median)", months, list(bands[50])),
                  ("P5 (pessimistic)", months, list(bands[5]))]
        title = (f"Cumulative net cash flow: median payback in month {fmt(pay.p50, 'months')}; "
                 f"{pct(r.payback_within[0])} chance it {pay.probability_of}")
        panel = [(fmt(bands[50][-1], "money", cur),
                  f"median cumulative net at month {int(months[-1])}"),
                 (f"{fmt(bands[5][-1], 'money', cur)} to {fmt(bands[95][-1], 'money', cur)}",
                  "90% band at the horizon")]
        if pay.p50 == pay.p50:  # the median payback month as a vertical two-point line
            low, high = float(min(bands[5])), float(max(bands[95]))
            series.append((f"Median payback (month {fmt(pay.p50, 'months')})",
                           [pay.p50, pay.p50], [low, high]))
    slide, (x, y, w, hh) = d.slide(title, "Undiscounted incremental cash flow, summed month by "
                                   "month; month 0 holds the one-off costs (TEI convention).")
    chart_w = int(w * (0.74 if panel else 1.0))
    values = [v for _, _, vals in series for v in vals]
    chart = d.xy_chart(slide, (x, y, chart_w, hh), series, money_format(values, cur),
                       f"Cumulative net cash flow ({cur}), incremental to the baseline",
                       "month (0 = start: one-off costs)", 6 if len(months) > 13 else 1)
    if len(runs) == 1:
        styles = ((ACCENT, 1.75, True), (DARK, 3.5, False), (ACCENT2, 1.75, True),
                  (ACCENT3, 2.0, True))
        for s, (theme, width, dash) in zip(chart.plots[0].series, styles, strict=False):
            line_style(s, theme, width, dash)
    if panel:
        side = (x + chart_w + int(Inches(0.2)), y + int(Inches(0.3)),
                w - chart_w - int(Inches(0.2)), hh)
        d.panel(slide, side, panel)
        if r.cash.includes_terminal_value:
            d.text(slide, (side[0], y + hh - int(Inches(1.2)), side[2], int(Inches(1.2))),
                   [("The step in the last month is the terminal value: the lifetime value of "
                     "the customers kept, counted at the horizon.", 13, False)], color=MUTED)


def _interval_chart(d: SlideDeck, slide: Slide, box: Box, rows: Sequence[Stat], labels: list[str],
                    unit: str, title: str, colors: Sequence[MSO_THEME_COLOR]) -> None:
    values = [s.p50 for s in rows]
    spread = [v for s in rows for v in (s.p05, s.p95)]
    chart = d.bar_chart(slide, box, labels, [("Median (P50), whisker P5 to P95", values)],
                        number_format(unit, spread, d.cur), title)
    chart.has_legend = False
    series = chart.plots[0].series[0]
    for i, theme in enumerate(colors):
        fill(series.points[i], theme)
    error_bars(series, [s.p50 - s.p05 for s in rows], [s.p95 - s.p50 for s in rows])
    finite = [v for v in spread if v == v]
    if finite:
        nice_scale(chart.value_axis, min(finite), max(finite))


def _lines_slide(d: SlideDeck, r: RunReport) -> None:
    rows = [*r.section("Benefits"), *r.section("Costs"), r.stat("npv")]
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    npv = r.stat("npv")
    slide, (x, y, w, hh) = d.slide(
        f"Benefits and costs by line{name}: median NPV {fmt(npv.p50, 'money', d.cur)}",
        "Present values over the horizon, incremental to the baseline. Bars are medians, "
        "whiskers the 90% interval. Costs are shown as positive amounts.")
    colors = [ACCENT if s.section == "Benefits" else ACCENT2 if s.section == "Costs" else DARK
              for s in rows]
    labels = [_short(s.label) if s.key != "npv" else "NPV (net)" for s in rows]
    chart_w = int(w * 0.56)
    _interval_chart(d, slide, (x, y, chart_w, hh), rows, labels, "money",
                    "Present value: median (bar) and 90% interval (whisker)", colors)
    table_rows = [[lab, fmt(s.p50, "money", d.cur),
                   f"{fmt(s.p05, 'money', d.cur)} to {fmt(s.p95, 'money', d.cur)}"]
                  for lab, s in zip(labels, rows, strict=True)]
    d.table(slide, (x + chart_w + int(Inches(0.2)), y + int(Inches(0.2)),
                    w - chart_w - int(Inches(0.2)), hh), ["Line", "Median", "90% interval"],
            table_rows, [2.2, 1.1, 2.0], size=12, bold_rows=[len(rows) - 1], numeric=[1, 2])


def _tornado_slides(d: SlideDeck, r: RunReport) -> None:
    for i, sens in enumerate(r.sensitivity):
        rows = sens.rows[:12]
        base = sens.base if sens.base is not None else 0.0
        kind = "one-at-a-time swing" if i else "tornado"
        out = sens.output_label
        slide, (x, y, w, hh) = d.slide(
            f"What drives {out} ({kind}): {rows[0]['label'] if rows else 'no inputs'} "
            f"matters most", f"Method: {sens.method}")
        low = [row["low"] - base for row in rows]
        high = [row["high"] - base for row in rows]
        axis = (f"change in {out} from the base case ({fmt(base, sens.unit, d.cur)})"
                if sens.base is not None else f"effect on {out}")
        chart = d.bar_chart(slide, (x, y, w, hh - int(Inches(0.55))),
                            [row["label"] for row in rows],
                            [("Input at its low end", low), ("Input at its high end", high)],
                            number_format(sens.unit, low + high, d.cur), axis)
        fill(chart.plots[0].series[0], ACCENT2)
        fill(chart.plots[0].series[1], ACCENT)
        more = (f" Top {len(rows)} of {len(sens.rows)} inputs shown."
                if len(sens.rows) > len(rows) else "")
        d.text(slide, (x, y + hh - int(Inches(0.5)), w, int(Inches(0.5))),
               [(f"Method: {sens.method}.{more}", 13, False)], color=MUTED)


def _objectives_slide(d: SlideDeck, r: RunReport) -> None:
    if not r.objectives:
        return
    name = f" — {r.name}" if len(d.report.runs) > 1 else ""
    met = sum(o.probability >= 0.8 for o in r.objectives)
    slide, (x, y, w, hh) = d.slide(
        f"Return on objectives{name}: {met} of {len(r.objectives)} met with ≥ 80% probability",
        "Each bar is the share of trials in which the objective holds.")
    chart_w = int(w * 0.72)
    chart = d.bar_chart(slide, (x, y, chart_w, hh), [o.label for o in r.objectives],
                        [("P(met)", [o.probability for o in r.objectives])], "0%",
                        "Probability of meeting each objective")
    chart.has_legend = False
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0.0, 1.0
    chart.value_axis.major_unit = 0.2
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format, plot.data_labels.number_format_is_linked = "0%", False
    plot.data_labels.font.size = Pt(14)
    for i, o in enumerate(r.objectives):
        fill(plot.series[0].points[i], ACCENT3 if o.probability >= 0.8 else ACCENT2)
    items = [(f"{pct(o.probability)} ± {pct(o.mcse, 1)}", _short(o.label))
             for o in r.objectives[:3]]
    if r.objectives_all is not None:
        items.insert(0, (pct(r.objectives_all[0]), "all objectives met in the same trial"))
    d.panel(slide, (x + chart_w + int(Inches(0.2)), y + int(Inches(0.2)),
                    w - chart_w - int(Inches(0.2)), hh), items[:4])


def _kpi_slides(d: SlideDeck, r: RunReport) -> None:
    channels = [str(c) for c in r.result.meta.get("channels", [])]

    kpis = list(KPI_LABELS)

    def order(s: Stat) -> tuple[int, int, str]:
        parts = s.key.split(".")  # kpi.program.<channel>.<kpi> or kpi.program.<metric>
        channel, kpi = (parts[2], parts[3]) if len(parts) == 4 else ("", parts[-1])
        return (channels.index(channel) if channel in channels else len(channels),
                kpis.index(kpi) if kpi in kpis else len(kpis), s.key)

    program = sorted(r.section("KPIs (program)"), key=order)
    baseline = {s.key.replace(".baseline.", ".program.", 1): s for s in
                r.section("KPIs (baseline)")}

    def cell(s: Stat | None) -> str:
        if s is None or s.p50 != s.p50:
            return "—"
        return (f"{fmt(s.p50, s.unit, d.cur)} ({fmt(s.p05, s.unit, d.cur)} to "
                f"{fmt(s.p95, s.unit, d.cur)})")

    rows = [[s.label, cell(s), cell(baseline.get(s.key))] for s in program]
    per = 15
    pages = [rows[i:i + per] for i in range(0, len(rows), per)]
    for n, page in enumerate(pages, 1):
        part = f" ({n}/{len(pages)})" if len(pages) > 1 else ""
        slide, box = d.slide(f"KPIs: program against baseline{part}",
                             "Medians with 90% intervals over the horizon.")
        d.table(slide, box, ["KPI", "Program: median (90% interval)",
                             "Baseline: median (90% interval)"], page, [2.4, 2.0, 2.0],
                numeric=[1, 2])


def _assumption_slides(d: SlideDeck) -> None:
    seen: list[Any] = []
    for r in d.report.runs:
        rows = r.result.meta.get("assumptions", [])
        if rows in seen:
            continue
        seen.append(rows)
        cells = [[row["input"], row["distribution"], *(f"{row[k]:.3g}" for k in
                                                       ("p05", "p50", "p95")), row["source"]]
                 for row in rows]
        pages: list[list[list[str]]] = [[]]
        lines = 0
        for c in cells:
            need = max(-(-len(c[0]) // 30), -(-len(c[1]) // 24), -(-len(c[5]) // 46), 1)
            if pages[-1] and lines + need > 15:
                pages.append([])
                lines = 0
            pages[-1].append(c)
            lines += need
        whose = f" of {r.name}" if len(d.report.runs) > 1 else ""
        for n, page in enumerate(pages, 1):
            part = f" ({n}/{len(pages)})" if len(pages) > 1 else ""
            slide, box = d.slide(f"Assumptions{whose}: every uncertain input, its range and "
                                 f"source{part}", "Each trial draws one value of every input.")
            d.table(slide, box, ["Input", "Distribution", "P5", "P50", "P95", "Source"],
                    page, [3.3, 2.5, 0.85, 0.85, 0.85, 4.0], size=11, numeric=[2, 3, 4])


def _provenance_slide(d: SlideDeck) -> None:
    runs = d.report.runs
    p = runs[0].result.provenance
    rows = [["simroi version", p.simroi_version], ["numpy version", p.numpy_version],
            ["seed (root entropy)", str(p.seed)], ["trials", f"{p.trials:,}"],
            ["block size", str(p.block_size)], ["engine / input sampling",
                                                f"{p.engine} / {p.sampling}"],
            ["created (UTC)", p.created_utc]]
    for r in runs[:6]:
        q = r.result.provenance
        rows.append([f"scenario {r.name}", f"{q.scenario_source} · sha256 {q.scenario_hash}"])
    if p.overrides:
        rows.append(["overrides", " ".join(p.overrides)])
    replay = f"simroi run {p.scenario_source} --seed {p.seed} --trials {p.trials}"
    if p.engine != "vectorized":
        replay += f" --engine {p.engine}"
    replay += "".join(f" --set {o}" for o in p.overrides)
    slide, (x, y, w, hh) = d.slide("Reproduce any figure: provenance of this deck",
                                   "The same seed gives bit-identical trials.")
    d.table(slide, (x, y, w, hh), ["Provenance", "Value"], rows, [2.2, 8.0], size=12)
    if d.report.kind == "compare":
        sources = " ".join(r.result.provenance.scenario_source for r in runs)
        replay = f"simroi compare {sources} --seed {p.seed} --trials {p.trials}"
    if d.report.kind != "sweep":
        d.text(slide, (x, y + hh - int(Inches(1.0)), w, int(Inches(1.0))),
               [("Replay exactly:", 14, True), (replay + " --out result.npz", 13, False)])


def build_deck(report: Report, template: PresentationType | None = None) -> bytes:
    """The deck as ``.pptx`` bytes.

    Parameters
    ----------
    report : from :func:`simroi.report.build_report`
    template : a presentation opened with :func:`load_template` (its slides are dropped, its
        masters, layouts, theme and size are used); None for a plain 16:9 deck
    """
    d = SlideDeck(report, template)
    _cover(d)
    main = report.main
    if report.kind == "compare":
        _compare_slides(d)
    elif report.kind == "sweep":
        _sweep_slides(d)
    if report.kind != "compare":
        _roi_slide(d, main)
        if main.cash is not None:
            _cash_slide(d, [main])
        _lines_slide(d, main)
        _tornado_slides(d, main)
        _objectives_slide(d, main)
        _kpi_slides(d, main)
    elif all(r.cash is not None for r in report.runs):
        _cash_slide(d, report.runs)
    _assumption_slides(d)
    _provenance_slide(d)
    buffer = io.BytesIO()
    d.prs.save(buffer)
    return buffer.getvalue()



def _compare_slides(d: SlideDeck) -> None:
    runs = d.report.runs
    cur = d.cur
    rois = [r.stat("roi") for r in runs]
    best = max(range(len(runs)), key=lambda i: rois[i].p50)
    slide, (x, y, w, hh) = d.slide(
        f"ROI by scenario: {runs[best].name} has the highest median ({pct(rois[best].p50)})",
        "Same random numbers in every scenario. Bars are medians, whiskers 90% intervals.")
    chart_w = int(w * 0.5)
    _interval_chart(d, slide, (x, y, chart_w, hh), rois, [r.name for r in runs], "pct",
                    "ROI: median (bar) and 90% interval (whisker)", [ACCENT] * len(runs))
    d.table(slide, (x + chart_w + int(Inches(0.2)), y + int(Inches(0.2)),
                    w - chart_w - int(Inches(0.2)), hh),
            ["Scenario", "Median", "90% interval", "P(ROI > 0)"],
            [[r.name, pct(s.p50), f"{pct(s.p05)} to {pct(s.p95)}", pct(s.probability)]
             for r, s in zip(runs, rois, strict=True)], [1.9, 1.2, 2.0, 1.3], size=13,
            numeric=[1, 2, 3])
    diffs = [s for s in d.report.differences if s.key == "diff.npv"]
    if diffs:
        slide, (x, y, w, hh) = d.slide(
            f"Paired NPV differences against {runs[0].name}, trial by trial",
            "Each trial runs every scenario on the same random numbers, so the difference is "
            "computed within the trial; P(higher NPV) is the share of trials it is positive.")
        _interval_chart(d, slide, (x, y, chart_w, hh), diffs, [s.run for s in diffs], "money",
                        f"NPV minus NPV of {runs[0].name}: median and 90% interval",
                        [ACCENT3 if s.p50 > 0 else ACCENT2 for s in diffs])
        d.table(slide, (x + chart_w + int(Inches(0.2)), y + int(Inches(0.2)),
                        w - chart_w - int(Inches(0.2)), hh),
                ["Scenario", "Median", "90% interval", "P(higher NPV)"],
                [[s.run, fmt(s.p50, "money", cur),
                  f"{fmt(s.p05, 'money', cur)} to {fmt(s.p95, 'money', cur)}",
                  pct(s.probability)] for s in diffs], [1.9, 1.2, 2.3, 1.4], size=13,
                numeric=[1, 2, 3])
    _summary_table(d, runs, "Scenario", [r.name for r in runs], "Scenarios side by side")
    if runs[0].objectives:
        slide, box = d.slide("Return on objectives by scenario: probability each is met",
                             "Share of trials meeting each objective.")
        rows = [[o.label, *(pct(r.objectives[i].probability) if i < len(r.objectives) else "—"
                            for r in runs)] for i, o in enumerate(runs[0].objectives)]
        d.table(slide, box, ["Objective", *(r.name for r in runs)], rows,
                [3.0, *([1.2] * len(runs))], size=13, numeric=list(range(1, len(runs) + 1)))


def _summary_table(d: SlideDeck, runs: Sequence[RunReport], what: str, names: Sequence[str],
                   title: str, bold: Sequence[int] = ()) -> None:
    cur = d.cur

    def iv(s: Stat) -> str:
        return (f"{fmt(s.p50, s.unit, cur)} ({fmt(s.p05, s.unit, cur)} to "
                f"{fmt(s.p95, s.unit, cur)})")

    rows = [[name, iv(r.stat("roi")), iv(r.stat("npv")), pct(r.stat("roi").probability),
             fmt(r.stat("payback_months").p50, "months"),
             pct(r.objectives_all[0]) if r.objectives_all else "—"]
            for name, r in zip(names, runs, strict=True)]
    for start in range(0, len(rows), TABLE_ROWS):
        slide, box = d.slide(title, "Medians with 90% intervals.")
        d.table(slide, box, [what, "ROI: median (90% interval)", "NPV: median (90% interval)",
                             "P(ROI > 0)", "Median payback (months)", "P(all objectives met)"],
                rows[start:start + TABLE_ROWS], [1.6, 2.4, 2.8, 1.1, 1.3, 1.3], size=13,
                bold_rows=[b - start for b in bold if start <= b < start + TABLE_ROWS],
                numeric=[1, 2, 3, 4, 5])


def _mark_points(chart: Any, series_index: int, marks: Sequence[tuple[int, str]]) -> None:
    from pptx.enum.chart import XL_LABEL_POSITION, XL_MARKER_STYLE

    series = chart.plots[0].series[series_index]
    last = len(list(series.values)) - 1
    for i, text in marks:
        point = series.points[i]
        point.marker.style = XL_MARKER_STYLE.CIRCLE
        point.marker.size = 16
        fill(point.marker, ACCENT3)
        label = point.data_label
        label.has_text_frame = True
        label.text_frame.text = text
        label.position = (XL_LABEL_POSITION.RIGHT if i == 0 else XL_LABEL_POSITION.LEFT
                          if i == last else XL_LABEL_POSITION.ABOVE)
        label.font.size, label.font.bold = Pt(14), True


def _sweep_slides(d: SlideDeck) -> None:
    curve = d.report.sweep
    assert curve is not None
    runs = d.report.runs
    axis = ", ".join(curve.keys) or "grid point"
    npv = [r.stat("npv") for r in runs]
    marks = []
    if curve.recommended is not None:
        marks.append((curve.recommended, "recommended"))
    if curve.best_npv is not None and curve.best_npv != curve.recommended:
        marks.append((curve.best_npv, "highest mean NPV"))
    slide, (x, y, w, hh) = d.slide(f"NPV across {axis}: median with its 90% band",
                                   d.report.sentence)
    chart_w = int(w * 0.72)
    values = [v for s in npv for v in (s.p05, s.p95)]
    chart = d.line_chart(slide, (x, y, chart_w, hh), curve.labels,
                         [("P95", [s.p95 for s in npv]), ("Median NPV", [s.p50 for s in npv]),
                          ("P5", [s.p05 for s in npv])], money_format(values, d.cur),
                         f"NPV ({d.cur}) by {axis}")
    for s, (theme, width, dash) in zip(chart.plots[0].series, ((ACCENT, 1.75, True),
                                                               (DARK, 3.5, False),
                                                               (ACCENT2, 1.75, True)),
                                       strict=True):
        line_style(s, theme, width, dash)
    _mark_points(chart, 1, marks)
    side = (x + chart_w + int(Inches(0.2)), y + int(Inches(0.3)), w - chart_w - int(Inches(0.2)),
            hh)
    items = []
    for i, what in ((curve.recommended, "recommended: the cheapest setting meeting every "
                     "objective"), (curve.best_npv, "highest mean NPV")):
        if i is not None:
            s = npv[i]
            items.append((curve.labels[i], f"{what}; NPV {fmt(s.p50, 'money', d.cur)} "
                          f"({fmt(s.p05, 'money', d.cur)} to {fmt(s.p95, 'money', d.cur)})"))
    d.panel(slide, side, items)
    probs = [("P(ROI > 0)", [r.stat("roi").probability for r in runs])]
    if all(r.objectives_all is not None for r in runs):
        probs.append(("P(all objectives met)",
                      [r.objectives_all[0] for r in runs if r.objectives_all is not None]))
    if curve.confidence is not None:
        probs.append((f"Required confidence {pct(curve.confidence)}",
                      [curve.confidence] * len(runs)))
    slide, (x, y, w, hh) = d.slide(f"Chance of success across {axis}",
                                   "Objectives count only when all are met in the same trial.")
    chart = d.line_chart(slide, (x, y, w, hh), curve.labels, probs, "0%",
                         f"Probability by {axis}")
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0.0, 1.0
    for s, (theme, width, dash) in zip(chart.plots[0].series, ((ACCENT, 3.0, False),
                                                               (ACCENT3, 3.0, False),
                                                               (GREY, 1.75, True)),
                                       strict=False):
        line_style(s, theme, width, dash, 0.5 if theme == GREY else 0.0)
    if curve.recommended is not None:
        _mark_points(chart, len(probs) - 2 if curve.confidence is not None else 0,
                     [(curve.recommended, "recommended")])
    bold = [curve.recommended] if curve.recommended is not None else []
    _summary_table(d, runs, axis, curve.labels, f"Every setting of {axis}", bold)
