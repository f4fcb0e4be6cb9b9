"""How many standard random numbers a block of the default draws, and how long numpy's own
generator takes to make as many: the floor of the default run's time with the numpy engine's
numbers (benchmarks/README.md, "How close the default run can come to its targets").

Usage::

    NUMBA_NUM_THREADS=1 python benchmarks/draw_floor.py [--trials 500]      # prints JSON
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

import numpy as np

import simroi.queueing.contact_draws as contact_draws
from simroi.api.simulate import run


def count_draws(trials: int) -> Counter[str]:
    """Standard numbers of each kind one run of ``trials`` trials (one block) draws per contact,
    counted where every per-contact table is filled (:func:`contact_draws.draw_groups`)."""
    counts: Counter[str] = Counter()
    draw_groups = contact_draws.draw_groups

    def counting(rng: Any, kind: str, out: np.ndarray, rows: list[int], **options: Any) -> None:
        groups = contact_draws.column_groups(out.shape[1])
        counts[kind] += sum(r * (end - first) for (first, end), r in zip(groups, rows, strict=True))
        draw_groups(rng, kind, out, rows, **options)

    contact_draws.draw_groups = counting
    try:
        run(None, trials=trials, seed=1, workers=1)
    finally:
        contact_draws.draw_groups = draw_groups
    return counts


def numpy_seconds(counts: Counter[str], size: int = 10_000_000, repeat: int = 5) -> dict[str, Any]:
    """numpy's own time for as many numbers of each kind (best of ``repeat`` fills of a
    ``size`` array, scaled)."""
    g = np.random.default_rng(1)
    fill = {"normal": g.standard_normal, "exponential": g.standard_exponential,
            "uniform": g.random}  # fmt: skip
    out = np.empty(size)
    seconds = {}
    for kind, n in counts.items():
        best = min(_timed(fill[kind], out) for _ in range(repeat))
        seconds[kind] = {"numbers": n, "per_s": size / best, "seconds": n * best / size}
    return seconds


def _timed(fill: Any, out: np.ndarray) -> float:
    start = time.perf_counter()
    fill(out=out)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500)
    trials = parser.parse_args().trials
    seconds = numpy_seconds(count_draws(trials))
    total = sum(s["seconds"] for s in seconds.values())
    print(json.dumps({"trials": trials, "kinds": seconds, "numpy_seconds": total}, indent=2))


if __name__ == "__main__":
    main()
