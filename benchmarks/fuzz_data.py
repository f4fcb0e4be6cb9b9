"""Fuzz ``simroi calibrate`` and ``simroi backtest`` with mutated copies of sample data files.

``simroi sample-data`` writes a small interval report, contact log and customer outcomes
(``--days 3 --customers 200``, seed 1); each case is one of them with 1–3 random edits
(tests/data_fuzzing.py: cells replaced by text, empties, flipped signs, huge, tiny, NaN and
infinite numbers, dates in other formats, broken, out of order, duplicated or jumped; rows
deleted, duplicated, shuffled or cut mid-line; columns dropped, renamed, reordered or
duplicated; the delimiter changed or mixed; a BOM, quotes, CRLF, bytes that are not UTF-8, a
NUL, the header alone, zero bytes, a very long line). Every case goes through ``calibrate
--out`` (with the two other files in one case of four); every ``--backtest-every``-th case
that is an interval report or a contact log also through a one-day ``backtest --trials 20``.
A command past ``--timeout`` seconds is a hang. Prints the counts and every crash or hang with
the seed and case number that reproduce it; exits 1 if there was any.

    python benchmarks/fuzz_data.py --cases 2000 --seed 1
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from data_fuzzing import Outcome, mutate_data, run_case

from simroi.cli.app import main

FILES = ("intervals.csv", "contacts.csv", "customers.csv")
SAMPLE = ["--days", "3", "--customers", "200", "--seed", "1"]
BACKTEST = [
    "--trials",
    "20",
    "--seed",
    "1",
    "--quiet",
    "--from",
    "2025-01-07",
    "--to",
    "2025-01-07",
]


def sample_files(folder: Path) -> dict[str, str]:
    """Write the sample data into ``folder`` and return each file's text by name."""
    result = CliRunner().invoke(main, ["sample-data", str(folder), *SAMPLE])
    if result.exit_code != 0:
        raise SystemExit(f"sample-data failed: {result.output}")
    return {name: (folder / name).read_text() for name in FILES}


def draw_case(
    folder: Path, originals: dict[str, str], rng: np.random.Generator, case: int
) -> tuple[str, Path, list[str]]:
    """Mutate one sample file into ``folder``: (its name, the mutant, the calibrate DATA)."""
    name = FILES[int(rng.integers(len(FILES)))]
    mutant = folder / f"mutant-{case}-{name}"
    mutant.write_bytes(mutate_data(originals[name], rng))
    data = [str(mutant)]
    if rng.random() < 0.25:
        data += [str(folder / other) for other in FILES if other != name]
    return name, mutant, data


def one_case(
    folder: Path,
    originals: dict[str, str],
    rng: np.random.Generator,
    case: int,
    *,
    backtest: bool,
    timeout: float,
) -> list[tuple[str, str, Outcome]]:
    """One case through calibrate (and backtest): (file, command, outcome) each."""
    name, mutant, data = draw_case(folder, originals, rng, case)
    out = folder / "calibrated.toml"
    calibrate = ["calibrate", *data, "--out", str(out)]
    outcomes = [(name, "calibrate", run_case(calibrate, out=out, timeout=timeout))]
    if backtest and name != "customers.csv":
        found = run_case(["backtest", "default", str(mutant), *BACKTEST], timeout=timeout)
        outcomes.append((name, "backtest", found))
    if all(found.kind in ("ok", "refused") for _, _, found in outcomes):
        mutant.unlink()  # a crash or a hang keeps its file, to reproduce
    return outcomes


def _summary(cases: int, seed: int, elapsed: float, counts: Counter[str]) -> str:
    return (
        f"{cases} cases, seed {seed}, {elapsed:.0f} s: "
        f"{counts['crash']} crashes (tracebacks), {counts['hang']} hangs; "
        f"calibrate ok {counts['calibrate ok']}, refused in one line per problem "
        f"{counts['calibrate refused']}; backtest ok {counts['backtest ok']}, refused "
        f"{counts['backtest refused']}"
    )


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per command")
    parser.add_argument(
        "--backtest-every", type=int, default=5, help="every N-th case also goes through backtest"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the mutants of crashes and hangs here"
    )
    parser.add_argument(
        "--write", type=int, default=None, metavar="CASE", help="only write case CASE's files"
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    counts: Counter[str] = Counter()
    bad: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="simroi-fuzz-data-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        originals = sample_files(folder)
        if args.write is not None:  # the same draws as the run, without running anything
            for case in range(args.write + 1):
                _, mutant, data = draw_case(folder, originals, rng, case)
                if case < args.write:
                    mutant.unlink()
            print("simroi calibrate", *data, "--out", folder / "calibrated.toml")
            return 0
        for case in range(args.cases):
            backtest = case % args.backtest_every == 0
            for name, command, found in one_case(
                folder, originals, rng, case, backtest=backtest, timeout=args.timeout
            ):
                counts[found.kind] += 1
                counts[f"{command} {found.kind}"] += 1
                if found.kind in ("crash", "hang"):
                    line = f"case {case} ({name}, seed {args.seed}): {command}: {found.detail}"
                    bad.append(line)
                    print(line, flush=True)
            if (case + 1) % 100 == 0 and case + 1 < args.cases:  # a stopped run still tells
                print(
                    _summary(case + 1, args.seed, time.perf_counter() - started, counts), flush=True
                )
    print(_summary(args.cases, args.seed, time.perf_counter() - started, counts))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main_())
