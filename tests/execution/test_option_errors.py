"""Library errors speak of the Python API's arguments and scenario keys, never of CLI flags.

Messages name an argument between backticks, as in "`scheduler` …"; the CLI shows its flag instead
(:meth:`simroi.errors.SimroiError.worded`, tested in ``tests/cli/test_flag_wording.py``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import simroi
from simroi.errors import OptionError, ScenarioError, SimroiError
from simroi.execution.runner import RunOptions, run
from simroi.queueing.queue_spec import QueueSpec
from simroi.queueing.study import study_queue
from simroi.scenario.load import load_scenario

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]
FLAG = re.compile(r"--[a-z]")


def test_a_scheduler_without_dask_is_refused_in_the_words_of_the_api() -> None:
    with pytest.raises(OptionError) as refused:
        run(load_scenario(overrides=FAST), RunOptions(trials=2, scheduler="tcp://h:8786"))
    message = str(refused.value)
    assert message == (
        "`scheduler` tcp://h:8786: a scheduler is for `executor` dask (set it, or leave "
        "`scheduler` out to run in local processes)"
    )
    assert not FLAG.search(message)
    assert isinstance(refused.value, ValueError)


def test_resume_without_a_checkpoint_names_the_arguments() -> None:
    with pytest.raises(OptionError, match=r"^`resume` needs the interrupted run's `checkpoint`"):
        run(load_scenario(overrides=FAST), RunOptions(trials=2), resume=True)


def test_a_bad_override_names_the_override_not_a_flag() -> None:
    with pytest.raises(ScenarioError) as refused:
        load_scenario(overrides=["channels.phone.agentz=3"])
    (line,) = refused.value.problems
    assert "override channels.phone.agentz: no such key 'channels.phone.agentz'" in line
    assert not FLAG.search(line)


def test_queue_inputs_are_named_as_the_api_names_them() -> None:
    with pytest.raises(OptionError) as refused:
        QueueSpec(arrivals_per_hour=-1, agents=2, aht_minutes=0)
    assert str(refused.value) == (
        "`arrivals_per_hour` must be > 0 (got -1); `aht_minutes` must be > 0 (got 0)"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"engine": "fast"}, "`engine` must be one of 'compiled', 'numpy', 'simpy' (got 'fast')"),
        ({"executor": "cloud"}, "`executor` must be one of 'local', 'dask' (got 'cloud')"),
        ({"trials": 0}, "`trials` must be a whole number ≥ 1 or 'auto' (got 0)"),
        ({"trials": "10"}, "`trials` must be a whole number ≥ 1 or 'auto' (got '10')"),
        ({"trials": True}, "`trials` must be a whole number ≥ 1 or 'auto' (got True)"),
        ({"seed": -1}, "`seed` must be a whole number ≥ 0 (got -1)"),
        ({"seed": 1.0}, "`seed` must be a whole number ≥ 0 (got 1.0)"),
        ({"workers": 0}, "`workers` must be a whole number ≥ 1 (got 0)"),
        ({"block_size": 0}, "`block_size` must be a whole number ≥ 1 (got 0)"),
        # simroi.limits: as a scenario's simulation.trials and block_size
        ({"trials": 10_000_001}, "`trials` must be at most 10,000,000 (got 10000001)"),
        ({"block_size": 100_001}, "`block_size` must be at most 100,000 (got 100001)"),
        (
            {"trials": -5, "engine": "fast"},
            "`trials` must be a whole number ≥ 1 or 'auto' (got -5); "
            "`engine` must be one of 'compiled', 'numpy', 'simpy' (got 'fast')",
        ),
    ],
)
def test_run_options_refuse_a_bad_value_when_made(options: dict[str, object], message: str) -> None:
    # Whoever makes the options (the API, the CLI, a script): no run starts with a bad one.
    with pytest.raises(OptionError) as refused:
        RunOptions(**options)  # type: ignore[arg-type]
    assert str(refused.value) == message
    with pytest.raises(OptionError):
        replace(RunOptions(), **options)
    assert not FLAG.search(message)


def test_run_options_take_numpy_integers_as_ints() -> None:
    options = RunOptions(trials=np.int64(3), seed=np.uint64(2**63), workers=np.int32(1))
    assert (options.trials, options.seed, options.workers) == (3, 2**63, 1)
    assert all(type(v) is int for v in (options.trials, options.seed, options.workers))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"handle_dist": "weibull"},
            "`handle_dist` must be one of 'exponential', 'lognormal', 'gamma' (got 'weibull')",
        ),
        ({"hours": float("nan")}, "`hours` must be finite (got nan)"),
        ({"agents": -1}, "`agents` must be a whole number from 0 to 10,000 (got -1)"),
        ({"arrivals_per_hour": True}, "`arrivals_per_hour` must be a number > 0 (got True)"),
    ],
)
def test_a_queue_spec_refuses_a_bad_value_when_made(spec: dict[str, object], message: str) -> None:
    arguments = {"arrivals_per_hour": 60.0, "agents": 2, "aht_minutes": 3.0, **spec}
    with pytest.raises(OptionError) as refused:
        QueueSpec(**arguments)  # type: ignore[arg-type]
    assert str(refused.value) == message


def test_a_queue_study_refuses_a_bad_engine_seed_or_trials() -> None:
    spec = QueueSpec(60, 2, 3)
    assert (spec.arrivals_per_hour, spec.aht_minutes) == (60.0, 3.0)  # kept as floats
    with pytest.raises(OptionError) as refused:
        study_queue(spec, trials=1, seed=-2, engine="simpyy")  # type: ignore[arg-type]
    assert str(refused.value) == (
        "`trials` must be a whole number from 2 (a confidence interval) to 10,000,000 (got 1); "
        "`seed` must be a whole number ≥ 0 (got -2); "
        "`engine` must be one of 'compiled', 'numpy', 'simpy' (got 'simpyy')"
    )


def test_worded_replaces_only_the_names_it_is_given() -> None:
    error = SimroiError("`workers` must be ≥ 1 (got 0); `other` and `workers` again; `Not a name`")
    assert error.worded({"workers": "--workers"}) == (
        "--workers must be ≥ 1 (got 0); `other` and --workers again; `Not a name`"
    )
    assert error.worded({}) == str(error)


def _raised_texts(path: Path) -> list[tuple[int, str]]:
    """The string literals (f-string parts included) inside every ``raise`` of a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.append((part.lineno, part.value))
    return found


@pytest.mark.parametrize("package", ["scenario", "queueing", "model", "execution"])
def test_no_library_message_names_a_cli_flag(package: str) -> None:
    root = Path(simroi.__file__).parent / package
    offending = [
        f"{path.relative_to(root.parent)}:{line}: {text!r}"
        for path in sorted(root.rglob("*.py"))
        for line, text in _raised_texts(path)
        if FLAG.search(text)
    ]
    assert not offending, "\n".join(offending)


def test_worded_lines_keep_each_problem_on_its_own_line() -> None:
    error = ScenarioError(["a\nb.toml: `workers` is wrong", "tab\there and \x1b[31mcolour"])
    assert error.worded_lines({"workers": "--workers"}) == [
        "a\\nb.toml: --workers is wrong",
        "tab\\there and \\x1b[31mcolour",
    ]
    assert SimroiError("one\r\nline").worded_lines({}) == ["one\\r\\nline"]
