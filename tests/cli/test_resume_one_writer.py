"""Real processes. One writer: two simroi processes on the same --out, or resuming the same
checkpoint, at the same time: the second refuses in one line naming the lock file and the first
one's pid, and the first writes its result untouched. And SIGTERM to a sweep keeps its finished
runs; the command it prints resumes it to the uninterrupted sweep's bits."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sessions import in_own_session, own_session

import simroi.cli.resumable
from simroi.cli.app import main
from simroi.execution.lock import lock_path
from simroi.execution.result import RunResult, load_any

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: Linux and macOS")

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]
SHORT = [
    *(w for o in [*FAST, "simulation.block_size=10"] for w in ("--set", o)),
    *("--trials", "20", "--seed", "9", "--workers", "1", "--quiet"),
]

# simroi ARGS, which waits after its first block until the file RELEASE exists: the second
# command then surely starts while the first one holds the lock, whatever the machine's load.
PAUSED = """
import sys, time
from pathlib import Path
import simroi.cli.resumable, simroi.cli.simulate
from simroi.cli.app import main

release = Path(sys.argv.pop(1))

def wait(done, planned):
    while not release.exists():
        time.sleep(0.02)

for module in (simroi.cli.resumable, simroi.cli.simulate):
    module.progress_bar = lambda quiet, estimate=None: (None, wait)
main()
"""


def command_line(*args: str) -> list[str]:
    return [sys.executable, "-c", "from simroi.cli.app import main; main()", *args]


def race(args: list[str], out: Path, tmp_path: Path) -> None:
    """Start ``simroi ARGS``; while it holds the lock of ``out``, run the same command again,
    which must refuse; then let the first one finish, which must succeed."""
    release = tmp_path / "release"
    paused = [sys.executable, "-c", PAUSED, str(release), *args]
    with own_session(paused, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as first:
        lock = lock_path(out)
        deadline = time.monotonic() + 120
        while not (lock.exists() and lock.read_text().strip()):
            assert first.poll() is None, "the first command ended before the second started"
            assert time.monotonic() < deadline, "no lock appeared"
            time.sleep(0.02)
        second = in_own_session(command_line(*args), 120)
        release.touch()
        _, stderr = first.communicate(timeout=120)
    release.unlink()
    assert first.returncode == 0, stderr
    line = f"error: {lock}: {out} is in use by another simroi command (pid {first.pid} on "
    assert second.returncode == 2, second.stderr
    assert second.stderr.splitlines() == [second.stderr.strip()]
    assert second.stderr.startswith(line)


def test_two_runs_writing_the_same_out(tmp_path: Path) -> None:
    out = tmp_path / "same.npz"
    race(["run", *SHORT, "--out", str(out)], out, tmp_path)
    result = RunResult.load(out)  # the first one's, whole
    assert result.trials == 20 and result.provenance.seed == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.npz"]  # no lock, no checkpoint


def test_two_sweeps_resuming_the_same_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sweep.npz"
    args = ["sweep", *SHORT, "--set", "channels.social.agents=1:2", "--out", str(out)]
    calls = []

    def stop(done: int, planned: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(
            simroi.cli.resumable, "progress_bar", lambda quiet, estimate=None: (None, stop)
        )
        assert CliRunner().invoke(main, args).exit_code == 130
    race([*args, "--resume"], out, tmp_path)
    result = load_any(out)
    assert [run.trials for run in result.runs] == [20, 20]  # type: ignore[union-attr]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.npz"]


def test_sigterm_to_a_sweep_keeps_its_runs_and_the_printed_command_resumes(
    tmp_path: Path,
) -> None:
    out = tmp_path / "s.npz"
    args = ["sweep", *SHORT, "--set", "channels.social.agents=1:2", "--out", str(out)]
    never = tmp_path / "never"  # not created: the process waits after its first block
    first_block = tmp_path / "s.npz.checkpoint" / "run-0000" / "block-000000.npz"
    paused = [sys.executable, "-c", PAUSED, str(never), *args]
    with own_session(paused, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + 120
        while not first_block.exists():
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no block was kept"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    first, second = stderr.strip().splitlines()
    assert first.startswith("interrupted after 10 of 40 trials; the finished runs and blocks")
    assert second.startswith("resume with: simroi sweep ") and second.endswith("--resume")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz.checkpoint"]

    resumed = CliRunner().invoke(main, shlex.split(second.removeprefix("resume with: "))[1:])
    assert resumed.exit_code == 0, resumed.output
    whole = tmp_path / "whole.npz"
    assert CliRunner().invoke(main, [*args[:-1], str(whole)]).exit_code == 0
    got, want = load_any(out), load_any(whole)
    for a, b in zip(got.runs, want.runs, strict=True):  # type: ignore[union-attr]
        for key in b.samples:
            np.testing.assert_array_equal(a.samples[key], b.samples[key], strict=True)
