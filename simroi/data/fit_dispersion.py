"""Day-to-day variation of counts beyond Poisson: a gamma-Poisson (negative binomial) fit.

The model (``simroi/model/contacts.py``) draws a day's contacts as Poisson with rate
``level × weekday_factor × G``, ``G`` a gamma "busyness" multiplier of mean 1 and cv
``busyness_cv``; a day's total is then negative binomial with mean ``μ`` (its weekday's) and
variance ``μ + cv²μ²``. :func:`fit_dispersion` fits that cv by maximum likelihood with the
weekday means as nuisance parameters (Cox–Reid adjusted; Cox & Reid 1987, as edgeR and DESeq2
fit negative binomial dispersions) and gives its profile-likelihood interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special, stats

from simroi.data.fit import LIMITS

__all__ = ["dispersion_loglik", "fit_dispersion", "nb_quantiles"]

#: Half the 90 % point of χ²(1): how far the log-likelihood falls at the interval's ends.
_LR_CUT = float(stats.chi2.ppf(0.90, 1)) / 2
#: Points of the coarse grid over ``[0, 2]`` (a step of 0.01) and of each fine one.
_COARSE, _FINE = 201, 101


def _group_means(totals: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Mean of ``totals`` (days,) by group 0–6 (7,); 0 for a group with none."""
    sums = np.bincount(groups, weights=totals, minlength=7)
    counts = np.bincount(groups, minlength=7)
    return np.divide(sums, counts, out=np.zeros(sums.size), where=counts > 0)


def _log1p_sum(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``Σ_{k<x} log(1 + kα)`` = ``lnΓ(x + r) − lnΓ(r) − x ln r`` with ``r = 1/α``.

    ``x`` (days,) and ``alpha`` (k, 1) > 0 broadcast to (k, days). The gamma-function form
    loses digits as ``r`` grows (``lnΓ(r) ≈ r ln r``), so where ``αx < 0.01`` the sum is taken
    from its series ``αS₁ − α²S₂/2 + α³S₃/3 − α⁴S₄/4`` with ``S_j = Σ_{k<x} k^j`` (the next
    term is below ``x·10⁻¹⁰``).
    """
    m = x - 1.0
    s1 = m * x / 2
    s2 = m * x * (2 * m + 1) / 6
    s4 = m * x * (2 * m + 1) * (3 * m * m + 3 * m - 1) / 30
    series = alpha * s1 - alpha**2 * s2 / 2 + alpha**3 * s1 * s1 / 3 - alpha**4 * s4 / 4
    r = 1.0 / alpha
    exact = special.gammaln(x + r) - special.gammaln(r) - x * np.log(r)
    return np.where(alpha * x < 1e-2, series, exact)


def dispersion_loglik(
    cv: np.ndarray, totals: np.ndarray, groups: np.ndarray, means: np.ndarray
) -> np.ndarray:
    """The Cox–Reid adjusted profile log-likelihood of each ``cv`` (k,), less its value at 0.

    Day totals ``totals`` (days,) are negative binomial with mean ``means[groups]`` (the
    weekday means, which are the maximum-likelihood means at any cv) and variance
    ``μ + cv²μ²``: the model's Poisson day with a gamma multiplier of mean 1 and cv ``cv``.
    Per day, ``ℓ(α) − ℓ(0) = Σ_{k<x} log(1 + kα) − (1/α + x)·log(1 + αμ) + μ`` (α = cv²).
    The Cox–Reid term ``½ Σ_g log(1 + αμ_g)`` over weekdays (``−½ log det`` of the means'
    information ``n_g/(μ_g(1 + αμ_g))``; μ and α are orthogonal) removes the downward bias
    of plugging in estimated means, as dividing by ``n − 1`` does for a variance.
    """
    alpha = np.asarray(cv, dtype=float).reshape(-1, 1) ** 2
    positive = alpha > 0
    a = np.where(positive, alpha, 1.0)
    mu = means[groups]
    ll = _log1p_sum(totals, a) - (1 / a + totals) * np.log1p(a * mu) + mu
    adjust = 0.5 * np.log1p(a * means[np.unique(groups)]).sum(axis=1, keepdims=True)
    return np.where(positive, ll.sum(axis=1, keepdims=True) + adjust, 0.0)[:, 0]


def fit_dispersion(
    totals: np.ndarray, groups: np.ndarray, *, interval: bool = True
) -> tuple[float, float, float]:
    """Maximum (adjusted) likelihood ``cv`` and its 90 % profile-likelihood interval.

    The interval is ``{cv : 2(ℓ(ĉv) − ℓ(cv)) ≤ χ²₁(0.90)}`` searched over the key's range
    ``[0, 2]``: its lower end is 0 when the data cannot reject Poisson days, its upper end
    the limit 2 when the likelihood does not fall far enough before it. Without ``interval``
    the ends are NaN (the outlier round needs only the estimate).

    Parameters
    ----------
    totals : numpy.ndarray, shape (days,)
        Contacts per day (counts).
    groups : numpy.ndarray of int, shape (days,)
        Each day's weekday 0–6: the groups whose means are the nuisance parameters. A group
        with one day tells nothing about the cv (the adjusted likelihood ignores it).

    Returns
    -------
    cv, low, high : float
        The estimate and the interval's ends, all in ``[0, 2]``.
    """
    means = _group_means(totals, groups)
    limit = LIMITS["busyness_cv"][1]

    def ll(cv: np.ndarray) -> np.ndarray:
        return dispersion_loglik(cv, totals, groups, means)

    # A coarse grid over the range, then a fine one within a coarse step of the maximum and
    # of each crossing: four vectorised evaluations, the ends found to 10⁻⁴ of a coarse step.
    grid = np.linspace(0.0, limit, _COARSE)
    values = ll(grid)
    i = int(np.argmax(values))
    fine = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)], _FINE)
    fine_values = ll(fine)
    k = int(np.argmax(fine_values))
    cv, best = float(fine[k]), float(fine_values[k])
    if not interval:
        return cv, math.nan, math.nan
    cut = best - _LR_CUT
    low = 0.0 if values[0] >= cut else _crossing(ll, grid, values, cut, cv, rising=True)
    high = limit if values[-1] >= cut else _crossing(ll, grid, values, cut, cv, rising=False)
    return cv, low, high


def _crossing(
    ll: Callable[[np.ndarray], np.ndarray],
    grid: np.ndarray,
    values: np.ndarray,
    cut: float,
    cv: float,
    *,
    rising: bool,
) -> float:
    """Where ``ll`` crosses ``cut`` below (``rising``) or above ``cv``: the coarse step that
    brackets it, refined on a fine grid and interpolated linearly."""
    side = grid < cv if rising else grid > cv
    below = np.flatnonzero(side & (values < cut))
    j = int(below[-1]) if rising else int(below[0]) - 1
    fine = np.linspace(grid[j], grid[j + 1], _FINE)
    fine_values = ll(fine)
    m = int(
        np.flatnonzero(fine_values >= cut)[0] if rising else np.flatnonzero(fine_values < cut)[0]
    )
    x0, x1, y0, y1 = fine[m - 1], fine[m], fine_values[m - 1], fine_values[m]
    return float(x0 + (cut - y0) * (x1 - x0) / (y1 - y0))


def nb_quantiles(mean: np.ndarray, cv: float, q: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``q`` and ``1 − q`` quantiles of a day's total: negative binomial (Poisson at cv 0)."""
    if cv <= 0:
        return stats.poisson.ppf(q, mean), stats.poisson.ppf(1 - q, mean)
    r = 1.0 / cv**2
    p = r / (r + mean)
    return stats.nbinom.ppf(q, r, p), stats.nbinom.ppf(1 - q, r, p)
