"""`simroi compare` and `simroi export` of its result show the same P(better) and P(best).

Both compute them with :func:`simroi.analysis.comparison.compare_results`. The scenarios here make
ROI undefined in some trials (no incremental cost), the case where two rules once disagreed: an
undefined ROI is never better, so a defined ROI beats it, and two undefined ROIs tie.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from simroi.cli.app import main
from simroi.execution.result import ResultSet
from simroi.formatting import PCT_DIGITS, chance
from simroi.scenario.load import bundled_scenarios

FAST = ("scenario.horizon_months=2", "simulation.sampled_days_per_month=1")


def _without_costs(tmp_path: Path, name: str, tools: int) -> Path:
    """The default scenario with no social agent and no one-off costs, whose tools cost is 0 or
    ``tools`` a month (a coin flip per trial, the same flip in every scenario of a comparison):
    ROI is undefined in the trials where the tools cost 0."""
    text = bundled_scenarios()["default"].read_text(encoding="utf-8")
    text = text.replace("setup_cost = 25_000", "setup_cost = 0", 1)
    text = text.replace("training_cost = 8_000", "training_cost = 0", 1)
    text = text.replace(
        "monthly_tools_cost = 1_500",
        f'monthly_tools_cost = {{ dist = "choice", values = [0, {tools}] }}',
        1,
    )
    social = text.index("[channels.social]")
    agents = text.index("\nagents = 1", social)
    text = text[:agents] + "\nagents = 0" + text[agents + len("\nagents = 1") :]
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _hand_p_better(a: np.ndarray, b: np.ndarray) -> float:
    """P(b has the higher ROI than a), by the rule: undefined is never better."""
    wins = [(not np.isnan(y)) and (np.isnan(x) or y > x) for x, y in zip(a, b, strict=True)]
    return sum(wins) / len(wins)


def test_compare_and_export_agree_on_p_better_and_p_best_with_undefined_roi(
    tmp_path: Path,
) -> None:
    cheap = _without_costs(tmp_path, "cheap", 1500)
    dearer = _without_costs(tmp_path, "dearer", 3000)
    out = tmp_path / "cmp.npz"
    sets = [arg for s in FAST for arg in ("--set", s)]
    args = ["compare", str(cheap), "default", str(dearer), "--trials", "40", "--seed", "4"]
    ran = CliRunner().invoke(main, [*args, "--workers", "1", *sets, "--json", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    printed = json.loads(ran.output)
    assert printed.pop("replay").startswith("simroi compare ")

    # The case this test is about is there: undefined ROIs on one side, and on both sides.
    runs = ResultSet.load(out).runs
    roi = [r.samples["roi"] for r in runs]
    assert 0 < np.isnan(roi[0]).sum() < roi[0].size and not np.isnan(roi[1]).any()
    assert np.array_equal(np.isnan(roi[0]), np.isnan(roi[2]))  # the same coin flips

    # compare --json follows the rule, computed here by hand from the saved trials ...
    differences = printed["metrics"]["roi"]["differences"]
    for i in (1, 2):
        assert differences[i]["prob_better"] == _hand_p_better(roi[0], roi[i])
    # ... which is not what a plain `b > a` gives (NaN compares false).
    with np.errstate(invalid="ignore"):
        assert differences[1]["prob_better"] != float(np.mean(roi[1] > roi[0]))
    assert differences[2]["prob_better"] == differences[2]["prob_worse"] == 0.0  # ties

    exported = CliRunner().invoke(
        main,
        ["export", str(out), *(f"--to={tmp_path / f't.{x}'}" for x in ("json", "csv", "md"))],
    )
    assert exported.exit_code == 0, exported.output

    # The export's JSON holds the very comparison compare printed, and its differences agree.
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["comparison"] == printed
    diff_rows = {(d["run"], d["key"]): d for d in data["differences"]}
    labels = [s["label"] for s in printed["scenarios"]]
    for i in (1, 2):
        for key in ("roi", "npv"):
            expected = printed["metrics"][key]["differences"][i]
            row = diff_rows[(labels[i], f"diff.{key}")]
            assert row["probability"] == expected["prob_better"], (i, key)
            assert row["probability_mcse"] == expected["prob_better_mcse"], (i, key)
            assert row["p50"] == expected["p50"], (i, key)

    # The CSV stores the same probabilities at full precision ...
    with (tmp_path / "t.csv").open(encoding="utf-8") as handle:
        rows = {(r["run"], r["key"]): r for r in csv.DictReader(handle)}
    for i in (1, 2):
        expected = printed["metrics"]["roi"]["differences"][i]
        row = rows[(labels[i], "diff.roi")]
        assert float(row["probability"]) == expected["prob_better"]
        # P(worse) a number of its own, not only in the text (the rest of the trials tie)
        assert float(row["probability_worse"]) == expected["prob_worse"]
    assert rows[(labels[0], "roi")]["probability_worse"] == ""  # not a difference

    # ... and the Markdown shows P(highest NPV) as compare computed it.
    lines = (tmp_path / "t.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if "P(highest NPV)" in line)
    column = [c.strip() for c in header.split("|")].index("P(highest NPV)")
    for label, scenario in zip(labels, printed["scenarios"], strict=True):
        row = next(line for line in lines if line.startswith(f"| {label} |"))
        assert [c.strip() for c in row.split("|")][column] == chance(
            scenario["prob_best"], PCT_DIGITS
        ), row


def test_the_cash_flow_by_scenario_is_named_a_median_by_month(synthetic_compare: ResultSet) -> None:
    """Each line is the month-by-month median over a scenario's trials, which no one trial need
    follow: it was called the "median trial path"."""
    import io

    from pptx import Presentation

    from simroi.exports.charts import chart_figure
    from simroi.exports.deck import build_deck
    from simroi.report.builders import build_report

    report = build_report(synthetic_compare)
    texts = [t.get_text() for t in chart_figure(report, "cashflow").texts]
    assert any("no single trial's path" in t for t in texts), texts
    deck = Presentation(io.BytesIO(build_deck(report)))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert "Cumulative net cash flow by scenario (median in each month)" in titles
    assert not any("trial path" in t for t in [*titles, *texts])
