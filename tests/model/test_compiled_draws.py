"""The compiled engine's per-contact draws are numpy's: the same numbers, the same stream after.

:func:`simroi.model.draws.draw_by_groups` with ``compiled=True`` draws each column group straight
into its table with numba's Generator (:func:`simroi.model.compiled.fill_standard`); without,
numpy fills a buffer that is copied in. Both must give the same bits for every kind of standard
draw, over random staircases, and leave the rest of the table as it was.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simroi.model.compiled import fill_standard
from simroi.model.draws import draw_by_groups, staircase
from simroi.randomness import Streams

KINDS = ("normal", "exponential", "uniform")


@pytest.mark.parametrize("kind", KINDS)
def test_a_group_is_numpys_numbers_and_leaves_the_stream_where_numpy_does(kind: str) -> None:
    # Millions of draws reach the ziggurats' rare tails (about 1 draw in 100 for the normal's
    # and exponential's fallback paths, which call the C library's exp and log).
    rows, width = 20_000, 64
    expected_rng, rng = (np.random.default_rng(11) for _ in range(2))
    method = {"normal": "standard_normal", "exponential": "standard_exponential"}
    expected = getattr(expected_rng, method.get(kind, "random"))((rows, width))
    out = np.full((rows, width + 3), -1.0)
    fill_standard(rng, kind, out, (2, 2 + width, rows))
    np.testing.assert_array_equal(out[:, 2 : 2 + width].view(np.int64), expected.view(np.int64))
    assert (out[:, :2] == -1.0).all() and (out[:, 2 + width :] == -1.0).all()
    assert rng.bit_generator.state == expected_rng.bit_generator.state


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    trials=st.integers(1, 70),
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 300),
)
def test_draws_by_groups_are_the_same_bits_on_both_engines(
    kind: str, trials: int, seed: int, rows: int
) -> None:
    need = np.sort(np.random.default_rng(seed).integers(0, rows, size=trials))[::-1]
    cover = staircase(need)
    tables = []
    for compiled in (False, True):
        out = np.full((rows, trials), np.nan)
        draw_by_groups(Streams(seed, 0).rng("handle", "phone"), kind, out, cover, compiled=compiled)
        tables.append(out.view(np.int64))
    np.testing.assert_array_equal(tables[0], tables[1])


def test_draws_go_into_the_table_itself_or_not_at_all() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="C-contiguous"):
        fill_standard(rng, "normal", np.zeros((4, 6))[:, ::2], (0, 3, 4))
    with pytest.raises(ValueError, match="must lie in the table"):
        fill_standard(rng, "normal", np.zeros((4, 6)), (0, 7, 4))
