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

__all__ = [
    "GROUPS",
    "column_groups",
    "draw_by_groups",
    "draw_groups",
    "pcg64_words",
    "region_starts",
    "set_pcg64_words",
    "staircase",
]


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

_WORD = (1 << 64) - 1  # a 64-bit word's mask


def column_groups(trials: int) -> list[tuple[int, int]]:
    """The column groups of a table of ``trials`` columns, ``(first, end)`` each: :data:`GROUPS`
    groups of ``ceil(trials / GROUPS)`` columns (the last may be narrower, or some missing);
    none for no columns."""
    if trials <= 0:
        return []
    width = -(-trials // GROUPS)
    return [(first, min(trials, first + width)) for first in range(0, trials, width)]


def region_starts(rng: np.random.Generator, trials: int) -> np.ndarray:
    """Where each column group's region of ``rng``'s stream starts, as PCG64 words
    (:func:`pcg64_words`), (groups, 4) uint64; ``rng`` is left as it was."""
    generator = _pcg64(rng)
    origin = generator.state
    starts = []
    for g in range(len(column_groups(trials))):
        generator.state = origin
        generator.advance(g << _REGION_BITS)
        starts.append(pcg64_words(generator))
    generator.state = origin
    return np.array(starts, dtype=np.uint64).reshape(-1, 4)


def _pcg64(rng: np.random.Generator) -> np.random.PCG64:
    generator = rng.bit_generator
    if not isinstance(generator, np.random.PCG64):  # regions need a generator that can advance
        raise TypeError(f"per-contact streams must be PCG64 (got {type(generator).__name__})")
    return generator


def pcg64_words(generator: np.random.PCG64) -> list[int]:
    """A PCG64's state as the compiled draws carry it (:mod:`simroi.queueing.compiled_draws`):
    [state high, state low, increment high, increment low]."""
    state = generator.state["state"]
    value, increment = int(state["state"]), int(state["inc"])
    return [value >> 64, value & _WORD, increment >> 64, increment & _WORD]


def set_pcg64_words(generator: np.random.PCG64, words: np.ndarray) -> None:
    """Put a stream's words (:func:`pcg64_words`, advanced) back into ``generator``, with no
    half-used 32-bit draw kept (as numpy's ``advance`` leaves it, where numpy's path starts
    each group)."""
    state = generator.state
    high, low, increment_high, increment_low = (int(w) for w in words)
    state["state"] = {"state": high << 64 | low, "inc": increment_high << 64 | increment_low}
    state["has_uint32"], state["uinteger"] = 0, 0
    generator.state = state


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
    :func:`staircase`); each column group draws as many rows as the cover needs in it or after
    it (:func:`draw_groups`). Contact k of trial t gets the same number whatever the other
    trials' volumes (common random numbers by rank), and the padding beyond a group's busiest
    trial is never drawn.
    """
    groups = column_groups(out.shape[1])
    rows = [max((hi for _, hi, n in cover if n > first), default=0) for first, _ in groups]
    draw_groups(rng, kind, out, rows, compiled=compiled)


def draw_groups(
    rng: np.random.Generator,
    kind: str,
    out: np.ndarray,
    rows_by_group: list[int],
    *,
    compiled: bool = False,
) -> None:
    """Fill rows ``:rows_by_group[g]`` of column group g (:func:`column_groups`) of ``out``
    (rows, trials) with standard draws of ``kind``: ``"normal"``, ``"exponential"`` or
    ``"uniform"``.

    Group g draws its rows row by row from region g of the stream, which starts
    ``g << _REGION_BITS`` raw outputs in: entry (k, t) of a group is its k·width + t-th draw
    whatever the number of rows drawn. Elsewhere ``out`` is left as it was; ``rng`` is left
    where the last group's draws leave it.

    ``compiled`` draws every group in one compiled pass, the groups in parallel, each made in a
    buffer of its own and copied into ``out`` (:func:`simroi.queueing.compiled_draws.
    fill_groups`: numpy's numbers and the stream after them; ``out`` must then be
    C-contiguous).
    """
    trials = out.shape[1]
    drawn = [
        (g, first, end, rows)
        for g, ((first, end), rows) in enumerate(
            zip(column_groups(trials), rows_by_group, strict=True)
        )
        if rows > 0
    ]
    if not drawn:
        return
    generator = _pcg64(rng)
    starts = region_starts(rng, trials)
    if compiled:  # every group in one call; the stream left where numpy leaves it
        from simroi.queueing.compiled_draws import fill_groups  # numba: compiled runs only

        states = starts[[g for g, *_ in drawn]]
        fill_groups(states, kind, out, np.array([d[1:] for d in drawn], dtype=np.int64))
        set_pcg64_words(generator, states[-1])
        return
    # One buffer for every group's draws (fresh memory per group would fault in its pages).
    scratch = np.empty(max(rows * (end - first) for _, first, end, rows in drawn))
    for g, first, end, rows in drawn:
        set_pcg64_words(generator, starts[g])
        block = scratch[: rows * (end - first)].reshape(rows, -1)
        _standard_draws(rng, kind, block)
        out[:rows, first:end] = block


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
