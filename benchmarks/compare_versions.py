"""Check that two versions of simroi give the same results within Monte Carlo error.

A change that alters how random numbers are drawn (not what is simulated) must leave every
per-trial output statistically unchanged. This runs one scenario with each version, same seed and
trials, and compares every per-trial output (ROI, NPV, payback, each PV line, every KPI of program
and baseline). The uncertain inputs are drawn alike by both versions, so trial t of one and trial
t of the other share their inputs: the comparison is *paired*, z = mean(new − old) / its standard
error, which is far more sensitive than comparing the two means as independent samples.

Usage::

    git worktree add /tmp/old <old commit>
    python benchmarks/compare_versions.py /tmp/old . default [--trials 1000] [--seed 8]
        [--workers 2 --block-size 100]

Prints, per scenario, how many sample arrays (inputs, outputs, KPIs, monthly tables) are
bit-identical between the two versions, and names any that are not: a refactor must leave every
one identical. Then, for changes that are meant to alter the draws, how many outputs have |z| above
2 and 3 and the five largest. With about 100 outputs, a few above 2 are expected by chance even
when nothing changed; outputs are correlated, so treat an isolated |z| near 3 with suspicion rather
than alarm.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_RUN = """
import sys
import numpy as np
try:  # the layout with subpackages
    from simroi.execution.runner import RunOptions, run
    from simroi.scenario.load import load_scenario
except ImportError:  # the flat layout before it
    from simroi.loading import load_scenario
    from simroi.runner import RunOptions, run

scenario, trials, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
workers, block_size = (None if x == "default" else int(x) for x in sys.argv[5:7])
engine = {} if sys.argv[7] == "default" else {"engine": sys.argv[7]}
options = RunOptions(trials=trials, seed=seed, workers=workers, block_size=block_size, **engine)
result = run(load_scenario(scenario), options)
arrays = dict(result.samples)
arrays.update({f"monthly.{k}": v for k, v in (getattr(result, "monthly", None) or {}).items()})
np.savez(out, **{k: np.asarray(v, dtype=float) for k, v in arrays.items()})
"""


def samples(
    checkout: Path,
    scenario: str,
    trials: int,
    seed: int,
    workers: int | None = None,
    block_size: int | None = None,
    engine: str | None = None,
) -> dict[str, np.ndarray]:
    """Per-trial outputs of ``scenario`` simulated by the simroi in ``checkout`` (``workers``
    local processes, blocks of ``block_size`` trials, on ``engine``; None: the run's and
    scenario's own)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "samples.npz"
        env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
        extra = ["default" if x is None else str(x) for x in (workers, block_size, engine)]
        command = [sys.executable, "-c", _RUN, scenario, str(trials), str(seed), str(out), *extra]
        subprocess.run(command, check=True, env=env, cwd=checkout)
        with np.load(out) as data:
            return {k: data[k] for k in data.files}


def paired_z(old: np.ndarray, new: np.ndarray) -> float:
    """Mean paired difference over its standard error (0 where the two agree exactly)."""
    both = np.isfinite(old) & np.isfinite(new)
    d = new[both] - old[both]
    sd = float(d.std(ddof=1)) if d.size > 1 else 0.0
    return 0.0 if sd == 0 else float(d.mean() / (sd / np.sqrt(d.size)))


def identical(old: np.ndarray, new: np.ndarray) -> bool:
    """The same shape and the same bits in every element (NaN where the other has NaN)."""
    return old.shape == new.shape and bool(
        np.array_equal(old.view(np.uint8), new.view(np.uint8)) if old.dtype == new.dtype else False
    )


def main() -> None:
    """Run both versions and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="checkout of the old version")
    parser.add_argument("new", type=Path, help="checkout of the new version")
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local processes for both versions (default: the run's own, all cores); a result "
        "must not depend on it",
    )
    parser.add_argument(
        "--block-size",
        type=int,
        default=None,
        help="trials per block for both versions (default: the scenario's); below --trials, the "
        "blocks run in parallel with --workers 2",
    )
    parser.add_argument(
        "--engine",
        default=None,
        help="engine of the new version (default: its own)",
    )
    parser.add_argument("--old-engine", default=None, help="engine of the old version (its own)")
    args = parser.parse_args()
    for scenario in args.scenarios:
        how = (args.trials, args.seed, args.workers, args.block_size)
        old = samples(args.old, scenario, *how, args.old_engine)
        new = samples(args.new, scenario, *how, args.engine)
        shared = [k for k in old if k in new]
        same = [k for k in shared if identical(old[k], new[k])]
        print(
            f"{scenario}: {len(same)} of {len(shared)} sample arrays bit-identical"
            + "".join(
                f"; only in {w}: {', '.join(sorted(set(a) - set(b)))}"
                for w, a, b in (("old", old, new), ("new", new, old))
                if set(a) - set(b)
            )
        )
        for key in shared:
            if key not in same:
                print(f"  differs: {key}")
        rows = sorted(
            (
                (abs(paired_z(old[k], new[k])), k)
                for k in shared
                if old[k].ndim == 1 and not k.startswith("input.")
            ),
            reverse=True,
        )
        z = np.array([r[0] for r in rows])
        print(
            f"{scenario}: {len(rows)} per-trial outputs; |z| > 2: {(z > 2).sum()}, "
            f"> 3: {(z > 3).sum()}; largest |z| = {z.max():.2f}"
        )
        for value, key in rows[:5]:
            means = f"old mean {np.nanmean(old[key]):.6g}, new {np.nanmean(new[key]):.6g}"
            print(f"  {value:5.2f}  {key}: {means}")


if __name__ == "__main__":
    main()
