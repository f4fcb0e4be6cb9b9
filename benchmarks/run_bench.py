"""Benchmark `simroi run` on the bundled default scenario.

Three measurements:

0. wall time of the command a newcomer types, ``simroi run --quiet``, in a fresh process (imports,
   worker start-up and the summary included), best of ``--repeat``;
1. wall time of the default run (``simroi.execution.runner.run`` with the scenario's trials) and of
a
   10,000-trial run, with all local workers;
2. where the time goes, in one process: the queue engine (``serve_fcfs``), the contact generation
   around it (``simulate_channel_month`` minus the engine) and everything else (sampling inputs,
   customer economics, reductions).

Usage::

    python benchmarks/run_bench.py [--trials 10000] [--split-trials 500] [--workers N]
                                   [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

import numpy as np

import simroi.model.contacts as contacts
from simroi.execution.runner import RunOptions, run
from simroi.scenario.load import load_scenario


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def timed_run(trials: int | None, workers: int | None) -> float:
    """Seconds for one run of the default scenario."""
    loaded = load_scenario()
    start = time.perf_counter()
    run(loaded, RunOptions(trials=trials, seed=1, workers=workers))
    return time.perf_counter() - start


def command_wall(repeat: int) -> list[float]:
    """Seconds for ``simroi run --quiet`` in a fresh process, each of ``repeat`` times."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "from simroi.cli.app import main; main()", "run", "--quiet"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return times


def split(trials: int) -> dict[str, float]:
    """Seconds spent in the engine, in contact generation and elsewhere, in one process."""
    spent = {"engine": 0.0, "channel_month": 0.0}
    engine, channel_month = contacts.serve, contacts.simulate_channel_month

    def timed_engine(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return engine(*args, **kwargs)
        finally:
            spent["engine"] += time.perf_counter() - t

    def timed_month(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return channel_month(*args, **kwargs)
        finally:
            spent["channel_month"] += time.perf_counter() - t

    contacts.serve = timed_engine
    import simroi.model.block as model

    model.simulate_channel_month = timed_month  # type: ignore[assignment]
    try:
        total = timed_run(trials, workers=1)
    finally:
        contacts.serve = engine
        model.simulate_channel_month = channel_month  # type: ignore[assignment]
    return {
        "total_s": total,
        "queue_engine_s": spent["engine"],
        "contact_generation_s": spent["channel_month"] - spent["engine"],
        "economics_and_rest_s": total - spent["channel_month"],
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--split-trials", type=int, default=500)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    default_trials = load_scenario().program.simulation.trials
    report = {
        "machine": machine(),
        "load_average_before": os.getloadavg(),
        "command_s": command_wall(args.repeat),
        "default_run_s": timed_run(None, args.workers),
        "default_trials": default_trials,
        "trials": args.trials,
        "big_run_s": timed_run(args.trials, args.workers),
        "split_trials": args.split_trials,
        "split": split(args.split_trials),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"machine: {report['machine']}, load average before: {report['load_average_before']}")
    walls = ", ".join(f"{t:.1f}" for t in report["command_s"])
    best = min(report["command_s"])
    print(f"`simroi run --quiet` in a fresh process: {walls} s (best {best:.1f})")
    print(f"default run ({default_trials} trials, all workers): {report['default_run_s']:.1f} s")
    print(f"{args.trials} trials (all workers): {report['big_run_s']:.1f} s")
    s = report["split"]
    print(
        f"one process, {args.split_trials} trials: {s['total_s']:.1f} s = queue engine "
        f"{s['queue_engine_s']:.1f} s + contact generation {s['contact_generation_s']:.1f} s "
        f"+ economics and the rest {s['economics_and_rest_s']:.1f} s"
    )


if __name__ == "__main__":
    main()
