"""Benchmark: how `simroi sweep` (and so compare and the swing tornado) scales with points × trials.

Every grid point is a full run with common random numbers, so the cost of a sweep should be
(number of points) × (cost of one run of that many trials), plus a constant for starting the
worker processes: linear in points and in trials. This script times sweeps of the bundled
default scenario over ``channels.social.agents`` for each (points, trials) pair and prints a
Markdown table with the time per 1,000 point-trials, which stays flat when the scaling is linear.

The horizon is shortened (``--horizon``, default 6 months, one sampled day a month) so the whole
grid runs in a few minutes; the cost per month simulated is the same at any horizon.

Usage::

    python benchmarks/decisions_bench.py                      # 2, 4, 8 points × 200, 400 trials
    python benchmarks/decisions_bench.py --points 2,4 --trials 100 --workers 1 --repeat 3

Timings are wall-clock seconds for the whole sweep (loading, simulating, starting worker
processes), the best of ``--repeat`` runs, after one untimed warm-up sweep.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from simroi.analysis.sweep import run_sweep
from simroi.execution.runner import RunOptions


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    """Time the sweeps and print the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--points", type=_ints, default=[2, 4, 8], help="e.g. 2,4,8")
    parser.add_argument("--trials", type=_ints, default=[200, 400], help="e.g. 200,400")
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
    parser.add_argument("--horizon", type=int, default=6, help="months")
    parser.add_argument("--days", type=int, default=1, help="sampled days per month")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each sweep N times, keep the best"
    )
    args = parser.parse_args()
    workers = args.workers or os.cpu_count() or 1
    print(
        f"machine: {os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"numpy {np.__version__}; workers {workers}; scenario {args.scenario}, horizon "
        f"{args.horizon} months, {args.days} sampled day(s) a month, seed {args.seed}"
    )
    fast = [
        f"scenario.horizon_months={args.horizon}",
        f"simulation.sampled_days_per_month={args.days}",
    ]
    # Warm-up: the first run pays for lazy imports and caches; it is not timed.
    run_sweep(
        args.scenario,
        [*fast, "channels.social.agents=1,2"],
        RunOptions(trials=10, seed=0, workers=1),
    )
    print()
    print("| points | trials | point-trials | seconds | s per 1,000 point-trials |")
    print("|---:|---:|---:|---:|---:|")
    for trials in args.trials:
        for points in args.points:
            sets = [*fast, f"channels.social.agents=1:{points}"]
            options = RunOptions(trials=trials, seed=args.seed, workers=workers)
            times = []
            for _ in range(max(1, args.repeat)):
                start = time.perf_counter()
                result = run_sweep(args.scenario, sets, options)
                times.append(time.perf_counter() - start)
                assert len(result.runs) == points
            seconds = min(times)
            work = points * trials
            print(
                f"| {points} | {trials} | {work:,} | {seconds:.1f} | {seconds / work * 1000:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
