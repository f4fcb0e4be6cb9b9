"""Running compiled kernels on a chosen number of numba threads, for the same-bits tests."""

from __future__ import annotations

import contextlib
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
