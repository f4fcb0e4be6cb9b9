"""The Python API: each verb runs, matches its command's JSON, and its docstring example holds."""

from __future__ import annotations

import doctest
import json
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import simroi
import simroi.api
from simroi.cli.app import main
from simroi.errors import OptionError

SHORT = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
SET_SHORT = [w for s in SHORT for w in ("--set", s)]


def _cli_json(*args: str) -> str:
    out = CliRunner().invoke(main, [*args, "--workers", "1", "--quiet", "--json"])
    assert out.exit_code == 0, out.output
    return out.output


def test_every_verb_of_the_command_line_is_in_the_python_api() -> None:
    commands = {"run", "compare", "sweep", "sensitivity", "queue", "export"}
    assert commands <= set(main.commands)
    for verb in (*commands, "load_scenario", "load_result"):
        function = getattr(simroi, verb)
        assert function is getattr(simroi.api, verb)
        assert function.__doc__ and "Examples" in function.__doc__, verb


def test_run_gives_the_json_of_simroi_run_with_the_same_seed() -> None:
    summary = simroi.run(trials=30, seed=5, overrides=SHORT, workers=1)
    expected = _cli_json("run", "--trials", "30", "--seed", "5", *SET_SHORT)
    assert json.dumps(summary.to_dict(), indent=2) + "\n" == expected


def test_compare_and_sweep_give_their_commands_json() -> None:
    c = simroi.compare("default", "social-team-2", trials=20, seed=5, overrides=SHORT, workers=1)
    expected = _cli_json(
        "compare", "default", "social-team-2", "--trials", "20", "--seed", "5", *SET_SHORT
    )
    assert json.dumps(c.to_dict(), indent=2) + "\n" == expected
    s = simroi.sweep(
        grid={"channels.social.agents": [1, 3]}, trials=20, seed=5, overrides=SHORT, workers=1
    )
    expected = _cli_json(
        "sweep", "--set", "channels.social.agents=1,3", "--trials", "20", "--seed", "5", *SET_SHORT
    )
    assert json.dumps(s.to_dict(), indent=2) + "\n" == expected


def test_queue_gives_the_json_of_simroi_queue() -> None:
    q = simroi.queue(
        arrivals_per_hour=120, aht_minutes=4, agents=9, patience_minutes=3, trials=30, seed=2
    )
    args = "queue --arrivals-per-hour 120 --aht-minutes 4 --agents 9 --patience-minutes 3"
    out = CliRunner().invoke(main, [*shlex.split(args), "--trials", "30", "--seed", "2", "--json"])
    assert out.exit_code == 0, out.output
    assert json.dumps(q.to_dict(), indent=2) + "\n" == out.output


def test_a_loaded_scenario_runs_as_its_name_does() -> None:
    loaded = simroi.load_scenario("default", overrides=SHORT)
    by_object = simroi.run(loaded, trials=20, seed=9, workers=1)
    by_name = simroi.run("default", trials=20, seed=9, overrides=SHORT, workers=1)
    for key in ("roi", "npv", "pv_costs"):
        np.testing.assert_array_equal(by_object.samples[key], by_name.samples[key])


def test_overrides_with_a_loaded_scenario_are_refused_naming_the_argument() -> None:
    with pytest.raises(OptionError, match="`overrides`"):
        simroi.run(simroi.load_scenario(), overrides=SHORT)


def test_a_sweep_needs_a_grid() -> None:
    with pytest.raises(OptionError, match="`grid` must name at least one input"):
        simroi.sweep(trials=10, seed=1)


def test_results_save_export_and_load_back(tmp_path: Path) -> None:
    summary = simroi.run(trials=20, seed=4, overrides=SHORT, workers=1)
    path = summary.save(tmp_path / "run.npz")
    back = simroi.load_result(path)
    assert isinstance(back, simroi.RunSummary)
    assert back.to_dict() == summary.to_dict()
    written = simroi.export(summary, [tmp_path / "t.csv", tmp_path / "s.md"])
    assert [p.name for p in written] == ["t.csv", "s.md"]
    from_file = simroi.export(path, tmp_path / "again.md")
    assert from_file[0].read_text() == (tmp_path / "s.md").read_text()
    c = simroi.compare("default", "social-team-2", trials=20, seed=4, overrides=SHORT, workers=1)
    back_c = simroi.load_result(c.save(tmp_path / "c.npz"))
    assert isinstance(back_c, simroi.ComparisonResult)
    assert back_c.to_dict() == c.to_dict()


def test_the_docstring_examples_hold() -> None:
    failures, attempted = doctest.testmod(simroi.api, raise_on_error=False)
    assert attempted >= 8
    assert failures == 0


def test_a_queue_study_shows_itself_and_its_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    q = simroi.queue(
        arrivals_per_hour=60, aht_minutes=4, agents=5, patience_minutes=3, trials=40, seed=1
    )
    text = repr(q)
    simulated = q.to_dict()["simulated"]["service_level"]["mean"]
    assert text.startswith("QueueStudy: 60 arrivals/h, 5 agents, AHT 4 min: 40 simulated days")
    assert f"{simulated * 100:.1f}%" in text  # the mean service level, as formatting prints it
    assert f"{q.erlang_a.service_level * 100:.1f}%" in q._repr_html_()  # type: ignore[union-attr]
    frame = q.to_frame()
    assert frame.shape == (40, 5)
    np.testing.assert_array_equal(frame["service_level"].to_numpy(), q.service_level)
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "simroi\[notebook\]"'):
        q.to_frame()
