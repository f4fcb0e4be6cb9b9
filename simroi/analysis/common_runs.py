"""Running several scenarios on common random numbers: one seed, trial count and block size.

Every run of a comparison, a sweep or a swing tornado gets the same root seed, trials and block
size, so trial *t* of each is the same possible world: the same draws of every input the runs
share (streams are keyed by the input's name), the same customers and the same contacts where
the scenarios agree (:mod:`simroi.randomness`). Differences between the runs are then the
effect of what differs, trial by trial, not noise.

Given a :class:`~simroi.execution.checkpoint.CheckpointSet`, each run keeps its finished blocks
in its own checkpoint there, and a resumed command reuses them: the runs already finished are
read back without simulating, a half-finished one simulates only its missing blocks, and the
result is bit-identical to an uninterrupted command.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any

from simroi.execution import workers as local
from simroi.execution.checkpoint import CheckpointSet
from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions, run
from simroi.randomness import fresh_entropy
from simroi.scenario.load import LoadedScenario

__all__ = ["Progress", "common_seed", "kept_as", "run_common"]

Progress = Callable[[int, int], None]


def _tag(result: RunResult, overrides: Sequence[str]) -> RunResult:
    """Record the ``--set`` overrides a run was made with in its provenance."""
    if not overrides:
        return result
    return replace(result, provenance=replace(result.provenance, overrides=tuple(overrides)))


def _run_one(
    loaded: LoadedScenario, options: RunOptions, checkpoint: Path | None, resume: bool
) -> RunResult:
    return run(loaded, options, checkpoint=checkpoint, resume=resume)


def common_seed(options: RunOptions, checkpoints: CheckpointSet | None) -> int:
    """The seed every run of a command shares: asked for, else the checkpoints', else fresh."""
    if options.seed is not None:
        return options.seed
    return checkpoints.seed if checkpoints is not None else fresh_entropy()


def kept_as(checkpoints: CheckpointSet | None, name: str) -> dict[str, Any]:
    """The ``checkpoint`` and ``resume`` arguments of :func:`run` for the run ``name`` of a
    command keeping ``checkpoints`` (none without)."""
    if checkpoints is None:
        return {"checkpoint": None, "resume": False}
    path, resume = checkpoints.slot(name)
    return {"checkpoint": path, "resume": resume}


def run_common(
    scenarios: Sequence[LoadedScenario],
    options: RunOptions | None = None,
    *,
    overrides: Sequence[Sequence[str]] | None = None,
    progress: Progress | None = None,
    checkpoints: CheckpointSet | None = None,
    label: str = "run",
) -> list[RunResult]:
    """Run several scenarios with common random numbers: one seed, trial count and block size.

    The seed is ``options.seed`` or a fresh one shared by all runs; trials and block size are
    ``options``' or the first scenario's. With ``trials="auto"`` the first scenario runs to its
    stopping rule and the others run the same number of trials. On the local executor with
    several workers, whole runs go to one pool of worker processes when that keeps at least as
    many workers busy as splitting each run into its blocks would (a run is bit-identical
    whichever process runs it); otherwise the runs go one after another, each spread over the
    workers by :func:`simroi.execution.runner.run`.

    Parameters
    ----------
    scenarios : sequence of LoadedScenario
    options : RunOptions
    overrides : one sequence of ``--set`` strings per scenario, optional
        Recorded in each run's provenance.
    progress : called as ``progress(trials_done, trials_planned)`` over all runs
    checkpoints : where each run keeps its finished blocks, as ``<label>-<i>`` (run *i*), and
        whether to resume them; the seed is the set's when ``options.seed`` is None
    label : the runs' names in ``checkpoints``
    """
    if not scenarios:
        return []
    options = options or RunOptions()
    first = scenarios[0].program.simulation
    seed = common_seed(options, checkpoints)
    block_size = options.block_size or first.block_size
    trials = options.trials if options.trials is not None else first.trials
    opts = replace(options, seed=seed, block_size=block_size, trials=trials)
    tags = [list(o) for o in overrides] if overrides is not None else [[] for _ in scenarios]
    results: list[RunResult | None] = [None] * len(scenarios)
    todo = list(range(len(scenarios)))
    total = len(scenarios) * (first.trials if trials == "auto" else int(trials))
    done = 0

    def step(offset: int) -> Progress | None:
        if progress is None:
            return None
        return lambda d, planned: progress(offset + d, max(total, offset + d))

    if trials == "auto":
        head = run(scenarios[0], opts, progress=step(0), **kept_as(checkpoints, f"{label}-0000"))
        results[0] = head
        opts = replace(opts, trials=head.trials)
        todo = todo[1:]
        done = head.trials
        total = len(scenarios) * head.trials
    count = int(opts.trials)  # type: ignore[arg-type]
    workers = opts.workers or local.cores()
    blocks_per_run = math.ceil(count / block_size)
    # Whole runs to the workers when that keeps more of them busy than splitting each run.
    across = (
        opts.executor == "local"
        and workers > 1
        and len(todo) > 1
        and min(workers, len(todo)) >= min(workers, blocks_per_run)
    )
    if across:
        single = replace(opts, workers=1)
        pool = local.new_pool(min(workers, len(todo)))
        failed = True
        try:
            futures: dict[int, Future[RunResult]] = {}
            for i in todo:
                kept = kept_as(checkpoints, f"{label}-{i:04d}")
                futures[i] = pool.submit(
                    _run_one, scenarios[i], single, kept["checkpoint"], kept["resume"]
                )
            for i in todo:
                where = checkpoints.path if checkpoints is not None else None
                try:
                    local.wait_first(pool, [futures[i]])
                    results[i] = futures[i].result()
                except BrokenProcessPool:  # a worker died: killed by the OS (out of memory?)
                    lost = local.lost_process(scenarios[i].name, pool, lower="`workers`")
                    raise lost.kept(where, done) from None
                except local.WorkerLost as lost:  # the pool could not be broken (wait_first)
                    raise lost.kept(where, done) from None
                done += count
                if progress is not None:
                    progress(done, total)
            failed = False
        finally:
            local.stop(pool, wait=not failed)
    else:
        for i in todo:
            kept = kept_as(checkpoints, f"{label}-{i:04d}")
            results[i] = run(scenarios[i], opts, progress=step(done), **kept)
            done += count
    return [_tag(r, tags[i]) for i, r in enumerate(results) if r is not None]
