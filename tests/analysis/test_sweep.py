"""`simroi sweep`: grids, common random numbers across points, the marks and the recommendation."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simroi.analysis.sweep import (
    is_grid,
    parse_grid,
    run_sweep,
    split_sets,
    summarize_sweep,
)
from simroi.cli.app import main
from simroi.errors import ScenarioError
from simroi.execution.result import ResultSet
from simroi.execution.runner import RunOptions, run
from simroi.scenario.load import load_scenario

FAST = ("scenario.horizon_months=3", "simulation.sampled_days_per_month=1")
SOCIAL_SL_HALF = 'objectives=[{ metric = "social.service_level", at_least = 0.5 }]'


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, list(args))
    return result.exit_code, result.output


# --- grids -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("k=2:12", tuple(range(2, 13))),
        ("k=2:12:5", (2, 7, 12)),
        ("k=2:11:5", (2, 7)),
        ("k=1,2,4", (1, 2, 4)),
        ("k=4,1,4", (4, 1)),
        ("k=0.1:0.3:0.1", (0.1, 0.2, 0.3)),
        ("k=1000:3000:1000.0", (1000.0, 2000.0, 3000.0)),
        ("k=0.5,1", (0.5, 1.0)),
        ("k = 1_000:2_000:500", (1000, 1500, 2000)),
        ("k=1,2,4,", (1, 2, 4)),  # a trailing comma
    ],
)
def test_grids_are_inclusive_and_integers_stay_integers(
    text: str, values: tuple[float, ...]
) -> None:
    axis = parse_grid(text)
    assert axis.key == "k"
    assert axis.values == values
    assert [type(v) for v in axis.values] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k=2:x", "'x' is not a number"),
        ("k=5:2", "stop must be ≥ start (got 5:2)"),
        ("k=1:3:0", "the step must be > 0 (got 0)"),
        ("k=1:2:3:4", "has 4 parts"),
        ("k=1:2,3", "mixes ':' and ','"),
        ("k=a,b", "'a' is not a number"),
        ("k=0:1e9", "more than the limit"),
        ("k=1,,2", "an empty value between commas"),  # was read as 1,2
        ("k=,", "an empty value between commas"),
    ],
)
def test_bad_grids_are_refused_with_the_rule(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_grid(text)


def test_sets_split_into_grids_and_plain_overrides() -> None:
    assert is_grid("2:12") and is_grid("1,2") and not is_grid("3")
    assert not is_grid('{ dist = "pert", low = 1, mode = 2, high = 3 }')
    assert not is_grid('"08:00"')
    axes, plain = split_sets(["a.b=1:2", "scenario.horizon_months=6", "c.d=1,3"])
    assert [a.key for a in axes] == ["a.b", "c.d"]
    assert plain == ["scenario.horizon_months=6"]
    with pytest.raises(ScenarioError, match="one or two grids"):
        split_sets(["a=1:2", "b=1:2", "c=1:2"])
    with pytest.raises(ScenarioError, match="sweep needs a grid"):
        split_sets(["a=1"])
    with pytest.raises(ScenarioError, match="both swept and set"):
        split_sets(["a=1:2", "a=3"])


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["channels.social.agents=2:x"], "'x' is not a number"),
        (
            ["channels.social.kind=1:2"],
            "a sweep needs a numeric key; this one is not a number (got 'deferrable')",
        ),
        (["channels.social.hours=1:2"], "a sweep needs a numeric key"),
        (["a=1:2", "b=1:2", "c=1,2"], "sweep takes one or two grids (got 3: a, b, c)"),
        (["channels.social.agentz=1:2"], "no such key 'channels.social.agentz'"),
        (["channels.social.agents=-1:1"], "channels.social.agents"),
        (["scenario.horizon_months=6"], "sweep needs a grid"),
    ],
)
def test_sweep_cli_errors_are_one_line_and_exit_2(sets: list[str], message: str) -> None:
    args = [arg for s in sets for arg in ("--set", s)]
    code, text = invoke("sweep", "default", *args, "--trials", "10", "--seed", "1")
    assert code == 2, text
    assert message in text
    assert "Traceback" not in text
    assert all(line.startswith("error: ") for line in text.splitlines())


# --- whole sweeps ------------------------------------------------------------------------------


def test_sweep_best_point_agrees_with_running_that_point_alone() -> None:
    options = RunOptions(trials=60, seed=21, workers=1)
    result_set = run_sweep(
        "default",
        [*FAST, SOCIAL_SL_HALF, "channels.social.agents=1:3"],
        options,
        confidence=0.9,
    )
    assert result_set.meta["points"] == [[1], [2], [3]]
    sweep = summarize_sweep(result_set)
    npv_means = [float(r.samples["npv"].mean()) for r in result_set.runs]
    assert sweep.best_npv == int(np.argmax(npv_means))
    best = sweep.points[sweep.best_npv]
    alone = run(
        load_scenario(
            "default", overrides=[*FAST, SOCIAL_SL_HALF, f"channels.social.agents={best.values[0]}"]
        ),
        options,
    )
    swept = result_set.runs[sweep.best_npv]
    for key in ("roi", "npv", "pv_costs", "kpi.program.social.service_level"):
        assert np.array_equal(alone.samples[key], swept.samples[key]), key
    # The recommendation is the cheapest point whose P(all objectives) reaches the confidence.
    met = [
        float((r.samples["kpi.program.social.service_level"] >= 0.5).mean())
        for r in result_set.runs
    ]
    costs = [float(r.samples["pv_costs"].mean()) for r in result_set.runs]
    qualifying = [i for i, p in enumerate(met) if p >= 0.9]
    expected = min(qualifying, key=lambda i: costs[i]) if qualifying else None
    assert sweep.recommended == expected
    assert expected is not None and expected != sweep.best_npv  # a real choice, not the first
    assert result_set.meta["recommendation"]["cheapest_meeting_objectives"] == expected
    assert [p.prob_all_objectives for p in sweep.points] == met
    # More agents cost more, trial by trial (common random numbers).
    assert np.all(np.diff(np.stack([r.samples["pv_costs"] for r in result_set.runs]), axis=0) > 0)


def test_two_key_sweep_moves_npv_by_exactly_the_extra_tools_cost(tmp_path: Path) -> None:
    out = tmp_path / "sweep.npz"
    code, text = invoke(
        "sweep",
        "default",
        "--set",
        "channels.social.agents=1,2",
        "--set",
        "program.monthly_tools_cost=1000:3000:2000",
        "--set",
        FAST[0],
        "--set",
        FAST[1],
        "--trials",
        "40",
        "--seed",
        "3",
        "--workers",
        "1",
        "--json",
        "--out",
        str(out),
    )
    assert code == 0, text
    data = json.loads(text)
    assert data["keys"] == ["channels.social.agents", "program.monthly_tools_cost"]
    assert [p["values"] for p in data["points"]] == [
        {"channels.social.agents": a, "program.monthly_tools_cost": t}
        for a in (1, 2)
        for t in (1000, 3000)
    ]
    assert sum(p["best_npv"] for p in data["points"]) == 1
    for p in data["points"]:
        assert {"p05", "p50", "p95"} <= set(p["roi"]) and {"p05", "p50", "p95"} <= set(p["npv"])
        assert set(p["service_level"]) == {"phone", "email", "social"}
        assert len(p["objectives"]) == 3
    saved = ResultSet.load(out)
    assert saved.kind == "sweep"
    assert data.pop("replay") == saved.runs[0].provenance.command  # the JSON replays itself
    assert summarize_sweep(saved).to_dict() == data
    # Common random numbers: $2,000 more tools a month changes nothing but the tools line, so
    # NPV falls by exactly its present value, 2000 Σ (1 + i_m)^-m, in every trial.
    low, high = saved.runs[0], saved.runs[1]
    rate = low.samples["input.scenario.discount_rate"]
    monthly = (1.0 + rate) ** (1 / 12) - 1.0
    pv = 2000.0 * sum((1.0 + monthly) ** -m for m in range(1, 4))
    np.testing.assert_allclose(low.samples["npv"] - high.samples["npv"], pv, rtol=1e-9)


def test_sweep_table_marks_the_best_point_and_prints_the_seed() -> None:
    code, text = invoke(
        "sweep",
        "--set",
        "channels.social.agents=1:2",
        "--set",
        FAST[0],
        "--set",
        FAST[1],
        "--set",
        SOCIAL_SL_HALF,
        "--trials",
        "30",
        "--seed",
        "8",
        "--workers",
        "1",
        "--confidence",
        "0.01",
        "--quiet",
    )
    assert code == 0, text
    assert "common random numbers (seed 8)" in text
    assert "★ Best expected NPV: channels.social.agents=" in text
    assert "✔ recommended: channels.social.agents=1" in text
    assert "simroi sweep --seed 8 --trials 30 --confidence 0.01" in text


def test_library_errors_speak_of_keys_and_values_not_of_command_line_flags() -> None:
    for text in ("k=2:x", "k=5:2", "k=1:2,3"):
        with pytest.raises(ScenarioError) as caught:
            parse_grid(text)
        assert "--" not in str(caught.value) and text in str(caught.value)
    with pytest.raises(ScenarioError) as caught:
        split_sets(["a=1"])
    assert "--" not in str(caught.value) and "channels.social.agents=1:6" in str(caught.value)


def test_sweep_result_shows_itself_and_keeps_its_samples(
    synthetic_sweep: ResultSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = summarize_sweep(synthetic_sweep)
    lines = repr(sweep).splitlines()
    assert lines[0].startswith("SweepResult: sweep of channels.social.agents over 5 points")
    assert len(lines) == 2 + 5 + 1  # title, header, a line per point, the recommendation
    assert lines[-1].strip() == sweep.note
    assert sum("★" in line for line in lines[2:-1]) == 1
    assert sweep._repr_html_().count("<tr>") == 6
    label = sweep.points[3].label
    assert sweep.samples[label] is synthetic_sweep.runs[3].samples
    pytest.importorskip("pandas")
    frame = sweep.to_frame()
    assert list(frame.index.names) == ["point", "trial"] and frame.shape[0] == 5 * 400
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"simroi\[notebook\]"):
        sweep.to_frame()


def test_a_sweep_where_no_point_ever_meets_every_objective_names_no_point(
    synthetic_sweep: ResultSet,
) -> None:
    """Every point at 0.0 %: the note named the first as "the highest", a tie of nothing."""
    sweep = summarize_sweep(synthetic_sweep, confidence=1.0)
    assert sweep.recommended is None and "the highest is" in sweep.note  # some point > 0
    never = ResultSet(
        "sweep",
        [
            replace(r, samples={**r.samples, "roi": np.full(r.trials, -0.5)})  # ROI > 0 never
            for r in synthetic_sweep.runs
        ],
        synthetic_sweep.meta,
    )
    sweep = summarize_sweep(never)
    assert all(p.prob_all_objectives == 0 for p in sweep.points)
    assert sweep.recommended is None
    assert sweep.note.endswith("at no point are they all met in the same trial")
