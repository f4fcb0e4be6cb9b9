"""Per-contact standard draws by column group: each contact keeps its numbers.

A table of per-contact numbers has a row per contact slot and a column per trial. Its columns
are cut into :data:`GROUPS` groups, and group g draws its rows, row by row, from region g of
the stream (:func:`draw_by_groups`): entry (k, t) is the same number however many rows are drawn,
so a day with more contacts has the same first contacts plus more (common random numbers by
rank), and a group draws only as many rows as its busiest trial needs (:func:`staircase`).

The model's contact flow (:mod:`simroi.model.contacts`) and a queue study
(:mod:`simroi.queueing.study`) draw this way; the compiled engine draws the same numbers in
:mod:`simroi.queueing.compiled_draws`.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["GROUPS", "draw_by_groups", "staircase"]


def _standard_draws(rng: np.random.Generator, kind: str, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (C-contiguous) with standard draws of ``kind``."""
    if kind == "normal":
        return rng.standard_normal(out=out)
    if kind == "exponential":
        return rng.standard_exponential(out=out)
    return rng.random(out=out)


#: Trials are grouped in column groups of ``ceil(trials / GROUPS)`` for drawing per-contact
#: numbers: each group draws from its own region of the stream, only as many rows as its busiest
#: trial needs.
GROUPS = 16


#: Group g's draws start 2**40 raw outputs into the stream: regions never overlap (a region
#: would need more draws than memory holds).
_REGION_BITS = 40


def draw_by_groups(
    rng: np.random.Generator,
    kind: str,
    out: np.ndarray,
    cover: list[tuple[int, int, int]],
    *,
    compiled: bool = False,
) -> None:
    """Fill ``out`` (rows, trials) with standard draws of ``kind`` where ``cover`` needs them.

    ``cover`` is a staircase of rectangles (rows ``lo:hi`` of columns ``:n``, see
    :func:`staircase`). Column group g (``GROUPS`` groups of equal width) draws its rows
    slot-major from region g of the stream, which starts ``g << _REGION_BITS`` raw outputs in:
    entry (k, t) of a group is its k·width + t-th draw whatever the number of rows drawn, so
    contact k of trial t gets the same number whatever the other trials' volumes (common random
    numbers by rank), and the padding beyond a group's busiest trial is never drawn. Elsewhere
    ``out`` is left as it was.

    ``compiled`` draws every group straight into ``out`` in one compiled pass, the groups in
    parallel (:func:`simroi.queueing.compiled_draws.fill_groups`: numpy's numbers and the stream
    after them, no copy; ``out`` must then be C-contiguous).
    """
    trials = out.shape[1]
    if trials == 0:
        return
    width = -(-trials // GROUPS)
    generator = rng.bit_generator
    if not isinstance(generator, np.random.PCG64):  # regions need a generator that can advance
        raise TypeError(f"per-contact streams must be PCG64 (got {type(generator).__name__})")
    origin = generator.state
    groups = []  # (first column, end column, rows) of each group that draws
    for first in range(0, trials, width):
        rows = max((hi for _, hi, n in cover if n > first), default=0)
        if rows > 0:
            groups.append((first, min(trials, first + width), rows))
    if compiled:  # imports numba: compiled runs only
        from simroi.queueing.compiled_draws import fill_groups, pcg64_words, set_pcg64_words

        starts = []
    else:  # one buffer for every group's draws (fresh memory per group would fault in its pages)
        scratch = np.empty(max((rows for *_, rows in groups), default=0) * width)
    for first, end, rows in groups:
        generator.state = origin
        generator.advance((first // width) << _REGION_BITS)
        if compiled:
            starts.append(pcg64_words(generator))
            continue
        block = scratch[: rows * (end - first)].reshape(rows, -1)
        _standard_draws(rng, kind, block)
        out[:rows, first:end] = block
    if compiled and groups:  # every group in one call; the stream left where numpy leaves it
        states = np.array(starts, dtype=np.uint64)
        fill_groups(states, kind, out, np.array(groups, dtype=np.int64))
        set_pcg64_words(generator, states[-1])


def staircase(need: np.ndarray, pieces: int = GROUPS) -> list[tuple[int, int, int]]:
    """Cover what each column needs with a few rectangles: rows ``lo:hi`` of columns ``:n``.

    Column t needs rows ``0 … need[t] − 1``. Trials are ordered by customers, largest first (see
    :func:`simroi.model.block.volume_order`), so the needs fall roughly along the columns and the
    cover is a staircase of at most ``pieces + 1`` steps whose widths are multiples of
    ``trials / pieces``: the padding beyond each trial's last contact is mostly skipped.
    """
    trials = need.shape[0]
    if trials == 0 or int(need.max(initial=0)) == 0:
        return []
    # Width needed at row r: 1 + the last column that needs row r (a suffix maximum).
    reach = np.maximum.accumulate(need[::-1])[::-1]
    rows = np.arange(int(reach[0]))
    width = np.searchsorted(-reach, -rows, side="left")
    quantum = -(-trials // pieces)
    width = np.minimum(-(-width // quantum) * quantum, trials)
    change = np.flatnonzero(np.diff(width)) + 1
    bounds = [0, *change.tolist(), rows.size]
    return [(lo, hi, int(width[lo])) for lo, hi in itertools.pairwise(bounds)]
