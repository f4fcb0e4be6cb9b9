"""Fuzz simroi with mutated copies of the bundled scenarios and count what happens.

Each case is one bundled scenario with 1–3 random edits (tests/fuzzing.py: values replaced by
strings, signs, zeros, huge and tiny numbers, infinities, broken distributions; lines deleted,
duplicated or cut; headers mangled). Every case goes through ``validate`` and ``inputs``;
those that validate also go through a short ``run`` and ``export``. A command that takes longer
than ``--timeout`` seconds is a hang. Prints the counts and every crash or hang with the seed
and case number that reproduce it; exits 1 if there was any.

    python benchmarks/fuzz.py --cases 2000 --seed 1
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fuzzing import mutate, verdict

from simroi.cli.app import main
from simroi.scenario.load import bundled_scenarios

SHORT = ["--trials", "8", "--seed", "1", "--workers", "1", "--quiet"]
SHORTER = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]


class Hang(Exception):
    """A command ran past the time limit."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def _invoke(args: list[str], timeout: float) -> tuple[str, str]:
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        out = CliRunner().invoke(main, args, catch_exceptions=True)
    except Hang:
        return "hang", f"over {timeout:.0f} s"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if isinstance(out.exception, Hang):
        return "hang", f"over {timeout:.0f} s"
    found = verdict(out.exit_code, out.output, out.exception)
    return found.kind, found.detail


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per command")
    parser.add_argument("--runs", type=int, default=400, help="at most this many short runs")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    rng = np.random.default_rng(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="simroi-fuzz-"))
    for path in bundled_scenarios().values():
        shutil.copy(path, folder / path.name)
    originals = sorted(folder.glob("*.toml"))
    counts: Counter[str] = Counter()
    bad: list[str] = []
    runs = 0
    started = time.perf_counter()
    for case in range(args.cases):
        source = originals[int(rng.integers(len(originals)))]
        mutant = folder / "mutant.toml"
        mutant.write_text(mutate(source.read_text(), rng))
        commands = [["validate", str(mutant)], ["inputs", str(mutant), "--json"]]
        kind, detail = _invoke(commands[0], args.timeout)
        counts[f"validate {kind}"] += 1
        outcomes = [(commands[0], kind, detail)]
        outcomes.append((commands[1], *_invoke(commands[1], args.timeout)))
        if kind == "ok" and runs < args.runs:
            runs += 1
            result = folder / "result.npz"
            result.unlink(missing_ok=True)
            sets = [w for s in SHORTER for w in ("--set", s)]
            run = ["run", str(mutant), *SHORT, *sets, "--out", str(result)]
            outcomes.append((run, *_invoke(run, args.timeout)))
            counts[f"run {outcomes[-1][1]}"] += 1
            if outcomes[-1][1] == "ok":
                export = ["export", str(result), "--to", str(folder / "t.csv")]
                outcomes.append((export, *_invoke(export, args.timeout)))
        for command, kind, detail in outcomes:
            counts[kind] += 1
            if kind in ("crash", "hang"):
                line = f"case {case} ({source.name}, seed {args.seed}): {command[0]}: {detail}"
                bad.append(line)
                print(line, flush=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    print(
        f"{args.cases} cases, seed {args.seed}, {elapsed:.0f} s: "
        f"{counts['ok']} commands ok, {counts['refused']} refused in one line, "
        f"{counts['crash']} crashes (tracebacks), {counts['hang']} hangs; "
        f"validate ok {counts['validate ok']}, refused {counts['validate refused']}; "
        f"short runs {runs} (ok {counts['run ok']}, refused {counts['run refused']})"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main_())
