"""The "What would have to be true" slide and tables follow the break-evens a result stores."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from pptx import Presentation

from simroi.analysis.breakeven import (
    BreakevenPoint,
    BreakevenResult,
    BreakevenRow,
    breakeven_method,
)
from simroi.errors import ResultFileError
from simroi.execution.result import RunResult
from simroi.exports.targets import export
from simroi.report.alternatives import BREAKEVEN_HEADER

TITLE = "What would have to be true"


def _row(key: str, label: str, npv: BreakevenPoint, prob: BreakevenPoint) -> BreakevenRow:
    return BreakevenRow(key, label, 8.0, 4.2, 13.3, "support", -1e15, 1e15, npv, prob, 9)


def _stored() -> BreakevenResult:
    margin = _row(
        "customers.monthly_margin_per_customer",
        "monthly margin per customer",
        BreakevenPoint("npv", 9.125, "in_range", "above", (4.2, 13.3), (4.2, 13.3)),
        BreakevenPoint(
            "prob_roi_positive", 15.5, "above_range", "above", (4.2, 22.4), (13.3, 22.4)
        ),
    )
    cost = _row(
        "channels.social.cost_per_agent_hour",
        "social: cost per agent hour",
        BreakevenPoint("npv", float("nan"), "never", "nowhere", (0.0, 44.0)),
        BreakevenPoint("prob_roi_positive", float("nan"), "never", "nowhere", (0.0, 44.0)),
    )
    return BreakevenResult(breakeven_method(400), 400, 1e-3, (margin, cost))


def _with(run: RunResult, breakeven: object) -> RunResult:
    sensitivity = {**run.meta["sensitivity"], "breakeven": breakeven}
    return replace(run, meta={**run.meta, "sensitivity": sensitivity})


def _slides(deck: Path) -> list[object]:
    return [
        s
        for s in Presentation(str(deck)).slides
        if s.shapes.title is not None and s.shapes.title.text.startswith(TITLE)
    ]


def test_the_slide_shows_each_driver_with_its_marks_and_the_method(
    synthetic_run_with_sensitivity: RunResult, tmp_path: Path
) -> None:
    stored = _stored()
    run = _with(synthetic_run_with_sensitivity, stored.to_dict())
    export(run, [tmp_path / "deck.pptx"])
    (slide,) = _slides(tmp_path / "deck.pptx")
    assert slide.shapes.title.text == (  # type: ignore[attr-defined]
        f"{TITLE}: median NPV > 0 when monthly margin per customer ≥ 9.125 (median assumed 8)"
    )
    (table,) = [s.table for s in slide.shapes if s.has_table]  # type: ignore[attr-defined]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells == [
        list(BREAKEVEN_HEADER),
        ["monthly margin per customer", "8", "4.2 – 13.3", "≥ 9.125", "≥ 15.5 (above range)"],
        ["social: cost per agent hour", "8", "4.2 – 13.3", *["never: not met from 0 to 44"] * 2],
    ]
    texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]  # type: ignore[attr-defined]
    assert any(t.startswith("Method: each input fixed at a value in every trial") for t in texts)


def test_no_slide_without_break_evens_and_a_malformed_table_is_a_result_file_error(
    synthetic_run_with_sensitivity: RunResult, tmp_path: Path
) -> None:
    export(synthetic_run_with_sensitivity, [tmp_path / "plain.pptx"])
    assert _slides(tmp_path / "plain.pptx") == []
    broken = _with(synthetic_run_with_sensitivity, {"method": "m", "rows": [{"input": "x"}]})
    with pytest.raises(ResultFileError, match="malformed break-even table"):
        export(broken, [tmp_path / "broken.pptx"])
    assert not (tmp_path / "broken.pptx").exists()


def test_markdown_and_json_exports_carry_the_same_break_evens(
    synthetic_run_with_sensitivity: RunResult, tmp_path: Path
) -> None:
    stored = _stored()
    run = _with(synthetic_run_with_sensitivity, stored.to_dict())
    export(run, [tmp_path / "t.md", tmp_path / "t.json"])
    md = (tmp_path / "t.md").read_text(encoding="utf-8")
    assert f"## {TITLE}" in md or f"# {TITLE}" in md
    assert "| monthly margin per customer | 8 | 4.2 – 13.3 | ≥ 9.125 | ≥ 15.5 (above range) |" in md
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["breakeven"] == [row.to_dict() for row in stored.rows]
    assert data["breakeven_method"] == stored.method
