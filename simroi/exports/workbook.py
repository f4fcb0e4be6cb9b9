"""The Excel workbook of a result, for finance teams (openpyxl, the ``xlsx`` extra).

Sheets: **Summary** (the headline and every interval row, formatted as %, money or months),
**Percentiles** (P1…P99, mean and standard deviation of every per-trial array), **Cash flow**
(percentiles of cumulative net cash flow by month), **Monthly** (P5/P50/P95 of every
month-by-month KPI, as ``monthly.csv``), **Sensitivity** (when the result holds one),
**Sweep** (for a sweep), **Assumptions**, **Trials** (every per-trial sample, one row per run and
trial) and **Provenance**. Numbers are stored as numbers (at Excel's precision, about 15
significant digits); only the display format rounds them. Written in openpyxl's streaming mode,
so large trial sheets stay cheap.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from simroi.analysis.views import sample_keys
from simroi.exports.tables import (
    CSV_COLUMNS,
    MONTHLY_COLUMNS,
    PERCENTILES,
    TORNADO_COLUMNS,
    monthly_rows,
    percentile_rows,
    tornado_rows,
)
from simroi.formatting import DURATION_SECONDS, json_ready, number_format
from simroi.report.types import Report, Stat

__all__ = ["NUMBER_FORMATS", "build_workbook"]

#: Excel display formats by the unit of an interval row.
NUMBER_FORMATS = {
    "pct": "0.0%",
    "pp": "+0.0%;-0.0%",
    "money": "#,##0",
    "months": "0.0",
    "num2": "0.00",
    "num": "#,##0.00",
}


#: The Summary sheet's probabilities and their standard error, by column.
_CHANCES = {"probability": "0.0%", "probability_mcse": "0.00%", "probability_worse": "0.0%"}


def _number_format(stat: Stat) -> str:
    """An interval row's Excel format: its unit's, and for plain numbers and durations the
    decimals the other tables give them (a P90 response of 0.0077 h is not 0.01)."""
    if stat.unit != "num" and stat.unit not in DURATION_SECONDS:
        return NUMBER_FORMATS.get(stat.unit, "General")
    return number_format((stat.p05, stat.p50, stat.p95, stat.mean), stat.unit)


def _value(x: Any) -> Any:
    """A cell's value: NaN and infinities empty, NumPy scalars as Python numbers."""
    return json_ready(x)


def build_workbook(report: Report) -> bytes:
    """The workbook as ``.xlsx`` bytes (raises ImportError without openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, widths: Sequence[float]) -> Any:
        ws = wb.create_sheet(title)
        for i, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = width
        return ws

    def header(ws: Any, names: Sequence[str]) -> None:
        cells = []
        for name in names:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)

    def row(ws: Any, values: Sequence[Any], formats: dict[int, str] | None = None) -> None:
        cells = []
        for i, v in enumerate(values):
            cell = WriteOnlyCell(ws, value=_value(v))
            if formats and i in formats:
                cell.number_format = formats[i]
            cells.append(cell)
        ws.append(cells)

    ws = sheet("Summary", [22, 26, 30, 44, 8, 14, 14, 14, 14, 12, 12, 12, 36, 12])
    title = WriteOnlyCell(ws, value=report.title)
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append([report.sentence])
    for line in report.details:
        ws.append([line])
    ws.append([])
    header(ws, CSV_COLUMNS)
    for s in report.stats:
        unit = _number_format(s)
        formats = {**dict.fromkeys(("mean", "p05", "p50", "p95", "mcse"), unit), **_CHANCES}
        row(
            ws,
            [getattr(s, column) for column in CSV_COLUMNS],
            {CSV_COLUMNS.index(column): f for column, f in formats.items()},
        )

    ws = sheet("Percentiles", [22, 44, *([14] * (len(PERCENTILES) + 3))])
    header(ws, ["run", "sample", "mean", "sd", *(f"P{q}" for q in PERCENTILES), "defined share"])
    for values in percentile_rows(report):
        row(ws, values, {len(values) - 1: "0.0%"})

    if any(r.cash is not None for r in report.runs):
        ws = sheet("Cash flow", [22, 8, 16, 16, 16, 16, 16])
        header(ws, ["run", "month", "P5", "P25", "P50", "P75", "P95"])
        for r in report.runs:
            if r.cash is None:
                continue
            for m in r.cash.months:
                row(
                    ws,
                    [
                        r.name,
                        int(m),
                        *(float(r.cash.percentiles[q][m]) for q in (5, 25, 50, 75, 95)),
                    ],
                    dict.fromkeys(range(2, 7), "#,##0"),
                )

    monthly = monthly_rows(report)
    if monthly:
        ws = sheet("Monthly", [22, 36, 8, 16, 16, 16])
        header(ws, list(MONTHLY_COLUMNS))
        for values in monthly:
            row(ws, values)

    tornado = tornado_rows(report)
    if tornado:  # as tornado.csv: one row per tornado and input
        ws = sheet("Sensitivity", [16, 30, 34, 10, 8, 14, 14, 14, 14, 14, 14, 14, 60])
        header(ws, TORNADO_COLUMNS)
        # The output's numbers (base and bar ends) in the output's unit.
        outputs = [TORNADO_COLUMNS.index(c) for c in ("base", "output_low", "output_high")]
        for values in tornado:
            shown = NUMBER_FORMATS.get(values[TORNADO_COLUMNS.index("unit")], "General")
            row(ws, values, dict.fromkeys(outputs, shown))

    if report.sweep is not None:
        curve = report.sweep
        ws = sheet("Sweep", [26, *([16] * (len(curve.keys) + 5))])
        header(
            ws,
            [
                "run",
                *curve.keys,
                "recommended",
                "highest mean NPV",
                "P(all objectives met)",
                "P(ROI > 0)",
                "P(highest NPV)",
            ],
        )
        for i, (r, point) in enumerate(zip(report.runs, curve.points, strict=True)):
            together = r.objectives_all[0] if r.objectives_all else None
            row(
                ws,
                [
                    r.name,
                    *point,
                    i == curve.recommended,
                    i == curve.best_npv,
                    together,
                    r.stat("roi").probability,
                    curve.prob_best[i] if curve.prob_best else None,
                ],
                {len(point) + 3: "0.0%", len(point) + 4: "0.0%", len(point) + 5: "0.0%"},
            )

    ws = sheet("Assumptions", [22, 44, 40, 12, 12, 12, 12, 70])
    header(ws, ["run", "input", "distribution", "P5", "P50", "P95", "mean", "source"])
    for r in report.runs:
        for a in r.result.meta.get("assumptions", []):
            row(
                ws,
                [
                    r.name,
                    a["input"],
                    a["distribution"],
                    a["p05"],
                    a["p50"],
                    a["p95"],
                    a["mean"],
                    a["source"],
                ],
            )

    first = report.runs[0].result
    keys = sample_keys(first)
    months = first.net_by_month.shape[1] if first.net_by_month is not None else 0
    ws = sheet("Trials", [22, 8, *([14] * min(len(keys) + months, 20))])
    header(ws, ["run", "trial", *keys, *(f"net_month_{m:02d}" for m in range(months))])
    for r in report.runs:
        res = r.result
        columns = [res.samples[k].astype(float) for k in keys]
        if months and res.net_by_month is not None:
            columns += list(res.net_by_month.T)
        table = np.column_stack(columns)
        for t in range(res.trials):
            ws.append([r.name, t, *json_ready(table[t].tolist())])

    ws = sheet("Provenance", [22, 20, 80])
    header(ws, ["run", "field", "value"])
    for r in report.runs:
        for field, value in r.result.provenance.to_json().items():
            text = " ".join(value) if isinstance(value, list) else value
            row(ws, [r.name, field, "" if text is None else str(text)])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
