"""Tables of a report: CSV, Markdown and JSON, and the per-trial samples.

Every table reads the same :class:`~simroi.report.types.Report`, so a number in the CSV is the
number on the slide.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from simroi.analysis.summary import percentiles, summarize, unlisted_lines_note, views_note
from simroi.analysis.views import sample_keys
from simroi.errors import ResultFileError
from simroi.formatting import (
    PCT_DIGITS,
    chance,
    counted,
    fmt,
    input_span,
    json_ready,
    pct,
    significant,
    tornado_cells,
    tornado_scale,
)
from simroi.report.alternatives import BREAKEVEN_HEADER, breakeven_cells, stored_breakeven
from simroi.report.run import LIFETIME_SECTION, footer
from simroi.report.types import Report, RunReport, Stat

__all__ = [
    "CSV_COLUMNS",
    "EXCEL_MAX_ROWS",
    "INTERVAL_HEADER",
    "MONTHLY_COLUMNS",
    "PERCENTILES",
    "TORNADO_COLUMNS",
    "markdown",
    "monthly_csv",
    "monthly_rows",
    "percentile_rows",
    "summary_csv",
    "summary_json",
    "tornado_csv",
    "tornado_rows",
    "trial_arrays",
    "write_trials_csv",
]

#: The columns of the interval table: the fields of a :class:`~simroi.report.types.Stat`.
CSV_COLUMNS = (
    "run",
    "section",
    "key",
    "label",
    "unit",
    "mean",
    "p05",
    "p50",
    "p95",
    "mcse",
    "probability",
    "probability_mcse",
    "probability_of",
    "probability_worse",
)

#: The columns of the month-by-month table (tidy, long: one row per run, metric and month).
MONTHLY_COLUMNS = ("run", "metric", "month", "p05", "p50", "p95")

#: The columns of the tornado table: one row per tornado and input, in the order
#: ``simroi sensitivity`` ranked them (the ``--top`` it listed). ``output_low``/``output_high``
#: are the bar's ends, ``base`` where the bars start; ``input_low``/``input_high`` the input's
#: values at them: its P10 and P90 in a swing, its mean in the bottom and top decile of trials
#: in the sampling tornado; ``spearman_rho`` and ``first_order_index`` (sampling) as stored.
TORNADO_COLUMNS = (
    "tornado",
    "input",
    "label",
    "output",
    "unit",
    "base",
    "output_low",
    "output_high",
    "input_low",
    "input_high",
    "spearman_rho",
    "first_order_index",
    "method",
)

#: The percentiles of every per-trial array in the workbook's Percentiles sheet.
PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)

#: Data rows of an Excel sheet under its header row.
EXCEL_MAX_ROWS = 1_048_575


def _number(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else ""


def summary_csv(report: Report) -> str:
    """Every interval row (:attr:`Report.stats`), full precision; empty cells where undefined."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in report.stats:
        values = (getattr(s, c) for c in CSV_COLUMNS)
        writer.writerow([_number(v) if isinstance(v, float) else v for v in values])
    return buffer.getvalue()


def monthly_csv(report: Report) -> str:
    """The month-by-month bands as tidy, long CSV: one row per run, metric and month.

    Columns :data:`MONTHLY_COLUMNS`; the values are the
    :class:`~simroi.analysis.monthly.MonthlyBands` of each run (the same as ``monthly`` in
    ``simroi run --json``), at full precision; an empty cell means undefined (a month with no
    contact has no service level). Runs without month-by-month KPIs have no rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MONTHLY_COLUMNS)
    for name, metric, month, *values in monthly_rows(report):
        writer.writerow([name, metric, month, *(_number(v) for v in values)])
    return buffer.getvalue()


def tornado_rows(report: Report) -> list[list[Any]]:
    """The rows of the tornado table, :data:`TORNADO_COLUMNS`, numbers as floats (None where a
    tornado has no such number); none for a result without a sensitivity analysis."""
    rows: list[list[Any]] = []
    for sens in report.main.sensitivity:
        for bar in sens.listed:
            rows.append(
                [
                    sens.kind,
                    bar["input"],
                    bar["label"],
                    sens.output,
                    sens.unit,
                    sens.base,
                    bar["low"],
                    bar["high"],
                    bar.get("value_low"),
                    bar.get("value_high"),
                    bar.get("coefficient"),
                    bar.get("first_order_index"),
                    sens.method,
                ]
            )
    return rows


def tornado_csv(report: Report) -> str:
    """The tornados of a sensitivity analysis as tidy CSV (:data:`TORNADO_COLUMNS`), full
    precision; an empty cell where a tornado has no such number."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TORNADO_COLUMNS)
    for values in tornado_rows(report):  # numbers are floats there, text is text
        writer.writerow(
            ["" if v is None else _number(v) if isinstance(v, int | float) else v for v in values]
        )
    return buffer.getvalue()


def monthly_rows(report: Report) -> list[list[Any]]:
    """The rows of the month-by-month table, :data:`MONTHLY_COLUMNS`, values as floats."""
    rows: list[list[Any]] = []
    for r in report.runs:
        if r.monthly is None:
            continue
        for metric, band in r.monthly.bands.items():
            for i, month in enumerate(r.monthly.months):
                values = [float(band[k][i]) for k in MONTHLY_COLUMNS[3:]]
                rows.append([r.name, metric, int(month), *values])
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()
) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _interval_rows(rows: Sequence[Stat], cur: str) -> list[list[str]]:
    return [s.cells(cur) for s in rows]


#: The header of a Markdown interval table (:meth:`~simroi.report.types.Stat.cells`).
INTERVAL_HEADER = ("", "median (P50)", "P5", "P95", "mean", "probability")


def _md_run(r: RunReport, level: str) -> list[str]:
    cur = r.currency
    out = [f"{level} Return on investment (incremental to the baseline)", ""]
    out += _md_table(INTERVAL_HEADER, _interval_rows(r.section("Return"), cur), [1, 2, 3, 4])
    lifetime = r.section(LIFETIME_SECTION)
    if lifetime:
        out += [f"{level} The lifetime view (customers kept, valued at the horizon)", ""]
        out += _md_table(INTERVAL_HEADER, _interval_rows(lifetime, cur), [1, 2, 3, 4])
        out += [views_note(r.horizon_months), ""]
    out += [f"{level} Benefits and costs by line (present value)", ""]
    out += _md_table(
        INTERVAL_HEADER[:5],
        [c[:5] for c in _interval_rows([*r.section("Benefits"), *r.section("Costs")], cur)],
        [1, 2, 3, 4],
    )
    if unlisted := unlisted_lines_note(r.result.samples):
        out += [unlisted, ""]
    tei = r.tei
    out += [
        f"TEI-style risk-adjusted view (benefits at P{significant(tei.benefit_percentile)}, "
        f"costs at P{significant(tei.cost_percentile)}): ROI {pct(tei.roi)}, NPV "
        f"{fmt(tei.npv, 'money', cur)}.",
        "",
    ]
    if r.objectives:
        out += [f"{level} Return on objectives", ""]
        rows = [
            [o.label, chance(o.probability, PCT_DIGITS), pct(o.mcse, PCT_DIGITS)]
            for o in r.objectives
        ]
        if r.objectives_all is not None:
            rows.append(
                [
                    "All objectives in the same trial",
                    chance(r.objectives_all[0], PCT_DIGITS),
                    pct(r.objectives_all[1], PCT_DIGITS),
                ]
            )
        out += _md_table(["objective", "P(met)", "± s.e."], rows, [1, 2])
    if r.cash is not None:
        out += [f"{level} Cumulative net cash flow (undiscounted)", ""]
        months = [m for m in range(0, len(r.cash.months), 12)]
        if months[-1] != len(r.cash.months) - 1:
            months.append(len(r.cash.months) - 1)
        out += _md_table(
            ["month", "P5", "median", "P95"],
            [
                [str(m), *(fmt(float(r.cash.percentiles[q][m]), "money", cur) for q in (5, 50, 95))]
                for m in months
            ],
            [1, 2, 3],
        )
    for sens in r.sensitivity:
        shown = sens.listed
        more = f" (top {len(shown)} of {len(sens.rows)})" if len(sens.rows) > len(shown) else ""
        start = (
            f" Bars start at {sens.base_words}: {fmt(sens.base, sens.unit, cur)}."
            if sens.base is not None
            else ""
        )
        out += [
            f"{level} What drives {sens.output_label}: {sens.kind}{more}",
            "",
            f"Method: {sens.method}.{start}",
            "",
        ]
        # As the terminal shows a tornado (formatting.tornado_cells), over the same numbers.
        scale = tornado_scale(sens.base, ((r["low"], r["high"]) for r in shown))
        sampling = sens.kind == "tornado"
        # The terminal's columns (cli.render): the input's range in a swing, ρ and share else.
        header = ["input"]
        if sampling:
            header += ["rank correlation", f"{sens.output_label}: bottom → top decile"]
            header += ["share of variance"]
        else:
            header += ["input: P10 → P90", f"{sens.output_label}: at P10 → at P90"]
        body = []
        for row in shown:
            numbers = (
                row["low"],
                row["high"],
                row.get("coefficient"),
                row.get("first_order_index"),
            )
            rho, span, share = tornado_cells(numbers, sens.unit, cur, scale)
            if sampling:
                body.append([row["label"], rho, span, share])
            else:
                values = input_span(row.get("value_low"), row.get("value_high"))
                body.append([row["label"], values, span])
        out += _md_table(header, body, list(range(1, len(header))))
    breakeven = stored_breakeven(r)
    if breakeven is not None:
        out += [f"{level} What would have to be true", "", f"Method: {breakeven.method}.", ""]
        out += _md_table(BREAKEVEN_HEADER, breakeven_cells(breakeven), [1, 2, 3, 4])
    kpis = r.kpi_rows()
    if kpis:
        out += [f"{level} KPIs: median (90% interval)", ""]
        out += _md_table(["KPI", "program", "baseline"], kpis, [1, 2])
    return out


def markdown(report: Report) -> str:
    """The report as Markdown: headline, interval tables, assumptions and provenance."""
    cur = report.main.currency
    out = [f"# {report.title}", "", f"**{report.sentence}**", ""]
    out += [f"- {line}" for line in report.details] + [""]
    if report.kind != "run":
        names = report.sweep.labels if report.sweep else [r.name for r in report.runs]
        what = ", ".join(report.sweep.keys) if report.sweep else "scenario"
        # P(highest NPV), trial by trial: the comparison's, or the sweep's P(best).
        best = report.best_chances
        rows = []
        for i, (name, r) in enumerate(zip(names, report.runs, strict=True)):
            roi, npv = r.stat("roi"), r.stat("npv")
            mark = ""
            if report.sweep is not None:
                mark = " (recommended)" if i == report.sweep.recommended else ""
            rows.append(
                [
                    name + mark,
                    *roi.cells(cur)[1:4],
                    chance(roi.probability),
                    *npv.cells(cur)[1:4],
                    _median_payback(r),
                    chance(r.payback_within[0]),
                    *([chance(best[i][0], PCT_DIGITS)] if best is not None else []),
                    chance(r.objectives_all[0], PCT_DIGITS) if r.objectives_all else "—",
                ]
            )
        header = [what, "ROI median", "ROI P5", "ROI P95", "P(ROI > 0)"]
        header += ["NPV median", "NPV P5", "NPV P95", "median payback", "P(pays back)"]
        header += ["P(highest NPV)"] if best is not None else []
        header += ["P(all objectives)"]
        out += ["## Side by side", ""]
        out += _md_table(header, rows, range(1, len(header)))
    if report.differences:
        out += [f"## Paired differences against {report.runs[0].name} (same random numbers)", ""]
        out += [
            "Each difference is taken trial by trial; its median and interval are over the "
            "trials in which both scenarios define it. The probability counts every trial (an "
            "undefined value is never better), with how often the scenario does worse and ties "
            "where some trials tie.",
            "",
        ]
        out += _md_table(
            ("", "median (P50)", "P5", "P95", "mean", "probability"),
            _interval_rows(report.differences, cur),
            [1, 2, 3, 4],
        )
    if report.kind != "compare":
        level = "##"
        if report.kind == "sweep":
            out += [f"## Details: {report.main.name}", ""]
            level = "###"
        out += _md_run(report.main, level)
    seen: list[Any] = []
    for r in report.runs:
        rows = r.result.meta.get("assumptions", [])
        if not rows or rows in seen:
            continue
        seen.append(rows)
        whose = f" of {r.name}" if len(report.runs) > 1 else ""
        out += [f"## Assumptions{whose}", ""]
        out += _md_table(
            ["input", "distribution", "P5", "P50", "P95", "source"],
            [
                [
                    a["input"],
                    a["distribution"],
                    *(significant(a[k]) for k in ("p05", "p50", "p95")),
                    a["source"],
                ]
                for a in rows
            ],
            [2, 3, 4],
        )
    out += ["## Provenance", "", footer(report.main.result, len(report.runs)), ""]
    for r in report.runs:
        p = r.result.provenance
        out.append(
            f"- {r.name}: `{p.scenario_source}`, content hash `{p.scenario_hash}` (SHA-256 of "
            "the scenario and its baseline as run, overrides included), seed "
            f"{p.seed}, {counted(p.trials, 'trial')}, engine {p.engine}, simroi {p.simroi_version}"
        )
    return "\n".join(out) + "\n"


def summary_json(report: Report) -> dict[str, Any]:
    """The summaries (as ``simroi run --json``) of every run, with the report's extras.

    For a comparison, ``comparison`` is what ``simroi compare --json`` prints for the same runs
    (paired differences, P(better), P(best)). JSON-ready: NaN is null.
    """
    out: dict[str, Any] = {
        "format": "simroi-export",
        "kind": report.kind,
        "title": report.title,
        "headline": report.sentence,
        "details": report.details,
        "runs": [{"name": r.name, "summary": summarize(r.result).to_dict()} for r in report.runs],
        "differences": [s.__dict__ for s in report.differences],
    }
    if report.comparison is not None:
        out["comparison"] = report.comparison.to_dict()
    if report.sweep is not None:
        out["sweep"] = {k: v for k, v in report.sweep.__dict__.items()}
    sens = report.main.sensitivity
    if sens:
        out["sensitivity"] = [s.__dict__ for s in sens]
    breakeven = stored_breakeven(report.main)
    if breakeven is not None:  # as `simroi sensitivity --json` gives it
        out["breakeven"] = [row.to_dict() for row in breakeven.rows]
        out["breakeven_method"] = breakeven.method
    return json_ready(out)


def trial_arrays(report: Report) -> dict[str, np.ndarray]:
    """The arrays of a ``.trials.npz``: for one run, ``roi``, ``npv``, ``pv.agents``, …,
    ``net_by_month``; for several, the same under ``r0/``, ``r1/``, … with ``runs`` naming them.
    ``provenance`` holds the JSON provenance of every run."""
    arrays: dict[str, np.ndarray] = {}
    single = len(report.runs) == 1
    for i, r in enumerate(report.runs):
        prefix = "" if single else f"r{i}/"
        for key in sample_keys(r.result):
            arrays[prefix + key] = r.result.samples[key]
        if r.result.net_by_month is not None:
            arrays[prefix + "net_by_month"] = r.result.net_by_month
    if not single:
        arrays["runs"] = np.array([r.name for r in report.runs])
    arrays["provenance"] = np.array(
        json.dumps([{"name": r.name, **r.result.provenance.to_json()} for r in report.runs])
    )
    return arrays


def write_trials_csv(report: Report, handle: IO[bytes]) -> None:
    """One row per run and trial: ``run``, ``trial``, every sample, then ``net_month_00``…"""
    first = report.runs[0].result
    keys = sample_keys(first)
    months = first.net_by_month.shape[1] if first.net_by_month is not None else 0
    header = ["run", "trial", *keys, *(f"net_month_{m:02d}" for m in range(months))]
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    csv.writer(text, lineterminator="\n").writerow(header)
    for r in report.runs:
        result = r.result
        missing = [k for k in keys if k not in result.samples]
        if missing:
            raise ResultFileError(f"run {r.name!r} lacks samples {', '.join(missing)}")
        columns = [result.samples[k].astype(float) for k in keys]
        if months:
            net = (
                result.net_by_month
                if result.net_by_month is not None
                else np.full((result.trials, months), np.nan)
            )
            columns += list(net.T)
        table = np.column_stack([np.arange(result.trials), *columns])
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="")
        writer.writerow([r.name])
        name = buffer.getvalue().replace("%", "%%")
        np.savetxt(text, table, delimiter=",", fmt=[f"{name},%d", *(["%.17g"] * len(columns))])
    text.flush()
    text.detach()


def percentile_rows(report: Report) -> list[list[Any]]:
    """``run, sample, mean, sd, P1 … P99, defined share`` for every per-trial array."""
    rows: list[list[Any]] = []
    for r in report.runs:
        for key in sample_keys(r.result):
            values = r.result.samples[key].astype(float)
            ok = values[np.isfinite(values)]
            if ok.size:
                qs = [float(q) for q in percentiles(ok, PERCENTILES, key)]
                sd = float(ok.std(ddof=1)) if ok.size > 1 else 0.0
                rows.append([r.name, key, float(ok.mean()), sd, *qs, ok.size / values.size])
            else:
                rows.append([r.name, key, None, None, *([None] * len(PERCENTILES)), 0.0])
    return rows


def _median_payback(r: RunReport) -> str:
    """The median payback month of the trials that pay back; past the horizon when none does."""
    m = r.median_payback
    return fmt(m, "months") if math.isfinite(m) else f"> {r.horizon_months}"
