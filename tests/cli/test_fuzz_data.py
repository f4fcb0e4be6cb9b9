"""Fuzzing the data files as a suite: mutated copies of sample interval reports, contact logs and
customer outcomes through ``calibrate`` and ``backtest`` — calibrated or refused with one
``error:`` line per problem and nothing written, never a traceback, a warning or a hang.

The mutator (:mod:`data_fuzzing`) knows nothing of the files' columns. CI runs a bounded budget
at a fixed seed; ``benchmarks/fuzz_data.py`` runs thousands and records the figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from data_fuzzing import MUTATIONS, TEXT_EDITS, edit_text, mutate_data, run_case

FILES = ("intervals.csv", "contacts.csv", "customers.csv")
CALIBRATE_CASES = 160
BACKTEST_CASES = 20
#: A hang fails the case instead of blocking CI; a healthy case takes about a second.
TIMEOUT = 60.0


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small sample files (3 days, 200 customers), written once per session."""
    folder = tmp_path_factory.mktemp("sample-data")
    args = ["sample-data", str(folder), "--days", "3", "--customers", "200", "--seed", "1"]
    assert run_case(args, timeout=TIMEOUT).kind == "ok"
    return folder


def test_every_mutation_mostly_changes_the_file(sample: Path) -> None:
    """Each edit changes the file in most draws (a copied cell may equal the one it replaces),
    and a seed gives the same mutant."""
    text = (sample / "contacts.csv").read_text()
    rng = np.random.default_rng(3)
    for name, mutation in MUTATIONS.items():
        changed = 0
        for _ in range(20):
            rows = [line.split(",") for line in text.splitlines()]
            mutation(rows, rng)
            changed += "\n".join(",".join(r) for r in rows) + "\n" != text
        assert changed >= 10, name
    for name in TEXT_EDITS:
        changed = sum(edit_text(text, name, rng) != text.encode() for _ in range(20))
        assert changed >= 10, name
    same = [mutate_data(text, np.random.default_rng(5)) for _ in range(2)]
    assert same[0] == same[1]


def test_mutated_data_files_are_calibrated_or_refused_in_one_line_each(
    sample: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(20261206)
    originals = {name: (sample / name).read_text() for name in FILES}
    out = tmp_path / "calibrated.toml"
    kinds = {"ok": 0, "refused": 0}
    for case in range(CALIBRATE_CASES):
        name = FILES[int(rng.integers(len(FILES)))]
        mutant = tmp_path / f"mutant-{name}"
        mutant.write_bytes(mutate_data(originals[name], rng))
        data = [str(mutant)]
        if rng.random() < 0.25:  # beside the other two files, unmutated
            data += [str(sample / other) for other in FILES if other != name]
        found = run_case(["calibrate", *data, "--out", str(out)], out=out, timeout=TIMEOUT)
        assert found.kind in kinds, f"case {case} ({name}): {found.kind}: {found.detail}"
        kinds[found.kind] += 1
    # Both outcomes are exercised: the mutator is neither toothless nor always fatal.
    assert kinds["ok"] > CALIBRATE_CASES // 10 and kinds["refused"] > CALIBRATE_CASES // 2, kinds


def test_mutated_data_files_are_backtested_or_refused_in_one_line_each(
    sample: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(17)
    one_day = ["--trials", "20", "--seed", "1", "--quiet", "--from", "2025-01-07"]
    kinds = {"ok": 0, "refused": 0}
    for case in range(BACKTEST_CASES):
        name = FILES[int(rng.integers(2))]  # customer outcomes are read and ignored
        mutant = tmp_path / f"mutant-{name}"
        mutant.write_bytes(mutate_data((sample / name).read_text(), rng))
        args = ["backtest", "default", str(mutant), *one_day, "--to", "2025-01-07"]
        found = run_case(args, timeout=TIMEOUT)
        assert found.kind in kinds, f"case {case} ({name}): {found.kind}: {found.detail}"
        kinds[found.kind] += 1
    assert kinds["ok"] > 0 and kinds["refused"] > 0, kinds
