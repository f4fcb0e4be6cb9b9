"""Per-contact random draws: handle times, patience and marks, keyed so a contact keeps its numbers.

Contact k of a part of a day gets draw k of every per-contact stream of that part, from its
trial's region of the stream (:func:`draw_by_groups`): a scenario with more volume has the same
first contacts plus more, so program, baseline and sweep points share their customers (common
random numbers).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import special

__all__ = [
    "STANDARD_DRAW",
    "draw_by_groups",
    "handle_times",
    "lognormal_parameters",
    "patience_times",
    "sort_groups",
    "staircase",
]

# Per-contact draws use the distribution's fastest standard form: a standard normal for a
# lognormal, a standard exponential for an exponential or Weibull, a uniform for a gamma.
STANDARD_DRAW = {
    "lognormal": "normal",
    "exponential": "exponential",
    "weibull": "exponential",
    "gamma": "uniform",
}


def _standard_draws(rng: np.random.Generator, kind: str, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (C-contiguous) with standard draws of ``kind``."""
    if kind == "normal":
        return rng.standard_normal(out=out)
    if kind == "exponential":
        return rng.standard_exponential(out=out)
    return rng.random(out=out)


#: Trials are grouped in column groups of ``ceil(trials / _GROUPS)`` for drawing per-contact
#: numbers: each group draws from its own region of the stream, only as many rows as its busiest
#: trial needs.
_GROUPS = 16


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
    :func:`staircase`). Column group g (``_GROUPS`` groups of equal width) draws its rows
    slot-major from region g of the stream, which starts ``g << _REGION_BITS`` raw outputs in:
    entry (k, t) of a group is its k·width + t-th draw whatever the number of rows drawn, so
    contact k of trial t gets the same number whatever the other trials' volumes (common random
    numbers by rank), and the padding beyond a group's busiest trial is never drawn. Elsewhere
    ``out`` is left as it was.

    ``compiled`` draws every group straight into ``out`` in one compiled pass, the groups in
    parallel (:func:`simroi.model.compiled_draws.fill_groups`: numpy's numbers and the stream
    after them, no copy; ``out`` must then be C-contiguous).
    """
    trials = out.shape[1]
    if trials == 0:
        return
    width = -(-trials // _GROUPS)
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
        from simroi.model.compiled_draws import fill_groups, pcg64_words, set_pcg64_words

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


def handle_times(
    z: np.ndarray, mean: np.ndarray, cv: np.ndarray, dist: str, out: np.ndarray
) -> None:
    """Handle times from standard draws ``z`` (see ``STANDARD_DRAW``) with per-trial mean and cv,
    written into ``out``."""
    if dist == "exponential":
        np.multiply(mean, z, out=out)
    elif dist == "lognormal":
        mu, sigma = lognormal_parameters(mean, cv)
        np.multiply(sigma, z, out=out)
        out += mu
        np.exp(out, out=out)
    else:
        shape = 1.0 / cv**2
        np.multiply(special.gammaincinv(shape, z), mean / shape, out=out)


def lognormal_parameters(mean: np.ndarray, cv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The log-scale mean and standard deviation ``(mu, sigma)`` of a lognormal with per-trial
    ``mean`` and coefficient of variation ``cv``: a handle time is ``exp(sigma × z + mu)``."""
    sigma2 = np.log1p(cv**2)
    return np.log(mean) - sigma2 / 2, np.sqrt(sigma2)


def patience_times(
    z: np.ndarray, mean: np.ndarray, dist: str, shape: float | np.ndarray
) -> np.ndarray:
    """Patience from standard draws ``z`` (see ``STANDARD_DRAW``) with per-trial mean.

    ``z`` is (contacts, trials), ``mean`` (trials,) seconds; ``shape`` (the Weibull shape or the
    lognormal sigma) a number or per trial (trials,). A shape that is the same in every trial
    is applied as that number, exactly as a fixed shape always was.
    """
    if dist == "exponential":
        return mean * z
    given = np.asarray(shape, dtype=np.float64)
    k: float | np.ndarray = given
    if given.size and (given == given.flat[0]).all():
        k = float(given.flat[0])
    if dist == "weibull":
        scale = mean / special.gamma(1.0 + 1.0 / k)
        return scale * z ** (1.0 / k)
    mu = np.log(mean) - k**2 / 2
    return np.exp(mu + k * z)


def staircase(need: np.ndarray, pieces: int = _GROUPS) -> list[tuple[int, int, int]]:
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


def sort_groups(day_pieces: list[list[tuple[int, int, int, int]]]) -> list[tuple[int, int, int]]:
    """Column ranges with the last row any of their contacts can be in: ``(a, b, rows)``."""
    groups = []
    pieces = [p for day in day_pieces for p in day]
    for off in sorted({p[2] for p in pieces}):
        own = [p for p in pieces if p[2] == off]
        edges = sorted({0, *(n for _, _, _, n in own)})
        for a, b in itertools.pairwise(edges):
            rows = max(hi for _, hi, _, n in own if n > a)
            groups.append((off + a, off + b, rows))
    return groups
