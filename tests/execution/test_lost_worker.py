"""A lost worker: a process-pool worker killed by the OS stops the run with a one-line error and
its finished blocks kept for --resume; a Dask worker killed mid-run is replaced and its blocks
rerun, with the same bits; a Dask cluster left without workers stops the run rather than hang.
Never a hang, never a silently smaller result."""

from __future__ import annotations

import ast
import multiprocessing
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from sessions import in_own_session

import simroi.cli.simulate
import simroi.execution.distributed
import simroi.execution.workers
from simroi.cli.app import main
from simroi.execution.checkpoint import Checkpoint, default_checkpoint_path
from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions, run
from simroi.execution.workers import WorkerLost
from simroi.scenario.load import LoadedScenario, load_scenario

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]
SEED = 8080


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(overrides=FAST)


def options(**kw: Any) -> RunOptions:
    return RunOptions(**{"trials": 60, "seed": SEED, "block_size": 10, "workers": 1, **kw})


@pytest.fixture(scope="module")
def uninterrupted(loaded: LoadedScenario) -> RunResult:
    return run(loaded, options())


def assert_identical(a: RunResult, b: RunResult) -> None:
    assert a.trials == b.trials and a.samples.keys() == b.samples.keys()
    for key in a.samples:
        np.testing.assert_array_equal(a.samples[key], b.samples[key], err_msg=key, strict=True)


def kill_a_pool_worker() -> int:
    """SIGKILL one of this process's worker processes, as the out-of-memory killer would."""
    child = multiprocessing.active_children()[0]
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    return child.pid


def test_a_pool_worker_killed_by_the_os_is_a_one_line_error_and_the_run_resumes(
    loaded: LoadedScenario, uninterrupted: RunResult, tmp_path: Path
) -> None:
    kept = tmp_path / "run.checkpoint"
    killed: list[int] = []

    def progress(done: int, planned: int) -> None:
        if not killed:
            killed.append(kill_a_pool_worker())

    with pytest.raises(WorkerLost) as lost:
        run(loaded, options(workers=2), progress=progress, checkpoint=kept)
    message = str(lost.value)
    assert message.startswith("a worker process died") and "\n" not in message
    assert "lack of memory: lower `workers` or simulation.block_size" in message
    assert f"are kept in {kept}: rerun with `resume` to finish the run" in message
    finished = Checkpoint.resume(kept, Checkpoint.read_header(kept)).finished()
    assert 1 <= len(finished) < 6
    assert_identical(uninterrupted, run(loaded, options(), checkpoint=kept, resume=True))


def test_on_the_command_line_a_killed_worker_exits_2_with_the_resume_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uninterrupted: RunResult
) -> None:
    out = tmp_path / "r.npz"
    args = ["run", *(w for o in FAST for w in ("--set", o)), "--set", "simulation.block_size=10"]
    args += ["--trials", "60", "--seed", str(SEED), "--quiet", "--out", str(out)]
    killed: list[int] = []

    def update(done: int, planned: int) -> None:
        if not killed:
            killed.append(kill_a_pool_worker())

    with monkeypatch.context() as patch:
        patch.setattr(
            simroi.cli.simulate, "progress_bar", lambda quiet, estimate=None: (None, update)
        )
        result = CliRunner().invoke(main, [*args, "--workers", "2"])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: a worker process died") and "lower --workers" in line
    assert line.endswith(
        f"kept in {default_checkpoint_path(out)}: rerun with --resume to finish the run"
    )
    assert not out.exists()
    resumed = CliRunner().invoke(main, [*args, "--workers", "1", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert_identical(uninterrupted, RunResult.load(out))


# --- A worker that exits instead of being killed ----------------------------------------------

UNGUARDED = """
import simroi
result = simroi.run(trials=20, seed=1, workers=2, overrides=[
    "scenario.horizon_months=2", "simulation.sampled_days_per_month=1", "simulation.block_size=10",
])
print("trials", result.trials)
"""


def _script(path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path.write_text(text)
    # The simroi under test, wherever the script runs: an absolute path on PYTHONPATH.
    paths = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return in_own_session([sys.executable, str(path)], 180, cwd=path.parent, env=env)


def test_a_script_without_a_main_guard_is_told_so_not_blamed_on_memory(tmp_path: Path) -> None:
    """Worker processes run the calling script again as they start; unguarded, its call to
    simroi starts processes from a starting process, which multiprocessing refuses, and the
    worker exits with status 1. The error says so, and the guarded script runs."""
    done = _script(tmp_path / "unguarded.py", UNGUARDED)
    assert done.returncode != 0
    said = [line for line in done.stderr.splitlines() if line.startswith("simroi.")]
    assert said, done.stderr
    last = said[-1]
    assert last.startswith(
        "simroi.execution.workers.WorkerLost: a worker process exited with status 1 while "
        "simulating block "
    )
    assert '`if __name__ == "__main__":`' in last and "memory" not in last
    guarded = "if __name__ == '__main__':\n" + "".join(
        f"    {line}\n" for line in UNGUARDED.strip().splitlines()
    )
    done = _script(tmp_path / "guarded.py", guarded)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["trials 20"]


class _Ended:
    """A pool's process that has ended with ``exitcode``."""

    def __init__(self, exitcode: int | None, pid: int) -> None:
        self.exitcode, self.pid = exitcode, pid

    def join(self, timeout: float | None = None) -> None:
        pass

    def kill(self) -> None:  # a live one dies of it
        self.exitcode = -signal.SIGKILL


class _BrokenPool(Executor):
    """A broken pool's processes, as lost_process reads them."""

    def __init__(self, *codes: int | None) -> None:
        self._processes = {pid: _Ended(code, pid) for pid, code in enumerate(codes, start=100)}


BLOCK_3 = "while simulating block 3"


@pytest.mark.parametrize(
    ("codes", "said"),
    [
        ((-signal.SIGKILL, -signal.SIGTERM), f"died {BLOCK_3} (killed by the operating system"),
        ((), f"died {BLOCK_3} (killed by the operating system"),
        ((1, -signal.SIGTERM), f"exited with status 1 {BLOCK_3} (its error is printed above"),
        ((0, -signal.SIGTERM), f"ended unexpectedly {BLOCK_3} (exit status 0; its error"),
        ((-signal.SIGSEGV, -signal.SIGTERM), f"ended unexpectedly {BLOCK_3} (signal SIGSEGV;"),
        ((-signal.SIGTERM, -signal.SIGTERM), f"ended unexpectedly {BLOCK_3} (signal SIGTERM;"),
    ],
)
def test_the_lost_worker_error_tells_the_kind_of_death_by_its_exit_code(
    codes: tuple[int, ...], said: str
) -> None:
    """A SIGKILL (or no code at all) is the operating system's; an error status, a worker that
    exited (a script without its main guard); anything else is told as it is. The pool itself
    SIGTERMs the other workers once one has died."""
    message = str(simroi.execution.workers.lost_process(3, _BrokenPool(*codes)))
    assert message.startswith(f"a worker process {said}"), message


def test_workers_simroi_killed_itself_are_not_the_cause() -> None:
    """The watchdog kills every worker of a pool that missed a death (wait_first): those
    SIGKILLs are simroi's own, and the worker that exited is the one reported."""
    pool = _BrokenPool(None, 1)  # one still running, one that exited
    simroi.execution.workers._unstick(pool)  # the watchdog's break
    assert [p.exitcode for p in pool._processes.values()] == [-signal.SIGKILL, 1]
    message = str(simroi.execution.workers.lost_process(None, pool))
    assert message.startswith("a worker process exited with status 1 (its error is printed")


# --- A worker killed halfway through sending its result ------------------------------------------

# What a worker killed while sending its result leaves behind, made on purpose: the queue's write
# lock held for good, the message's length and a few of its bytes in the pipe, and a dead worker.
# The pool's manager thread then waits for the rest of the message forever (CPython 3.11-3.13),
# and nothing that waits on the pool's futures ever returns unless simroi sees to it. Each case
# runs in its own process, so that a regression fails on the timeout instead of hanging the tests.
HALF_SENT = f"""
import gc, os, signal, struct, sys, time
from concurrent.futures import ProcessPoolExecutor
from simroi.execution import workers
from simroi.execution.runner import RunOptions

def half_a_result(pool):
    queue = pool._result_queue
    queue._wlock.acquire()  # held by the killed writer: never released
    os.write(queue._writer.fileno(), struct.pack("!i", 1 << 20) + b"half")
    victim = next(iter(pool._processes.values()))
    os.kill(victim.pid, signal.SIGKILL)

def the_pool():
    (pool,) = [o for o in gc.get_objects() if isinstance(o, ProcessPoolExecutor)]
    return pool

def once(action):
    done = []
    def progress(finished, planned):
        if not done:
            done.append(action())
    return progress

FAST = {FAST!r}
OPTIONS = RunOptions(trials=60, seed={SEED}, block_size=10, workers=2)
"""

HALF_SENT_CASES = {
    "waiting": """
pool = workers.new_pool(2)
futures = [pool.submit(time.sleep, 600) for _ in range(2)]
half_a_result(pool)
done = workers.wait_first(pool, futures)
print(sorted(type(f.exception()).__name__ for f in done))
workers.stop(pool, wait=False)
""",
    "stopping": """
pool = workers.new_pool(2)
futures = [pool.submit(time.sleep, 600) for _ in range(2)]
half_a_result(pool)
time.sleep(1)
workers.stop(pool, wait=False)
print(sorted(type(f.exception()).__name__ for f in futures))
""",
    "held": """
import subprocess
from simroi.execution.workers import WorkerLost
pool = workers.new_pool(2)
futures = [pool.submit(time.sleep, 600) for _ in range(2)]
# A process outside the pool with a copy of the result pipe: breaking the pool cannot end the
# manager's read while it lives, so the wait gives up with the one-line error.
holder = subprocess.Popen(["sleep", "20"], pass_fds=[pool._result_queue._writer.fileno()])
half_a_result(pool)
try:
    workers.wait_first(pool, futures)
except WorkerLost as lost:
    print(lost)
workers.stop(pool, wait=False)
""",
    "lock": """
# Stands in for a worker killed while idle, holding the tasks' queue lock (it waits there for
# work), just as the pool shuts down (CI saw it once: the pool then handles the shutdown before
# the death, and waits forever for the other worker, which never receives the request to exit).
# Here the lock is held for good from the start, so no worker receives anything at all.
pool = workers.new_pool(2)
pool._call_queue._rlock.acquire()
futures = [pool.submit(int, "7") for _ in range(2)]
workers.stop(pool, wait=True)
# Broken, or (Python 3.13, now and then) cancelled while still queued: either way ended.
print(sorted(
    "CancelledError" if f.cancelled() else type(f.exception()).__name__ for f in futures
))
""",
    "run": """
from simroi.execution.runner import run
from simroi.execution.workers import WorkerLost
from simroi.scenario.load import load_scenario
try:
    run(load_scenario(overrides=FAST), OPTIONS, progress=once(lambda: half_a_result(the_pool())))
except WorkerLost as lost:
    print(lost)
""",
    "compare": """
from simroi.analysis.comparison import run_comparison
from simroi.execution.workers import WorkerLost
try:
    run_comparison(
        ["default", "social-team-2", "social-team-3"],
        OPTIONS,
        overrides=FAST,
        progress=once(lambda: half_a_result(the_pool())),
    )
except WorkerLost as lost:
    print(lost)
""",
}


@pytest.mark.parametrize("case", HALF_SENT_CASES)
def test_a_worker_killed_halfway_through_sending_its_result_is_lost_not_waited_for(
    case: str,
) -> None:
    """Waiting on the pool's futures, stopping the pool, a run and a comparison's whole runs on
    worker processes: each ends (the pool is broken, as for any lost worker), none hangs; where
    the pool cannot be broken (``held``), the wait ends with the lost worker's error."""
    script = HALF_SENT + HALF_SENT_CASES[case] + "print('ended')\n"
    done = in_own_session([sys.executable, "-c", script], 120)  # a worker waits on the lock held
    assert done.returncode == 0, done.stderr
    *said, ended = done.stdout.splitlines()
    assert ended == "ended"
    if case == "held":
        (line,) = said
        assert line.startswith("a worker process died (killed by the operating system")
    elif case == "lock":
        ended_as = {"BrokenProcessPool", "CancelledError"}
        assert len(said) == 1 and set(ast.literal_eval(said[0])) <= ended_as, said
    elif case in ("waiting", "stopping"):
        assert said == ["['BrokenProcessPool', 'BrokenProcessPool']"]
    else:
        (line,) = said
        assert line.startswith("a worker process died while simulating ")


# --- Dask -------------------------------------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=50,
    ) as local:
        yield local


def test_a_killed_dask_worker_is_replaced_and_the_run_gives_the_same_bits(
    loaded: LoadedScenario, uninterrupted: RunResult, cluster: Any
) -> None:
    from distributed import Client

    killed: list[int] = []
    with Client(cluster.scheduler_address, set_as_default=False) as watcher:

        def progress(done: int, planned: int) -> None:
            if not killed:  # after the first block: kill one worker's process outright
                pids = sorted(watcher.run(os.getpid).values())  # each worker's process id
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        dask = options(executor="dask", scheduler=cluster.scheduler_address)
        result = run(loaded, dask, progress=progress)
        alive = list(watcher.run(os.getpid).values())
    assert killed and killed[0] not in alive  # the worker was lost (and its nanny replaced it)
    assert_identical(uninterrupted, result)


def test_a_dask_cluster_that_loses_every_worker_stops_the_run_and_never_hangs(
    loaded: LoadedScenario,
    uninterrupted: RunResult,
    cluster: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from distributed import Client

    kept = tmp_path / "run.checkpoint"
    stopped: list[bool] = []

    def progress(done: int, planned: int) -> None:
        if not stopped:  # after the first block, every worker goes away for good
            cluster.scale(0)
            stopped.append(True)

    dask = options(executor="dask", scheduler=cluster.scheduler_address)
    with pytest.raises(WorkerLost) as lost:
        run(loaded, dask, progress=progress, checkpoint=kept)
    message = str(lost.value)
    assert message.startswith("Dask lost block ") and "\n" not in message
    assert "every worker holding the scenario it was sent died" in message
    assert f"kept in {kept}: rerun with `resume`" in message
    assert_identical(uninterrupted, run(loaded, options(), checkpoint=kept, resume=True))

    # Blocks waiting on a cluster with no worker at all: a one-line error, not a wait forever.
    monkeypatch.setattr(simroi.execution.distributed, "NO_WORKERS_TIMEOUT_S", 2.0)
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        blocks = simroi.execution.distributed.finished_blocks(
            client, [(0, 1)], lambda block, trials: client.submit(int, block, pure=False), 1
        )
        with pytest.raises(WorkerLost, match="the Dask cluster has had no worker for 2 s"):
            next(blocks)
