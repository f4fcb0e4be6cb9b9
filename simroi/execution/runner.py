"""Running a scenario: trials in fixed-size blocks, on any executor, reduced to a RunResult.

Block *k* of a run always draws from the streams spawned for block *k* (:mod:`simroi.randomness`),
so the result is bit-identical whether the blocks run in this process, in a pool of local
processes (``workers``), or on a Dask cluster (``executor="dask"``), and whether or not the run was
interrupted and resumed from a checkpoint (:mod:`simroi.execution.checkpoint`).

Memory is bounded by the block size, not the trial count. Blocks are streamed: at most two per
worker are in flight, and each finished block is reduced into the run's preallocated per-trial
arrays (float64 scalars per trial, plus the monthly cash flows up to
:data:`MONTHLY_KEEP_LIMIT` trials and the month-by-month KPIs, float32, up to
:data:`MONTHLY_KPIS_LIMIT` trials) and dropped, so a million trials hold about one kilobyte per
trial and a few blocks' working memory.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from simroi import __version__
from simroi.errors import OptionError, ScenarioError, SimroiError
from simroi.estimates import Z_TWO_SIDED_95, mean_estimate, prob_positive
from simroi.execution import workers
from simroi.execution.checkpoint import Checkpoint, CheckpointHeader
from simroi.execution.footprint import run_footprint
from simroi.execution.result import Provenance, RunResult
from simroi.formatting import counted, pct
from simroi.limits import MAX_BLOCK_SIZE, MAX_TRIALS
from simroi.queueing.engines import Engine, engine_problem, normalize_engine
from simroi.queueing.queue_spec import is_whole
from simroi.randomness import fresh_entropy
from simroi.scenario.load import LoadedScenario
from simroi.scenario.spec import assumptions

if TYPE_CHECKING:
    from simroi.model.block import BlockResult

__all__ = [
    "AUTO_MAX_TRIALS",
    "AUTO_MIN_TRIALS",
    "EXECUTORS",
    "MONTHLY_KEEP_LIMIT",
    "MONTHLY_KPIS_LIMIT",
    "RunInterrupted",
    "RunOptions",
    "run",
]

AUTO_MIN_TRIALS = 2000
AUTO_MAX_TRIALS = 200_000
#: Per-month cash-flow arrays are kept up to this many trials (a million trials keep scalars only).
MONTHLY_KEEP_LIMIT = 200_000
#: Month-by-month KPIs (about 8 kB per trial for three channels over 36 months) are kept up to
#: this many trials: their P5/P50/P95 are settled long before, and memory stays below ~200 MB.
MONTHLY_KPIS_LIMIT = 20_000
#: Blocks in flight per worker: enough to keep every worker busy, few enough to bound memory.
IN_FLIGHT_PER_WORKER = 2

Progress = Callable[[int, int], None]
_Plan = list[tuple[int, int]]  # (block index, trials in the block)


#: Where a run's blocks can run (the queue engines: :data:`simroi.queueing.engines.ENGINES`).
EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class RunOptions:
    """How to run: trials (a number or ``"auto"``), seed, engine and executor.

    Checked when made, whoever makes it (the Python API, the command line, a script), so that no
    run starts with a bad option: each broken rule is one part of a one-line :class:`OptionError`
    naming the argument, the rule and the value.

    Attributes
    ----------
    trials : a whole number ≥ 1, ``"auto"`` (until P(ROI > 0) and the mean NPV are known
        precisely), or None for the scenario's ``[simulation] trials``
    seed : the root seed, a whole number ≥ 0; None draws a fresh one
    engine : one of :data:`simroi.queueing.engines.ENGINES` (``"vectorized"``, the numpy
        engine's former name, reads as ``"numpy"``)
    workers : local processes, ≥ 1; None for all cores
    executor : one of :data:`EXECUTORS`
    scheduler : a Dask scheduler address, only with ``executor="dask"``; None starts a local
        cluster
    block_size : trials per block, ≥ 1; None for the scenario's ``[simulation] block_size``
    """

    trials: int | Literal["auto"] | None = None
    seed: int | None = None
    engine: Engine = "compiled"
    workers: int | None = None
    executor: Literal["local", "dask"] = "local"
    scheduler: str | None = None
    block_size: int | None = None

    def __post_init__(self) -> None:
        problems = _option_problems(self)
        if problems:
            raise OptionError("; ".join(problems))
        for name in ("trials", "seed", "workers", "block_size"):  # numpy integers become int
            value = getattr(self, name)
            if is_whole(value):
                object.__setattr__(self, name, int(value))
        object.__setattr__(self, "engine", normalize_engine(self.engine))


def _option_problems(options: RunOptions) -> list[str]:
    """One line per rule ``options`` breaks, each naming the argument, the rule and the value."""
    problems = []
    trials = options.trials
    if trials is not None and trials != "auto" and not (is_whole(trials) and trials >= 1):
        problems.append(f"`trials` must be a whole number ≥ 1 or 'auto' (got {trials!r})")
    elif isinstance(trials, numbers.Integral) and trials > MAX_TRIALS:
        problems.append(f"`trials` must be at most {MAX_TRIALS:,} (got {trials!r})")
    seed = options.seed
    if seed is not None and not (is_whole(seed) and seed >= 0):
        problems.append(f"`seed` must be a whole number ≥ 0 (got {seed!r})")
    engine = engine_problem(options.engine)
    if engine is not None:
        problems.append(engine)
    executor = options.executor
    if not (isinstance(executor, str) and executor in EXECUTORS):
        choices = ", ".join(repr(v) for v in EXECUTORS)
        problems.append(f"`executor` must be one of {choices} (got {executor!r})")
    for name in ("workers", "block_size"):
        value = getattr(options, name)
        if value is not None and not (is_whole(value) and value >= 1):
            problems.append(f"`{name}` must be a whole number ≥ 1 (got {value!r})")
    block_size = options.block_size
    if isinstance(block_size, numbers.Integral) and block_size > MAX_BLOCK_SIZE:
        problems.append(f"`block_size` must be at most {MAX_BLOCK_SIZE:,} (got {block_size!r})")
    scheduler = options.scheduler
    if scheduler is not None and not isinstance(scheduler, str):
        problems.append(
            f"`scheduler` must be an address, e.g. 'tcp://host:8786' (got {scheduler!r})"
        )
    elif scheduler is not None and options.executor == "local":
        problems.append(
            f"`scheduler` {scheduler}: a scheduler is for `executor` dask (set it, or leave "
            "`scheduler` out to run in local processes)"
        )
    return problems


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (or SIGTERM, which the CLI turns into Ctrl-C).

    The blocks finished before the interruption are in ``checkpoint`` (None when the run kept
    no checkpoint); :func:`run` with ``resume=True`` continues from there.
    """

    def __init__(
        self, trials_done: int, trials_planned: int, seed: int, checkpoint: Path | None
    ) -> None:
        self.trials_done = trials_done
        self.trials_planned = trials_planned
        self.seed = seed
        self.checkpoint = checkpoint
        where = f"kept in {checkpoint}" if checkpoint is not None else "not kept (no checkpoint)"
        super().__init__(
            f"interrupted after {trials_done:,} of {counted(trials_planned, 'trial')}; "
            f"the finished blocks are {where}"
        )


def _block_sizes(trials: int, block_size: int, first_block: int = 0) -> _Plan:
    count = math.ceil(trials / block_size)
    return [(first_block + k, min(block_size, trials - k * block_size)) for k in range(count)]


def _run_block(
    loaded: LoadedScenario, entropy: int, block: int, trials: int, engine: str
) -> BlockResult:
    # imported here: the parent of a parallel run never simulates, so it need not load scipy
    from simroi.model.block import simulate_block

    # In a pool's worker the kernels take the cores the other workers leave idle, month by month.
    return simulate_block(
        loaded,
        entropy=entropy,
        block=block,
        trials=trials,
        engine=engine,
        threads=workers.thread_share(),
    )


class _Blocks:
    """Runs blocks on the chosen executor and yields each as it finishes.

    Local processes are started only when there are at least two blocks to run at once; at most
    :data:`IN_FLIGHT_PER_WORKER` blocks per worker are submitted ahead, so finished blocks never
    pile up in memory. Leaving the ``with`` block on an exception (Ctrl-C included) stops the
    workers at once rather than waiting for the blocks in flight.
    """

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.workers = options.workers or workers.cores()
        self.pool: Executor | None = None
        self.client: Any = None
        self.scattered: Any = None

    def __enter__(self) -> _Blocks:
        if self.options.executor == "dask":
            from simroi.execution.distributed import dask_client

            self.client = dask_client(self.options.scheduler, self.workers)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        failed = exc_type is not None
        if isinstance(self.pool, ProcessPoolExecutor):
            workers.stop(self.pool, wait=not failed)
        if self.client is not None:
            self.client.close()

    def run(self, loaded: LoadedScenario, entropy: int, plan: _Plan) -> Iterator[tuple[int, Any]]:
        """``(block, BlockResult)`` for every block of ``plan``, in the order they finish."""
        if self.client is not None:
            yield from self._dask(loaded, entropy, plan)
            return
        if self.pool is None and self.workers > 1 and len(plan) > 1:
            self.pool = workers.new_pool(self.workers)
        if self.pool is None:
            workers.discard_early()  # started in case; one process will do
            for block, trials in plan:
                yield block, _run_block(loaded, entropy, block, trials, self.options.engine)
            return
        yield from self._pool(self.pool, loaded, entropy, plan)

    def _pool(
        self, pool: Executor, loaded: LoadedScenario, entropy: int, plan: _Plan
    ) -> Iterator[tuple[int, Any]]:
        queue = iter(plan)
        pending: dict[Future[BlockResult], int] = {}
        while True:
            while len(pending) < IN_FLIGHT_PER_WORKER * self.workers:
                item = next(queue, None)
                if item is None:
                    break
                block, trials = item
                args = (loaded, entropy, block, trials, self.options.engine)
                try:
                    pending[pool.submit(_run_block, *args)] = block
                except BrokenProcessPool:  # a worker died: the pool takes no more work
                    raise workers.lost_process(None, pool) from None
            if not pending:
                return
            done = workers.wait_first(pool, pending)
            lost = None
            for future in sorted(done, key=lambda f: pending[f]):
                block = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:  # a worker died: killed by the OS (out of memory?)
                    lost = block if lost is None else lost
                    continue
                yield block, result  # the blocks that did finish are kept
            if lost is not None:
                raise workers.lost_process(lost, pool)

    def _dask(self, loaded: LoadedScenario, entropy: int, plan: _Plan) -> Iterator[tuple[int, Any]]:
        from simroi.execution.distributed import finished_blocks, worker_threads

        client = self.client
        if self.scattered is None:  # ship the scenario to every worker once, not with each block
            self.scattered = client.scatter(loaded, broadcast=True, hash=False)

        def submit(block: int, trials: int) -> Any:
            args = (self.scattered, entropy, block, trials, self.options.engine)
            return client.submit(_run_block, *args, pure=False)

        window = IN_FLIGHT_PER_WORKER * worker_threads(client)
        yield from finished_blocks(client, plan, submit, window)


def _flatten(part: BlockResult, keep_monthly: bool, keep_kpis: bool) -> dict[str, np.ndarray]:
    """A block's per-trial arrays under their result names, in the result's key order.

    ``keep_monthly`` keeps the monthly cash flows, ``keep_kpis`` the month-by-month KPIs
    (``monthly.<metric>``, (trials, horizon) float32).
    """
    out = {
        "roi": part.roi,
        "npv": part.npv,
        "payback_months": part.payback_months,
        "pv_benefits": part.pv_benefits,
        "pv_costs": part.pv_costs,
    }
    out.update({f"pv.{k}": v for k, v in part.pv.items()})
    out.update({f"kpi.{k}": v for k, v in part.kpis.items()})
    out.update({f"input.{k}": v for k, v in part.inputs.items()})
    out.update({f"lifetime.{k}": v for k, v in part.lifetime.items()})
    if keep_monthly:
        out["net_by_month"] = part.net_by_month
    if keep_kpis:
        out.update({f"monthly.{k}": v for k, v in part.monthly.items()})
    return out


class _Samples:
    """The run's per-trial arrays, preallocated and filled block by block in place.

    ``starts`` maps a planned block to its first trial; a block's arrays are copied into its
    slice, so nothing of the block is kept beyond its per-trial values.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.arrays: dict[str, np.ndarray] = {}
        self.starts: dict[int, int] = {}
        self.done: dict[int, int] = {}  # block -> trials

    def plan(self, plan: _Plan, first_trial: int) -> int:
        """Place the blocks of ``plan`` after ``first_trial``; returns the trial after them."""
        end = first_trial
        for block, trials in plan:
            self.starts[block] = end
            end += trials
        if end > self.capacity:
            self.capacity = end
            for key, values in self.arrays.items():
                grown = np.empty((end, *values.shape[1:]), dtype=values.dtype)
                grown[: values.shape[0]] = values
                self.arrays[key] = grown
        return end

    def add(self, block: int, arrays: dict[str, np.ndarray]) -> None:
        """Copy one finished block's arrays into place."""
        start = self.starts[block]
        trials = next(iter(arrays.values())).shape[0]
        if not self.arrays:
            for key, values in arrays.items():
                self.arrays[key] = np.empty((self.capacity, *values.shape[1:]), values.dtype)
        for key, values in arrays.items():
            if key in self.arrays:  # arrays no longer kept (:meth:`drop`) are left out
                self.arrays[key][start : start + trials] = values
        self.done[block] = trials

    def trials_done(self) -> int:
        """Trials in the finished blocks."""
        return sum(self.done.values())

    def drop(self, prefix: str) -> None:
        """Stop keeping the arrays whose names start with ``prefix``."""
        for key in [k for k in self.arrays if k.startswith(prefix)]:
            del self.arrays[key]

    def result(
        self, trials: int
    ) -> tuple[dict[str, np.ndarray], np.ndarray | None, dict[str, np.ndarray]]:
        """``(samples, net_by_month, monthly)`` of the first ``trials`` trials."""
        samples = {
            k: v if v.shape[0] == trials else v[:trials].copy() for k, v in self.arrays.items()
        }
        monthly = {
            k.removeprefix("monthly."): samples.pop(k)
            for k in list(samples)
            if k.startswith("monthly.")
        }
        return samples, samples.pop("net_by_month", None), monthly


def _auto_done(roi: np.ndarray, npv: np.ndarray) -> str | None:
    """Why an auto run (``trials="auto"``) may stop now, or None to go on."""
    n = roi.size
    if n < AUTO_MIN_TRIALS:
        return None
    se_p = prob_positive(roi).mcse
    mean = float(npv.mean())
    half_width = Z_TWO_SIDED_95 * mean_estimate(npv).mcse
    if se_p < 0.005 and half_width <= 0.01 * abs(mean):
        return (
            f"converged after {counted(n, 'trial')}: MCSE of P(ROI>0) = {se_p:.4f} < 0.005 and "
            f"mean NPV known to ±{pct(half_width / abs(mean), 2)} (95%)"
        )
    if n >= AUTO_MAX_TRIALS:
        return (
            f"stopped at the cap of {AUTO_MAX_TRIALS} trials: MCSE of P(ROI>0) = {se_p:.4f}, "
            f"mean NPV known to ±{pct(half_width / max(abs(mean), 1e-300), 2)} (95%)"
        )
    return None


def _open_checkpoint(path: Path, resume: bool, header: CheckpointHeader) -> tuple[Checkpoint, bool]:
    """The run's checkpoint and whether this run created it."""
    if resume:
        return Checkpoint.resume(path, header), False
    return Checkpoint.start(path, header), True


def run(
    loaded: LoadedScenario,
    options: RunOptions = RunOptions(),
    *,
    progress: Progress | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
) -> RunResult:
    """Simulate ``loaded`` against its baseline and return every per-trial sample.

    Parameters
    ----------
    loaded : the scenario and its baseline (:func:`simroi.scenario.load.load_scenario`)
    options : trials, seed, engine, executor
    progress : called as ``progress(trials_done, trials_planned)`` after each block
    checkpoint : a directory in which to keep each finished block (see
        :mod:`simroi.execution.checkpoint`); the caller discards it
        (:meth:`~simroi.execution.checkpoint.Checkpoint.discard`) once the result is safely
        stored. ``None`` keeps no checkpoint.
    resume : continue the interrupted run whose blocks are in ``checkpoint``: its finished blocks
        are reused, the others simulated, and the result equals an uninterrupted run bit for bit.
        The seed comes from the checkpoint when ``options.seed`` is None.

    Raises
    ------
    RunInterrupted
        On Ctrl-C (a ``KeyboardInterrupt``), after the finished blocks are safely kept.
    OptionError
        ``resume`` without a ``checkpoint`` (the options themselves are checked when made:
        :class:`RunOptions`).
    ScenarioError
        Before any block: a run that cannot finish, simulating absurdly many contacts or
        needing more memory than the machine has (:mod:`simroi.execution.footprint`).
    WorkerLost
        A worker died while simulating a block (the finished blocks stay in ``checkpoint``);
        a Dask worker that dies is replaced and its blocks rerun by Dask, which gives the same
        bits, unless the same block loses its workers again and again or no worker is left.
    SimroiError
        An unusable checkpoint, an unreachable Dask cluster, an unwritable checkpoint.
    """
    program = loaded.program
    path = Path(checkpoint) if checkpoint is not None else None
    if resume and path is None:
        raise OptionError("`resume` needs the interrupted run's `checkpoint` directory (got none)")
    entropy = options.seed
    if entropy is None:
        entropy = Checkpoint.read_header(path).seed if resume and path else fresh_entropy()
    block_size = options.block_size or program.simulation.block_size
    auto = options.trials == "auto"
    target = AUTO_MIN_TRIALS if auto else int(options.trials or program.simulation.trials)
    keep_monthly = auto or target <= MONTHLY_KEEP_LIMIT
    keep_kpis = target <= MONTHLY_KPIS_LIMIT
    processes = 0 if options.executor == "dask" else options.workers or workers.cores()
    blocks_at_once = min(processes, math.ceil(target / block_size))
    run_footprint(loaded, trials=target, block_size=block_size, processes=blocks_at_once).check()
    samples = _Samples(capacity=target)
    stop_reason = f"fixed number of trials ({target})"
    kept: Checkpoint | None = None
    created = False
    end = target
    try:
        with _Blocks(options) as blocks:
            if path is not None:
                header = CheckpointHeader(
                    simroi_version=__version__,
                    numpy_version=np.__version__,
                    scenario_name=program.scenario.name,
                    scenario_hash=loaded.content_hash,
                    seed=entropy,
                    trials="auto" if auto else target,
                    block_size=block_size,
                    engine=options.engine,
                )
                kept, created = _open_checkpoint(path, resume, header)
            stored = kept.finished() if kept is not None else set()
            plan = _block_sizes(target, block_size)
            end = samples.plan(plan, 0)
            while True:
                todo = _restore(samples, plan, stored, kept)
                if progress is not None and len(todo) < len(plan):
                    progress(samples.trials_done(), end)
                running = blocks.run(loaded, entropy, todo)
                for block, part in _guard_memory(running, block_size, loaded.source):
                    arrays = _flatten(part, keep_monthly, keep_kpis)
                    samples.add(block, arrays)
                    if kept is not None:
                        kept.save_block(block, arrays)
                    if progress is not None:
                        progress(samples.trials_done(), end)
                if not auto:
                    break
                reason = _auto_done(samples.arrays["roi"][:end], samples.arrays["npv"][:end])
                if reason is not None:
                    stop_reason = reason
                    break
                # Whole blocks only, so the blocks of an auto run are those of a fixed run.
                more = max(block_size, end // 2 // block_size * block_size)
                more = min(more, AUTO_MAX_TRIALS - end)
                plan = _block_sizes(more, block_size, first_block=max(samples.starts) + 1)
                if keep_kpis and end + more > MONTHLY_KPIS_LIMIT:
                    keep_kpis = False  # an auto run that grows past the limit drops them all
                    samples.drop("monthly.")
                end = samples.plan(plan, end)
    except KeyboardInterrupt:
        raise RunInterrupted(samples.trials_done(), end, entropy, path) from None
    except BaseException as exc:
        if kept is not None and created and not samples.done:
            kept.discard()  # nothing worth resuming: do not leave an empty checkpoint behind
        if isinstance(exc, workers.WorkerLost):
            where = path if kept is not None and samples.done else None
            raise exc.kept(where, samples.trials_done()) from None
        raise
    sample_arrays, net_by_month, monthly = samples.result(end)
    provenance = Provenance(
        simroi_version=__version__,
        numpy_version=np.__version__,
        seed=entropy,
        trials=end,
        block_size=block_size,
        engine=options.engine,
        sampling=program.simulation.sampling,
        scenario_name=program.scenario.name,
        scenario_hash=loaded.content_hash,
        scenario_source=loaded.source,
        baseline_name=loaded.baseline.scenario.name if loaded.baseline else None,
        created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        stop_reason=stop_reason,
    )
    return RunResult(provenance, sample_arrays, net_by_month, _meta(loaded), monthly=monthly)


def _restore(samples: _Samples, plan: _Plan, stored: set[int], kept: Checkpoint | None) -> _Plan:
    """Put the checkpoint's blocks of ``plan`` in place; returns the blocks still to simulate."""
    todo = []
    for block, trials in plan:
        arrays = kept.load_block(block) if kept is not None and block in stored else None
        if arrays is not None and next(iter(arrays.values())).shape[0] == trials:
            samples.add(block, arrays)
        else:
            todo.append((block, trials))
    return todo


def _guard_memory(
    finished: Iterator[tuple[int, Any]], block_size: int, source: str
) -> Iterator[tuple[int, Any]]:
    """Turn running out of memory in a block into a one-line error with the way out, and name
    the scenario's file in a rule a block finds broken (a staffing forecast beyond any desk)."""
    advice = "lower the scenario's simulation.block_size or the number of `workers`"
    try:
        yield from finished
    except MemoryError:
        raise SimroiError(
            f"out of memory simulating a block of {counted(block_size, 'trial')}: {advice}"
        ) from None
    except ScenarioError as exc:
        named = (p if p.startswith(f"{source}: ") else f"{source}: {p}" for p in exc.problems)
        raise ScenarioError(list(named)) from None


def _meta(loaded: LoadedScenario) -> dict[str, Any]:
    program = loaded.program
    return {
        "description": program.scenario.description,
        "currency": program.scenario.currency,
        "horizon_months": program.scenario.horizon_months,
        "channels": list(program.channels),
        "objectives": [
            {
                "label": o.label,
                "metric": o.metric,
                "op": ">=" if o.at_least is not None else "<=",
                "bound": o.at_least if o.at_least is not None else o.at_most,
            }
            for o in program.objectives
        ],
        "assumptions": assumptions(program),
    }
