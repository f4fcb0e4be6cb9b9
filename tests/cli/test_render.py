"""The terminal tables: every number through `simroi.formatting`, one precision per table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from simroi.analysis.comparison import compare_result_set
from simroi.analysis.sensitivity import summarize_sensitivity
from simroi.analysis.summary import summarize
from simroi.analysis.sweep import summarize_sweep
from simroi.cli.app import main
from simroi.cli.render import (
    render_comparison,
    render_run_summary,
    render_sensitivity,
    render_sweep,
)
from simroi.execution.result import ResultSet, RunResult

AMOUNT = re.compile(r"[−-]?\$(\d[\d,]*(?:\.(\d+))?)([kMB]?)")
PERCENT = re.compile(r"[−-]?\d+(?:\.(\d+))?%")


def _text(render: Callable[..., None], summary: Any, **options: Any) -> str:
    console = Console(record=True, width=240, color_system=None)
    render(summary, console, **options)
    return console.export_text()


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def _precisions(text: str) -> set[tuple[int, str]]:
    """(decimals, unit suffix) of every amount of money in ``text``."""
    return {(len(m.group(2) or ""), m.group(3)) for m in AMOUNT.finditer(text)}


def test_amounts_in_a_run_table_share_one_unit_and_precision(synthetic_run: RunResult) -> None:
    text = _text(render_run_summary, summarize(synthetic_run))
    assert not re.search(r"\$\d{1,3},\d{3}\.\d\d", text)  # never "$3,695.22" beside "$133k"
    money_rows = _between(text, "NPV ", "P(ROI > 0)")
    lines = _between(text, "Benefits and costs", "TEI-style")
    for table in (money_rows, lines):
        assert len(_precisions(table)) == 1, _precisions(table)
    assert "-" not in money_rows.replace("━", "").replace("─", "")  # a true minus sign: −


def test_percentages_in_the_terminal_have_one_decimal(synthetic_run: RunResult) -> None:
    text = _text(render_run_summary, summarize(synthetic_run))
    for objective in synthetic_run.meta["objectives"]:  # labels the user wrote, such as "8%"
        text = text.replace(objective["label"], "")
    assert {len(m.group(1) or "") for m in PERCENT.finditer(text)} == {1}


def test_each_row_of_a_comparison_has_one_precision(synthetic_compare: ResultSet) -> None:
    text = _text(render_comparison, compare_result_set(synthetic_compare))
    npv_row = _between(text, "│ NPV", "│ Payback")
    assert len(_precisions(npv_row)) == 1, _precisions(npv_row)
    assert "P(highest NPV)" in text and "P(better)" in text
    assert "ΔNPV two-agents vs one-agent" in text


def test_sweep_and_sensitivity_tables_render_through_the_formatter(
    synthetic_sweep: ResultSet, synthetic_run_with_sensitivity: RunResult
) -> None:
    sweep = _text(render_sweep, summarize_sweep(synthetic_sweep))
    money = _between(sweep, "Money, each point", "PV costs: mean")
    assert len(_precisions(money)) == 1, _precisions(money)
    assert "★ Best expected NPV" in sweep
    tornado = _text(
        render_sensitivity, summarize_sensitivity(synthetic_run_with_sensitivity), top=3
    )
    assert "top 3 of 4 inputs" in tornado and "One-at-a-time swing tornado" in tornado
    assert {len(m.group(1) or "") for m in PERCENT.finditer(tornado)} == {1}


def _strict_json(text: str) -> Any:
    """JSON as the standard reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("seed", ["1", "3"])
def test_queue_json_of_a_nearly_idle_queue_is_valid_json(seed: str) -> None:
    # The reviewer's command printed "ci95": [NaN, NaN]: days with no arrival have no service
    # level, and one day with one has no interval. Undefined numbers are null.
    args = ["queue", "--arrivals-per-hour", "0.2", "--agents", "2", "--aht-minutes", "3"]
    args += ["--hours", "1", "--trials", "3", "--seed", seed, "--json"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = _strict_json(result.output)
    service = data["simulated"]["service_level"]
    assert service["ci95"] == [None, None]
    assert service["mean"] == (1.0 if seed == "1" else None)  # one day with arrivals, or none
