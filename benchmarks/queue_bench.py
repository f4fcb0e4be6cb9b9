"""Throughput and memory of the three queue engines on one workload (benchmarks/README.md).

The workload: an 8-hour day of Poisson arrivals at 0.35 per second (≈10,080 contacts per trial),
exponential handle times with mean 240 s, exponential patience with mean 180 s, 90 agents.
The vectorized (numpy) and compiled engines run ``--trials`` trials at once, the simpy engine
``--simpy-trials`` of the
same trials one after the other, in the same run. Contacts/s counts present contacts only.

    python benchmarks/queue_bench.py                      # the numbers in benchmarks/README.md
    python benchmarks/queue_bench.py --trials 1024 --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from simroi.queueing.compiled import serve_fcfs_compiled, warm_up
from simroi.queueing.engine import serve_fcfs
from simroi.queueing.reference import serve_fcfs_simpy
from simroi.queueing.shifts import QueueState, ShiftPattern

RATE_PER_S = 0.35
HANDLE_MEAN_S = 240.0
PATIENCE_MEAN_S = 180.0
AGENTS = 90
DAY_S = 8 * 3600.0
OPEN_S = 8 * 3600.0  # the "with shifts" variant: agents on duty 08:00–16:00, arrivals likewise


@dataclass(frozen=True)
class Workload:
    arrival_s: np.ndarray  # (n, trials)
    handle_s: np.ndarray
    patience_s: np.ndarray
    present: np.ndarray

    @property
    def contacts(self) -> int:
        return int(self.present.sum())

    def trials(self, count: int) -> Workload:
        return Workload(*(np.ascontiguousarray(x[:, :count]) for x in self.arrays()))

    def shifted(self, seconds: float) -> Workload:
        return Workload(self.arrival_s + seconds, self.handle_s, self.patience_s, self.present)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.arrival_s, self.handle_s, self.patience_s, self.present


def make_workload(trials: int, seed: int) -> Workload:
    """Rows are arrival index, columns trials; rows past a trial's last arrival are padding."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    mean = RATE_PER_S * DAY_S
    n = int(mean + 8 * np.sqrt(mean))
    arrival = np.cumsum(rng.exponential(1 / RATE_PER_S, (n, trials)), axis=0)
    present = arrival < DAY_S
    handle = rng.exponential(HANDLE_MEAN_S, (n, trials))
    patience = rng.exponential(PATIENCE_MEAN_S, (n, trials))
    return Workload(np.where(present, arrival, 0.0), handle, patience, present)


def best_time(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Shortest wall-clock and shortest CPU time of ``repeat`` runs, in seconds.

    CPU time is reported beside wall time because a shared machine steals wall time.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def working_memory(work: Workload, shifts: ShiftPattern, chunk: int) -> dict[str, float]:
    """Peak bytes allocated during one vectorized call, beyond its inputs (tracemalloc).

    The output (n × trials) and the new state (2 × servers × trials) are the call's results; the
    rest is working memory, which should not grow with the number of trials (only with chunk).
    """
    n, trials = work.arrival_s.shape
    state = QueueState.initial(shifts, trials)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    serve_fcfs(*work.arrays(), shifts, state, chunk=chunk)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    output = n * trials * 8
    new_state = 2 * shifts.servers * trials * 8
    return {
        "trials": trials,
        "peak_mib": peak / 2**20,
        "output_and_state_mib": (output + new_state) / 2**20,
        "working_mib": (peak - output - new_state) / 2**20,
        "chunk_x_servers_x_8_bytes_mib": chunk * shifts.servers * 8 / 2**20,
    }


def machine() -> dict[str, object]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        model = platform.processor() or model
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "simpy": simpy.__version__,
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=4096, help="vectorized trials (4096)")
    parser.add_argument("--chunk", type=int, default=2048, help="vectorized chunk size (2048)")
    parser.add_argument("--simpy-trials", type=int, default=5, help="simpy trials (5)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many timings (3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    work = make_workload(args.trials, args.seed)
    always = ShiftPattern.always_on(AGENTS)
    daily = ShiftPattern.daily(AGENTS, OPEN_S, OPEN_S + DAY_S)
    state = QueueState.initial(always, args.trials)
    serve_fcfs(*work.trials(64).arrays(), always, QueueState.initial(always, 64))  # warm up
    warm_up()  # the compiled kernels, from the cache (or compiled now: not timed)
    out = np.zeros(work.arrival_s.shape)  # touched once, reused: no page faults in the timing
    opened = work.shifted(OPEN_S)
    daily_state = QueueState.initial(daily, args.trials)
    timings = {
        "vectorized": best_time(
            lambda: serve_fcfs(*work.arrays(), always, state, chunk=args.chunk), args.repeat
        ),
        "vectorized_reused_output": best_time(
            lambda: serve_fcfs(*work.arrays(), always, state, chunk=args.chunk, out=out),
            args.repeat,
        ),
        "vectorized_with_shifts": best_time(
            lambda: serve_fcfs(*opened.arrays(), daily, daily_state, chunk=args.chunk, out=out),
            args.repeat,
        ),
        # The compiled engine (numba; its threads use every core: CPU time counts them all).
        "compiled": best_time(
            lambda: serve_fcfs_compiled(*work.arrays(), always, state), args.repeat
        ),
        "compiled_with_shifts": best_time(
            lambda: serve_fcfs_compiled(*opened.arrays(), daily, daily_state), args.repeat
        ),
    }
    few = work.trials(args.simpy_trials)
    simpy_s = best_time(
        lambda: serve_fcfs_simpy(
            *few.arrays(), always, QueueState.initial(always, few.present.shape[1])
        ),
        1,
    )
    rates = {name: work.contacts / wall for name, (wall, _) in timings.items()}
    rates["simpy"] = few.contacts / simpy_s[0]
    cpu_rates = {name: work.contacts / cpu for name, (_, cpu) in timings.items()}
    cpu_rates["simpy"] = few.contacts / simpy_s[1]
    memory = [
        working_memory(work.trials(count), always, args.chunk)
        for count in sorted({min(args.chunk, args.trials), args.trials})
    ]
    result: dict[str, object] = {
        "command": " ".join([os.path.basename(sys.argv[0]), *(argv or sys.argv[1:])]),
        "machine": machine(),
        "workload": {
            "arrivals_per_s": RATE_PER_S,
            "day_hours": DAY_S / 3600,
            "agents": AGENTS,
            "handle_mean_s": HANDLE_MEAN_S,
            "patience_mean_s": PATIENCE_MEAN_S,
            "contacts_per_trial": work.contacts / args.trials,
        },
        "trials": {"vectorized": args.trials, "simpy": args.simpy_trials},
        "chunk": args.chunk,
        "contacts_per_s": rates,
        "contacts_per_cpu_s": cpu_rates,
        "speedup_vectorized_over_simpy": rates["vectorized"] / rates["simpy"],
        "speedup_compiled_over_simpy": rates["compiled"] / rates["simpy"],
        "speedup_compiled_over_vectorized": rates["compiled"] / rates["vectorized"],
        "memory": memory,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        info = result["machine"]
        print(f"machine: {info}")
        print(f"workload: {result['workload']}")
        for name, rate in rates.items():
            print(
                f"{name:>26}: {rate / 1e6:8.3f} M contacts/s "
                f"({cpu_rates[name] / 1e6:.3f} M per CPU-second)"
            )
        print(f"{'vectorized / simpy':>26}: {result['speedup_vectorized_over_simpy']:8.0f}×")
        print(f"{'compiled / simpy':>26}: {result['speedup_compiled_over_simpy']:8.0f}×")
        print(f"{'compiled / vectorized':>26}: {result['speedup_compiled_over_vectorized']:8.2f}×")
        for m in memory:
            print(
                f"memory at {m['trials']:>6} trials: peak {m['peak_mib']:8.1f} MiB = output+state "
                f"{m['output_and_state_mib']:8.1f} + working {m['working_mib']:6.2f} MiB "
                f"(chunk×servers×8 B = {m['chunk_x_servers_x_8_bytes_mib']:.2f} MiB)"
            )
    return result


if __name__ == "__main__":
    main()
