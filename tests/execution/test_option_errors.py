"""Library errors speak of the Python API's arguments and scenario keys, never of CLI flags.

Messages name an argument between backticks, as in "`scheduler` …"; the CLI shows its flag instead
(:meth:`simroi.errors.SimroiError.worded`, tested in ``tests/cli/test_flag_wording.py``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import simroi
from simroi.errors import OptionError, ScenarioError, SimroiError
from simroi.execution.runner import RunOptions, run
from simroi.queueing.study import QueueSpec
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
