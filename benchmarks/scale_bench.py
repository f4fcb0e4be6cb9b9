"""Benchmark how `simroi run` scales: trials, workers, horizon, memory, Dask, a million trials.

Every measurement runs the bundled default scenario with a fixed seed; ``--horizon`` shortens the
36-month horizon where a figure is about scaling rather than the default run. Throughput is
trials per wall-clock second, with CPU seconds beside it (this process and its worker processes,
from ``getrusage``), because a shared machine slows wall time but not CPU time. Memory is the peak
resident set of a separate ``simroi run`` process, so each figure starts from a fresh interpreter.

Usage::

    python benchmarks/scale_bench.py trials  [--horizon 6] [--trials 500,1000,2000,4000]
    python benchmarks/scale_bench.py workers [--horizon 6] [--trials 4000]
    python benchmarks/scale_bench.py horizon [--trials 500] [--horizons 1,3,6,12,36]
    python benchmarks/scale_bench.py memory  [--horizon 1] [--trials 10000,50000,100000]
    python benchmarks/scale_bench.py dask    [--horizon 6] [--trials 4000] [--repeat 2]
    python benchmarks/scale_bench.py million [--horizon 1] [--trials 1000000] [--workers 2]

Add ``--json`` for machine-readable output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from simroi.execution.result import RunResult
from simroi.execution.runner import RunOptions, run
from simroi.scenario.load import load_scenario

SEED = 20240611


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """``(result, wall seconds, CPU seconds)`` of ``work()``."""
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), _cpu_seconds()
    result = work()
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    if os.getloadavg()[0] > (os.cpu_count() or 1) + 0.5 or load > (os.cpu_count() or 1) + 0.5:
        print(f"  (note: load average {load:.1f} → {os.getloadavg()[0]:.1f})", file=sys.stderr)
    return result, wall, cpu


def overrides(horizon: int) -> list[str]:
    return [f"scenario.horizon_months={horizon}", "simulation.sampled_days_per_month=1"]


def simulate(trials: int, horizon: int, **options: Any) -> tuple[RunResult, float, float]:
    loaded = load_scenario(overrides=overrides(horizon))
    return timed(lambda: run(loaded, RunOptions(trials=trials, seed=SEED, **options)))


def bench_trials(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for trials in args.trials:
        _, wall, cpu = simulate(trials, args.horizon, workers=1)
        rows.append(
            {
                "trials": trials,
                "wall_s": wall,
                "cpu_s": cpu,
                "trials_per_s": trials / wall,
                "trials_per_cpu_s": trials / cpu,
            }
        )
    return rows


def bench_workers(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for workers in range(1, (os.cpu_count() or 1) + 1):
        _, wall, cpu = simulate(args.trials[0], args.horizon, workers=workers)
        rows.append(
            {
                "workers": workers,
                "trials": args.trials[0],
                "wall_s": wall,
                "cpu_s": cpu,
                "trials_per_s": args.trials[0] / wall,
            }
        )
    for row in rows:
        row["speedup"] = rows[0]["wall_s"] / row["wall_s"]
    return rows


def bench_horizon(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for horizon in args.horizons:
        _, wall, cpu = simulate(args.trials[0], horizon, workers=1)
        rows.append(
            {
                "horizon_months": horizon,
                "trials": args.trials[0],
                "wall_s": wall,
                "cpu_s": cpu,
                "ms_per_trial_month": 1000 * cpu / (args.trials[0] * horizon),
            }
        )
    return rows


_PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_mib(cli_args: list[str]) -> tuple[float, float]:
    """``(peak RSS in MiB, wall seconds)`` of one ``simroi`` process run with ``cli_args``."""
    simroi = [sys.executable, "-c", "from simroi.cli.app import main; main()", *cli_args]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *simroi], check=True, capture_output=True, text=True
    )
    return int(done.stdout.split()[-1]) / 1024, time.perf_counter() - start


def cli_run(trials: int, horizon: int, workers: int, *extra: str) -> list[str]:
    sets = [arg for o in overrides(horizon) for arg in ("--set", o)]
    return [
        "run",
        *sets,
        "--trials",
        str(trials),
        "--seed",
        str(SEED),
        "--workers",
        str(workers),
        "--quiet",
        "--json",
        *extra,
    ]


def bytes_per_trial(horizon: int) -> tuple[float, float]:
    """What the result keeps per trial: ``(scalars, monthly cash flows)`` in bytes."""
    result, _, _ = simulate(20, horizon, workers=1, block_size=20)
    scalars = sum(v.nbytes for v in result.samples.values()) / result.trials
    monthly = result.net_by_month.nbytes / result.trials if result.net_by_month is not None else 0
    return scalars, monthly


def bench_memory(args: argparse.Namespace) -> list[dict[str, Any]]:
    scalars, monthly = bytes_per_trial(args.horizon)
    rows = []
    for trials in args.trials:
        peak, wall = peak_rss_mib(cli_run(trials, args.horizon, 1))
        kept = trials * (scalars + (monthly if trials <= 200_000 else 0)) / 2**20
        rows.append(
            {
                "trials": trials,
                "peak_rss_mib": peak,
                "result_mib": kept,
                "peak_minus_result_mib": peak - kept,
                "bytes_per_trial": scalars,
                "wall_s": wall,
            }
        )
    return rows


def bench_dask(args: argparse.Namespace) -> list[dict[str, Any]]:
    """``simroi run`` on local processes against a local Dask cluster, same workers and seed.

    Each command runs in a fresh process (wall time includes start-up), interleaved, best of
    ``--repeat``; a 2-trial run of each shows the fixed cost (imports, pool or cluster start).
    """
    executors = {
        "local processes": ["--executor", "local"],
        "dask (local cluster, processes)": ["--executor", "dask"],
    }
    rows = []
    for trials in (2, args.trials[0]):
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            for name, extra in executors.items():
                _, wall = peak_rss_mib(cli_run(trials, args.horizon, args.workers, *extra))
                best[name] = min(best.get(name, wall), wall)
        for name in executors:
            rows.append(
                {
                    "executor": name,
                    "workers": args.workers,
                    "trials": trials,
                    "wall_s": best[name],
                    "overhead_s": best[name] - best["local processes"],
                }
            )
    return rows


def bench_million(args: argparse.Namespace) -> list[dict[str, Any]]:
    trials = args.trials[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "million.npz"
        peak, wall = peak_rss_mib(cli_run(trials, args.horizon, args.workers, "--out", str(out)))
        size = out.stat().st_size / 2**20
        result = RunResult.load(out)
        finite = bool(np.isfinite(result.samples["npv"]).all())
        kept = sum(v.nbytes for v in result.samples.values()) / 2**20
        monthly = result.net_by_month is not None
    return [
        {
            "trials": trials,
            "horizon_months": args.horizon,
            "workers": args.workers,
            "wall_s": wall,
            "trials_per_s": trials / wall,
            "peak_rss_mib": peak,
            "result_in_memory_mib": kept,
            "result_file_mib": size,
            "monthly_kept": monthly,
            "npv_finite": finite,
        }
    ]


BENCHES = {
    "trials": (bench_trials, [500, 1000, 2000, 4000], 6),
    "workers": (bench_workers, [4000], 6),
    "horizon": (bench_horizon, [500], 6),
    "memory": (bench_memory, [10_000, 50_000, 100_000], 1),
    "dask": (bench_dask, [4000], 6),
    "million": (bench_million, [1_000_000], 1),
}


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of ``rows``."""
    keys = list(dict.fromkeys(k for row in rows for k in row))

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(cell(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", choices=[*BENCHES, "all"])
    parser.add_argument("--trials", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--horizon", type=int, default=None)
    parser.add_argument("--horizons", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="dask: best of this many runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.horizons is None:
        args.horizons = [1, 3, 6, 12, 36]
    chosen = [b for b in BENCHES if b != "million"] if args.bench == "all" else [args.bench]
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "numpy": np.__version__, "python": sys.version[:6]}
    }
    for name in chosen:
        bench, trials, horizon = BENCHES[name]
        run_args = argparse.Namespace(**vars(args))
        run_args.trials = args.trials or trials
        run_args.horizon = args.horizon or horizon
        rows = bench(run_args)
        report[name] = rows
        if not args.json:
            print(f"\n## {name}\n\n{table(rows)}", flush=True)
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
