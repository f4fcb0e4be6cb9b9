"""`simroi queue --target-sl`: the agents Erlang A (or C) requires, checked by simulation.

The oracle is :func:`~simroi.queueing.staffing.required_agents`; the simulated service level at
that count must reach the target within Monte Carlo error. A simulated day starts empty, so the
KPIs are measured after a warm-up, where the day is close to the formulas' steady state.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from click.testing import CliRunner

from simroi.cli.app import main
from simroi.errors import OptionError
from simroi.queueing.erlang import erlang_a
from simroi.queueing.queue_spec import QueueSpec, StaffingTarget
from simroi.queueing.staffing import required_agents
from simroi.queueing.study import staff_queue, study_queue

# 200 contacts an hour, AHT 3 min, patience 5 min: 10 Erlangs offered.
WORKLOAD = ["--arrivals-per-hour", "200", "--aht-minutes", "3", "--sl-seconds", "20"]
DAY = ["--hours", "8", "--warmup-minutes", "60", "--trials", "300", "--seed", "7"]


def _queue(*args: str) -> Any:
    """``simroi queue`` on the workload, as its JSON."""
    result = CliRunner().invoke(main, ["queue", *WORKLOAD, *DAY, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _at_least(values: Any, target: float, k: float = 3.0) -> None:
    """The simulated mean reaches ``target`` within ``k`` standard errors."""
    mean = values["mean"]
    lo, hi = values["ci95"]
    se = (hi - lo) / (2 * 1.96)
    assert mean >= target - k * se, (mean, target, se)


def test_the_printed_agents_are_what_erlang_a_requires_and_meet_the_target() -> None:
    data = _queue("--patience-minutes", "5", "--target-sl", "0.8")
    required = required_agents(200 / 3600, 180.0, 0.8, 20.0, 300.0)
    assert data["staffing"] == {
        "formula": "Erlang A",
        "target_service_level": 0.8,
        "max_abandonment": None,
        "required_agents": required,
    }
    assert data["inputs"]["agents"] == required  # simulated at that count
    _at_least(data["simulated"]["service_level"], 0.8)
    # The fewest: one agent fewer misses the target by the formula.
    assert erlang_a(200 / 3600, 180.0, required - 1, 300.0, 20.0).service_level < 0.8


def test_without_patience_the_requirement_is_erlang_c() -> None:
    data = _queue("--target-sl", "0.8")
    required = required_agents(200 / 3600, 180.0, 0.8, 20.0)
    assert data["staffing"]["formula"] == "Erlang C"
    assert data["staffing"]["required_agents"] == required
    assert data["inputs"]["agents"] == required
    _at_least(data["simulated"]["service_level"], 0.8)


def test_an_abandonment_cap_can_require_more_agents() -> None:
    data = _queue("--patience-minutes", "5", "--target-sl", "0.8", "--max-abandonment", "0.005")
    required = required_agents(200 / 3600, 180.0, 0.8, 20.0, 300.0, 0.005)
    assert required > required_agents(200 / 3600, 180.0, 0.8, 20.0, 300.0)
    assert data["staffing"]["required_agents"] == required
    assert data["staffing"]["max_abandonment"] == 0.005


def test_given_agents_are_simulated_beside_the_requirement() -> None:
    data = _queue("--patience-minutes", "5", "--target-sl", "0.8", "--agents", "11")
    assert data["inputs"]["agents"] == 11
    assert data["staffing"]["required_agents"] == required_agents(
        200 / 3600, 180.0, 0.8, 20.0, 300.0
    )


def test_without_a_target_the_json_says_so() -> None:
    assert _queue("--agents", "12")["staffing"] is None


def test_the_table_says_how_many_agents_the_target_needs() -> None:
    args = ["queue", *WORKLOAD, *DAY, "--patience-minutes", "5", "--target-sl", "0.8"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    required = required_agents(200 / 3600, 180.0, 0.8, 20.0, 300.0)
    assert (
        f"Staffing: Erlang A requires {required} agents for 80% answered within 20 s "
        f"(steady state). Simulated above: {required} agents (the number required)."
    ) in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--agents: give the agents on duty, or a --target-sl to staff for"),
        (["--target-sl", "1"], "--target-sl must be in [0, 1) (got 1.0)"),
        (
            ["--target-sl", "0.8", "--max-abandonment", "0.05"],
            "--max-abandonment needs a --patience-minutes",
        ),
        (["--agents", "12", "--max-abandonment", "0.05"], "give --target-sl too"),
        # Ignored and left out of the replay line, it changed nothing the user could see.
        (["--agents", "12", "--handle-cv", "2"], "--handle-cv 2 shapes lognormal or gamma"),
    ],
)
def test_bad_staffing_options_are_one_line_naming_the_flags(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["queue", *WORKLOAD, "--trials", "5", *args])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line


def test_the_library_staffs_and_simulates_without_a_cli() -> None:
    spec = QueueSpec(200, None, 3, 5, hours=8, sl_seconds=20, warmup_minutes=60)
    target = StaffingTarget(0.8)
    staffing = staff_queue(spec, target)
    study = study_queue(spec, trials=300, seed=7, target=target)
    assert study.staffing == staffing and study.spec.agents == staffing.agents
    sl = study.service_level
    assert sl.mean() >= 0.8 - 3 * sl.std(ddof=1) / math.sqrt(sl.size)
    with pytest.raises(OptionError, match=r"^`agents`: give the agents on duty"):
        study_queue(spec, trials=5)
    with pytest.raises(OptionError) as refused:
        staff_queue(QueueSpec(200, None, 3), StaffingTarget(0.8, max_abandonment=0.1))
    assert str(refused.value).startswith("`max_abandonment` needs a `patience_minutes`")
    with pytest.raises(OptionError, match=r"^`service_level` must be in \[0, 1\) \(got 1.0\)$"):
        StaffingTarget(1.0)
