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
import simroi.api.data
import simroi.api.results
import simroi.api.simulate
from simroi.cli.app import main
from simroi.errors import OptionError

SHORT = ["scenario.horizon_months=3", "simulation.sampled_days_per_month=1"]
SET_SHORT = [w for s in SHORT for w in ("--set", s)]


def _cli_json(*args: str) -> str:
    """The command's JSON without its replay line (the API's has none: no command made it)."""
    out = CliRunner().invoke(main, [*args, "--workers", "1", "--quiet", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data.pop("replay").startswith(f"simroi {args[0]} ")
    return json.dumps(data, indent=2) + "\n"


def test_every_verb_of_the_command_line_is_in_the_python_api() -> None:
    commands = {"run", "compare", "sweep", "sensitivity", "queue", "export", "calibrate"}
    commands |= {"backtest"}
    assert commands | {"sample-data"} <= set(main.commands)
    for verb in (*commands, "sample_data", "load_scenario", "load_result"):
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
    data = json.loads(out.output)
    assert data.pop("replay").startswith("simroi queue --seed 2 --trials 30")
    assert json.dumps(q.to_dict(), indent=2) == json.dumps(data, indent=2)


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


def test_a_one_value_list_in_a_sweep_grid_is_an_axis_not_a_fixed_setting() -> None:
    s = simroi.sweep(
        grid={"channels.social.agents": [1, 2], "program.monthly_tools_cost": [1000]},
        trials=10,
        seed=1,
        overrides=SHORT,
        workers=1,
    )
    assert s.keys == ("channels.social.agents", "program.monthly_tools_cost")
    assert [p.label for p in s.points] == [
        "channels.social.agents=1, program.monthly_tools_cost=1000",
        "channels.social.agents=2, program.monthly_tools_cost=1000",
    ]


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


@pytest.mark.parametrize(
    ("module", "examples"),
    [(simroi.api.simulate, 6), (simroi.api.results, 2), (simroi.api.data, 3)],
    ids=lambda m: getattr(m, "__name__", str(m)),
)
def test_the_docstring_examples_hold(module: object, examples: int) -> None:
    failures, attempted = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert attempted >= examples
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


# --- the replay call each result stores ----------------------------------------------------------


def _replayed(command: str) -> object:
    """What the stored call gives when run with only ``simroi`` in scope."""
    return eval(command, {"simroi": simroi})


def test_run_stores_the_call_that_replays_it() -> None:
    summary = simroi.run("default", trials=20, seed=7, overrides=SHORT, workers=1)
    command = summary.result.provenance.command
    assert command == (
        "simroi.run('default', trials=20, seed=7, overrides=['scenario.horizon_months=3', "
        "'simulation.sampled_days_per_month=1'], engine='compiled')"
    )
    assert summary.result.provenance.overrides == tuple(SHORT)
    again = _replayed(command)
    assert isinstance(again, simroi.RunSummary)
    assert again.to_dict() == summary.to_dict()
    assert again.result.provenance.command == command


def test_without_a_seed_the_stored_call_holds_the_seed_used() -> None:
    summary = simroi.run(trials=12, overrides=SHORT, workers=1, executor="local")
    seed = summary.result.provenance.seed
    command = summary.result.provenance.command
    assert f"seed={seed}," in command
    assert "workers" not in command and "executor" not in command
    assert _replayed(command).to_dict() == summary.to_dict()  # type: ignore[attr-defined]


def test_compare_stores_the_call_that_replays_it(tmp_path: Path) -> None:
    path = tmp_path / "my scenario's copy.toml"  # a path that needs quoting
    path.write_text((Path(simroi.load_scenario().source)).read_text(encoding="utf-8"))
    c = simroi.compare("default", path, trials=12, seed=5, overrides=SHORT, workers=1)
    assert c.result_set is not None
    (command,) = {r.provenance.command for r in c.result_set.runs}
    assert command.startswith(f"simroi.compare('default', {str(path)!r}, trials=12, seed=5, ")
    assert command.endswith(", engine='compiled')")
    assert _replayed(command).to_dict() == c.to_dict()  # type: ignore[attr-defined]


def test_sweep_and_sensitivity_store_the_calls_that_replay_them() -> None:
    grid = {"channels.social.agents": np.array([1, 2])}  # numpy values read back as numbers
    s = simroi.sweep(grid=grid, confidence=0.5, trials=10, seed=3, overrides=SHORT, workers=1)
    assert s.result_set is not None
    (command,) = {r.provenance.command for r in s.result_set.runs}
    assert command.startswith(
        "simroi.sweep(grid={'channels.social.agents': [1, 2]}, confidence=0.5, trials=10, "
    )
    assert _replayed(command).to_dict() == s.to_dict()  # type: ignore[attr-defined]
    t = simroi.sensitivity(trials=20, seed=3, overrides=SHORT, top=2, swing_trials=5, workers=1)
    command = t.run.provenance.command
    assert command.startswith("simroi.sensitivity(swing=True, top=2, swing_trials=5, trials=20, ")
    assert _replayed(command).to_dict() == t.to_dict()  # type: ignore[attr-defined]


def test_a_loaded_scenario_replays_by_name_unless_changed_after_loading() -> None:
    plain = simroi.run(simroi.load_scenario("default"), trials=4, seed=1, workers=1)
    assert plain.result.provenance.command.startswith("simroi.run('default', trials=4, seed=1")
    changed = simroi.run(simroi.load_scenario(overrides=SHORT), trials=4, seed=1, workers=1)
    assert changed.result.provenance.command == ""  # its file alone does not give it again


def _slide_texts(deck: Path) -> list[str]:
    from pptx import Presentation

    return [
        shape.text_frame.text
        for slide in Presentation(str(deck)).slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]


def test_a_deck_of_an_api_result_shows_the_stored_call(tmp_path: Path) -> None:
    summary = simroi.run("default", trials=8, seed=7, overrides=SHORT, workers=1)
    (deck,) = simroi.export(summary, tmp_path / "deck.pptx")
    texts = _slide_texts(deck)
    assert any(summary.result.provenance.command in text for text in texts)
    assert not any("simroi run " in text for text in texts)  # no command line made up beside it
    c = simroi.compare("default", "social-team-2", trials=8, seed=7, overrides=SHORT, workers=1)
    (deck,) = simroi.export(c, tmp_path / "compare.pptx")
    assert c.result_set is not None
    assert any(c.result_set.runs[0].provenance.command in text for text in _slide_texts(deck))


def test_a_deck_of_a_result_without_a_stored_call_says_so(tmp_path: Path) -> None:
    summary = simroi.run(simroi.load_scenario(overrides=SHORT), trials=6, seed=4, workers=1)
    assert summary.result.provenance.command == ""  # as in files from before it was stored
    (deck,) = simroi.export(summary, tmp_path / "deck.pptx")
    texts = _slide_texts(deck)
    assert any("no replay command stored (seed 4, trials 6)" in text for text in texts)
    assert not any("Replay exactly" in text for text in texts)


# --- arguments checked by the library ------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"engine": "fast"}, "`engine` must be one of 'compiled', 'numpy', 'simpy' (got 'fast')"),
        ({"executor": "cloud"}, "`executor` must be one of 'local', 'dask' (got 'cloud')"),
        ({"trials": 0}, "`trials` must be a whole number ≥ 1 or 'auto' (got 0)"),
        ({"trials": -5}, "`trials` must be a whole number ≥ 1 or 'auto' (got -5)"),
        ({"trials": "10"}, "`trials` must be a whole number ≥ 1 or 'auto' (got '10')"),
        ({"trials": True}, "`trials` must be a whole number ≥ 1 or 'auto' (got True)"),
        ({"trials": 2.5}, "`trials` must be a whole number ≥ 1 or 'auto' (got 2.5)"),
        ({"seed": -1}, "`seed` must be a whole number ≥ 0 (got -1)"),
        ({"seed": "7"}, "`seed` must be a whole number ≥ 0 (got '7')"),
        ({"seed": False}, "`seed` must be a whole number ≥ 0 (got False)"),
        ({"workers": 0}, "`workers` must be a whole number ≥ 1 (got 0)"),
        ({"overrides": "scenario.horizon_months=3"}, "`overrides` must be a list of"),
    ],
)
def test_bad_run_arguments_are_refused_naming_the_argument(
    arguments: dict[str, object], message: str
) -> None:
    for verb, args in ((simroi.run, ()), (simroi.compare, ("default", "social-team-2"))):
        with pytest.raises(OptionError) as refused:
            verb(*args, **arguments)  # type: ignore[operator]
        assert str(refused.value).startswith(message)
        assert "\n" not in str(refused.value)
    with pytest.raises(OptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        simroi.sweep(grid={"channels.social.agents": [1]}, **arguments)  # type: ignore[arg-type]


def test_numpy_integers_are_whole_numbers() -> None:
    summary = simroi.run(trials=np.int64(4), seed=np.uint32(2), overrides=SHORT, workers=1)
    assert summary.trials == 4 and summary.result.provenance.seed == 2
    assert "trials=4, seed=2," in summary.result.provenance.command


QUEUE = {"arrivals_per_hour": 60, "aht_minutes": 4, "agents": 5, "trials": 5, "seed": 1}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"engine": "simpyy"},
            "`engine` must be one of 'compiled', 'numpy', 'simpy' (got 'simpyy')",
        ),
        (
            {"handle_dist": "weibull"},
            "`handle_dist` must be one of 'exponential', 'lognormal', 'gamma' (got 'weibull')",
        ),
        ({"arrivals_per_hour": 0}, "`arrivals_per_hour` must be > 0 (got 0)"),
        ({"arrivals_per_hour": "60"}, "`arrivals_per_hour` must be a number > 0 (got '60')"),
        ({"aht_minutes": float("inf")}, "`aht_minutes` must be finite (got inf)"),
        ({"patience_minutes": -2}, "`patience_minutes` must be > 0 (got -2)"),
        ({"handle_cv": 0}, "`handle_cv` must be > 0 (got 0)"),
        ({"sl_seconds": -1}, "`sl_seconds` must be a finite number ≥ 0 (got -1)"),
        ({"agents": 2.5}, "`agents` must be a whole number from 0 to 10,000 (got 2.5)"),
        ({"agents": True}, "`agents` must be a whole number from 0 to 10,000 (got True)"),
        (
            {"trials": 1},
            "`trials` must be a whole number from 2 (a confidence interval) to 10,000,000 (got 1)",
        ),
        (
            {"trials": "10"},
            "`trials` must be a whole number from 2 (a confidence interval) to 10,000,000",
        ),
        ({"seed": -1}, "`seed` must be a whole number ≥ 0 (got -1)"),
    ],
)
def test_bad_queue_arguments_are_refused_naming_the_argument(
    arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(OptionError) as refused:
        simroi.queue(**{**QUEUE, **arguments})  # type: ignore[arg-type]
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_queue_errors_name_the_arguments_of_simroi_queue() -> None:
    base = {"arrivals_per_hour": 60, "aht_minutes": 4, "trials": 3}
    refusals = {
        "`target_sl` must be in [0, 1) (got 1.5)": {"target_sl": 1.5},
        "`agents`: give the agents on duty, or a `target_sl` to staff for": {},
        "`max_abandonment` needs a `patience_minutes`: contacts that never hang up cannot "
        "breach an abandonment target": {"target_sl": 0.8, "max_abandonment": 0.1},
        "`target_sl` 0.99: no number of agents the staffing formulas can handle meets it": {
            "arrivals_per_hour": 1e9,
            "hours": 0.001,  # a day of a million contacts: within a study's size
            "target_sl": 0.99,
        },
        "the target needs 66,685 agents, more than the 10,000 a study simulates: give `agents` "
        "to simulate fewer beside the requirement": {"arrivals_per_hour": 1e6, "target_sl": 0.8},
    }
    for message, arguments in refusals.items():
        with pytest.raises(OptionError) as refused:
            simroi.queue(**{**base, **arguments})  # type: ignore[arg-type]
        assert str(refused.value) == message
