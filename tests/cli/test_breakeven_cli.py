"""`simroi sensitivity --breakeven`: the table, the JSON, the result file, the replay, the deck."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from breakeven_scenario import write_linear_scenario
from click.testing import CliRunner
from pptx import Presentation

from simroi.cli.app import main
from simroi.execution.result import RunResult

PREFIX = "Replay exactly: "


def _invoke(*args: str) -> str:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def linear(tmp_path: Path) -> str:
    return write_linear_scenario(tmp_path)


ARGS = ("--trials", "60", "--seed", "4", "--workers", "1", "--no-swing", "--quiet")


def test_breakeven_json_holds_each_driver_and_the_result_file_keeps_it(
    linear: str, tmp_path: Path
) -> None:
    out = tmp_path / "sens.npz"
    data = json.loads(
        _invoke("sensitivity", linear, *ARGS, "--breakeven", "--json", "--out", str(out))
    )
    rows = data["breakeven"]
    # Both uncertain inputs (fewer than the default 5), in the tornado's order.
    assert [r["input"] for r in rows] == [r["input"] for r in data["rows"]]
    setup = next(r for r in rows if r["input"] == "program.setup_cost")
    assert setup["current_median"] == 50_000.0 and setup["range"] == [0.0, 100_000.0]
    assert setup["limits"] == [0.0, 1e15] and setup["range_basis"] == "support"
    for target in ("npv", "prob_roi_positive"):
        point = setup[target]
        assert point["status"] == "in_range" and point["in_range"] is True
        assert point["met_when"] == "below" and point["converged"] is True
        assert point["bracket"][0] <= point["value"] <= point["bracket"][1]
    assert 2 <= setup["evaluations"] <= 40
    assert data["breakeven_method"].startswith("each input fixed at a value in every trial")
    saved = RunResult.load(out)
    assert saved.meta["sensitivity"]["breakeven"]["rows"] == rows
    assert "--breakeven --breakeven-top 5" in saved.provenance.command
    # The deck made from the result file: the slide and its numbers, as the command found them.
    deck = tmp_path / "deck.pptx"
    _invoke("export", str(out), "--to", str(deck))
    slides = [
        s
        for s in Presentation(str(deck)).slides
        if s.shapes.title is not None and s.shapes.title.text.startswith("What would have to")
    ]
    assert len(slides) == 1
    (table,) = [shape.table for shape in slides[0].shapes if shape.has_table]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0][3:] == ["Median NPV > 0 when", "P(ROI > 0) ≥ 50% when"]
    value = setup["npv"]["value"]
    row = next(r for r in cells if r[0] == "setup cost")
    assert row[3] == f"≤ {value:,.0f}"


def test_breakeven_table_and_a_replay_that_gives_the_same_json(linear: str) -> None:
    args = ("sensitivity", linear, *ARGS, "--breakeven", "--breakeven-top", "1")
    text = _invoke(*args)
    assert "What would have to be true" in text and "Median NPV > 0 when" in text
    assert "Brent's method" in text
    (replay,) = (line for line in text.splitlines() if line.startswith(PREFIX))
    command = replay.removeprefix(PREFIX)
    assert "--breakeven --breakeven-top 1" in command
    words = shlex.split(command)
    first = json.loads(_invoke(*args, "--json"))
    assert len(first["breakeven"]) == 1
    assert json.loads(_invoke(*words[1:], "--json", "--quiet")) == first


def test_without_the_flag_nothing_is_searched_and_a_bad_top_is_refused(linear: str) -> None:
    data = json.loads(_invoke("sensitivity", linear, *ARGS, "--json"))
    assert data["breakeven"] is None and data["breakeven_method"] is None
    result = CliRunner().invoke(main, ["sensitivity", linear, "--breakeven-top", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--breakeven-top" in result.output
    help_text = _invoke("sensitivity", "--help")
    assert "--breakeven-top" in help_text and "default: 5" in help_text
