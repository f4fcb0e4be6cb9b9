"""The deck a result tells, slide by slide, as a 16:9 PowerPoint file with native charts.

The deck opens with the answer in one sentence, then shows: for a comparison, each scenario's ROI
with its interval and the paired differences; for a sweep, the curve with its band and the
recommendation marked; the ROI distribution with P5/P50/P95 marked; the three-year (headline)
and lifetime views side by side; the cumulative cash flow; the ramp-up month by month;
benefits and costs by line with intervals; the tornado when the result holds a sensitivity
analysis; objectives and KPIs with probabilities; the assumptions table; and the provenance that
reproduces every figure (also at the foot of every slide). The building blocks (native charts,
tables, theme colours, templates) are in :mod:`simroi.exports.slides`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
from pptx.presentation import Presentation as PresentationType
from pptx.util import Inches, Pt

from simroi.exports.breakeven import breakeven_slide
from simroi.exports.exhibits import (
    cash_slide,
    interval_chart,
    kpi_slides,
    lines_slide,
    objectives_slide,
    roi_slide,
    tornado_slides,
)
from simroi.exports.horizon_slides import ramp_slide, views_slide
from simroi.exports.slides import (
    ACCENT,
    ACCENT2,
    ACCENT3,
    DARK,
    GREY,
    MUTED,
    SlideDeck,
    fill,
    line_style,
    number_format,
)
from simroi.formatting import PCT_DIGITS, chance, fmt, interval_text, pct, significant
from simroi.report.alternatives import difference_label
from simroi.report.types import Report, RunReport, Stat

__all__ = ["TABLE_ROWS", "build_deck"]

#: Rows of a side-by-side table per slide (more settings continue on the next slide).
TABLE_ROWS = 11


def _cover(d: SlideDeck) -> None:
    r = d.report
    # On a user's master the title slide layout centres a large title mid-slide, leaving no
    # room for the answer: the cover uses the content layout there, title on top.
    slide = d.prs.slides.add_slide(d.content if d.templated else d.cover)
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
    if d.templated and title is not None:
        top = max(top, int(title.top or 0) + int(title.height or 0) + int(Inches(0.15)))
    width = d.w - 2 * margin
    size = 30 if len(r.sentence) <= 120 else 24 if len(r.sentence) <= 200 else 20
    # Lines the sentence takes: bold DejaVu/Calibri averages about 0.55 em per character.
    per_line = max(int(width / 914400 * 72 / (size * 0.58)), 20)
    height = int(Pt(size * 1.25)) * (-(-len(r.sentence) // per_line)) + int(Inches(0.3))
    d.text(slide, (margin, top, width, height), [(r.sentence, size, True)])
    d.text(
        slide,
        (margin, top + height, width, d.h - top - height - int(Inches(0.6))),
        [(f"• {line}", 17, False) for line in r.details],
        space_pt=8,
    )
    d.text(
        slide,
        (margin, d.h - int(Inches(0.42)), d.w - 2 * margin, int(Inches(0.3))),
        [(d.footer, 10, False)],
        color=MUTED,
    )
    slide.notes_slide.notes_text_frame.text = (
        "Every number is a distribution over the simulated trials: the median (P50) and the "
        "90% interval (P5 to P95). ROI = (PV of benefits − PV of costs) / PV of costs, "
        "incremental to the baseline."
    )


def _assumption_slides(d: SlideDeck) -> None:
    seen: list[Any] = []
    for r in d.report.runs:
        rows = r.result.meta.get("assumptions", [])
        if rows in seen:
            continue
        seen.append(rows)
        cells = [
            [
                row["input"],
                row["distribution"],
                *(significant(row[k], 3) for k in ("p05", "p50", "p95")),
                row["source"],
            ]
            for row in rows
        ]
        # Paginate by estimated height: characters per line of each wrapped column at 11 pt.
        pages: list[list[list[str]]] = [[]]
        used = 0.0
        room = (d.h - int(Inches(1.35)) - int(Inches(0.55))) / 914400 - 0.4
        for c in cells:
            lines = max(-(-len(c[0]) // 34), -(-len(c[1]) // 24), -(-len(c[5]) // 40), 1)
            height = 0.19 * lines + 0.08
            if pages[-1] and used + height > room:
                pages.append([])
                used = 0.0
            pages[-1].append(c)
            used += height
        whose = f" of {r.name}" if len(d.report.runs) > 1 else ""
        for n, page in enumerate(pages, 1):
            part = f" ({n}/{len(pages)})" if len(pages) > 1 else ""
            slide, box = d.slide(
                f"Assumptions{whose}: every uncertain input, its range and source{part}",
                "Each trial draws one value of every input.",
            )
            d.table(
                slide,
                box,
                ["Input", "Distribution", "P5", "P50", "P95", "Source"],
                page,
                [3.3, 2.4, 1.0, 1.0, 1.0, 3.8],
                size=11,
                numeric=[2, 3, 4],
            )


def _provenance_slide(d: SlideDeck) -> None:
    runs = d.report.runs
    p = runs[0].result.provenance
    rows = [
        ["simroi version", p.simroi_version],
        ["numpy version", p.numpy_version],
        ["seed (root entropy)", str(p.seed)],
        ["trials", f"{p.trials:,}"],
        ["block size", str(p.block_size)],
        ["engine / input sampling", f"{p.engine} / {p.sampling}"],
        ["created (UTC)", p.created_utc],
    ]
    for r in runs[:6]:
        q = r.result.provenance
        rows.append(
            [
                f"scenario {r.name}",
                f"{q.scenario_source} · content hash {q.scenario_hash} (SHA-256 of the scenario "
                "and its baseline as run, overrides included)",
            ]
        )
    if p.overrides:
        rows.append(["overrides", " ".join(p.overrides)])
    slide, (x, y, w, hh) = d.slide(
        "Reproduce any figure: provenance of this deck", "The same seed gives bit-identical trials."
    )
    d.table(slide, (x, y, w, hh), ["Provenance", "Value"], rows, [2.2, 8.0], size=12)
    # The replay the front end that made the result stored, as it printed it; never rebuilt here.
    replay = (
        [("Replay exactly:", 14, True), (p.command, 13, False)]
        if p.command
        else [(f"no replay command stored (seed {p.seed}, trials {p.trials:,})", 13, False)]
    )
    d.text(slide, (x, y + hh - int(Inches(1.0)), w, int(Inches(1.0))), replay)


def build_deck(report: Report, template: PresentationType | None = None) -> bytes:
    """The deck as ``.pptx`` bytes.

    Parameters
    ----------
    report : from :func:`simroi.report.builders.build_report`
    template : a presentation opened with :func:`~simroi.exports.slides.load_template` (its
        slides are dropped, its
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
        if main.histogram.counts.sum():
            roi_slide(d, main)
        views_slide(d, main)
        if main.cash is not None:
            cash_slide(d, [main])
        ramp_slide(d, main)
        lines_slide(d, main)
        tornado_slides(d, main)
        breakeven_slide(d, main)
        objectives_slide(d, main)
        kpi_slides(d, main)
    elif all(r.cash is not None for r in report.runs):
        cash_slide(d, report.runs)
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
        "Same random numbers in every scenario. Bars are medians, whiskers 90% intervals.",
    )
    chart_w = int(w * 0.5)
    interval_chart(
        d,
        slide,
        (x, y, chart_w, hh),
        rois,
        [r.name for r in runs],
        "pct",
        "ROI: median (bar) and 90% interval (whisker)",
        [ACCENT] * len(runs),
    )
    d.table(
        slide,
        (x + chart_w + int(Inches(0.2)), y + int(Inches(0.2)), w - chart_w - int(Inches(0.2)), hh),
        ["Scenario", "Median", "90% interval", "P(ROI > 0)"],
        [
            [r.name, pct(s.p50), interval_text(pct(s.p05), pct(s.p95)), chance(s.probability)]
            for r, s in zip(runs, rois, strict=True)
        ],
        [1.9, 1.2, 2.0, 1.3],
        size=13,
        numeric=[1, 2, 3],
    )
    diffs = [s for s in d.report.differences if s.key == "diff.npv"]
    if diffs:
        slide, (x, y, w, hh) = d.slide(
            f"Paired NPV differences against {runs[0].name}, trial by trial",
            "Each trial runs every scenario on the same random numbers, so the difference is "
            "computed within the trial; P(higher NPV) is the share of trials it is positive.",
        )
        interval_chart(
            d,
            slide,
            (x, y, chart_w, hh),
            diffs,
            [s.run for s in diffs],
            "money",
            f"NPV minus NPV of {runs[0].name}: median and 90% interval",
            [ACCENT3 if s.p50 > 0 else ACCENT2 for s in diffs],
        )
        d.table(
            slide,
            (
                x + chart_w + int(Inches(0.2)),
                y + int(Inches(0.2)),
                w - chart_w - int(Inches(0.2)),
                hh,
            ),
            ["Scenario", "Median", "90% interval", "P(higher NPV)"],
            [
                [
                    s.run,
                    s.fmt(s.p50, cur),
                    interval_text(s.fmt(s.p05, cur), s.fmt(s.p95, cur)),
                    chance(s.probability),
                ]
                for s in diffs
            ],
            [1.9, 1.2, 2.3, 1.4],
            size=13,
            numeric=[1, 2, 3],
        )
    _summary_table(d, runs, "Scenario", [r.name for r in runs], "Scenarios side by side")
    _difference_tables(d)
    if runs[0].objectives:
        slide, box = d.slide(
            "Return on objectives by scenario: probability each is met",
            "Share of trials meeting each objective.",
        )
        rows = [
            [
                o.label,
                *(pct(r.objectives[i].probability) if i < len(r.objectives) else "—" for r in runs),
            ]
            for i, o in enumerate(runs[0].objectives)
        ]
        d.table(
            slide,
            box,
            ["Objective", *(r.name for r in runs)],
            rows,
            [3.0, *([1.2] * len(runs))],
            size=13,
            numeric=list(range(1, len(runs) + 1)),
        )


def _summary_table(
    d: SlideDeck,
    runs: Sequence[RunReport],
    what: str,
    names: Sequence[str],
    title: str,
    bold: Sequence[int] = (),
) -> None:
    cur = d.cur

    def iv(s: Stat) -> str:
        return s.interval_text(cur)

    rows = [
        [
            name,
            iv(r.stat("roi")),
            iv(r.stat("npv")),
            chance(r.stat("roi").probability),
            (
                fmt(r.median_payback, "months")
                if math.isfinite(r.median_payback)
                else f"> {r.horizon_months}"
            )
            + f" ({chance(r.payback_within[0])})",
            chance(r.objectives_all[0], PCT_DIGITS) if r.objectives_all else "—",
        ]
        for name, r in zip(names, runs, strict=True)
    ]
    # Each run's chance of the highest NPV, trial by trial (compare's and sweep's P(best)).
    best = d.report.best_chances
    if best is not None:
        for cells, (p, _) in zip(rows, best, strict=True):
            cells.append(chance(p, PCT_DIGITS))
    for start in range(0, len(rows), TABLE_ROWS):
        slide, box = d.slide(
            title,
            "Medians with 90% intervals. Median payback: the median month of the trials that "
            "pay back (> the horizon when none does), with the chance of paying back.",
        )
        d.table(
            slide,
            box,
            [
                what,
                "ROI: median (90% interval)",
                "NPV: median (90% interval)",
                "P(ROI > 0)",
                "Median payback (months)",
                "P(all objectives met)",
                *(["P(highest NPV)"] if best is not None else []),
            ],
            rows[start : start + TABLE_ROWS],
            [1.6, 2.4, 2.8, 1.1, 1.3, 1.3, *([1.2] if best is not None else [])],
            size=13,
            bold_rows=[b - start for b in bold if start <= b < start + TABLE_ROWS],
            numeric=[1, 2, 3, 4, 5, *([6] if best is not None else [])],
        )


def _difference_tables(d: SlideDeck) -> None:
    """Every paired difference against the first scenario (payback, PV of benefits and costs,
    KPIs besides NPV and ROI), with P(better) and P(worse), as ``simroi compare`` prints them:
    the slides of one scenario at a time."""
    report = d.report
    comparison = report.comparison
    if comparison is None:
        return
    first = report.runs[0].name
    for i, name in enumerate(comparison.labels[1:], start=1):
        rows = []
        for s in report.differences:
            if s.run != name:
                continue
            metric = comparison.metric(s.key.removeprefix("diff."))
            difference = metric.differences[i]
            assert difference is not None  # a row is made for each difference there is
            defined = math.isfinite(s.p50)
            better_worse = (s.probability, s.probability_worse)  # NaN: no better direction
            rows.append(
                [
                    difference_label(metric, difference, comparison.trials),
                    s.fmt(s.p50, d.cur) if defined else "—",
                    interval_text(s.fmt(s.p05, d.cur), s.fmt(s.p95, d.cur)) if defined else "—",
                    *(chance(p) if math.isfinite(p) else "—" for p in better_worse),
                ]
            )
        pages = -(-len(rows) // TABLE_ROWS)
        for n, start in enumerate(range(0, len(rows), TABLE_ROWS), 1):
            part = f" ({n}/{pages})" if pages > 1 else ""
            slide, box = d.slide(
                f"Every paired difference: {name} − {first}{part}",
                "Each difference is taken trial by trial on the same random numbers. P(better) "
                f"is the share of trials in which {name} does better on that line (higher NPV, "
                "lower costs, sooner payback, …), P(worse) the share in which it does worse; "
                "the rest are ties. Both count every trial (an undefined value is never "
                "better); a dash where a line has no better direction.",
            )
            d.table(
                slide,
                box,
                ["Difference", "Median", "90% interval", "P(better)", "P(worse)"],
                rows[start : start + TABLE_ROWS],
                [4.6, 1.4, 2.6, 1.1, 1.1],
                size=12,
                numeric=[1, 2, 3, 4],
            )


def _mark_points(
    chart: Any, series_index: int, marks: Sequence[tuple[int, str]], below: bool = False
) -> None:
    """Big markers with a data label ("recommended") on points of a line series."""
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
        label.position = (
            XL_LABEL_POSITION.RIGHT
            if i == 0
            else XL_LABEL_POSITION.LEFT
            if i == last
            else XL_LABEL_POSITION.BELOW
            if below
            else XL_LABEL_POSITION.ABOVE
        )
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
    slide, (x, y, w, hh) = d.slide(
        f"NPV across {axis}: median with its 90% band", d.report.sentence
    )
    chart_w = int(w * 0.72)
    values = [v for s in npv for v in (s.p05, s.p95)]
    chart = d.line_chart(
        slide,
        (x, y, chart_w, hh),
        curve.labels,
        [
            ("P95", [s.p95 for s in npv]),
            ("Median NPV", [s.p50 for s in npv]),
            ("P5", [s.p05 for s in npv]),
        ],
        number_format("money", values, d.cur),
        f"NPV ({d.cur}) by {axis}",
    )
    for s, (theme, width, dash) in zip(
        chart.plots[0].series,
        ((ACCENT, 1.75, True), (DARK, 3.5, False), (ACCENT2, 1.75, True)),
        strict=True,
    ):
        line_style(s, theme, width, dash)
    _mark_points(chart, 1, marks)
    side = (
        x + chart_w + int(Inches(0.2)),
        y + int(Inches(0.3)),
        w - chart_w - int(Inches(0.2)),
        hh,
    )
    items = []
    for i, what in (
        (curve.recommended, "recommended: the cheapest setting meeting every objective"),
        (curve.best_npv, "highest mean NPV"),
    ):
        if i is not None:
            s = npv[i]
            items.append(
                (
                    curve.labels[i],
                    f"{what}; NPV {s.interval_text(d.cur)}",
                )
            )
    d.panel(slide, side, items)
    probs = [("P(ROI > 0)", [r.stat("roi").probability for r in runs])]
    if all(r.objectives_all is not None for r in runs):
        probs.append(
            (
                "P(all objectives met)",
                [r.objectives_all[0] for r in runs if r.objectives_all is not None],
            )
        )
    if curve.confidence is not None:
        probs.append(
            (f"Required confidence {pct(curve.confidence)}", [curve.confidence] * len(runs))
        )
    slide, (x, y, w, hh) = d.slide(
        f"Chance of success across {axis}",
        "Objectives count only when all are met in the same trial.",
    )
    chart = d.line_chart(slide, (x, y, w, hh), curve.labels, probs, "0%", f"Probability by {axis}")
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0.0, 1.0
    for s, (theme, width, dash) in zip(
        chart.plots[0].series,
        ((ACCENT, 3.0, False), (ACCENT3, 3.0, False), (GREY, 1.75, True)),
        strict=False,
    ):
        line_style(s, theme, width, dash, 0.5 if theme == GREY else 0.0)
    if curve.recommended is not None:
        names = [name for name, _ in probs]
        on = names.index("P(all objectives met)") if "P(all objectives met)" in names else 0
        _mark_points(chart, on, [(curve.recommended, "recommended")], below=True)
    bold = [curve.recommended] if curve.recommended is not None else []
    _summary_table(d, runs, axis, curve.labels, f"Every setting of {axis}", bold)
