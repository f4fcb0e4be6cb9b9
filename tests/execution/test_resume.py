"""Interruption and resume: Ctrl-C or SIGTERM keeps the finished blocks; --resume finishes the run.

A resumed run equals an uninterrupted run with the same seed, bit for bit, whether it was stopped
by a KeyboardInterrupt inside the library or by a real signal sent to a ``simroi run`` process;
a checkpoint from another run is refused, saying why; no output file is ever half-written.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from sessions import own_session

import simroi.execution.runner
from simroi.cli.app import main
from simroi.errors import ResultFileError
from simroi.execution.checkpoint import Checkpoint, CheckpointSet, default_checkpoint_path
from simroi.execution.result import RunResult
from simroi.execution.runner import RunInterrupted, RunOptions, run
from simroi.scenario.load import LoadedScenario, load_scenario

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]
SET_FAST = [arg for o in FAST for arg in ("--set", o)]
SEED = 424242


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(overrides=FAST)


def options(**kw: Any) -> RunOptions:
    return RunOptions(**{"trials": 60, "seed": SEED, "block_size": 10, "workers": 1, **kw})


@pytest.fixture(scope="module")
def uninterrupted(loaded: LoadedScenario) -> RunResult:
    return run(loaded, options())


def assert_identical(a: RunResult, b: RunResult) -> None:
    assert a.samples.keys() == b.samples.keys()
    for key in a.samples:
        np.testing.assert_array_equal(a.samples[key], b.samples[key], err_msg=key, strict=True)
    assert a.net_by_month is not None and b.net_by_month is not None
    np.testing.assert_array_equal(a.net_by_month, b.net_by_month, strict=True)
    assert a.monthly.keys() == b.monthly.keys() and a.monthly
    for key in a.monthly:
        np.testing.assert_array_equal(a.monthly[key], b.monthly[key], err_msg=key, strict=True)
    assert a.provenance.seed == b.provenance.seed
    assert a.provenance.stop_reason == b.provenance.stop_reason


def stop_after(blocks: int) -> Any:
    """A progress callback that presses Ctrl-C after ``blocks`` progress reports."""
    calls = []

    def progress(done: int, planned: int) -> None:
        calls.append(done)
        if len(calls) == blocks:
            raise KeyboardInterrupt

    return progress


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_run_resumes_to_the_same_bits(
    loaded: LoadedScenario, uninterrupted: RunResult, tmp_path: Path, workers: int
) -> None:
    kept = tmp_path / "run.checkpoint"
    with pytest.raises(RunInterrupted) as stopped:
        run(loaded, options(workers=workers), progress=stop_after(2), checkpoint=kept)
    assert stopped.value.checkpoint == kept and stopped.value.seed == SEED
    assert stopped.value.trials_done == 20 and stopped.value.trials_planned == 60
    finished = Checkpoint.resume(kept, Checkpoint.read_header(kept)).finished()
    assert len(finished) >= 2
    resumed_from = []
    resumed = run(
        loaded,
        options(workers=workers, seed=None),  # the seed comes from the checkpoint
        checkpoint=kept,
        resume=True,
        progress=lambda done, planned: resumed_from.append(done),
    )
    assert resumed_from[0] == 10 * len(finished)  # the kept blocks were not simulated again
    assert_identical(uninterrupted, resumed)


def test_an_auto_run_resumes_to_the_same_bits(
    loaded: LoadedScenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small stopping-rule bounds so that the run takes several rounds of blocks.
    monkeypatch.setattr(simroi.execution.runner, "AUTO_MIN_TRIALS", 40)
    monkeypatch.setattr(simroi.execution.runner, "AUTO_MAX_TRIALS", 100)
    auto = options(trials="auto")
    whole = run(loaded, auto)
    assert whole.trials >= 60  # at least two rounds: 40 trials, then 20 more (and so on)
    kept = tmp_path / "auto.checkpoint"
    with pytest.raises(RunInterrupted):
        run(loaded, auto, progress=stop_after(5), checkpoint=kept)  # in the second round
    assert Checkpoint.read_header(kept).trials == "auto"
    assert_identical(whole, run(loaded, auto, checkpoint=kept, resume=True))


def test_a_checkpoint_resumes_on_the_other_recursion_engine_and_not_on_simpy(
    loaded: LoadedScenario, uninterrupted: RunResult, tmp_path: Path
) -> None:
    """The compiled and numpy engines give the same bits, so either finishes the other's run;
    the simpy engine does not (its times differ in the last bits), so its run is refused."""
    kept = tmp_path / "run.checkpoint"
    with pytest.raises(RunInterrupted):
        run(loaded, options(engine="numpy"), progress=stop_after(2), checkpoint=kept)
    resumed = run(loaded, options(engine="compiled"), checkpoint=kept, resume=True)
    assert_identical(uninterrupted, resumed)
    other = tmp_path / "other.checkpoint"
    with pytest.raises(RunInterrupted):
        run(loaded, options(engine="compiled"), progress=stop_after(1), checkpoint=other)
    with pytest.raises(ResultFileError, match="it used the compiled engine, this run the simpy"):
        run(loaded, options(engine="simpy"), checkpoint=other, resume=True)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"overrides": ["customers.prospects=1"]}, "the scenario file or an override differs"),
        ({"seed": 7}, "it has seed 424242, this run has seed 7"),
        ({"trials": 80}, "it is for 60 trials, this run asks for 80"),
        ({"block_size": 20}, "its block size is 10, this run's is 20"),
        ({"version": "0.0.1"}, "it was written by simroi 0.0.1, this is simroi"),
    ],
)
def test_a_checkpoint_from_another_run_is_refused(
    tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    kept = tmp_path / "run.checkpoint"
    with pytest.raises(RunInterrupted):
        run(load_scenario(overrides=FAST), options(), progress=stop_after(1), checkpoint=kept)
    if "version" in change:
        header = json.loads((kept / "header.json").read_text())
        header["simroi_version"] = change["version"]
        (kept / "header.json").write_text(json.dumps(header))
    other = load_scenario(overrides=[*FAST, *change.get("overrides", [])])
    opts = options(
        **{k: v for k, v in change.items() if k in {"seed", "trials", "block_size"}},
    )
    with pytest.raises(ResultFileError) as refused:
        run(other, opts, checkpoint=kept, resume=True)
    message = str(refused.value)
    assert "cannot resume: this checkpoint belongs to another run" in message
    assert reason in message and "\n" not in message


def test_a_new_run_does_not_overwrite_an_unfinished_checkpoint(
    loaded: LoadedScenario, tmp_path: Path
) -> None:
    kept = tmp_path / "run.checkpoint"
    with pytest.raises(RunInterrupted):
        run(loaded, options(), progress=stop_after(1), checkpoint=kept)
    with pytest.raises(ResultFileError, match="continue it with `resume`, or delete it"):
        run(loaded, options(), checkpoint=kept)


def test_resume_needs_a_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    cases = {
        ("--resume",): "--resume needs the interrupted run's checkpoint",
        ("--resume", "--out", str(out)): "r.npz.checkpoint: no checkpoint to resume",
    }
    for args, message in cases.items():
        result = CliRunner().invoke(main, ["run", *SET_FAST, "--trials", "2", *args])
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ") and message in result.stderr
        assert len(result.stderr.splitlines()) == 1


# --- real signals to a real process --------------------------------------------------------


# Enough blocks (48) that the run cannot finish between the second kept block and the signal.
SIGNALLED = ["--trials", "240", "--set", "simulation.block_size=5", "--seed", str(SEED)]


def _simroi_run(out: Path, *extra: str) -> list[str]:
    return ["run", *SET_FAST, *SIGNALLED, "--quiet", "--out", str(out), *extra]


def _start_and_stop(args: list[str], sig: int, *, group: bool, blocks: int) -> tuple[int, str]:
    """Start ``simroi ARGS``, send ``sig`` once ``blocks`` blocks are kept; (status, stderr)."""
    out = Path(args[args.index("--out") + 1])
    kept = default_checkpoint_path(out)
    command = [sys.executable, "-c", "from simroi.cli.app import main; main()", *args]
    # Its own process group, as a terminal's foreground job (and killed with its workers if
    # the test fails).
    with own_session(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + 60
        while len(list(kept.glob("block-*.npz"))) < blocks:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.05)
        if group:  # Ctrl-C in a terminal signals every process of the foreground group
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


@pytest.mark.parametrize(
    ("sig", "group", "workers"),
    [(signal.SIGINT, True, "2"), (signal.SIGTERM, False, "1")],
    ids=["ctrl-c-to-the-group-with-2-workers", "sigterm-to-simroi-in-one-process"],
)
def test_a_signal_stops_cleanly_and_the_printed_command_resumes(
    tmp_path: Path, sig: int, group: bool, workers: str, signalled_uninterrupted: RunResult
) -> None:
    out = tmp_path / "result.npz"
    status, stderr = _start_and_stop(
        _simroi_run(out, "--workers", workers), sig, group=group, blocks=2
    )
    assert status == 130, stderr
    assert "Traceback" not in stderr
    # (after the compile notice, on a first run with a new or changed kernel source)
    first, second = [s for s in stderr.strip().splitlines() if not s.startswith("compiling")]
    kept = default_checkpoint_path(out)
    assert first.startswith("interrupted after ") and f"kept in {kept}" in first
    assert second.startswith("resume with: simroi run ") and second.endswith("--resume")
    assert not out.exists()  # no output, and no half-written temporary file beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.name]
    assert all(not p.name.endswith(".tmp") for p in kept.iterdir())

    resumed = CliRunner().invoke(main, shlex.split(second.removeprefix("resume with: "))[1:])
    assert resumed.exit_code == 0, resumed.output
    assert not kept.exists()  # the checkpoint is removed once the result is written
    assert_identical(RunResult.load(out), signalled_uninterrupted)


@pytest.fixture(scope="module")
def signalled_uninterrupted() -> RunResult:
    """The run the signal tests interrupt, without the interruption."""
    loaded = load_scenario(overrides=[*FAST, "simulation.block_size=5"])
    return run(loaded, RunOptions(trials=240, seed=SEED, workers=1))


# --- outputs that cannot be written ---------------------------------------------------------


def test_a_full_disk_at_the_end_keeps_the_trials_for_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.npz"
    args = ["run", *SET_FAST, "--trials", "20", "--seed", "3", "--workers", "1", "--quiet"]

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(np, "savez_compressed", full)  # the result file; checkpoints are plain
        result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {out}: cannot write: No space left on device")
    assert "rerun with --resume" in line
    assert not out.exists() and default_checkpoint_path(out).is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    def no_simulation(*args: Any) -> None:
        raise AssertionError("a resumed run with every block kept simulates nothing")

    monkeypatch.setattr(simroi.execution.runner, "_run_block", no_simulation)
    resumed = CliRunner().invoke(main, [*args, "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert RunResult.load(out).trials == 20


def test_a_full_disk_during_the_run_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_fsync = os.fsync

    def filling_up(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 3:  # the header and two blocks fit, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", filling_up)
    out = tmp_path / "r.npz"
    args = ["--trials", "40", "--seed", "3", "--workers", "1", "--set", "simulation.block_size=10"]
    result = CliRunner().invoke(main, ["run", *SET_FAST, *args, "--out", str(out)])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "block-000002.npz: cannot write: No space left on device" in line
    assert "the blocks finished so far are kept in" in line and "--resume" in line
    kept = default_checkpoint_path(out)
    assert sorted(p.name for p in kept.glob("block-*")) == ["block-000000.npz", "block-000001.npz"]


def test_a_tiny_filesystem_fills_up_with_a_one_line_error(tiny_disk: Path) -> None:
    out = tiny_disk / "r.npz"
    args = ["--trials", "200", "--seed", "3", "--workers", "1", "--set", "simulation.block_size=10"]
    result = CliRunner().invoke(main, ["run", *SET_FAST, *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "cannot write: No space left on device" in line
    assert not out.exists()
    assert not [p for p in tiny_disk.rglob("*.tmp")]  # no half-written file left behind


def test_a_read_only_filesystem_is_refused_before_simulating(read_only_disk: Path) -> None:
    out = read_only_disk / "r.npz"
    result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {out}: cannot write: Read-only file system"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_refused_before_simulating(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = CliRunner().invoke(main, ["run", "--out", str(locked / "r.npz")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {locked / 'r.npz'}: cannot write: Permission denied"


def test_an_unwritable_directory_is_refused_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the read-only test, for runs as root (which may write anywhere): the OS says no.
    import tempfile

    def denied(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("simulated before checking the output")

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    monkeypatch.setattr(simroi.execution.runner, "run", must_not_run)
    out = tmp_path / "r.npz"
    result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {out}: cannot write: Permission denied"
    for target, message in [
        (tmp_path / "missing" / "r.npz", "does not exist"),
        (tmp_path, "is a directory"),
    ]:
        result = CliRunner().invoke(main, ["run", "--out", str(target)])
        assert result.exit_code == 2 and message in result.stderr


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "Expecting property name"),
        ("[1, 2]", "(not a JSON object)"),
        ('{"format": "simroi-checkpoint-set"}', "no simroi checkpoint header"),
        ('{"format": "simroi-checkpoint", "format_version": 99}', "checkpoint format version 99"),
        ('{"format": "simroi-checkpoint", "format_version": 1}', "(no 'simroi_version')"),
    ],
)
def test_a_broken_checkpoint_header_is_refused_in_one_line(
    tmp_path: Path, text: str, reason: str
) -> None:
    kept = tmp_path / "r.npz.checkpoint"
    _assert_unusable(kept, "header.json", text, reason, lambda: Checkpoint.read_header(kept))


def _assert_unusable(
    kept: Path, name: str, text: str, reason: str, read: Callable[[], object]
) -> None:
    """A checkpoint whose ``name`` holds ``text`` is refused by ``read`` in one line, naming
    the checkpoint and ``reason``."""
    kept.mkdir()
    (kept / name).write_text(text)
    with pytest.raises(ResultFileError) as refused:
        read()
    message = str(refused.value)
    assert message.startswith(f"{kept}: not a usable simroi checkpoint (") and "\n" not in message
    assert reason in message


_SET_OK = '"format": "simroi-checkpoint-set", "format_version": 1'


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "Expecting property name"),
        ('"a set"', "(not a JSON object)"),
        ('{"format": "simroi-checkpoint"}', "(no simroi checkpoint set)"),
        ('{"format": "simroi-checkpoint-set", "format_version": 2}', "checkpoint format version 2"),
        ("{" + _SET_OK + "}", "(no 'seed')"),
        ("{" + _SET_OK + ', "seed": "x"}', "invalid literal for int()"),
        ("{" + _SET_OK + ', "seed": "7"}', "(no 'settings')"),
        ("{" + _SET_OK + ', "seed": "7", "settings": [1]}', "(settings are not a table)"),
    ],
)
def test_a_broken_checkpoint_set_is_refused_in_one_line(
    tmp_path: Path, text: str, reason: str
) -> None:
    kept = tmp_path / "c.npz.checkpoint"
    _assert_unusable(
        kept, "set.json", text, reason,
        lambda: CheckpointSet.open(kept, command="compare", settings={}, seed=None, resume=True),
    )  # fmt: skip


def test_a_checkpoint_set_of_another_kind_is_refused_by_name(tmp_path: Path) -> None:
    """Another command's set, a run's checkpoint, none at all: each says which it is."""
    kept = tmp_path / "c.npz.checkpoint"
    kept.mkdir()
    (kept / "set.json").write_text(
        "{" + _SET_OK + ', "seed": "7", "settings": {}, "command": "sweep"}'
    )
    cases = [("this is the checkpoint of a sweep, not of a compare", kept)]
    run_kept = tmp_path / "r.npz.checkpoint"
    run_kept.mkdir()
    (run_kept / "header.json").write_text("{}")
    cases.append(("this is the checkpoint of a `simroi run`, not of a compare", run_kept))
    cases.append(("no checkpoint to resume", tmp_path / "none"))
    for reason, path in cases:
        with pytest.raises(ResultFileError) as refused:
            CheckpointSet.open(path, command="compare", settings={}, seed=None, resume=True)
        assert str(refused.value).startswith(f"{path}: ") and reason in str(refused.value)
