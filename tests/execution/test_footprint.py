"""Refusing what cannot finish: the run's contacts, time and memory are estimated before any
block, and a run that would simulate absurdly many contacts, overflow a block, or need more memory
than the machine has is refused in one line with the estimate and what to change."""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import simroi.execution.footprint as footprint
import simroi.execution.runner
from simroi.cli.app import main
from simroi.cli.options import progress_bar
from simroi.errors import ScenarioError
from simroi.execution.footprint import duration, run_footprint
from simroi.execution.runner import RunOptions, run
from simroi.scenario.load import LoadedScenario, load_scenario

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(overrides=FAST)


def no_simulation(*args: Any) -> None:
    raise AssertionError("a refused run simulates no block")


def test_the_estimate_bounds_the_contacts_simulated_from_above(loaded: LoadedScenario) -> None:
    result = run(loaded, RunOptions(trials=40, seed=3, workers=1))
    estimate = footprint._monthly_contacts(loaded.program)
    days_per_month = 365.25 / 12
    for channel, months in estimate.items():
        offered = result.samples[f"kpi.program.{channel}.offered_per_month"] / days_per_month
        mean, se = offered.mean(), offered.std(ddof=1) / math.sqrt(offered.size)
        per_day = months[0]  # one sampled day a month
        # Every sampled day counted as the busiest weekday: above the mean day, by at most 2x.
        assert mean - 4 * se <= per_day <= 2 * (mean + 4 * se), channel


@settings(max_examples=20, deadline=None)
@given(trials=st.integers(1, 10**6), block=st.integers(1, 5000))
def test_contacts_grow_with_the_trials_and_a_block_with_its_size(
    loaded: LoadedScenario, trials: int, block: int
) -> None:
    one = run_footprint(loaded, trials=1, block_size=1, processes=1)
    many = run_footprint(loaded, trials=trials, block_size=block, processes=1)
    assert many.contacts == pytest.approx(trials * one.contacts, rel=1e-12)
    assert many.block_slots == pytest.approx(min(block, trials) * one.block_slots, rel=1e-12)
    assert many.seconds == pytest.approx(many.contacts / footprint.CONTACTS_PER_CPU_SECOND)


def test_absurdly_many_contacts_are_refused_before_any_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(simroi.execution.runner, "_run_block", no_simulation)
    huge = load_scenario(overrides=[*FAST, "customers.active_customers=1e13"])
    with pytest.raises(ScenarioError) as refused:
        run(huge, RunOptions(trials=10, seed=1, workers=1))
    message = str(refused.value)
    assert message.startswith("cannot run: the run would simulate ~") and "\n" not in message
    assert "lower the trials (10)" in message and "customers.active_customers" in message


def test_a_block_too_large_to_hold_names_the_block_size_that_fits(
    monkeypatch: pytest.MonkeyPatch, loaded: LoadedScenario
) -> None:
    monkeypatch.setattr(simroi.execution.runner, "_run_block", no_simulation)
    slots = run_footprint(loaded, trials=1, block_size=1, processes=1).block_slots
    block = math.ceil(2 * footprint.MAX_CONTACT_SLOTS / slots)
    with pytest.raises(ScenarioError) as refused:
        run(loaded, RunOptions(trials=block, block_size=block, seed=1, workers=1))
    message = str(refused.value)
    fits = int(block * footprint.MAX_CONTACT_SLOTS / (slots * block))
    assert f"lower simulation.block_size to {fits:,} or less" in message
    assert message.count("channels.") == 1 and "\n" not in message
    assert run_footprint(loaded, trials=fits, block_size=fits, processes=1).problems() == []


def test_more_memory_than_the_machine_has_is_refused_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(footprint, "available_memory", lambda: 300_000_000)
    monkeypatch.setattr(simroi.execution.runner, "_run_block", no_simulation)
    args = ["run", *(w for o in FAST for w in ("--set", o)), "--trials", "40", "--seed", "1"]
    args += ["--set", "simulation.block_size=10"]
    result = CliRunner().invoke(main, [*args, "--workers", "2", "--quiet"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: cannot run: the run would need ~")
    assert "of memory (2 processes simulating blocks of 10 trials" in line
    assert "but this machine has 0.3 GB available" in line and "or --workers" in line


def test_available_memory_falls_back_to_the_physical_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = footprint.available_memory()
    assert found is None or found > 0

    class Unreadable(type(Path())):  # type: ignore[misc]
        def read_text(self, *args: Any, **kwargs: Any) -> str:
            raise OSError("no /proc here")

    monkeypatch.setattr(footprint, "Path", Unreadable)
    if not hasattr(footprint.os, "sysconf"):
        pytest.skip("no sysconf on this platform")
    physical = footprint.os.sysconf("SC_PHYS_PAGES") * footprint.os.sysconf("SC_PAGE_SIZE")
    assert footprint.available_memory() == physical
    monkeypatch.setattr(footprint.os, "sysconf", lambda name: (_ for _ in ()).throw(ValueError))
    assert footprint.available_memory() is None  # unknown: no memory check
    assert (
        run_footprint(
            load_scenario(overrides=FAST), trials=10, block_size=10, processes=64
        ).problems()
        == []
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "1 s"),
        (45, "45 s"),
        (150, "2.5 min"),
        (3 * 3600, "3.0 h"),
        (40 * 86400, "40 days"),
        (500 * 365.25 * 86400, "500 years"),
        (np.inf, "forever"),
    ],
)
def test_durations_read_in_the_largest_unit(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_the_progress_bar_shows_the_estimate_and_the_time_remaining(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rich.progress import TimeRemainingColumn

    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", terminal)
    bar, update = progress_bar(False, "~2.4e8 contacts, ~4.0 min")
    assert bar is not None and update is not None
    assert any(isinstance(column, TimeRemainingColumn) for column in bar.columns)
    texts = [getattr(column, "text_format", "") for column in bar.columns]
    assert "simulating (~2.4e8 contacts, ~4.0 min)" in texts
    update(10, 40)
    assert bar.tasks[0].total == 40 and bar.tasks[0].completed == 10
