"""Resuming compare, sweep and sensitivity: an interrupted command keeps its finished runs and
blocks in a checkpoint set, and a resumed one gives the uninterrupted command's bits.

The interruption is a KeyboardInterrupt raised from the progress callback after some blocks, as
Ctrl-C would land between blocks; the resumed command must not simulate the kept blocks again.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simroi.execution.runner
from simroi.analysis.comparison import run_comparison
from simroi.analysis.sensitivity import run_sensitivity
from simroi.analysis.sweep import run_sweep
from simroi.errors import ResultFileError
from simroi.execution.checkpoint import CheckpointSet
from simroi.execution.result import ResultSet, RunResult
from simroi.execution.runner import RunOptions, run
from simroi.execution.workers import WorkerLost
from simroi.scenario.load import load_scenario

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]
SEED = 515151


def options(**kw: Any) -> RunOptions:
    return RunOptions(**{"trials": 30, "seed": SEED, "block_size": 10, "workers": 1, **kw})


def assert_identical(a: RunResult, b: RunResult) -> None:
    assert a.samples.keys() == b.samples.keys()
    for key in a.samples:
        np.testing.assert_array_equal(a.samples[key], b.samples[key], err_msg=key, strict=True)
    assert a.monthly.keys() == b.monthly.keys()
    for key in a.monthly:
        np.testing.assert_array_equal(a.monthly[key], b.monthly[key], err_msg=key, strict=True)
    assert (a.provenance.seed, a.provenance.scenario_hash, a.provenance.overrides) == (
        b.provenance.seed,
        b.provenance.scenario_hash,
        b.provenance.overrides,
    )
    assert a.meta == b.meta


def assert_sets_identical(a: ResultSet, b: ResultSet) -> None:
    assert a.kind == b.kind and a.meta == b.meta and len(a.runs) == len(b.runs)
    for x, y in zip(a.runs, b.runs, strict=True):
        assert_identical(x, y)


class Counting:
    """A progress callback that presses Ctrl-C at its ``stop_at``-th call (never if None) and
    records the trials done at each call."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.seen: list[int] = []

    def __call__(self, done: int, planned: int) -> None:
        self.seen.append(done)
        if len(self.seen) == self.stop_at:
            raise KeyboardInterrupt


def interrupt_then_resume(
    tmp_path: Path, command: str, work: Callable[[CheckpointSet, Counting], Any], stop_at: int
) -> tuple[Any, Counting]:
    """Run ``work`` until Ctrl-C at progress call ``stop_at``, then resume it; the result and the
    resumed run's progress."""
    path = tmp_path / f"{command}.checkpoint"
    settings = {"case": command}
    kept = CheckpointSet.open(path, command=command, settings=settings, seed=SEED, resume=False)
    with pytest.raises(KeyboardInterrupt):
        work(kept, Counting(stop_at))
    again = CheckpointSet.open(path, command=command, settings=settings, seed=None, resume=True)
    assert again.seed == SEED  # the seed comes from the checkpoint
    resumed = Counting()
    result = work(again, resumed)
    again.discard()
    assert not path.exists()
    return result, resumed


@pytest.fixture(scope="module")
def compared() -> ResultSet:
    return run_comparison(["default", "social-team-2", "social-team-3"], options(), overrides=FAST)


def test_an_interrupted_compare_resumes_to_the_same_bits(
    tmp_path: Path, compared: ResultSet
) -> None:
    def work(kept: CheckpointSet, progress: Counting) -> ResultSet:
        scenarios = ["default", "social-team-2", "social-team-3"]
        return run_comparison(
            scenarios, options(seed=None), overrides=FAST, progress=progress, checkpoints=kept
        )

    # 3 runs of 3 blocks: Ctrl-C after the 5th block, in the second scenario's run.
    resumed, progress = interrupt_then_resume(tmp_path, "compare", work, stop_at=5)
    assert progress.seen[:2] == [30, 50]  # the first run and 2 blocks of the second read back
    assert_sets_identical(compared, resumed)


@pytest.fixture(scope="module")
def compared_whole() -> ResultSet:
    """The comparison with one block per run (whole runs go to worker processes)."""
    return run_comparison(THREE, options(block_size=30), overrides=FAST)


THREE = ["default", "social-team-2", "social-team-3"]


def test_whole_runs_on_worker_processes_resume_to_the_same_bits(
    tmp_path: Path, compared_whole: ResultSet
) -> None:
    # With 2 workers and one block per run, whole runs go to the workers, each keeping its blocks.
    def work(kept: CheckpointSet, progress: Counting) -> ResultSet:
        scenarios = ["default", "social-team-2", "social-team-3"]
        opts = options(seed=None, workers=2, block_size=30)
        return run_comparison(scenarios, opts, overrides=FAST, progress=progress, checkpoints=kept)

    resumed, progress = interrupt_then_resume(tmp_path, "compare", work, stop_at=1)
    assert progress.seen[0] >= 30  # at least the first run was kept
    assert_sets_identical(compared_whole, resumed)


def test_a_worker_killed_during_whole_runs_keeps_the_finished_runs(
    tmp_path: Path, compared_whole: ResultSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    def kill_the_workers(path: Path) -> WorkerLost | None:
        """Kill every worker, as the OS would, once the first run is reported; the error seen."""
        kept = CheckpointSet.open(path, command="compare", settings={}, seed=SEED, resume=False)
        killed: list[int] = []

        def kill(done: int, planned: int) -> None:
            # Every worker, so that the kill lands while work remains: three runs on two
            # workers, the third starts only when one of the first two ends, so it is
            # unfinished when the first run is reported (a worker killed once everything has
            # finished would leave no error to see). A worker killed halfway through sending
            # its result is handled too (tests/execution/test_lost_worker.py).
            if not killed:
                for child in multiprocessing.active_children():
                    assert child.pid is not None
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)

        opts = options(workers=2, block_size=30)
        try:
            run_comparison(THREE, opts, overrides=FAST, progress=kill, checkpoints=kept)
        except WorkerLost as lost:
            return lost
        return None

    # On a loaded machine the report of the first run can reach this process after the third
    # run has finished too, and then there is nothing left to lose: that attempt says nothing
    # and is made again, in a fresh checkpoint. A command that never reports a lost worker
    # fails every attempt.
    for attempt in range(3):
        path = tmp_path / f"compare-{attempt}.checkpoint"
        lost = kill_the_workers(path)
        if lost is not None:
            break
    else:
        pytest.fail("no WorkerLost in 3 attempts: the killed workers were never noticed")
    message = str(lost)
    assert message.startswith("a worker process died while simulating ") and "\n" not in message
    assert f"kept in {path}: rerun with `resume` to finish the run" in message
    again = CheckpointSet.open(path, command="compare", settings={}, seed=None, resume=True)
    simulated: list[int] = []  # blocks simulated again (one per run here)
    real = simroi.execution.runner._run_block

    def block(*args: Any) -> Any:
        simulated.append(args[2])
        return real(*args)

    monkeypatch.setattr(simroi.execution.runner, "_run_block", block)
    resumed = run_comparison(THREE, options(block_size=30), overrides=FAST, checkpoints=again)
    assert len(simulated) <= 2  # the run finished before the kill was kept, not rerun
    assert_sets_identical(compared_whole, resumed)


def test_an_interrupted_sweep_resumes_to_the_same_bits(tmp_path: Path) -> None:
    sets = [*FAST, "channels.social.agents=1:3"]
    whole = run_sweep(None, sets, options())

    def work(kept: CheckpointSet, progress: Counting) -> ResultSet:
        return run_sweep(None, sets, options(seed=None), progress=progress, checkpoints=kept)

    # 3 points of 3 blocks: Ctrl-C after the first block of the third point.
    resumed, progress = interrupt_then_resume(tmp_path, "sweep", work, stop_at=7)
    assert progress.seen[:3] == [30, 60, 70]  # two points and a block read back, not simulated
    assert_sets_identical(whole, resumed)


def test_an_interrupted_sensitivity_resumes_to_the_same_bits(tmp_path: Path) -> None:
    def work(kept: CheckpointSet | None, progress: Counting | None) -> RunResult:
        return run_sensitivity(
            None,
            options(seed=None if kept else SEED),
            overrides=FAST,
            top=2,
            swing_trials=10,
            progress=progress,
            checkpoints=kept,
        )

    whole = work(None, None)
    # The base run (3 blocks), then 5 swing runs of one block: Ctrl-C after the second swing run.
    resumed, progress = interrupt_then_resume(tmp_path, "sensitivity", work, stop_at=5)
    assert progress.seen[:3] == [30, 40, 50]  # the base run and two swing runs read back
    assert whole.meta["sensitivity"]["swing"] is not None
    assert_identical(whole, resumed)


# --- refusals ---------------------------------------------------------------------------------


@pytest.fixture
def interrupted_sweep(tmp_path: Path) -> Path:
    path = tmp_path / "sweep.checkpoint"
    kept = CheckpointSet.open(
        path, command="sweep", settings={"trials": 30}, seed=SEED, resume=False
    )
    sets = [*FAST, "channels.social.agents=1:2"]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(None, sets, options(), progress=Counting(4), checkpoints=kept)
    return path


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"command": "compare"}, "this is the checkpoint of a sweep, not of a compare"),
        (
            {"settings": {"trials": 40}},
            "this checkpoint belongs to another sweep: it has trials 30",
        ),
        ({"seed": 7}, f"it has seed {SEED}, this sweep has seed 7"),
    ],
)
def test_a_checkpoint_of_another_command_or_settings_is_refused(
    interrupted_sweep: Path, change: dict[str, Any], reason: str
) -> None:
    arguments: dict[str, Any] = {"command": "sweep", "settings": {"trials": 30}, "seed": None}
    arguments.update(change)
    with pytest.raises(ResultFileError) as refused:
        CheckpointSet.open(interrupted_sweep, resume=True, **arguments)
    message = str(refused.value)
    assert message.startswith(f"{interrupted_sweep}: ") and "\n" not in message
    assert reason in message


def test_a_run_of_another_scenario_in_the_set_is_refused(interrupted_sweep: Path) -> None:
    # Same settings recorded, but a point's scenario differs: the run's own header refuses it.
    kept = CheckpointSet.open(
        interrupted_sweep, command="sweep", settings={"trials": 30}, seed=None, resume=True
    )
    sets = [*FAST, "channels.social.agents=5:6"]
    with pytest.raises(ResultFileError) as refused:
        run_sweep(None, sets, options(), checkpoints=kept)
    message = str(refused.value)
    assert "run-0000: cannot resume: this checkpoint belongs to another run" in message
    assert "the scenario file or an override differs" in message and "\n" not in message


def test_a_new_command_does_not_overwrite_an_unfinished_set(interrupted_sweep: Path) -> None:
    with pytest.raises(ResultFileError, match="continue it with `resume`, or delete it"):
        CheckpointSet.open(
            interrupted_sweep, command="sweep", settings={"trials": 30}, seed=SEED, resume=False
        )


def test_resuming_nothing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError, match="no checkpoint to resume"):
        CheckpointSet.open(tmp_path / "none", command="sweep", settings={}, seed=1, resume=True)


def test_a_run_checkpoint_or_a_broken_set_is_not_resumed_as_a_set(tmp_path: Path) -> None:
    single = tmp_path / "run.checkpoint"
    with pytest.raises(KeyboardInterrupt):
        run(load_scenario(overrides=FAST), options(), progress=Counting(1), checkpoint=single)
    with pytest.raises(ResultFileError, match="this is the checkpoint of a `simroi run`, not of"):
        CheckpointSet.open(single, command="sweep", settings={}, seed=None, resume=True)

    broken = tmp_path / "broken.checkpoint"
    CheckpointSet.open(broken, command="sweep", settings={}, seed=SEED, resume=False)
    (broken / "set.json").write_text('{"format": "simroi-checkpoint-set", "seed": "x"}')
    with pytest.raises(ResultFileError) as refused:
        CheckpointSet.open(broken, command="sweep", settings={}, seed=None, resume=True)
    assert "broken.checkpoint: not a usable simroi checkpoint (" in str(refused.value)
    assert "\n" not in str(refused.value)
