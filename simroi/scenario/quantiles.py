"""Inverse CDFs and uniforms: the numbers every distribution is sampled through.

Sampling is by inverse transform, ``ppf`` of uniforms on the open interval (0, 1). The inverse
CDFs here are closed forms from :mod:`scipy.special` (the tests hold them to :mod:`scipy.stats`
bit for bit over the range the sampler draws), so simulating a bundled scenario never imports
:mod:`scipy.stats`, which costs half a second at the start of every worker.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "FloatArray",
    "beta_ppf",
    "open_uniforms",
    "poisson_ppf",
    "scipy_stats",
]

FloatArray = npt.NDArray[np.float64]


def scipy_stats() -> Any:
    """scipy.stats, imported on first use: it takes half a second, and loading or sampling a
    scenario needs it only for the few inverse CDFs without a closed form here (see
    :meth:`DistributionBase._closed_form`)."""
    from scipy import stats

    return stats


def open_uniforms(size: int | tuple[int, ...], *, rng: np.random.Generator) -> FloatArray:
    """Uniform draws on the *open* interval (0, 1), so every ``ppf`` is finite.

    ``(k + 0.5) / 2**53`` for a uniform 53-bit integer ``k``: as fine-grained as
    :meth:`numpy.random.Generator.random`, but never exactly 0.
    """
    k = rng.integers(0, 2**53, size=size, dtype=np.int64)
    return np.ldexp(k + 0.5, -53, dtype=np.float64)


def beta_ppf(alpha: float, beta: float, q: FloatArray) -> FloatArray:
    """The beta distribution's inverse CDF: ``betaincinv``, and where its root finder gives up
    (probabilities below about 1e-16 for some shapes, which an open uniform can reach) the
    leading term of each tail, F(x) ≈ xᵅ / (α·B(α, β)) near 0 and 1 − F(x) ≈ (1 − x)ᵝ / (β·B(α, β))
    near 1, rather than NaN. (scipy.stats returns a finite but wrong value there.)"""
    x = np.asarray(special.betaincinv(alpha, beta, q), dtype=np.float64)
    lost = np.isnan(x) & (q > 0) & (q < 1)
    if lost.any():
        log_b = special.betaln(alpha, beta)
        with np.errstate(divide="ignore", invalid="ignore"):
            low = np.exp((np.log(q) + np.log(alpha) + log_b) / alpha)
            high = -np.expm1((np.log1p(-q) + np.log(beta) + log_b) / beta)
        x = np.where(lost, np.where(q < 0.5, low, high), x)
    return x


def poisson_ppf(u: npt.ArrayLike, lam: npt.ArrayLike) -> np.ndarray:
    """The Poisson quantile: the least k with P(X ≤ k) ≥ u, for X ~ Poisson(lam), elementwise.

    The same numbers as ``scipy.stats.poisson.ppf`` (as int64), about twice as fast: a
    Cornish–Fisher guess, then steps of one until ``pdtr(k − 1) < u ≤ pdtr(k)``. lam = 0 and
    u = 0 give 0 (scipy gives −1 for u = 0); lam must be finite. Simulating a month calls this
    for every trial, channel, day and part of the day.
    """
    u, lam = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(lam, dtype=float))
    if np.isinf(lam).any():
        raise ValueError("poisson_ppf: lam must be finite")
    z = special.ndtri(u)
    with np.errstate(invalid="ignore"):
        guess = np.floor(lam + np.sqrt(lam) * z + (z * z - 1.0) / 6.0)
    k = np.where(np.isfinite(guess) & (lam > 0), np.maximum(guess, 0.0), 0.0)
    todo = np.flatnonzero(lam > 0)
    while todo.size:
        kk, ll, uu = k.flat[todo], lam.flat[todo], u.flat[todo]
        up = special.pdtr(kk, ll) < uu
        down = ~up & (kk > 0) & (special.pdtr(kk - 1.0, ll) >= uu)
        k.flat[todo] = kk + up - down
        todo = todo[up | down]
    return k.astype(np.int64)
