"""The compiled engine against the numpy engine: whole commands in fresh processes (issue 16).

Every figure is a pair measured in the same run, the two commands alternating, so that a shared,
noisy machine slows both alike; the ratio is the median of the pairs' ratios. Wall time and CPU
time (user + system of the command and its workers) are both reported.

1. ``simroi run --quiet --seed 1`` (the bundled default, its 1,000 trials, all workers), with
   ``--engine compiled`` and ``--engine numpy``;
2. the first compiled command after install against the second (an empty ``NUMBA_CACHE_DIR``:
   the compile cost) on a two-trial ``simroi run``, which compiles every kernel (``simroi
   queue`` compiles only its own since 43ec221); and a two-trial ``simroi queue`` on the warm
   cache against ``--engine numpy`` (the warm start-up: importing numba and loading the
   kernels, with little else to do);
3. ``simroi queue`` on the issue's workload (1,260 contacts an hour, 90 agents, 4 min handle,
   3 min patience, 8 h) at ``--queue-trials`` trials on each engine, and ``--simpy-trials`` on
   the simpy engine: contacts per second, whole process;
4. the distance to the random-number generator: contacts per CPU-second of the compiled default
   run against a plain numpy draw of as many standard normals per CPU-second;
5. with ``--decisions``, the ``compare``, ``sweep`` and ``sensitivity`` commands of
   benchmarks/README.md on both engines.

Usage::

    python benchmarks/engine_bench.py [--pairs 3] [--decisions]      # prints JSON
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np
import run_bench  # benchmarks/, the folder of this script

import simroi.model.contacts as contacts
from simroi.execution.runner import RunOptions, run
from simroi.scenario.load import load_scenario

SIMROI = [sys.executable, "-c", "from simroi.cli import main; main()"]
QUEUE = [
    *("queue", "--arrivals-per-hour", "1260", "--agents", "90", "--aht-minutes", "4"),
    *("--patience-minutes", "3", "--hours", "8", "--seed", "1", "--json"),
]
DECISIONS = {
    "compare": ["compare", "default", "social-team-2", "social-team-3", "--trials", "500"],
    "sweep": ["sweep", "default", "--set", "channels.social.agents=1:4", "--trials", "300"],
    "sensitivity": [
        *("sensitivity", "default", "--trials", "500", "--top", "6", "--swing-trials", "100")
    ],
}


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on (run_bench's description), with numba and the
    load average."""
    import numba

    return {**run_bench.machine(), "numba": numba.__version__, "load_average": os.getloadavg()}


def timed(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall and CPU seconds of one command (its workers included), and its stdout and stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*SIMROI, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "stdout": done.stdout, "stderr": done.stderr}


def pairs(first: list[str], second: list[str], count: int) -> dict[str, Any]:
    """``count`` alternating runs of two commands; the median ratio second / first."""
    a, b = [], []
    for _ in range(count):
        a.append(timed(first))
        b.append(timed(second))
    walls = [y["wall_s"] / x["wall_s"] for x, y in zip(a, b, strict=True)]
    cpus = [y["cpu_s"] / x["cpu_s"] for x, y in zip(a, b, strict=True)]
    return {
        "first": " ".join(["simroi", *first]),
        "second": " ".join(["simroi", *second]),
        "first_wall_s": [round(x["wall_s"], 2) for x in a],
        "second_wall_s": [round(x["wall_s"], 2) for x in b],
        "first_cpu_s": [round(x["cpu_s"], 2) for x in a],
        "second_cpu_s": [round(x["cpu_s"], 2) for x in b],
        "wall_ratio": statistics.median(walls),
        "cpu_ratio": statistics.median(cpus),
    }


def compile_cost() -> dict[str, Any]:
    """A fresh cache's first compiled command and the second (a two-trial run of the default
    scenario, which loads every kernel), and a warm two-trial queue against the numpy engine's."""
    small = ["run", "--trials", "2", "--seed", "1", "--quiet"]
    queue = [*QUEUE, "--trials", "2"]
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        first = timed([*small, "--engine", "compiled"], env)
        second = timed([*small, "--engine", "compiled"], env)
        warm = timed([*queue, "--engine", "compiled"], env)
        numpy = timed([*queue, "--engine", "numpy"], env)
    return {
        "first_compiled_s": first["wall_s"],
        "said": "compiling kernels (first run only)" in first["stderr"],
        "second_compiled_s": second["wall_s"],
        "queue_compiled_s": warm["wall_s"],
        "queue_numpy_s": numpy["wall_s"],
        "compile_s": first["wall_s"] - second["wall_s"],
        "warm_start_up_s": warm["wall_s"] - numpy["wall_s"],
    }


def queue_rates(trials: int, simpy_trials: int) -> dict[str, Any]:
    """Contacts per second of ``simroi queue``, whole process, on each engine."""
    rates: dict[str, Any] = {}
    for engine, count in (("compiled", trials), ("numpy", trials), ("simpy", simpy_trials)):
        out = timed([*QUEUE, "--trials", str(count), "--engine", engine])
        offered = json.loads(out["stdout"])["simulated"]["offered_per_day"]["mean"]
        rates[engine] = {
            "trials": count,
            "wall_s": out["wall_s"],
            "cpu_s": out["cpu_s"],
            "contacts_per_s": offered * count / out["wall_s"],
        }
    rates["compiled_over_simpy"] = (
        rates["compiled"]["contacts_per_s"] / rates["simpy"]["contacts_per_s"]
    )
    rates["compiled_over_numpy"] = (
        rates["compiled"]["contacts_per_s"] / rates["numpy"]["contacts_per_s"]
    )
    return rates


def contacts_per_trial(trials: int = 20) -> float:
    """Contacts the default scenario sends through the queues per trial (program and baseline,
    every sampled day), counted at the engine."""
    seen = [0]
    serve = contacts.serve

    def counting(engine: str, *queue: Any, **options: Any) -> Any:
        seen[0] += int(np.count_nonzero(queue[3]))
        return serve(engine, *queue, **options)

    contacts.serve = counting  # type: ignore[assignment]
    try:
        run(load_scenario(), RunOptions(trials=trials, seed=1, workers=1, engine="numpy"))
    finally:
        contacts.serve = serve
    return seen[0] / trials


def generator_speed(count: int = 50_000_000) -> float:
    """Standard normals numpy draws per CPU-second (the generator the model draws from)."""
    rng = np.random.default_rng(1)
    out = np.empty(1_000_000)
    start = time.process_time()
    for _ in range(count // out.size):
        rng.standard_normal(out=out)
    return count / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--queue-trials", type=int, default=10_000)
    parser.add_argument("--simpy-trials", type=int, default=20)
    parser.add_argument("--decisions", action="store_true", help="also compare/sweep/sensitivity")
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": machine()}
    run_args = ["run", "--quiet", "--seed", "1"]
    report["compile"] = compile_cost()
    report["default_run"] = pairs(
        [*run_args, "--engine", "numpy"], [*run_args, "--engine", "compiled"], args.pairs
    )
    report["queue"] = queue_rates(args.queue_trials, args.simpy_trials)
    per_trial = contacts_per_trial()
    cpu = statistics.median(report["default_run"]["second_cpu_s"])
    default_trials = load_scenario().program.simulation.trials
    end_to_end = per_trial * default_trials / cpu
    normals = generator_speed()
    report["generator"] = {
        "contacts_per_trial": per_trial,
        "contacts_per_cpu_s": end_to_end,
        "normals_per_cpu_s": normals,
        "ratio": end_to_end / normals,
    }
    if args.decisions:
        report["decisions"] = {
            name: pairs(
                [*command, "--seed", "7", "--quiet", "--engine", "numpy"],
                [*command, "--seed", "7", "--quiet", "--engine", "compiled"],
                1,
            )
            for name, command in DECISIONS.items()
        }
    report["machine"]["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
