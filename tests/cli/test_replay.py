"""The replay command: every simulating command prints one, and running it gives the same JSON.

Each test runs a command with ``--set`` overrides and a scenario *path* (a copy of a bundled
scenario whose name needs shell quoting), takes the printed ``Replay exactly:`` line, splits it as a
shell would (:func:`shlex.split`), runs it with ``--json`` and compares the output byte for byte
with the first command's ``--json``. The result file written with ``--out`` stores the same line.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pptx import Presentation

from simroi.cli.app import main
from simroi.cli.options import replay_command
from simroi.execution.result import ResultSet, RunResult
from simroi.scenario.load import bundled_scenarios

FAST = ["--set", "scenario.horizon_months=4", "--set", "simulation.sampled_days_per_month=1"]
QUIET = ["--workers", "1", "--quiet"]
PREFIX = "Replay exactly: "


@pytest.fixture
def scenario_path(tmp_path: Path) -> str:
    """A copy of the bundled default scenario at a path with a space in it."""
    path = tmp_path / "my scenarios" / "social care.toml"
    path.parent.mkdir()
    shutil.copy(bundled_scenarios()["default"], path)
    return str(path)


def _invoke(args: list[str]) -> Result:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result


def _printed_replay(args: list[str]) -> str:
    """The command line after ``Replay exactly:`` in the tables ``args`` print."""
    lines = [line for line in _invoke(args).stdout.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, lines
    return lines[0].removeprefix(PREFIX)


def _replayed_json(command: str) -> bytes:
    words = shlex.split(command)
    assert words[0] == "simroi"
    return _invoke([*words[1:], "--json"]).stdout_bytes


def _assert_replays(args: list[str], *must_hold: str) -> str:
    """Run ``args`` with ``--json`` and as tables; the printed replay gives the same bytes."""
    first = _invoke([*args, "--json"]).stdout_bytes
    command = _printed_replay(args)
    for word in must_hold:
        assert word in shlex.split(command), (word, command)
    assert _replayed_json(command) == first
    return command


def test_run_replays_with_the_path_every_set_and_the_seed(scenario_path: str) -> None:
    sets = ["--set", "channels.social.agents=2", "--set", 'scenario.currency="EUR"']
    args = ["run", scenario_path, "--trials", "12", "--seed", "3", *FAST, *sets, *QUIET]
    command = _assert_replays(
        args, scenario_path, "scenario.horizon_months=4", "channels.social.agents=2"
    )
    assert command == (
        f"simroi run {shlex.quote(scenario_path)} --seed 3 --trials 12 --engine compiled "
        "--set scenario.horizon_months=4 --set simulation.sampled_days_per_month=1 "
        """--set channels.social.agents=2 --set 'scenario.currency="EUR"'"""
    )


def test_compare_replays_byte_for_byte(scenario_path: str) -> None:
    args = ["compare", "default", scenario_path, "--trials", "8", "--seed", "4", *FAST, *QUIET]
    command = _assert_replays(args, scenario_path, "default", "simulation.sampled_days_per_month=1")
    assert shlex.split(command)[:4] == ["simroi", "compare", "default", scenario_path]


def test_sweep_replays_with_its_grid_and_confidence(scenario_path: str) -> None:
    grid = ["--set", "channels.social.agents=1:2", "--confidence", "0.35"]
    args = ["sweep", scenario_path, "--trials", "8", "--seed", "5", *grid, *FAST, *QUIET]
    command = _assert_replays(args, scenario_path, "channels.social.agents=1:2", "0.35")
    assert "--confidence 0.35" in command


def test_sensitivity_replays_with_its_swing_options(scenario_path: str) -> None:
    options = ["--top", "2", "--swing-trials", "4"]
    args = ["sensitivity", scenario_path, "--trials", "16", "--seed", "6", *options, *FAST, *QUIET]
    command = _assert_replays(args, scenario_path)
    assert "--top 2 --swing --swing-trials 4" in command


def test_without_a_seed_the_command_holds_the_seed_used(scenario_path: str, tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    args = ["run", scenario_path, "--trials", "6", *FAST, *QUIET]
    first = _invoke([*args, "--json", "--out", str(out)]).stdout_bytes
    stored = RunResult.load(out).provenance
    assert f" --seed {stored.seed} " in stored.command
    assert _replayed_json(stored.command) == first
    lines = _invoke(args).stdout.splitlines()  # a fresh seed, said in two places
    (seed,) = (line.split()[-1].rstrip(")") for line in lines if "run used seed" in line)
    (replay,) = (line for line in lines if line.startswith(PREFIX))
    assert f" --seed {seed} " in replay


def test_the_result_file_stores_the_printed_command(scenario_path: str, tmp_path: Path) -> None:
    run_out, compare_out, sweep_out = (tmp_path / f"{k}.npz" for k in ("run", "compare", "sweep"))
    common = ["--trials", "6", "--seed", "9", *FAST, *QUIET]
    printed = _printed_replay(["run", scenario_path, *common, "--out", str(run_out)])
    assert RunResult.load(run_out).provenance.command == printed
    printed = _printed_replay(
        ["compare", scenario_path, "default", *common, "--out", str(compare_out)]
    )
    assert {r.provenance.command for r in ResultSet.load(compare_out).runs} == {printed}
    grid = ["--set", "channels.social.agents=1,3"]
    printed = _printed_replay(["sweep", scenario_path, *grid, *common, "--out", str(sweep_out)])
    assert {r.provenance.command for r in ResultSet.load(sweep_out).runs} == {printed}
    assert "--out" not in printed and "--workers" not in printed and "--quiet" not in printed


def test_the_exported_deck_shows_the_stored_command(scenario_path: str, tmp_path: Path) -> None:
    out, deck = tmp_path / "r.npz", tmp_path / "deck.pptx"
    sets = ["--set", "channels.social.agents=3"]
    printed = _printed_replay(
        [
            "run",
            scenario_path,
            "--trials",
            "6",
            "--seed",
            "2",
            *FAST,
            *sets,
            *QUIET,
            "--out",
            str(out),
        ]
    )
    _invoke(["export", str(out), "--to", str(deck)])
    texts = [
        shape.text_frame.text
        for slide in Presentation(str(deck)).slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    assert any(printed in text for text in texts)


def test_the_command_is_quoted_for_a_shell_and_splits_back() -> None:
    pert = 'customers.monthly_churn={ dist = "pert", low = 0.01, mode = 0.02, high = 0.03 }'
    command = replay_command(
        "run",
        ["it's here.toml"],
        overrides=[pert, "channels.social.agents=[1, 2]"],
        seed=2**100,
        trials="auto",
        engine="simpy",
    )
    assert shlex.split(command) == [
        "simroi",
        "run",
        "it's here.toml",
        "--seed",
        str(2**100),
        "--trials",
        "auto",
        "--engine",
        "simpy",
        "--set",
        pert,
        "--set",
        "channels.social.agents=[1, 2]",
    ]


def test_the_printed_command_is_not_read_as_markup(tmp_path: Path) -> None:
    # "[v2]" would be a rich markup tag: the line prints it as it is, on one line, and replays.
    path = tmp_path / "plan [v2].toml"
    shutil.copy(bundled_scenarios()["default"], path)
    args = ["run", str(path), "--trials", "4", "--seed", "1", *FAST, *QUIET]
    command = _assert_replays([*args, "--set", 'deflection.channels=["phone"]'], str(path))
    assert f"{shlex.quote(str(path))} --seed 1" in command
    assert """--set 'deflection.channels=["phone"]'""" in command


def test_queue_replays_with_every_input_it_was_given() -> None:
    args = [
        *("queue", "--arrivals-per-hour", "120", "--aht-minutes", "4", "--patience-minutes", "3"),
        *("--target-sl", "0.8", "--handle-dist", "lognormal", "--handle-cv", "0.5"),
        *("--warmup-minutes", "30", "--trials", "20", "--seed", "7"),
    ]
    command = _assert_replays(args, "--target-sl", "--handle-cv", "--warmup-minutes")
    assert command == (
        "simroi queue --seed 7 --trials 20 --arrivals-per-hour 120.0 --aht-minutes 4.0 "
        "--patience-minutes 3.0 --hours 8.0 --sl-seconds 20.0 --handle-dist lognormal "
        "--handle-cv 0.5 --warmup-minutes 30.0 --target-sl 0.8 --engine compiled"
    )
    given = ["queue", "--arrivals-per-hour", "60", "--aht-minutes", "3", "--agents", "4"]
    command = _assert_replays([*given, "--trials", "5", "--seed", "1"], "--agents")
    assert "--handle-cv" not in command  # exponential handle times have no other shape
    assert "--target-sl" not in command and "--patience-minutes" not in command


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "default", "social-team-2", "--trials", "6", *FAST, *QUIET],
        ["sweep", "--set", "channels.social.agents=1,2", "--trials", "6", *FAST, *QUIET],
        ["sensitivity", "--trials", "12", "--top", "2", "--no-swing", *FAST, *QUIET],
        ["queue", "--arrivals-per-hour", "60", "--aht-minutes", "3", "--agents", "4"],
    ],
    ids=["compare", "sweep", "sensitivity", "queue"],
)
def test_without_a_seed_every_command_prints_the_seed_it_used(args: list[str]) -> None:
    lines = _invoke(args).stdout.splitlines()
    (seed,) = (line.split()[-1].rstrip(")") for line in lines if "this run used seed" in line)
    assert lines[-1] == f"(no --seed given: this run used seed {seed})"
    (replay,) = (line for line in lines if line.startswith(PREFIX))
    assert f" --seed {seed} " in replay
    assert not [
        line for line in _invoke([*args, "--seed", "3"]).stdout.splitlines() if "used seed" in line
    ]
