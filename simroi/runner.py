"""Running a scenario: trials in fixed-size blocks, on any executor, reduced to a RunResult.

Block *k* of a run always draws from the streams spawned for block *k* (:mod:`simroi.randomness`),
so the result is bit-identical whether the blocks run in this process, in a pool of local
processes, or on a Dask cluster. Blocks are reassembled in block order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Literal

import numpy as np

from simroi import __version__
from simroi.loading import LoadedScenario
from simroi.model import BlockResult, simulate_block
from simroi.randomness import fresh_entropy
from simroi.result import Provenance, RunResult
from simroi.scenario import assumptions

__all__ = ["AUTO_MAX_TRIALS", "AUTO_MIN_TRIALS", "RunOptions", "run"]

AUTO_MIN_TRIALS = 2000
AUTO_MAX_TRIALS = 200_000
#: Per-month cash-flow arrays are kept up to this many trials (a million trials keep scalars only).
MONTHLY_KEEP_LIMIT = 200_000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunOptions:
    """How to run: trials (a number or ``"auto"``), seed, engine and executor."""

    trials: int | Literal["auto"] | None = None  # None: the scenario's [simulation] trials
    seed: int | None = None
    engine: Literal["vectorized", "simpy"] = "vectorized"
    workers: int | None = None  # None: all cores
    executor: Literal["local", "dask"] = "local"
    scheduler: str | None = None  # dask scheduler address; None starts a local cluster
    block_size: int | None = None  # None: the scenario's [simulation] block_size


def _block_sizes(trials: int, block_size: int, first_block: int = 0) -> list[tuple[int, int]]:
    count = math.ceil(trials / block_size)
    return [(first_block + k, min(block_size, trials - k * block_size)) for k in range(count)]


def _run_block(
    loaded: LoadedScenario, entropy: int, block: int, trials: int, engine: str
) -> BlockResult:
    return simulate_block(loaded, entropy=entropy, block=block, trials=trials, engine=engine)


class _Blocks:
    """Runs blocks on the chosen executor and yields them in block order."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.pool: Executor | None = None
        self.client = None

    def __enter__(self) -> _Blocks:
        workers = self.options.workers or os.cpu_count() or 1
        if self.options.executor == "dask":
            from simroi.distributed import dask_client

            self.client = dask_client(self.options.scheduler, workers)
        elif workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.client is not None:
            self.client.close()

    def run(
        self, loaded: LoadedScenario, entropy: int, blocks: list[tuple[int, int]]
    ) -> Iterator[BlockResult]:
        engine = self.options.engine
        if self.client is not None:
            futures = [
                self.client.submit(_run_block, loaded, entropy, b, n, engine, pure=False)
                for b, n in blocks
            ]
            for future in futures:
                yield future.result()
        elif self.pool is not None:
            futures = [
                self.pool.submit(_run_block, loaded, entropy, b, n, engine) for b, n in blocks
            ]
            for future in futures:
                yield future.result()
        else:
            for b, n in blocks:
                yield _run_block(loaded, entropy, b, n, engine)


def _combine(
    parts: list[BlockResult], keep_monthly: bool
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    def cat(get: Callable[[BlockResult], np.ndarray]) -> np.ndarray:
        return np.concatenate([get(p) for p in parts])

    first = parts[0]
    samples = {
        "roi": cat(lambda p: p.roi),
        "npv": cat(lambda p: p.npv),
        "payback_months": cat(lambda p: p.payback_months),
        "pv_benefits": cat(lambda p: p.pv_benefits),
        "pv_costs": cat(lambda p: p.pv_costs),
    }
    for line in first.pv:
        samples[f"pv.{line}"] = cat(lambda p, line=line: p.pv[line])  # type: ignore[misc]
    for key in first.kpis:
        samples[f"kpi.{key}"] = cat(lambda p, key=key: p.kpis[key])  # type: ignore[misc]
    for key in first.inputs:
        samples[f"input.{key}"] = cat(lambda p, key=key: p.inputs[key])  # type: ignore[misc]
    monthly = cat(lambda p: p.net_by_month) if keep_monthly else None
    return samples, monthly


def _auto_done(parts: list[BlockResult]) -> str | None:
    """Why ``--trials auto`` may stop now, or None to go on."""
    roi = np.concatenate([p.roi for p in parts])
    npv = np.concatenate([p.npv for p in parts])
    n = roi.size
    if n < AUTO_MIN_TRIALS:
        return None
    p = float(np.mean(np.nan_to_num(roi, nan=-np.inf) > 0))
    se_p = math.sqrt(p * (1 - p) / n)
    mean = float(npv.mean())
    half_width = 1.96 * float(npv.std(ddof=1)) / math.sqrt(n)
    if se_p < 0.005 and half_width <= 0.01 * abs(mean):
        return (
            f"converged after {n} trials: MCSE of P(ROI>0) = {se_p:.4f} < 0.005 and mean NPV "
            f"known to ±{half_width / abs(mean):.2%} (95%)"
        )
    if n >= AUTO_MAX_TRIALS:
        return (
            f"stopped at the cap of {AUTO_MAX_TRIALS} trials: MCSE of P(ROI>0) = {se_p:.4f}, "
            f"mean NPV known to ±{half_width / max(abs(mean), 1e-300):.2%} (95%)"
        )
    return None


def run(
    loaded: LoadedScenario, options: RunOptions = RunOptions(), *, progress: Progress | None = None
) -> RunResult:
    """Simulate ``loaded`` against its baseline and return every per-trial sample.

    Parameters
    ----------
    loaded : the scenario and its baseline (:func:`simroi.loading.load_scenario`)
    options : trials, seed, engine, executor
    progress : called as ``progress(trials_done, trials_planned)`` after each block
    """
    program = loaded.program
    entropy = options.seed if options.seed is not None else fresh_entropy()
    block_size = options.block_size or program.simulation.block_size
    auto = options.trials == "auto"
    target = AUTO_MIN_TRIALS if auto else int(options.trials or program.simulation.trials)
    parts: list[BlockResult] = []
    stop_reason = f"fixed number of trials ({target})"
    with _Blocks(options) as blocks:
        planned = _block_sizes(target, block_size)
        while True:
            for part in blocks.run(loaded, entropy, planned):
                parts.append(part)
                if progress is not None:
                    progress(sum(p.roi.size for p in parts), max(target, 1))
            if not auto:
                break
            reason = _auto_done(parts)
            if reason is not None:
                stop_reason = reason
                break
            done = sum(p.roi.size for p in parts)
            # Whole blocks only, so the blocks of an auto run are those of a fixed run.
            more = max(block_size, done // 2 // block_size * block_size)
            more = min(more, AUTO_MAX_TRIALS - done)
            target = done + more
            planned = _block_sizes(more, block_size, first_block=len(parts))
    trials = sum(p.roi.size for p in parts)
    samples, monthly = _combine(parts, keep_monthly=trials <= MONTHLY_KEEP_LIMIT)
    provenance = Provenance(
        simroi_version=__version__,
        numpy_version=np.__version__,
        seed=entropy,
        trials=trials,
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
    meta = {
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
    return RunResult(provenance, samples, monthly, meta)
