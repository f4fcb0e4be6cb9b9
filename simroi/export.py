"""``simroi export``: slides, charts and tables regenerated from a result file, never re-simulated.

The format follows each target's suffix (:data:`FORMATS`):

* ``.pptx`` — a 16:9 deck with native, editable charts (:mod:`simroi.deck`);
* ``.png`` / ``.svg`` — one chart (:mod:`simroi.charts`); ``{chart}`` in the name writes every
  chart the result has, one file each (``charts/{chart}.png``);
* ``.csv`` — the interval table (one row per quantity: mean, P5, P50, P95, probabilities);
* ``.md`` — the same tables for Markdown (Marp, reveal.js, wikis);
* ``.json`` — the summaries as JSON;
* ``.xlsx`` — summary, percentiles, cash flow, assumptions and raw trials (needs openpyxl);
* ``.trials.csv`` / ``.trials.npz`` — every per-trial sample, so nothing is a black box.

Every target is checked (known suffix, existing writable directory, chart names, template,
openpyxl) and every file but the raw trials (streamed) is rendered in memory before the first
is written, each atomically: a bad target writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from simroi.errors import OutputError, ResultFileError, SimroiError
from simroi.report import Report, RunReport, Stat, build_report, fmt, footer, pct
from simroi.result import ResultSet, RunResult, atomic_write, load_any

__all__ = ["FORMATS", "export", "export_file", "load_result", "plan"]

#: Suffix → what is written. Compound suffixes are matched first.
FORMATS = {
    ".trials.csv": "every per-trial sample as CSV (one row per run and trial)",
    ".trials.npz": "every per-trial sample as a NumPy archive",
    ".pptx": "16:9 deck with native, editable charts",
    ".png": "chart, 200 dpi",
    ".svg": "chart, vector",
    ".csv": "interval table",
    ".md": "Markdown tables",
    ".json": "summaries as JSON",
    ".xlsx": "workbook: summary, percentiles, cash flow, assumptions, raw trials",
}
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
)
PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
EXCEL_MAX_ROWS = 1_048_575
Writer = Callable[[IO[bytes]], None]


@dataclass(frozen=True)
class Output:
    """One file to write: its path, format and bytes (or a streaming writer for raw trials)."""

    path: Path
    fmt: str
    chart: str | None = None


def load_result(path: str | Path) -> RunResult | ResultSet:
    """Load a result file written by ``run --out``, ``compare --out`` or ``sweep --out``.

    Raises ResultFileError (one line) for a missing, corrupt or foreign file.
    """
    source = Path(path)
    if source.is_file():
        # Check the archive first: numpy leaks the open file when a truncated zip fails to load,
        # and a CRC check names a damaged member instead of failing somewhere inside it.
        try:
            with zipfile.ZipFile(source) as archive:
                damaged = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as exc:
            raise ResultFileError(f"{path}: not a simroi result file ({exc})") from None
        if damaged is not None:
            raise ResultFileError(f"{path}: corrupt result file ({damaged} fails its CRC check)")
    try:
        return load_any(path)
    except SimroiError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, zlib.error, OSError) as exc:
        raise ResultFileError(
            f"{path}: not a readable simroi result file ({type(exc).__name__}: {exc})"
        ) from None


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    return next(
        (suffix for suffix in FORMATS if name.endswith(suffix) and len(name) > len(suffix)), None
    )


def plan(
    report: Report,
    targets: Sequence[str | Path],
    *,
    chart: str | None = None,
    template: str | Path | None = None,
) -> list[Output]:
    """Check every target and expand ``{chart}`` names; raise before anything is written.

    Raises
    ------
    OutputError
        For an unknown suffix, a missing or unwritable directory, the same file twice, an
        unknown chart, ``--template`` without a ``.pptx`` target, or a missing openpyxl.
    """
    from simroi.charts import available_charts, default_chart

    charts = available_charts(report)
    if chart is not None and chart not in charts:
        raise OutputError(
            f"--chart {chart}: no such chart for this {report.kind} result "
            f"(available: {', '.join(charts)})"
        )
    outputs: list[Output] = []
    for target in targets:
        path = Path(target)
        suffix = _format_of(path)
        if suffix is None:
            known = ", ".join(FORMATS)
            hint = (
                (
                    " (result files are written by run/compare/sweep --out; for raw trials use "
                    f"{path.with_suffix('.trials.npz').name})"
                )
                if path.suffix == ".npz"
                else ""
            )
            raise OutputError(
                f"{path}: unknown export format {path.suffix or '(no suffix)'!r}; "
                f"use one of {known}{hint}"
            )
        if "{chart}" in path.name and suffix not in {".png", ".svg"}:
            raise OutputError(f"{path}: {{chart}} only expands in .png and .svg names")
        directory = path.parent if str(path.parent) else Path(".")
        if not directory.is_dir():
            raise OutputError(f"{path}: cannot write: directory {str(directory)!r} does not exist")
        if not os.access(directory, os.W_OK | os.X_OK):
            raise OutputError(f"{path}: cannot write: directory {str(directory)!r} is not writable")
        if suffix in {".png", ".svg"}:
            names = charts if "{chart}" in path.name else [chart or default_chart(report)]
            outputs += [Output(Path(str(path).replace("{chart}", n)), suffix, n) for n in names]
        else:
            outputs.append(Output(path, suffix))
    seen: set[Path] = set()
    for out in outputs:
        if out.path.exists() and out.path.is_dir():
            raise OutputError(f"{out.path}: cannot write: it is a directory")
        key = out.path.resolve()
        if key in seen:
            raise OutputError(f"{out.path}: named twice in --to")
        seen.add(key)
    kinds = {out.fmt for out in outputs}
    if template is not None and ".pptx" not in kinds:
        raise OutputError(f"--template {template}: applies to .pptx targets, and none is given")
    if chart is not None and not kinds & {".png", ".svg"}:
        raise OutputError(f"--chart {chart}: applies to .png and .svg targets, and none is given")
    if ".xlsx" in kinds:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise OutputError("writing .xlsx needs openpyxl: pip install 'simroi[xlsx]'") from None
        rows = sum(r.result.trials for r in report.runs)
        if rows > EXCEL_MAX_ROWS:
            raise OutputError(
                f"{rows:,} trials exceed Excel's {EXCEL_MAX_ROWS + 1:,} rows; "
                "export the raw trials with --to NAME.trials.npz or .trials.csv"
            )
    return outputs


def export(
    result: RunResult | ResultSet,
    targets: Sequence[str | Path],
    *,
    template: str | Path | None = None,
    chart: str | None = None,
    source: str = "result",
) -> list[Path]:
    """Write every target from ``result``; returns the paths written.

    Parameters
    ----------
    result : a loaded run, comparison or sweep
    targets : file names; the format follows the suffix (:data:`FORMATS`)
    template : a ``.pptx`` whose master, layouts and theme the deck uses
    chart : the chart a ``.png``/``.svg`` target without ``{chart}`` gets (default: the
        headline chart); see :func:`simroi.charts.available_charts`
    source : the result file's name, for messages
    """
    report = build_report(result, where=source)
    outputs = plan(report, targets, chart=chart, template=template)
    prs = None
    if template is not None:
        from simroi.deck import load_template

        prs = load_template(template)
    writers = [(out.path, _render(report, out, prs)) for out in outputs]
    return [atomic_write(path, writer) for path, writer in writers]


def export_file(path: str | Path, targets: Sequence[str | Path], **options: Any) -> list[Path]:
    """:func:`export` from a result file name (what ``simroi export`` runs)."""
    if not targets:
        raise OutputError("nothing to export: give at least one --to FILE")
    return export(load_result(path), targets, source=str(path), **options)


def _bytes(data: bytes) -> Writer:
    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    return write


def _render(report: Report, out: Output, template: Any) -> Writer:
    if out.fmt == ".pptx":
        from simroi.deck import build_deck

        return _bytes(build_deck(report, template))
    if out.fmt in {".png", ".svg"}:
        from simroi.charts import render_chart

        assert out.chart is not None
        return _bytes(render_chart(report, out.chart, out.fmt[1:]))
    if out.fmt == ".csv":
        return _bytes(summary_csv(report).encode("utf-8"))
    if out.fmt == ".md":
        return _bytes(markdown(report).encode("utf-8"))
    if out.fmt == ".json":
        return _bytes(
            (json.dumps(_clean(summary_json(report)), indent=2, allow_nan=False) + "\n").encode(
                "utf-8"
            )
        )
    if out.fmt == ".xlsx":
        from simroi.workbook import build_workbook

        return _bytes(build_workbook(report))
    if out.fmt == ".trials.npz":
        return lambda handle: np.savez_compressed(handle, **trial_arrays(report))  # type: ignore[arg-type]
    return lambda handle: write_trials_csv(report, handle)


# ---------------------------------------------------------------- tables


def _number(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else ""


def summary_csv(report: Report) -> str:
    """Every interval row (:attr:`Report.stats`), full precision; empty cells where undefined."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in report.stats:
        writer.writerow(
            [
                s.run,
                s.section,
                s.key,
                s.label,
                s.unit,
                *(
                    _number(v)
                    for v in (
                        s.mean,
                        s.p05,
                        s.p50,
                        s.p95,
                        s.mcse,
                        s.probability,
                        s.probability_mcse,
                    )
                ),
                s.probability_of,
            ]
        )
    return buffer.getvalue()


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


INTERVAL_HEADER = ("", "median (P50)", "P5", "P95", "mean", "probability")


def _md_run(r: RunReport, level: str) -> list[str]:
    cur = r.currency
    out = [f"{level} Return on investment (incremental to the baseline)", ""]
    out += _md_table(INTERVAL_HEADER, _interval_rows(r.section("Return"), cur), [1, 2, 3, 4])
    out += [f"{level} Benefits and costs by line (present value)", ""]
    out += _md_table(
        INTERVAL_HEADER[:5],
        [c[:5] for c in _interval_rows([*r.section("Benefits"), *r.section("Costs")], cur)],
        [1, 2, 3, 4],
    )
    tei = r.tei
    out += [
        f"TEI-style risk-adjusted view (benefits at P{tei['benefit_percentile']:g}, costs at "
        f"P{tei['cost_percentile']:g}): ROI {pct(tei['roi'])}, NPV "
        f"{fmt(tei['npv'], 'money', cur)}.",
        "",
    ]
    if r.objectives:
        out += [f"{level} Return on objectives", ""]
        rows = [[o.label, pct(o.probability, 1), pct(o.mcse, 1)] for o in r.objectives]
        if r.objectives_all is not None:
            rows.append(
                [
                    "All objectives in the same trial",
                    pct(r.objectives_all[0], 1),
                    pct(r.objectives_all[1], 1),
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
        out += [f"{level} What drives {sens.output_label}", "", f"Method: {sens.method}.", ""]
        out += _md_table(
            [
                "input",
                f"{sens.output_label} with input low",
                f"{sens.output_label} with input high",
            ],
            [
                [row["label"], fmt(row["low"], sens.unit, cur), fmt(row["high"], sens.unit, cur)]
                for row in sens.rows
            ],
            [1, 2],
        )
    program = r.section("KPIs (program)")
    if program:
        base = {
            s.key.replace(".baseline.", ".program.", 1): s for s in r.section("KPIs (baseline)")
        }

        def cell(s: Stat | None) -> str:
            return "—" if s is None else s.interval_text(cur)

        out += [f"{level} KPIs: median (90% interval)", ""]
        out += _md_table(
            ["KPI", "program", "baseline"],
            [[s.label, cell(s), cell(base.get(s.key))] for s in program],
            [1, 2],
        )
    return out


def markdown(report: Report) -> str:
    """The report as Markdown: headline, interval tables, assumptions and provenance."""
    cur = report.main.currency
    out = [f"# {report.title}", "", f"**{report.sentence}**", ""]
    out += [f"- {line}" for line in report.details] + [""]
    if report.kind != "run":
        names = report.sweep.labels if report.sweep else [r.name for r in report.runs]
        what = ", ".join(report.sweep.keys) if report.sweep else "scenario"
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
                    pct(roi.probability),
                    *npv.cells(cur)[1:4],
                    pct(r.objectives_all[0]) if r.objectives_all else "—",
                ]
            )
        out += ["## Side by side", ""]
        out += _md_table(
            [
                what,
                "ROI median",
                "ROI P5",
                "ROI P95",
                "P(ROI > 0)",
                "NPV median",
                "NPV P5",
                "NPV P95",
                "P(all objectives)",
            ],
            rows,
            range(1, 9),
        )
    if report.differences:
        out += [f"## Paired differences against {report.runs[0].name} (same random numbers)", ""]
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
                    *(f"{a[k]:.4g}" for k in ("p05", "p50", "p95")),
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
            f"- {r.name}: `{p.scenario_source}`, sha256 `{p.scenario_hash}`, seed "
            f"{p.seed}, {p.trials:,} trials, engine {p.engine}, simroi {p.simroi_version}"
        )
    return "\n".join(out) + "\n"


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def summary_json(report: Report) -> dict[str, Any]:
    """The summaries (as ``simroi run --json``) of every run, with the report's extras."""
    from simroi.analysis import summarize

    out: dict[str, Any] = {
        "format": "simroi-export",
        "kind": report.kind,
        "title": report.title,
        "headline": report.sentence,
        "details": report.details,
        "runs": [{"name": r.name, "summary": summarize(r.result)} for r in report.runs],
        "differences": [s.__dict__ for s in report.differences],
    }
    if report.sweep is not None:
        out["sweep"] = {k: v for k, v in report.sweep.__dict__.items()}
    sens = report.main.sensitivity
    if sens:
        out["sensitivity"] = [s.__dict__ for s in sens]
    return out


# ---------------------------------------------------------------- raw trials


def sample_keys(result: RunResult) -> list[str]:
    """Sample names in reading order: headline, lines, KPIs, inputs."""
    first = ["roi", "npv", "payback_months", "pv_benefits", "pv_costs"]
    rest = sorted(k for k in result.samples if k not in first)
    order = {"pv.": 0, "kpi.": 1, "input.": 2}
    rest.sort(key=lambda k: next((v for p, v in order.items() if k.startswith(p)), 3))
    return [k for k in first if k in result.samples] + rest


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
                qs = [float(q) for q in np.percentile(ok, PERCENTILES)]
                sd = float(ok.std(ddof=1)) if ok.size > 1 else 0.0
                rows.append([r.name, key, float(ok.mean()), sd, *qs, ok.size / values.size])
            else:
                rows.append([r.name, key, None, None, *([None] * len(PERCENTILES)), 0.0])
    return rows
