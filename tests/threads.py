"""Running compiled kernels on a chosen number of numba threads, for the same-bits tests, and
reading how numba's OpenMP threads wait."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import numba
import pytest


@contextlib.contextmanager
def numba_threads(threads: int) -> Iterator[None]:
    """Run the body on ``threads`` numba threads, then restore the count; skip the test where
    numba was started with fewer (``NUMBA_NUM_THREADS``)."""
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip(f"numba runs at most {numba.config.NUMBA_NUM_THREADS} thread(s) here")
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def gomp_spin_counts(code: str, policy: str | None = None) -> tuple[str, list[str]]:
    """Run ``code`` in a fresh Python with ``OMP_WAIT_POLICY`` unset (or ``policy``) and GNU
    OpenMP asked to show its settings: what it printed, and each spin count OpenMP reported
    (``'0'`` when idle threads sleep; none where numba's threads are not GNU OpenMP's)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env |= {"OMP_DISPLAY_ENV": "verbose"} | ({"OMP_WAIT_POLICY": policy} if policy else {})
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
        check=True,
    )  # fmt: skip
    reported = [line.split("=")[1].strip() for line in done.stderr.splitlines()
                if line.strip().startswith("GOMP_SPINCOUNT")]  # fmt: skip
    return done.stdout.strip(), reported
