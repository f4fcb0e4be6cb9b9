"""Shared fixtures.

The compiled engine's kernels are compiled (or loaded from the cache) once before any test runs,
so that no command under test prints the first run's compile notice, except where a test asks
for an empty cache (tests/cli/test_engine_option.py).

``synthetic_run``, ``synthetic_compare`` and ``synthetic_sweep`` build realistic result objects
from synthetic per-trial arrays (the shapes, keys and meta that :func:`simroi.execution.runner.run`
writes), so the export tests do not depend on the queue engine.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from synthetic import make_synthetic_run

from simroi.execution.result import ResultSet, RunResult
from simroi.model.kernels import prepare


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """The compiled kernels, in the cache every process of the session reads."""
    prepare("compiled")


@pytest.fixture
def synthetic_run() -> RunResult:
    """A 400-trial run with objectives, assumptions and a cash-flow matrix (no sensitivity)."""
    return make_synthetic_run()


@pytest.fixture
def synthetic_run_with_sensitivity() -> RunResult:
    """As ``synthetic_run``, with the tornado tables of ``simroi sensitivity``."""
    return make_synthetic_run(sensitivity=True)


@pytest.fixture
def synthetic_compare() -> ResultSet:
    """A comparison of three team sizes on common random numbers."""
    names = ["one-agent", "two-agents", "three-agents"]
    runs = [make_synthetic_run(agents=a, name=nm) for a, nm in zip((1, 2, 3), names, strict=True)]
    return ResultSet("compare", runs, {"names": names})


@pytest.fixture
def synthetic_sweep() -> ResultSet:
    """A sweep of ``channels.social.agents`` over 1…5 with a stored recommendation."""
    agents = [1, 2, 3, 4, 5]
    runs = [make_synthetic_run(agents=a, name="social-care") for a in agents]
    return ResultSet(
        "sweep",
        runs,
        {
            "keys": ["channels.social.agents"],
            "points": [[a] for a in agents],
            "labels": [f"channels.social.agents={a}" for a in agents],
            "recommendation": {"best_npv": 0, "cheapest_meeting_objectives": 2, "confidence": 0.4},
        },
    )


def _mount_tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A tiny (or read-only) real filesystem at ``where``, where the OS lets us mount one."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 48 kB: writing a result there runs out of space."""
    yield from _mount_tmpfs(tmp_path / "tiny", "size=48k")


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _mount_tmpfs(tmp_path / "read-only", "ro,size=48k")
