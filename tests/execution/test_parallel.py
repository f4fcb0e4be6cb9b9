"""Parallel and distributed runs: the same seed gives the same bits on every executor.

Local processes and Dask (a local cluster of worker *processes*, started by the tests) run the
same blocks as a single process; streaming keeps memory to the result plus a few blocks, even for
a million trials; and a Dask cluster that cannot be used is a one-line error, never a hang.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import numpy as np
import pool_tasks
import pytest
from click.testing import CliRunner
from threads import gomp_spin_counts

import simroi.cli.simulate
import simroi.execution.distributed
import simroi.execution.runner
import simroi.execution.workers
from simroi.analysis.summary import summarize
from simroi.cli.app import main
from simroi.execution.result import RunResult
from simroi.execution.runner import MONTHLY_KEEP_LIMIT, RunOptions, _Blocks, run
from simroi.model.block import BlockResult, simulate_block
from simroi.randomness import DEFAULT_BLOCK_SIZE
from simroi.scenario.load import LoadedScenario, load_scenario
from simroi.scenario.spec import SimulationSpec

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]
SET_FAST = [arg for o in FAST for arg in ("--set", o)]


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(overrides=FAST)


def assert_identical(a: RunResult, b: RunResult) -> None:
    """Every per-trial array equal bit for bit (NaN where NaN), and the same provenance."""
    assert a.samples.keys() == b.samples.keys()
    for key in a.samples:
        np.testing.assert_array_equal(a.samples[key], b.samples[key], err_msg=key, strict=True)
    assert (a.net_by_month is None) == (b.net_by_month is None)
    if a.net_by_month is not None:
        np.testing.assert_array_equal(a.net_by_month, b.net_by_month, strict=True)
    assert a.monthly.keys() == b.monthly.keys() and a.monthly
    for key in a.monthly:
        np.testing.assert_array_equal(a.monthly[key], b.monthly[key], err_msg=key, strict=True)
    assert a.provenance.seed == b.provenance.seed
    assert a.provenance.trials == b.provenance.trials


def options(**kw: Any) -> RunOptions:
    return RunOptions(**{"trials": 50, "seed": 20240611, "block_size": 10, **kw})


@pytest.fixture(scope="module")
def one_process(loaded: LoadedScenario) -> RunResult:
    return run(loaded, options(workers=1))


def test_local_processes_give_the_same_bits_as_one_process(
    loaded: LoadedScenario, one_process: RunResult
) -> None:
    assert_identical(one_process, run(loaded, options(workers=2)))


def test_dask_local_cluster_gives_the_same_bits_as_one_process(
    loaded: LoadedScenario, one_process: RunResult
) -> None:
    # No --scheduler: simroi starts (and closes) a local cluster of 2 worker processes.
    assert_identical(one_process, run(loaded, options(workers=2, executor="dask")))


def test_dask_scheduler_address_gives_the_same_bits_as_one_process(
    loaded: LoadedScenario, one_process: RunResult
) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        result = run(loaded, options(executor="dask", scheduler=address))
        # The CLI path too: the same seed, the same numbers in the JSON summary.
        args = ["--trials", "50", "--seed", "20240611", "--set", "simulation.block_size=10"]
        dask = ["--executor", "dask", "--scheduler", address]
        cli = CliRunner().invoke(main, ["run", *SET_FAST, *args, *dask, "--json", "--quiet"])
    assert_identical(one_process, result)
    assert cli.exit_code == 0, cli.output
    summary = json.loads(cli.stdout)
    expected = json.loads(json.dumps(summarize(one_process).to_dict()))
    assert summary["trials"] == 50
    assert (summary["roi"], summary["npv"]) == (expected["roi"], expected["npv"])


def test_a_dask_cluster_that_cannot_be_reached_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(simroi.execution.distributed, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cases = {
        f"tcp://127.0.0.1:{port}": "cannot connect to a Dask scheduler within 1 s",
        "not an address": "not a Dask scheduler address",
        "tcp://host:99999": "not a Dask scheduler address",
    }
    for address, message in cases.items():
        result = CliRunner().invoke(
            main,
            ["run", *SET_FAST, "--trials", "2", "--executor", "dask", "--scheduler", address],
        )
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_a_scheduler_without_the_dask_executor_is_refused() -> None:
    result = CliRunner().invoke(main, ["run", "--trials", "2", "--scheduler", "tcp://h:8786"])
    assert result.exit_code == 2
    assert "a scheduler is for --executor dask" in result.stderr


def test_without_dask_installed_the_message_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    result = CliRunner().invoke(main, ["run", *SET_FAST, "--trials", "2", "--executor", "dask"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --executor dask: install the dask extra: pip install 'simroi[dask]'"
    )


def test_workers_default_to_every_core_and_single_blocks_stay_in_process(
    loaded: LoadedScenario,
) -> None:
    blocks = _Blocks(RunOptions())
    assert blocks.workers == simroi.execution.workers.cores() >= 1
    with blocks:
        finished = list(blocks.run(loaded, 1, [(0, 2)]))
    assert blocks.pool is None  # one block: no processes are started for it
    assert [b for b, _ in finished] == [0]


class _CountingExecutor(Executor):
    """Runs each task at once, and records how many results were waiting to be consumed."""

    def __init__(self) -> None:
        self.waiting = 0
        self.most_waiting = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        return future


def test_blocks_are_streamed_with_a_bounded_number_in_flight(
    loaded: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simroi.execution.runner, "_run_block", lambda *args: args[2])
    pool = _CountingExecutor()
    blocks = _Blocks(RunOptions(workers=3))
    plan = [(k, 10) for k in range(40)]
    seen = []
    for block, _ in blocks._pool(pool, loaded, 1, plan):
        seen.append(block)
        pool.waiting -= 1
    assert sorted(seen) == list(range(40))
    assert pool.most_waiting == simroi.execution.runner.IN_FLIGHT_PER_WORKER * 3


def _synthetic_blocks(loaded: LoadedScenario) -> Callable[..., BlockResult]:
    """A stand-in for a block with the real block's keys and shapes, cheap to make."""
    real = simulate_block(loaded, entropy=1, block=0, trials=1)

    def fake(_loaded: Any, _entropy: int, block: int, trials: int, _engine: str) -> BlockResult:
        def col(value: float) -> np.ndarray:
            return np.full(trials, value + block)

        return BlockResult(
            roi=col(0.1),
            npv=col(1.0),
            payback_months=col(3.0),
            pv_benefits=col(2.0),
            pv_costs=col(1.0),
            pv={k: col(1.0) for k in real.pv},
            kpis={k: col(0.5) for k in real.kpis},
            net_by_month=np.ones((trials, real.net_by_month.shape[1])),
            inputs={k: col(0.2) for k in real.inputs},
        )

    return fake


def test_a_million_trials_keep_per_trial_scalars_only(
    loaded: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulation itself is replaced (its memory is per block, see benchmarks/README.md):
    # this checks what the runner keeps while a million trials stream through it.
    monkeypatch.setattr(simroi.execution.runner, "_run_block", _synthetic_blocks(loaded))
    trials, block_size = 1_000_000, 20_000
    tracemalloc.start()
    try:
        result = run(loaded, RunOptions(trials=trials, seed=1, workers=1, block_size=block_size))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.trials == trials and trials > MONTHLY_KEEP_LIMIT
    assert result.net_by_month is None  # monthly cash flows are dropped beyond the limit
    assert all(v.shape == (trials,) and v.dtype == np.float64 for v in result.samples.values())
    kept = sum(v.nbytes for v in result.samples.values())
    per_block = kept / trials * block_size * 2  # a block's arrays, plus the block's monthly flows
    assert peak < kept + 4 * per_block, (peak / 2**20, kept / 2**20)
    assert result.samples["roi"][-1] == pytest.approx(0.1 + trials // block_size - 1)


def test_monthly_cash_flows_are_kept_up_to_the_limit(
    loaded: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simroi.execution.runner, "MONTHLY_KEEP_LIMIT", 30)
    small = run(loaded, options(trials=30, workers=1))
    large = run(loaded, options(trials=40, workers=1))
    assert small.net_by_month is not None and small.net_by_month.shape == (30, 3)
    assert large.net_by_month is None
    np.testing.assert_array_equal(small.samples["npv"], large.samples["npv"][:30])


def test_running_out_of_memory_in_a_block_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def exhausted(*args: Any) -> BlockResult:
        raise MemoryError

    monkeypatch.setattr(simroi.execution.runner, "_run_block", exhausted)
    result = CliRunner().invoke(main, ["run", *SET_FAST, "--trials", "2", "--workers", "1"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: out of memory simulating a block")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_workers_reuse_freed_memory_instead_of_faulting_it_in_again() -> None:
    """A block allocates and frees tables of similar sizes month after month: in a process that
    keeps freed memory, the second month's tables cost no page faults (by default thousands here,
    fewer with transparent huge pages always on)."""
    code = (
        "import resource, sys\n"
        "import numpy as np\n"
        "from simroi.execution.workers import keep_freed_memory\n"
        "if sys.argv[1] == 'keep':\n"
        "    keep_freed_memory()\n"
        "def month(scale):\n"
        "    sizes = (2_300_000, 1_150_000, 3_100_000, 600_000, 5_000_000)\n"
        "    return [np.ones(int(n * scale)) for n in sizes]\n"
        "month(1.0)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "month(0.97)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n"
    )
    kept, default = (
        int(
            subprocess.run(
                [sys.executable, "-c", code, how], check=True, capture_output=True, text=True
            ).stdout
        )
        for how in ("keep", "default")
    )
    assert kept < 100 and kept < default


def test_workers_started_early_serve_the_next_pool_of_their_size() -> None:
    """`simroi run` starts its worker processes before it loads the scenario; the run takes
    them, and a pool nobody takes is stopped, its processes gone."""
    simroi.execution.workers.start_early(2)
    try:
        pool = simroi.execution.workers.new_pool(2)
        other = simroi.execution.workers.new_pool(2)
        assert other is not pool  # taken once
        other.shutdown()
        assert pool.submit(int, "7").result(timeout=60) == 7
        simroi.execution.workers.stop(pool, wait=True)
        simroi.execution.workers.start_early(2)
        early = simroi.execution.workers._early
        assert early is not None
        processes = list(early[1]._processes.values())  # type: ignore[attr-defined]
        simroi.execution.workers.discard_early()
        for process in processes:
            process.join(timeout=30)
            assert not process.is_alive()
        assert simroi.execution.workers._early is None
        simroi.execution.workers.start_early(4)  # more workers than a default run has blocks
        early = simroi.execution.workers._early
        assert early is not None and early[0] == 4
        assert len(early[1]._processes) == simroi.execution.workers.EARLY_PROCESSES  # type: ignore[attr-defined]
    finally:
        simroi.execution.workers.discard_early()


@pytest.mark.parametrize(
    ("trials", "early"), [(["--trials", "20"], False), (["--trials", "500"], False), ([], True)]
)
def test_a_run_of_one_block_starts_no_workers_ahead(
    monkeypatch: pytest.MonkeyPatch, trials: list[str], early: bool
) -> None:
    """A run of one block runs in the command's own process: workers started ahead of it would
    only take the cores while they import. Without --trials (the scenario's, two blocks for the
    default) or with more than a block, they start ahead."""
    started = []

    def stop_here(workers: int) -> None:
        started.append(workers)
        raise KeyboardInterrupt  # no need to run it: what matters is whether they started

    monkeypatch.setattr(simroi.execution.workers, "start_early", stop_here)
    result = CliRunner().invoke(main, ["run", *trials, "--seed", "1", "--quiet", *SET_FAST])
    assert bool(started) == early
    assert result.exit_code == (130 if early else 0), result.output
    assert not simroi.cli.simulate.one_block(501) and not simroi.cli.simulate.one_block("auto")
    # The usual block is a scenario's default.
    assert SimulationSpec().block_size == DEFAULT_BLOCK_SIZE


# A task a worker process can import by name (os.getenv), whatever the test module's name.
_threads_setting = functools.partial(os.getenv, "NUMBA_NUM_THREADS")


def test_dask_workers_run_the_compiled_kernels_on_one_thread_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dask's worker processes share the cores: a thread each (a user's own setting stands)."""
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    client = simroi.execution.distributed.dask_client(None, 2)
    try:
        assert set(client.run(_threads_setting).values()) == {"1"}
        # This process keeps its own setting (numba compiles nothing more once it changes),
        # also when a nanny starts a worker again.
        assert os.environ.get("NUMBA_NUM_THREADS") is None
        client.restart()
        assert set(client.run(_threads_setting).values()) == {"1"}
        assert os.environ.get("NUMBA_NUM_THREADS") is None
    finally:
        client.close()


class _Count:
    """A stand-in for the pool's shared count of busy workers."""

    def __init__(self, value: int) -> None:
        self.value = value


def _counted_down(pool: Any) -> bool:
    """Whether the pool's count of unfinished tasks comes back to 0 (a future's callbacks,
    which count it down, may run just after its result is handed out)."""
    deadline = time.monotonic() + 30.0
    while pool.busy.value and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(pool.busy.value == 0)


def test_local_workers_share_the_cores_among_those_running_a_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A local worker may start numba with a thread per core (a user's own setting caps it) and
    its kernels take the cores shared out among the workers running a task, asked month by
    month: the last task of a pool takes the cores the others leave idle."""
    workers = simroi.execution.workers
    assert workers.thread_share() is None  # not a pool's worker
    monkeypatch.setattr(workers, "cores", lambda: 8)
    monkeypatch.setattr(workers, "_workers", 4)  # a pool of four: tasks queued beyond count not
    shares = []
    for busy in range(7):
        monkeypatch.setattr(workers, "_busy", _Count(busy))
        share = workers.thread_share()
        assert share is not None
        shares.append(share())
    assert shares == [8, 8, 4, 2, 2, 2, 2]
    monkeypatch.undo()

    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    pool = workers.new_pool(2)
    try:
        assert pool.submit(_threads_setting).result() == str(workers.cores())
        # Counted from submission to result: two tasks at once get half the cores each (one at
        # least), whichever starts first; a task alone gets them all.
        with multiprocessing.Manager() as manager:
            together = manager.Barrier(2)
            both = [pool.submit(pool_tasks.share_once_counted, 2, together) for _ in range(2)]
            assert [f.result() for f in both] == [max(1, workers.cores() // 2)] * 2
        assert _counted_down(pool)
        assert pool.submit(pool_tasks.share_once_counted, 1).result() == workers.cores()
        assert _counted_down(pool)
    finally:
        workers.stop(pool, wait=True)
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    pool = workers.new_pool(1)
    try:
        assert pool.submit(_threads_setting).result() == "1"
    finally:
        workers.stop(pool, wait=True)


def test_a_block_in_a_worker_takes_the_cores_left_idle(loaded: LoadedScenario) -> None:
    """A worker running a run's block alone (simroi.execution.runner._run_block) has its
    kernels take every core, month by month, from the one thread it started the block on."""
    workers = simroi.execution.workers
    if workers.cores() < 2:
        pytest.skip("one core: nothing to take")
    pool = workers.new_pool(1)
    try:
        threads = pool.submit(pool_tasks.threads_after_a_block, loaded).result()
    finally:
        workers.stop(pool, wait=True)
    assert threads == min(workers.cores(), int(os.environ.get("NUMBA_NUM_THREADS", "1024")))


_FIRST_TASK = (
    "import functools\n"
    "from simroi.execution import workers\n"
    "from simroi.model.kernels import use_threads\n"
    "pool = workers.new_pool(1)\n"
    "pool.submit(functools.partial(use_threads, 'compiled', 2)).result()\n"
    "workers.stop(pool, wait=True)\n"
)


def test_a_workers_threads_wait_asleep_from_its_first_task() -> None:
    """A worker's first task sets its kernels' thread count, which starts numba's threads: the
    wait policy is set before (GNU OpenMP reports a spin count of 0; see
    tests/queueing/test_compiled.py), as this process never set it."""
    _, reported = gomp_spin_counts(_FIRST_TASK)
    if not reported:
        pytest.skip("numba's threads do not run on GNU OpenMP here")
    assert reported == ["'0'"]
