"""Month by month and the lifetime view in the exports: monthly.csv, the ramp-up chart and
slide, the two-views slide and table, each holding the result's numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pptx import Presentation

from simroi.analysis.monthly import monthly_percentiles
from simroi.analysis.summary import interval
from simroi.cli.app import main
from simroi.errors import OutputError
from simroi.execution.result import ResultSet, RunResult
from simroi.exports.charts import available_charts, chart_figure
from simroi.exports.tables import MONTHLY_COLUMNS
from simroi.exports.targets import export
from simroi.report.builders import build_report


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_monthly_csv_is_tidy_and_holds_every_band(synthetic_run: RunResult, tmp_path: Path) -> None:
    source = synthetic_run.save(tmp_path / "r.npz")
    out = tmp_path / "monthly.csv"
    done = CliRunner().invoke(main, ["export", str(source), "--to", str(out)])
    assert done.exit_code == 0, done.output
    rows = _rows(out)
    assert tuple(rows[0]) == MONTHLY_COLUMNS
    horizon = synthetic_run.meta["horizon_months"]
    assert len(rows) == len(synthetic_run.monthly) * horizon
    for metric, values in synthetic_run.monthly.items():
        mine = [r for r in rows if r["metric"] == metric]
        assert [int(r["month"]) for r in mine] == list(range(1, horizon + 1))
        bands = monthly_percentiles(values)
        for key in ("p05", "p50", "p95"):
            assert [float(r[key]) for r in mine] == bands[key].tolist()


def test_a_named_monthly_csv_of_a_comparison_has_a_run_column(
    synthetic_compare: ResultSet, tmp_path: Path
) -> None:
    export(synthetic_compare, [tmp_path / "ramp.monthly.csv"])
    rows = _rows(tmp_path / "ramp.monthly.csv")
    assert {r["run"] for r in rows} == {"one-agent", "two-agents", "three-agents"}


def test_monthly_csv_of_a_result_without_monthly_kpis_is_refused(
    synthetic_run: RunResult, tmp_path: Path
) -> None:
    bare = RunResult(synthetic_run.provenance, synthetic_run.samples, None, synthetic_run.meta)
    with pytest.raises(OutputError, match="keeps no month-by-month KPIs"):
        export(bare, [tmp_path / "t.csv", tmp_path / "monthly.csv"])
    assert not list(tmp_path.iterdir())  # nothing written, not even the valid target


def test_the_ramp_chart_draws_the_monthly_medians(synthetic_run: RunResult) -> None:
    report = build_report(synthetic_run)
    assert "ramp" in available_charts(report)
    fig = chart_figure(report, "ramp")
    kept_ax, flow_ax = fig.axes
    for ax, metric in ((kept_ax, "customers_kept"), (flow_ax, "net_cash_flow")):
        median = monthly_percentiles(synthetic_run.monthly[metric])["p50"]
        np.testing.assert_array_equal(ax.lines[0].get_ydata(), median)
    bare = RunResult(synthetic_run.provenance, synthetic_run.samples, None, synthetic_run.meta)
    assert "ramp" not in available_charts(build_report(bare))


def test_the_deck_shows_both_views_and_the_ramp_up(
    synthetic_run: RunResult, tmp_path: Path
) -> None:
    path = tmp_path / "deck.pptx"
    export(synthetic_run, [path])
    slides = list(Presentation(str(path)).slides)
    views = next(s for s in slides if "Two views of the return" in s.shapes.title.text)
    table = next(shape.table for shape in views.shapes if shape.has_table)
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0][1].endswith("(TEI, headline)") and cells[0][2] == "lifetime view"
    report = build_report(synthetic_run)
    for row, key in ((1, "roi"), (2, "npv")):
        assert cells[row][1] == report.main.stat(key).interval_text(report.main.currency)
        assert cells[row][2] == report.main.stat(f"lifetime.{key}").interval_text("USD")
    texts = " ".join(shape.text_frame.text for shape in views.shapes if shape.has_text_frame)
    assert "Headline: the 36-month (TEI) view" in texts
    ramp = next(s for s in slides if s.shapes.title.text.startswith("Ramp-up"))
    charts = [shape.chart for shape in ramp.shapes if shape.has_chart]
    assert len(charts) == 2
    for chart, metric in zip(charts, ("customers_kept", "net_cash_flow"), strict=True):
        median = chart.plots[0].series[1]
        bands = monthly_percentiles(synthetic_run.monthly[metric])
        assert list(median.values) == pytest.approx(bands["p50"].tolist(), rel=1e-12)


def test_markdown_and_csv_hold_the_lifetime_rows(synthetic_run: RunResult, tmp_path: Path) -> None:
    export(synthetic_run, [tmp_path / "t.md", tmp_path / "t.csv"])
    text = (tmp_path / "t.md").read_text(encoding="utf-8")
    assert "The lifetime view" in text and "Headline: the 36-month (TEI) view" in text
    rows = {r["key"]: r for r in _rows(tmp_path / "t.csv")}
    npv = interval(synthetic_run.samples["lifetime.npv"])
    assert float(rows["lifetime.npv"]["p50"]) == npv.p50
    assert rows["lifetime.npv"]["section"] == "Return (lifetime view)"


def test_the_workbook_has_the_monthly_sheet(synthetic_run: RunResult, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    export(synthetic_run, [tmp_path / "book.xlsx", tmp_path / "monthly.csv"])
    sheet = list(openpyxl.load_workbook(tmp_path / "book.xlsx")["Monthly"].values)
    assert sheet[0] == MONTHLY_COLUMNS
    rows = _rows(tmp_path / "monthly.csv")
    assert len(sheet) == len(rows) + 1
    for cells, line in zip(sheet[1:], rows, strict=True):
        assert cells[:3] == (line["run"], line["metric"], int(line["month"]))
        assert cells[3:] == pytest.approx([float(line[k]) for k in ("p05", "p50", "p95")])
