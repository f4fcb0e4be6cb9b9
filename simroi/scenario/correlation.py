"""Rank correlation between named uncertain inputs (Iman & Conover, 1982).

Estimates are rarely independent: a longer handle time tends to come with a higher first-contact
resolution, a larger customer base with more contacts. A scenario states such dependence as a
Spearman rank-correlation matrix between named inputs. The Iman–Conover method induces it without
touching the marginals: each input's independent draws are only *reordered*, so every input keeps
exactly the values (and hence the distribution) it was drawn with.

The method builds a score matrix whose columns are random permutations of van der Waerden scores
Φ⁻¹(i/(n+1)), removes the correlation those columns happen to have (the Cholesky correction), gives
them the target correlation, and sorts each input's draws into the rank order of its score column.

Iman, R. L. and Conover, W. J. (1982). A distribution-free approach to inducing rank correlation
among input variables. *Communications in Statistics — Simulation and Computation* 11(3), 311–334.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from simroi.errors import ScenarioError

__all__ = ["iman_conover", "rank_correlation", "validate_correlation"]

FloatArray = npt.NDArray[np.float64]

_SYMMETRY_TOLERANCE = 1e-12
_MIN_EIGENVALUE = 1e-10  # below this the matrix is singular in all but name: Cholesky fails


def _fmt(x: float) -> str:
    return f"{x:.12g}"


def validate_correlation(names: Sequence[str], matrix: npt.ArrayLike) -> None:
    """Check that ``matrix`` is a valid correlation matrix between the inputs ``names``.

    Parameters
    ----------
    names : sequence of str
        The inputs, in the order of the matrix's rows and columns; distinct.
    matrix : array_like, shape (k, k)
        Requested Spearman rank correlations, each in [−1, 1], 1 on the diagonal, symmetric and
        positive definite (pairwise correlations that contradict each other are not).

    Raises
    ------
    ScenarioError
        With one line per problem, naming the inputs, the rule and the values.
    """
    m = np.asarray(matrix, dtype=np.float64)
    names = list(names)
    k = len(names)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        shape = "×".join(map(str, m.shape)) or "scalar"
        raise ScenarioError(f"correlation matrix must be square (got shape {shape})")
    if m.shape[0] != k:
        raise ScenarioError(
            f"correlation matrix must be {k}×{k}, one row and column per input "
            f"({', '.join(names)}) (got {m.shape[0]}×{m.shape[0]})"
        )
    problems = [
        f"correlation inputs must be distinct (got {n!r} twice)" for n in _duplicates(names)
    ]
    for i in range(k):
        if m[i, i] != 1:
            problems.append(
                f"correlation of {names[i]!r} with itself must be 1 (got {_fmt(m[i, i])})"
            )
    for i in range(k):
        for j in range(i + 1, k):
            a, b = m[i, j], m[j, i]
            pair = f"{names[i]!r} and {names[j]!r}"
            for value in (a,) if a == b else (a, b):
                if not -1 <= value <= 1:
                    problems.append(
                        f"correlation between {pair} must be in [-1, 1] (got {_fmt(value)})"
                    )
            if abs(a - b) > _SYMMETRY_TOLERANCE:
                problems.append(
                    f"correlation matrix must be symmetric: {names[i]!r}–{names[j]!r} is "
                    f"{_fmt(a)} but {names[j]!r}–{names[i]!r} is {_fmt(b)}"
                )
    if not problems:
        smallest = float(np.linalg.eigvalsh(m)[0])
        if smallest <= _MIN_EIGENVALUE:
            problems.append(
                f"correlation matrix between {', '.join(names)} must be positive definite "
                f"(got smallest eigenvalue {smallest:.3g}): the pairwise correlations contradict "
                "each other; weaken some of them"
            )
    if problems:
        raise ScenarioError(problems)


def _duplicates(names: list[str]) -> list[str]:
    return [name for name, count in Counter(names).items() if count > 1]


def _score_cholesky(spearman: FloatArray) -> npt.NDArray[np.floating[Any]]:
    """Lower Cholesky factor of the normal-score correlation that has rank correlation ``spearman``.

    The mixed scores are close to multivariate normal, and a normal pair with correlation ρ has
    Spearman correlation (6/π)·arcsin(ρ/2); inverting, ρ = 2·sin(π·r/6). The adjustment is at
    most 0.018 and rarely breaks positive definiteness; if it does, the target is used as is.
    """
    try:
        return np.linalg.cholesky(2 * np.sin(np.pi * spearman / 6))
    except np.linalg.LinAlgError:
        return np.linalg.cholesky(spearman)


def iman_conover(
    samples: npt.ArrayLike, target: npt.ArrayLike, *, rng: np.random.Generator
) -> FloatArray:
    """Reorder independent draws so that their rank correlation approximates ``target``.

    Parameters
    ----------
    samples : array_like, shape (n, k)
        Column ``j`` holds ``n`` independent draws of input ``j``.
    target : array_like, shape (k, k)
        The requested Spearman rank-correlation matrix (see :func:`validate_correlation`).
    rng : numpy.random.Generator
        Shuffles the van der Waerden scores; the only randomness used.

    Returns
    -------
    numpy.ndarray, shape (n, k)
        Each column a permutation of the same column of ``samples`` (so every marginal is
        preserved exactly), ordered so that the Spearman correlation is close to ``target``; the
        error shrinks like 1/√n. With fewer than two rows there is nothing to reorder.

    Raises
    ------
    ScenarioError
        If ``target`` is not a valid correlation matrix for ``k`` columns.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (n, k) (got shape {x.shape})")
    n, k = x.shape
    validate_correlation([f"column {j}" for j in range(k)], target)
    if n < 2 or k < 2:
        return x.copy()
    scores = special.ndtri(np.arange(1, n + 1) / (n + 1))
    score_matrix = np.column_stack([rng.permutation(scores) for _ in range(k)])
    # Cholesky correction: undo the correlation the shuffled scores have by chance (E = F Fᵀ),
    # then impose the target (P = C Cᵀ): scores · F⁻ᵀ · Cᵀ has correlation C F⁻¹ E F⁻ᵀ Cᵀ = P.
    achieved = np.corrcoef(score_matrix, rowvar=False)
    try:
        f = np.linalg.cholesky(achieved)
    except np.linalg.LinAlgError:  # fewer rows than columns: the scores' correlation is singular
        f = np.eye(k)
    c = _score_cholesky(np.asarray(target, dtype=np.float64))
    from scipy import linalg  # here: a fifth of a second to import, and only correlations use it

    mixed = score_matrix @ linalg.solve_triangular(f, c.T, lower=True, trans="T")
    ranks = np.argsort(np.argsort(mixed, axis=0, kind="stable"), axis=0, kind="stable")
    return np.take_along_axis(np.sort(x, axis=0), ranks, axis=0)


def rank_correlation(samples: npt.ArrayLike) -> FloatArray:
    """Spearman rank-correlation matrix of the columns of ``samples``, shape (n, k) → (k, k).

    Ties get average ranks. A constant column has no rank correlation: its off-diagonal entries
    are NaN (its diagonal entry is 1).
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (n, k) (got shape {x.shape})")
    from scipy import stats  # here: slow to import, and only sampling needs it

    ranks = stats.rankdata(x, axis=0)
    centred = ranks - ranks.mean(axis=0)
    norms = np.sqrt((centred * centred).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (centred.T @ centred) / np.outer(norms, norms)
    corr = np.clip(corr, -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    return corr
