"""``simroi export``: slides, charts and tables regenerated from a result file, never re-simulated.

The format follows each target's suffix (:data:`FORMATS`):

* ``.pptx`` — a 16:9 deck with native, editable charts (:mod:`simroi.exports.deck`);
* ``.png`` / ``.svg`` — one chart (:mod:`simroi.exports.charts`); ``{chart}`` in the name writes
  every chart the result has, one file each, into the folder it names (``charts/{chart}.png``:
  a folder of charts, created when missing);
* ``.csv`` — the interval table (one row per quantity: mean, P5, P50, P95, probabilities);
* ``.md`` — the same tables for Markdown (Marp, reveal.js, wikis);
* ``.json`` — the summaries as JSON;
* ``.xlsx`` — summary, percentiles, cash flow, assumptions and raw trials (needs openpyxl);
* ``.trials.csv`` / ``.trials.npz`` — every per-trial sample, so nothing is a black box;
* ``monthly.csv`` / ``.monthly.csv`` — P5/P50/P95 of every month-by-month KPI, tidy and long
  (``run, metric, month, p05, p50, p95``);
* ``tornado.csv`` / ``.tornado.csv`` — the tornados of ``simroi sensitivity``, one row per
  tornado and input (:data:`~simroi.exports.tables.TORNADO_COLUMNS`).

Every target is checked (known suffix, existing writable directory, chart names, template,
openpyxl) and every file but the raw trials (streamed) is rendered in memory before the first
is written, each atomically: a bad target writes nothing. The one directory made is the folder
of a ``{chart}`` target, after every check has passed and every file is rendered; a plain
target in a missing directory is refused (a typo in a path should not scatter files).
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from simroi.errors import OutputError, ResultFileError, SimroiError
from simroi.execution.result import ResultSet, RunResult, atomic_write, load_any
from simroi.execution.runner import MONTHLY_KPIS_LIMIT
from simroi.exports import CHART_NAMES
from simroi.exports.tables import (
    EXCEL_MAX_ROWS,
    markdown,
    monthly_csv,
    summary_csv,
    summary_json,
    tornado_csv,
    trial_arrays,
    write_trials_csv,
)
from simroi.report.builders import build_report
from simroi.report.types import Report

__all__ = ["FORMATS", "Output", "export", "export_file", "format_of", "load_result", "plan"]

#: Suffix → what is written. Compound suffixes are matched first.
FORMATS = {
    ".monthly.csv": "month by month: P5/P50/P95 of every monthly KPI (tidy: run, metric, month, "
    "p05, p50, p95); the file may be named just monthly.csv",
    ".tornado.csv": "the tornados of simroi sensitivity, one row per tornado and input (tidy: "
    "tornado, input, label, output, unit, base, output_low, output_high, …); the file may be "
    "named just tornado.csv",
    ".trials.csv": "every per-trial sample as CSV (one row per run and trial)",
    ".trials.npz": "every per-trial sample as a NumPy archive",
    ".pptx": "16:9 deck with native, editable charts",
    ".png": "chart, 200 dpi",
    ".svg": "chart, vector",
    ".csv": "interval table",
    ".md": "Markdown tables",
    ".json": "summaries as JSON",
    ".xlsx": "workbook: summary, percentiles, cash flow, monthly, sensitivity, sweep, "
    "assumptions, raw trials, provenance",
}
Writer = Callable[[IO[bytes]], None]


@dataclass(frozen=True)
class Output:
    """One file to write: its path, format and chart; ``make_folder``: the folder of a
    ``{chart}`` target, to create (with its missing parents) before writing."""

    path: Path
    fmt: str
    chart: str | None = None
    make_folder: bool = False


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
        except zipfile.BadZipFile as exc:
            with source.open("rb") as handle:
                archive_start = handle.read(2) == b"PK"
            if archive_start:  # a zip archive's signature: one cut short or damaged
                raise ResultFileError(
                    f"{path}: a damaged or truncated result file ({exc})"
                ) from None
            raise ResultFileError(
                f"{path}: not a simroi result file (a result file is a NumPy .npz archive, as "
                "run, compare, sweep and sensitivity write it; this is not an archive)"
            ) from None
        except (OSError, EOFError, zlib.error, ValueError) as exc:
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


def format_of(path: Path) -> str | None:
    """The export format a file name asks for (a key of :data:`FORMATS`), or None."""
    name = path.name.lower()
    if name in ("monthly.csv", "tornado.csv"):  # these tables need no prefix
        return "." + name
    return next(
        (suffix for suffix in FORMATS if name.endswith(suffix) and len(name) > len(suffix)), None
    )


def _nearest_existing(directory: Path) -> Path:
    """``directory`` or its nearest ancestor that exists (the current directory at worst)."""
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def plan(
    report: Report,
    targets: Sequence[str | Path],
    *,
    chart: str | None = None,
    template: str | Path | None = None,
) -> list[Output]:
    """Check every target and expand ``{chart}`` names; raise before anything is written.

    A ``{chart}`` target names a folder of charts: when its folder is missing, the outputs say
    to make it (:attr:`Output.make_folder`), and the nearest existing parent must be a writable
    directory. Nothing is created here.

    Raises
    ------
    OutputError
        For an unknown suffix, a missing directory (of a target without ``{chart}``) or an
        unwritable one, the same file twice, an unknown chart, a template without a ``.pptx``
        target, or a missing openpyxl.
    """
    from simroi.exports.charts import available_charts, default_chart

    charts = available_charts(report)
    if chart is not None and chart not in CHART_NAMES:
        raise OutputError(f"chart {chart!r}: no such chart (charts: {', '.join(CHART_NAMES)})")
    if chart is not None and chart not in charts:
        raise OutputError(
            f"chart {chart!r}: no such chart for this {report.kind} result "
            f"(available: {', '.join(charts)})"
        )
    outputs: list[Output] = []
    for target in targets:
        path = Path(target)
        suffix = format_of(path)
        if suffix is None:
            known = ", ".join(FORMATS)
            hint = (
                (
                    " (.npz is the suffix of result files; for raw trials use "
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
        folder = "{chart}" in path.name and not directory.is_dir()  # a folder of charts to make
        if folder:
            directory = _nearest_existing(directory)
            if not directory.is_dir():
                raise OutputError(
                    f"{path}: cannot make the folder {str(path.parent)!r}: "
                    f"{str(directory)!r} is not a directory"
                )
        elif not directory.is_dir():
            raise OutputError(f"{path}: cannot write: directory {str(directory)!r} does not exist")
        if not os.access(directory, os.W_OK | os.X_OK):
            raise OutputError(f"{path}: cannot write: directory {str(directory)!r} is not writable")
        if suffix in {".png", ".svg"}:
            names = charts if "{chart}" in path.name else [chart or default_chart(report)]
            outputs += [
                Output(Path(str(path).replace("{chart}", n)), suffix, n, folder) for n in names
            ]
        else:
            outputs.append(Output(path, suffix))
    seen: set[Path] = set()
    for out in outputs:
        if out.path.exists() and out.path.is_dir():
            raise OutputError(f"{out.path}: cannot write: it is a directory")
        key = out.path.resolve()
        if key in seen:
            raise OutputError(f"{out.path}: named twice among the targets")
        seen.add(key)
    kinds = {out.fmt for out in outputs}
    if ".monthly.csv" in kinds and all(r.monthly is None for r in report.runs):
        path = next(out.path for out in outputs if out.fmt == ".monthly.csv")
        raise OutputError(
            f"{path}: this result keeps no month-by-month KPIs (a run of more than "
            f"{MONTHLY_KPIS_LIMIT:,} trials, or a file written before they existed)"
        )
    if ".tornado.csv" in kinds and not report.main.sensitivity:
        path = next(out.path for out in outputs if out.fmt == ".tornado.csv")
        raise OutputError(
            f"{path}: this result holds no tornado (only the result of a sensitivity analysis does)"
        )
    if template is not None and ".pptx" not in kinds:
        raise OutputError(f"template {template}: applies to .pptx targets, and none is given")
    if chart is not None and not kinds & {".png", ".svg"}:
        raise OutputError(f"chart {chart!r}: applies to .png and .svg targets, and none is given")
    if ".xlsx" in kinds:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise OutputError("writing .xlsx needs openpyxl: pip install 'simroi[xlsx]'") from None
        rows = sum(r.result.trials for r in report.runs)
        if rows > EXCEL_MAX_ROWS:
            raise OutputError(
                f"{rows:,} trials exceed Excel's {EXCEL_MAX_ROWS + 1:,} rows; "
                "export the raw trials to NAME.trials.npz or NAME.trials.csv instead"
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
        headline chart); see :func:`simroi.exports.charts.available_charts`
    source : the result file's name, for messages
    """
    report = build_report(result, where=source)
    outputs = plan(report, targets, chart=chart, template=template)
    prs = None
    if template is not None:
        from simroi.exports.slides import load_template

        prs = load_template(template)
    writers = [(out.path, _render(report, out, prs)) for out in outputs]
    for out in outputs:
        if out.make_folder:
            try:
                out.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(
                    f"{out.path}: cannot make the folder {str(out.path.parent)!r} ({exc})"
                ) from None
    return [atomic_write(path, writer) for path, writer in writers]


def export_file(path: str | Path, targets: Sequence[str | Path], **options: Any) -> list[Path]:
    """:func:`export` from a result file name (what ``simroi export`` runs)."""
    if not targets:
        raise OutputError("nothing to export: give at least one target file")
    return export(load_result(path), targets, source=str(path), **options)


def _bytes(data: bytes) -> Writer:
    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    return write


def _render(report: Report, out: Output, template: Any) -> Writer:
    if out.fmt == ".pptx":
        from simroi.exports.deck import build_deck

        return _bytes(build_deck(report, template))
    if out.fmt in {".png", ".svg"}:
        from simroi.exports.charts import render_chart

        assert out.chart is not None
        return _bytes(render_chart(report, out.chart, out.fmt[1:]))
    if out.fmt == ".csv":
        return _bytes(summary_csv(report).encode("utf-8"))
    if out.fmt == ".monthly.csv":
        return _bytes(monthly_csv(report).encode("utf-8"))
    if out.fmt == ".tornado.csv":
        return _bytes(tornado_csv(report).encode("utf-8"))
    if out.fmt == ".md":
        return _bytes(markdown(report).encode("utf-8"))
    if out.fmt == ".json":
        return _bytes(
            (json.dumps(summary_json(report), indent=2, allow_nan=False) + "\n").encode("utf-8")
        )
    if out.fmt == ".xlsx":
        from simroi.exports.workbook import build_workbook

        return _bytes(build_workbook(report))
    if out.fmt == ".trials.npz":
        return lambda handle: np.savez_compressed(handle, **trial_arrays(report))  # type: ignore[arg-type]
    return lambda handle: write_trials_csv(report, handle)
