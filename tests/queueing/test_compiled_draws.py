"""The compiled engine's per-contact draws are numpy's: the same numbers, the same stream after.

:func:`simroi.queueing.contact_draws.draw_by_groups` with ``compiled=True`` draws every column
group into its table in one compiled pass (:mod:`simroi.queueing.compiled_draws`: numpy's PCG64
and ziggurats written out); without, numpy fills a buffer per group that is copied in. Both must
give the same bits for every kind of standard draw, over random staircases, on one thread or
several, leave the rest of the table as it was, and leave the stream where numpy leaves it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threads import numba_threads

from simroi.queueing.compiled_draws import fill_groups
from simroi.queueing.contact_draws import (
    column_groups,
    draw_by_groups,
    pcg64_words,
    set_pcg64_words,
    staircase,
)
from simroi.randomness import Streams

KINDS = ("normal", "exponential", "uniform")


def fill_standard(
    rng: np.random.Generator, kind: str, out: np.ndarray, cols: tuple[int, int, int]
) -> None:
    """One group from ``rng``'s state, the stream put back where the draws leave it."""
    states = np.array([pcg64_words(rng.bit_generator)], dtype=np.uint64)
    fill_groups(states, kind, out, np.array([cols], dtype=np.int64))
    set_pcg64_words(rng.bit_generator, states[0])


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
    tables, after = [], []
    for compiled in (False, True):
        out = np.full((rows, trials), np.nan)
        rng = Streams(seed, 0).rng("handle", "phone")
        draw_by_groups(rng, kind, out, cover, compiled=compiled)
        tables.append(out.view(np.int64))
        after.append(rng.bit_generator.state)
    np.testing.assert_array_equal(tables[0], tables[1])
    assert after[0] == after[1]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", KINDS)
def test_groups_drawn_together_are_each_their_own_streams_numbers(kind: str, threads: int) -> None:
    """Several groups in one call, on one thread or two: each rectangle holds its own stream's
    numbers, numpy's, and each stream is left where numpy leaves it."""
    streams = [np.random.default_rng(seed) for seed in (3, 4, 5)]
    states = np.array([pcg64_words(g.bit_generator) for g in streams], dtype=np.uint64)
    groups = np.array([(0, 5, 400), (5, 7, 1000), (7, 16, 3)], dtype=np.int64)
    out = np.full((1000, 17), -1.0)
    with numba_threads(threads):
        fill_groups(states, kind, out, groups)
    method = {"normal": "standard_normal", "exponential": "standard_exponential"}
    for rng, words, (c0, c1, rows) in zip(streams, states, groups, strict=True):
        expected = getattr(rng, method.get(kind, "random"))((rows, c1 - c0))
        np.testing.assert_array_equal(out[:rows, c0:c1].view(np.int64), expected.view(np.int64))
        assert (out[rows:, c0:c1] == -1.0).all()
        assert list(words) == pcg64_words(rng.bit_generator)
    assert (out[:, 16] == -1.0).all()


def test_draws_go_into_the_table_itself_or_not_at_all() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="C-contiguous"):
        fill_standard(rng, "normal", np.zeros((4, 6))[:, ::2], (0, 3, 4))
    with pytest.raises(ValueError, match="must lie in the table"):
        fill_standard(rng, "normal", np.zeros((4, 6)), (0, 7, 4))
    with pytest.raises(ValueError, match="states must be"):
        fill_groups(np.zeros((1, 3), dtype=np.uint64), "normal", np.zeros((4, 6)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="must not overlap"):
        fill_groups(
            np.zeros((2, 4), dtype=np.uint64),
            "normal",
            np.zeros((4, 6)),
            np.array([(0, 3, 4), (2, 5, 4)]),
        )
    with pytest.raises(ValueError, match="integers"):
        fill_groups(np.zeros((1, 4), dtype=np.uint64), "normal", np.zeros((4, 6)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="groups must be"):
        fill_groups(np.zeros((2, 4), dtype=np.uint64), "normal", np.zeros((4, 6)), np.zeros((1, 3)))
    with pytest.raises(TypeError, match="PCG64"):
        draw_by_groups(
            np.random.Generator(np.random.MT19937(0)), "normal", np.zeros((4, 6)), [(0, 1, 6)]
        )


def test_a_table_of_no_trials_draws_nothing() -> None:
    out = np.zeros((3, 0))
    for compiled in (False, True):
        draw_by_groups(np.random.default_rng(1), "normal", out, [(0, 3, 0)], compiled=compiled)
    assert column_groups(0) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_half_used_32_bit_draw_is_dropped_on_both_paths(kind: str) -> None:
    """numpy's path starts each group with ``advance``, which drops the half of a 64-bit word
    a 32-bit draw left; the compiled path leaves the stream the same way."""
    after, tables = [], []
    for compiled in (False, True):
        rng = np.random.default_rng(5)
        rng.integers(0, 10, size=3, dtype=np.uint32)  # keeps half a word for the next one
        out = np.zeros((4, 20))
        draw_by_groups(rng, kind, out, [(0, 4, 20)], compiled=compiled)
        tables.append(out.view(np.int64))
        after.append(rng.integers(0, 2**32, size=4, dtype=np.uint32))
    np.testing.assert_array_equal(tables[0], tables[1])
    np.testing.assert_array_equal(after[0], after[1])


def test_the_shipped_ziggurat_tables_are_numbas_copy_of_numpys() -> None:
    """simroi's own copy of numpy's tables (simroi/queueing/ziggurat.txt) against numba's, while
    numba still has one; the draws' bits against numpy's are the tests above."""
    from simroi.queueing import ziggurat

    numba_copy = pytest.importorskip("numba.np.random._constants")
    for name in ziggurat.__all__:
        ours, theirs = getattr(ziggurat, name), getattr(numba_copy, name)
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype, name
        assert np.array_equal(np.asarray(ours), np.asarray(theirs)), name
    assert all(getattr(ziggurat, n).shape == (256,) for n in ziggurat.__all__ if "double" in n)
